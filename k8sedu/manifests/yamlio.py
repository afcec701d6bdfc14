"""YAML and JSON as kubectl writes and reads them.

kubectl prints ``-o yaml`` through ``sigs.k8s.io/yaml`` (go-yaml v2 under the
hood): keys sorted, lists not indented under their key, strings that would read
back as something else (``"80"``, ``"true"``, a timestamp, ``""``) in double
quotes, multi-line strings as ``|`` blocks. ``-o json`` is Go's
``json.MarshalIndent`` with four spaces, which also escapes ``<``, ``>`` and
``&``. Reading goes the other way: a file may hold several documents separated
by ``---``; parse errors are worded as kubectl words them.

Examples
--------
>>> print(to_yaml({"kind": "Service", "apiVersion": "v1", "spec": {"ports": [{"name": "80", "port": 80}]}}), end="")
apiVersion: v1
kind: Service
spec:
  ports:
  - name: "80"
    port: 80
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from k8sedu.errors import KubectlError


class _Dumper(yaml.SafeDumper):
    """A SafeDumper that quotes the way go-yaml v2 quotes."""

    def ignore_aliases(self, data: Any) -> bool:  # never write &anchors: kubectl output has none
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    resolved = dumper.resolve(yaml.ScalarNode, value, (True, False))
    if value == "" or resolved not in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:yaml"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def to_yaml(data: Any) -> str:
    """Return ``data`` as kubectl's ``-o yaml`` prints it (keys sorted, ending in a newline)."""
    return yaml.dump(data, Dumper=_Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True, width=80)


def to_json(data: Any) -> str:
    """Return ``data`` as kubectl's ``-o json`` prints it (4-space indent, HTML characters escaped)."""
    text = json.dumps(data, indent=4, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def sort_keys(data: Any) -> Any:
    """Return ``data`` with every mapping's keys sorted (how kubectl prints unstructured objects)."""
    if isinstance(data, dict):
        return {k: sort_keys(data[k]) for k in sorted(data)}
    if isinstance(data, list):
        return [sort_keys(v) for v in data]
    return data


# ---------------------------------------------------------------- reading

class _Loader(yaml.SafeLoader):
    """A SafeLoader that keeps timestamps as strings (the API's JSON has no timestamp type)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


def load_documents(text: str, source: str) -> list[Any]:
    """Split ``text`` into its YAML (or JSON) documents, skipping empty ones.

    ``source`` names the file in errors, as kubectl does (``STDIN`` for ``-f -``).

    Examples
    --------
    >>> load_documents("a: 1\\n---\\n---\\nb: 2\\n", "x.yaml")
    [{'a': 1}, {'b': 2}]
    >>> load_documents("a: [\\n", "x.yaml")
    Traceback (most recent call last):
    ...
    k8sedu.errors.KubectlError: error: error parsing x.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content
    """
    try:
        docs = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as err:
        raise KubectlError(f"error: error parsing {source}: error converting YAML to JSON: {_go_yaml_error(err)}") from None
    except yaml.YAMLError as err:
        raise KubectlError(f"error: error parsing {source}: error converting YAML to JSON: yaml: {err}") from None
    return [d for d in docs if d is not None]


def _go_yaml_error(err: yaml.MarkedYAMLError) -> str:
    """Word a PyYAML error the way go-yaml words it: ``yaml: line N: <problem>``."""
    mark = err.problem_mark or err.context_mark
    line = mark.line + 1 if mark is not None else 1
    if mark is not None and mark.column == 0 and mark.line > 0 and mark.index >= len(mark.buffer or "") - 1:
        line -= 1  # go-yaml blames the last line with content, not the empty end of the stream
    problem = (err.problem or err.context or "invalid YAML").strip()
    problem = re.sub(r"^expected <block end>, but found .*", "did not find expected key", problem)
    problem = re.sub(r"^expected the node content, but found .*", "did not find expected node content", problem)
    problem = re.sub(r"^mapping values are not allowed here", "mapping values are not allowed in this context", problem)
    problem = re.sub(r"^expected ',' or '}', but got .*", "did not find expected ',' or '}'", problem)
    problem = re.sub(r"^found character '\\t' that cannot start any token",
                     "found character that cannot start any token", problem)
    return f"yaml: line {line}: {problem}"
