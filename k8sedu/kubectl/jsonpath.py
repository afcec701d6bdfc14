"""``-o jsonpath=...`` and ``--sort-by``: kubectl's JSONPath (client-go ``util/jsonpath``), the part courses use.

A template is text with ``{...}`` actions in it; the text is printed as it is,
each action is evaluated against the object (the manifest ``-o json`` would
print: one object, or a ``List`` with ``items``). The model follows:

- fields and indexes: ``{.metadata.name}``, ``{.spec.ports[0].nodePort}``,
  ``{.status.loadBalancer.ingress[0].ip}``;
- every element: ``{.items[*].metadata.name}`` (several results are printed
  separated by one space);
- a filter on a field's value: ``{.status.addresses[?(@.type=="InternalIP")].address}``;
- ``{range .items[*]}...{end}`` loops, and string literals ``{"\\t"}``, ``{"\\n"}``.

A string prints as itself, a number or boolean as Go prints it, a map or a
list as compact JSON (``PrintResults``). A missing field prints nothing:
``kubectl get`` allows missing keys (``--allow-missing-template-keys``
defaults to true). Other expressions (slices, ``..`` recursion, ``@`` outside
a filter, unions) are refused honestly rather than guessed.

``--sort-by`` takes one expression (``.metadata.name`` or
``{.metadata.name}``, kubectl's ``RelaxedJSONPathExpression``) and sorts the
objects by its first value: numbers as numbers, strings in natural order
(``sortorder.NaturalLess``: ``web-9`` before ``web-10``), objects lacking the
field first.

Examples
--------
>>> doc = {"items": [{"metadata": {"name": "a"}, "spec": {"ports": [{"nodePort": 30080}]}},
...                  {"metadata": {"name": "b"}, "spec": {"ports": [{"nodePort": 30081}]}}]}
>>> print(render("{.items[*].metadata.name}", doc))
a b
>>> render('{range .items[*]}{.metadata.name}{"\\t"}{.spec.ports[0].nodePort}{"\\n"}{end}', doc)
'a\\t30080\\nb\\t30081\\n'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

from k8sedu.errors import KubectlError

MISSING = object()


@dataclass(frozen=True)
class Step:
    """One step of a path: a field, an index (None: every element), or a filter ``[?(@.f=="v")]``."""

    field: Optional[str] = None
    index: Optional[int] = None
    every: bool = False
    filter: Optional[tuple[tuple[str, ...], str]] = None


def _refuse(expression: str) -> KubectlError:
    return KubectlError(f"error: k8sedu does not model the JSONPath expression {expression!r}; it models fields "
                        "(.a.b), indexes ([0]), [*], filters ([?(@.f==\"v\")]), range/end and string literals")


def parse_path(text: str) -> tuple[Step, ...]:
    """Parse ``.a.b[0].c[*]`` into steps.

    Examples
    --------
    >>> [s.field or s.index for s in parse_path(".spec.ports[0].nodePort")]
    ['spec', 'ports', 0, 'nodePort']
    """
    steps: list[Step] = []
    rest = text.strip()
    if rest in (".", "@"):
        return ()
    while rest:
        field = re.match(r"\.([A-Za-z_$][\w$-]*)", rest)
        index = re.match(r"\[(\d+)\]", rest)
        every = re.match(r"\[\*\]", rest)
        filt = re.match(r'\[\?\(@((?:\.[A-Za-z_][\w-]*)+)\s*==\s*(?:"([^"]*)"|\'([^\']*)\')\)\]', rest)
        if field:
            steps.append(Step(field=field.group(1)))
        elif index:
            steps.append(Step(index=int(index.group(1))))
        elif every:
            steps.append(Step(every=True))
        elif filt:
            path = tuple(filt.group(1).strip(".").split("."))
            value = filt.group(2) if filt.group(2) is not None else filt.group(3)
            steps.append(Step(filter=(path, value)))
        else:
            raise _refuse(text)
        rest = rest[(field or index or every or filt).end():]
    return tuple(steps)


def evaluate(steps: tuple[Step, ...], value: Any) -> list[Any]:
    """Every value the path reaches from ``value`` (missing keys reach nothing)."""
    current = [value]
    for step in steps:
        found = []
        for v in current:
            if step.field is not None and isinstance(v, dict) and step.field in v:
                found.append(v[step.field])
            elif step.index is not None and isinstance(v, list) and step.index < len(v):
                found.append(v[step.index])
            elif step.every and isinstance(v, list):
                found += v
            elif step.every and isinstance(v, dict):
                found += [v[k] for k in sorted(v)]
            elif step.filter is not None and isinstance(v, list):
                path, wanted = step.filter
                found += [item for item in v if _get(item, path) == wanted]
        current = found
    return current


def _get(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


def text_of(value: Any) -> str:
    """``PrintResults``: maps and lists as compact JSON, the rest as Go's ``fmt.Fprint``."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _actions(template: str) -> list[tuple[str, str]]:
    """Split a template into ("text", ...) and ("action", ...) parts."""
    parts: list[tuple[str, str]] = []
    pos = 0
    while pos < len(template):
        start = template.find("{", pos)
        if start < 0:
            parts.append(("text", template[pos:]))
            break
        if start > pos:
            parts.append(("text", template[pos:start]))
        end = _closing(template, start)
        parts.append(("action", template[start + 1:end].strip()))
        pos = end + 1
    return parts


def _closing(template: str, start: int) -> int:
    quote, escaped = "", False
    for i in range(start + 1, len(template)):
        char = template[i]
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "}":
            return i
    raise KubectlError(f"error: error parsing jsonpath {template}, unclosed action")


def _literal(action: str) -> Optional[str]:
    if len(action) >= 2 and action[0] == action[-1] and action[0] in "\"'":
        body = action[1:-1].replace('\\"', '"').replace('"', '\\"')  # strconv.Unquote: escapes in either quote
        return json.loads('"' + body + '"', strict=False)
    return None


def render(template: str, doc: Any) -> str:
    """What ``-o jsonpath=TEMPLATE`` prints for ``doc``."""
    out, _ = _run(_actions(template), 0, doc, template)
    return out


def _run(parts: list[tuple[str, str]], i: int, doc: Any, template: str, stop_at_end: bool = False) -> tuple[str, int]:
    out: list[str] = []
    while i < len(parts):
        kind, body = parts[i]
        if kind == "text":
            out.append(body)
        elif body == "end":
            if not stop_at_end:
                raise KubectlError(f"error: error parsing jsonpath {template}, not in range, nothing to end")
            return "".join(out), i
        elif body.startswith("range "):
            items = evaluate(parse_path(body[len("range "):]), doc)
            end = i
            for item in items:
                text, end = _run(parts, i + 1, item, template, stop_at_end=True)
                out.append(text)
            if not items:
                _, end = _run(parts, i + 1, {}, template, stop_at_end=True)
            i = end
        elif _literal(body) is not None:
            out.append(_literal(body) or "")
        else:
            out.append(" ".join(text_of(v) for v in evaluate(parse_path(body), doc)))
        i += 1
    if stop_at_end:
        raise KubectlError(f"error: error parsing jsonpath {template}, unclosed range")
    return "".join(out), i


def relaxed(expression: str) -> str:
    """``RelaxedJSONPathExpression``: ``.a.b``, ``a.b`` and ``{.a.b}`` all mean ``{.a.b}``.

    Examples
    --------
    >>> relaxed("metadata.name"), relaxed("{.status.podIP}")
    ('{.metadata.name}', '{.status.podIP}')
    """
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if not text.startswith("."):
        text = "." + text
    return "{" + text + "}"


def natural_key(text: str) -> tuple:
    """``sortorder.NaturalLess`` as a key: runs of digits compare as numbers.

    Examples
    --------
    >>> sorted(["web-10", "web-9", "10.244.1.10", "10.244.1.9"], key=natural_key)
    ['10.244.1.9', '10.244.1.10', 'web-9', 'web-10']
    """
    return tuple((0, int(chunk), len(chunk)) if chunk.isdigit() else (1, chunk, 0)
                 for chunk in re.findall(r"\d+|\D+", text))


def sort_by(docs: list[Any], expression: str) -> list[int]:
    """The order ``--sort-by`` gives ``docs`` (a list of indexes): missing values first, then ascending."""
    field = relaxed(expression)
    steps = parse_path(field[1:-1])
    values = [evaluate(steps, d) for d in docs]
    if docs and not any(values):
        raise KubectlError(f'error: couldn\'t find any field with path "{field}" in the list of objects')

    def key(i: int) -> tuple:
        if not values[i]:
            return (0,)
        v = values[i][0]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return (1, v)
        return (2, natural_key(text_of(v)))
    return sorted(range(len(docs)), key=key)
