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

import contextlib
import datetime
import json
import re
import sys
from typing import Any, Optional

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

# go-yaml's limits (sigs.k8s.io/yaml/goyaml.v2, decode.go and parserc.go): nesting deeper than 10000 levels is
# refused while parsing; an alias-heavy document is refused while decoding once more than 100 of at least 1000
# decoded nodes came through aliases and their share passes ``allowedAliasRatio`` (0.99 up to 400000 nodes, falling
# to 0.10 at 4000000). The "billion laughs" bomb trips this after about a thousand nodes.
MAX_DEPTH = 10000
_RATIO_LOW, _RATIO_HIGH = 400_000, 4_000_000


class _YAMLRefusal(Exception):
    """A document go-yaml refuses, with go-yaml's words."""


def _allowed_alias_ratio(decoded: int) -> float:
    if decoded <= _RATIO_LOW:
        return 0.99
    if decoded >= _RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _RATIO_LOW) / (_RATIO_HIGH - _RATIO_LOW)


def check_aliasing(root: yaml.Node, anchors: dict[int, str]) -> None:
    """Count nodes as go-yaml's decoder does, following aliases, and refuse what it refuses.

    The walk is iterative and stops as soon as go-yaml would: a bomb costs about a thousand steps, not its expansion.

    >>> loader = _Loader("a: &a [x, x]\\nb: [*a, *a]\\n")
    >>> check_aliasing(loader.get_single_node(), loader.last_anchors)
    """
    decoded = aliased = 0
    seen: set[int] = set()
    open_nodes: set[int] = set()  # the nodes being decoded: an alias to one of them is a cycle
    stack: list[tuple[Optional[yaml.Node], int, int]] = [(root, 0, 0)]
    while stack:
        node, depth, closing = stack.pop()
        if node is None:
            open_nodes.discard(closing)
            continue
        decoded += 1
        is_alias = id(node) in seen
        if depth or is_alias:
            aliased += 1
        if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
            raise _YAMLRefusal("yaml: document contains excessive aliasing")
        if is_alias and id(node) in open_nodes:
            raise _YAMLRefusal(f"yaml: anchor '{anchors.get(id(node), '')}' value contains itself")
        seen.add(id(node))
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else \
            node.value if isinstance(node, yaml.SequenceNode) else []
        if children:
            open_nodes.add(id(node))
            stack.append((None, 0, id(node)))
            inner = depth + 1 if is_alias else depth
            stack.extend((child, inner, 0) for child in reversed(children))


def _nesting_depth(text: str) -> None:
    """Refuse nesting deeper than go-yaml's 10000 levels; iterative (PyYAML's parser is a state machine)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _YAMLRefusal(f"yaml: line {event.start_mark.line + 1}: exceeded max depth of {MAX_DEPTH}")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


class _Loader(yaml.SafeLoader):
    """A SafeLoader that reads as sigs.k8s.io/yaml does.

    Timestamps stay strings unless tagged (the API's JSON has no timestamp type); ``!!binary`` becomes the decoded
    text, ``!!set`` a mapping to nulls and ``!!timestamp`` RFC 3339 text, as Go's JSON writes what go-yaml decoded;
    the composed graph is checked for go-yaml's aliasing limits before anything is built from it.
    """

    def compose_document(self):
        self.get_event()  # DocumentStartEvent
        node = self.compose_node(None, None)
        self.get_event()  # DocumentEndEvent
        self.last_anchors = {id(n): name for name, n in self.anchors.items()}
        self.anchors = {}
        return node

    def construct_document(self, node):
        check_aliasing(node, getattr(self, "last_anchors", {}))
        return super().construct_document(node)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_yaml_binary(node).decode("utf-8", errors="replace")


def _set(loader: yaml.SafeLoader, node: yaml.Node):
    data: dict = {}
    yield data
    data.update(loader.construct_mapping(node))


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    value = loader.construct_yaml_timestamp(node)
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.isoformat().replace("+00:00", "Z")


_Loader.add_constructor("tag:yaml.org,2002:binary", _binary)
_Loader.add_constructor("tag:yaml.org,2002:set", _set)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_documents(text: str, source: str) -> list[Any]:
    """Split ``text`` into its YAML (or JSON) documents, skipping empty ones.

    ``source`` names the file in errors, as kubectl does (``STDIN`` for ``-f -``). go-yaml's limits apply: nesting
    up to 10000 levels, and no alias bombs (``yaml: document contains excessive aliasing``).

    Examples
    --------
    >>> load_documents("a: 1\\n---\\n---\\nb: 2\\n", "x.yaml")
    [{'a': 1}, {'b': 2}]
    >>> load_documents("a: [\\n", "x.yaml")
    Traceback (most recent call last):
    ...
    k8sedu.errors.KubectlError: error: error parsing x.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content
    >>> load_documents("a: &a [*a]\\n", "x.yaml")
    Traceback (most recent call last):
    ...
    k8sedu.errors.KubectlError: error: error parsing x.yaml: error converting YAML to JSON: yaml: anchor 'a' value contains itself
    """
    prefix = f"error: error parsing {source}: error converting YAML to JSON: "
    try:
        _nesting_depth(text)
        with _recursion_room(text):
            docs = list(yaml.load_all(text, Loader=_Loader))
    except _YAMLRefusal as err:
        raise KubectlError(prefix + str(err)) from None
    except yaml.MarkedYAMLError as err:
        raise KubectlError(prefix + _go_yaml_error(err)) from None
    except yaml.YAMLError as err:
        raise KubectlError(f"{prefix}yaml: {err}") from None
    return [d for d in docs if d is not None]


@contextlib.contextmanager
def _recursion_room(text: str):
    """PyYAML composes nested nodes recursively: allow go-yaml's depth for the length of one load."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, 4 * min(MAX_DEPTH, text.count("[") + text.count("{") + text.count("\n")) + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


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
