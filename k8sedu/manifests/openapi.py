"""The API's schema: which fields each kind has, their types, and their documentation.

A real API server publishes its OpenAPI document; kubectl reads it for
``kubectl explain`` and the server checks every object against it (strict
field validation: an unknown field is an error, ``strict decoding error:
unknown field "spec.replica"``). The model carries the part of the Kubernetes
1.32 schema that covers the kinds it has, in ``openapi-v1.32.json``: for each
definition its description, its required fields and, for each property, its
type (``string``, ``integer``, an object ``$ref``, an array's ``items``, a map's
``additionalProperties``) and description. The texts are those of
kubernetes/kubernetes ``api/openapi-spec``, taken from the JSON-schema
conversion that the ``kubernetes-validate`` package ships for 1.32. That
conversion leaves out the ``enum`` lists (and their "Possible enum values"
texts) a real API server serves; ``openapi-enums-v1.32.json`` holds them for
the carried fields (``extract_enums``) and ``definitions`` adds them back, so
``kubectl explain`` prints its ``ENUM:`` blocks. ``python -m
k8sedu.manifests.openapi <schema dir> [<k8s.io/api v0.32 checkout>]``
regenerates both files.

Examples
--------
>>> definition_for_kind("Service")
'io.k8s.api.core.v1.Service'
>>> type_name(prop("io.k8s.api.core.v1.ServiceSpec", "ports"))
'[]ServicePort'
>>> type_name(prop("io.k8s.api.core.v1.ServicePort", "targetPort"))
'IntOrString'
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path
from typing import Any, Optional

DATA = Path(__file__).with_name("openapi-v1.32.json")
ENUMS = Path(__file__).with_name("openapi-enums-v1.32.json")  # the enums a served schema adds (extract_enums)

# The kinds the model has (and Ingress, which the course adds): the roots of the carried schema.
ROOTS = ("io.k8s.api.core.v1.Namespace", "io.k8s.api.core.v1.Node", "io.k8s.api.core.v1.Pod",
         "io.k8s.api.core.v1.Service", "io.k8s.api.core.v1.Endpoints", "io.k8s.api.discovery.v1.EndpointSlice",
         "io.k8s.api.apps.v1.Deployment", "io.k8s.api.apps.v1.ReplicaSet", "io.k8s.api.networking.v1.Ingress",
         "io.k8s.api.networking.v1.IngressClass", "io.k8s.api.core.v1.ConfigMap", "io.k8s.api.apps.v1.DaemonSet")


@functools.lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    """Every carried definition, by its full name (``io.k8s.api.core.v1.ServiceSpec``), with its enums."""
    return with_enums(carried())


def carried() -> dict[str, Any]:
    """The definitions as kubernetes-validate's schema has them (no enums)."""
    return json.loads(DATA.read_text())


def definition_for_kind(kind: str) -> Optional[str]:
    """The definition name of a top-level ``kind``, or None if the model does not carry it."""
    return next((name for name in ROOTS if name.rsplit(".", 1)[-1] == kind), None)


def gvk(definition: str) -> dict[str, str]:
    return definitions()[definition]["gvk"]


def prop(definition: str, name: str) -> Optional[dict]:
    """The schema of property ``name`` of ``definition``, or None."""
    return definitions()[definition].get("properties", {}).get(name)


def resolve(schema: dict) -> dict:
    """Follow a ``$ref`` to its definition (other schemas are returned as they are)."""
    ref = schema.get("$ref")
    return definitions()[ref] if ref else schema


def short(ref: str) -> str:
    return ref.rsplit(".", 1)[-1]


def type_name(schema: dict) -> str:
    """kubectl explain's type hint: ``string``, ``integer``, ``[]ServicePort``, ``map[string]string``, ``Object``."""
    if "items" in schema:
        return "[]" + type_name(schema["items"])
    if "additionalProperties" in schema:
        return "map[string]" + type_name(schema["additionalProperties"])
    if "$ref" in schema:
        target = definitions()[schema["$ref"]]
        if target.get("type") in (None, "object"):
            return short(schema["$ref"])
        return target["type"]
    kind = schema.get("type", "Object")
    return "Object" if kind == "object" else kind


# ---------------------------------------------------------------- generation (dev only)

def _strip_null(types: Any) -> Optional[str]:
    if isinstance(types, list):
        types = [t for t in types if t != "null"]
        return types[0] if len(types) == 1 else None
    return types


def _compact_schema(schema: dict) -> dict:
    out: dict[str, Any] = {}
    if "$ref" in schema:
        out["$ref"] = schema["$ref"].rsplit("/", 1)[-1]
    if "description" in schema:
        out["description"] = schema["description"]
    kind = _strip_null(schema.get("type"))
    if kind and "$ref" not in out:
        out["type"] = kind
    if "format" in schema:
        out["format"] = schema["format"]
    if isinstance(schema.get("items"), dict):
        out["items"] = _compact_schema(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = _compact_schema(schema["additionalProperties"])
    if "oneOf" in schema:  # IntOrString, Quantity: no single type
        out["oneOf"] = sorted({_strip_null(s.get("type")) for s in schema["oneOf"]} - {None})
    return out


def build(schema_dir: str) -> dict[str, Any]:
    """Extract the definitions reachable from ``ROOTS`` out of kubernetes-validate's ``_definitions.json``."""
    source = json.loads((Path(schema_dir) / "_definitions.json").read_text())["$defs"]
    found: dict[str, Any] = {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        raw = source[name]
        entry = _compact_schema(raw)
        entry.pop("$ref", None)
        if raw.get("properties"):
            entry["properties"] = {k: _compact_schema(v) for k, v in raw["properties"].items()}
        if raw.get("required"):
            entry["required"] = raw["required"]
        if raw.get("x-kubernetes-group-version-kind"):
            entry["gvk"] = raw["x-kubernetes-group-version-kind"][0]
        found[name] = entry
        todo += sorted(set(_refs(raw)) - set(found))
    return {k: found[k] for k in sorted(found)}


def _refs(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        refs = [schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else []
        return refs + [r for v in schema.values() for r in _refs(v)]
    if isinstance(schema, list):
        return [r for v in schema for r in _refs(v)]
    return []


ENUM_NOTE = "\n\nPossible enum values:"


def extract_enums(found: dict[str, Any], sources: dict[str, str]) -> dict[str, Any]:
    """The enums an API server serves for the carried fields, derived from the Go types as 1.32 does it.

    kubernetes-validate's schema leaves them out; a 1.32 API server serves, for
    a field whose Go type is a ``// +enum`` string type, its values (sorted,
    an aliased constant counted once) and a "Possible enum values" line per
    value made of the constant's comment without its name (kube-openapi
    ``pkg/generators/enum.go`` at the version 1.32 vendors, 2024-11-05).
    ``sources`` maps an API group (``core``, ``apps``, ``networking``,
    ``discovery``) to the text of its ``k8s.io/api`` ``v1/types.go`` (v0.32.x).
    """
    enums, values, structs = _go_enums(sources)
    out: dict[str, Any] = {}
    for (group, struct), fields in sorted(structs.items()):
        name = f"io.k8s.api.{group}.v1.{struct}"
        for prop, type_ in sorted(fields.items()):
            if name in found and prop in found[name].get("properties", {}) and values.get(type_):
                lines = sorted(_enum_line(*v) for v in values[type_])
                out.setdefault(name, {})[prop] = {"enum": sorted(v[1] for v in values[type_]),
                                                  "note": "\n" + "\n".join(lines)}
    return out


def _enum_line(const: str, value: str, comment: str) -> str:
    """``enumValue.Description``, then openapi-gen's right trim: `` - `"Value"` comment``."""
    text = re.sub(r"\s+", " ", comment.strip().removeprefix(const).strip())
    return f" - `{json.dumps(value)}` {text}".rstrip()


def _comment_above(lines: list[str], i: int) -> list[str]:
    out: list[str] = []
    while i > 0 and lines[i - 1].strip().startswith("//"):
        i -= 1
        out.insert(0, lines[i].strip()[2:].strip())
    return out


def _go_enums(sources: dict[str, str]) -> tuple[set, dict, dict]:
    """Enum types, their (constant, value, comment) triples, and each struct's json field -> Go type."""
    enums: set[str] = set()
    consts: dict[str, tuple[str, Optional[str], Optional[str], str]] = {}
    structs: dict[tuple[str, str], dict[str, str]] = {}
    aliases: dict[str, str] = {}
    inline: dict[tuple[str, str], list[str]] = {}
    for group, text in sources.items():
        lines, struct = text.splitlines(), None
        for i, line in enumerate(lines):
            s = line.strip()
            if re.fullmatch(r"type (\w+) string", s) and "+enum" in _comment_above(lines, i):
                enums.add(s.split()[1])
            if m := re.fullmatch(r"type (\w+) = (\w+)", s):
                aliases[m[1]] = m[2]
            if not s.startswith("type ") and (m := re.fullmatch(
                    r'(\w+)(?:\s+(\w+))?\s*=\s*(?:(\w+)\()?(?:"([^"]*)"|(?:\w+\.)?(\w+))\)?', s)):
                # Name Type = "v" | Name = Type("v") | Name = Type(pkg.Other) | Name = Other
                consts[m[1]] = (m[2] or m[3] or "", m[4], m[5], " ".join(_comment_above(lines, i)))
            if m := re.fullmatch(r"type (\w+) struct \{", s):
                struct = (group, m[1])
                structs[struct] = {}
            elif struct and s == "}":
                struct = None
            elif struct and (m := re.match(r'(\w+)\s+\*?(\w+)\s+`json:"(\w+)', s)):
                structs[struct][m[3]] = m[2]
            elif struct and (m := re.match(r'(\w+)\s+`json:",inline"', s)):
                inline.setdefault(struct, []).append(m[1])
    for struct, embedded in inline.items():
        for name in embedded:
            structs[struct].update(structs.get((struct[0], name), {}))
    values: dict[str, list[tuple[str, str, str]]] = {}
    for name, (type_, value, ref, comment) in consts.items():
        while value is None and ref in consts:  # defined as another constant: its value (and type)
            ref_type, value, ref = consts[ref][:3]
            type_ = type_ or ref_type
        type_ = aliases.get(type_, type_)
        if value is not None and type_ in enums:
            _add_value(values.setdefault(type_, []), (name, value, comment))
    structs = {k: {f: aliases.get(t, t) for f, t in v.items() if aliases.get(t, t) in enums}
               for k, v in structs.items()}
    return enums, values, structs


def _add_value(values: list, new: tuple[str, str, str]) -> None:
    """``addIfNotPresent``: one entry per value; the longer comment wins."""
    for i, old in enumerate(values):
        if old[1] == new[1]:
            if len(old[2]) < len(new[2]) or (len(old[2]) == len(new[2]) and old[2] > new[2]):
                values[i] = new
            return
    values.append(new)


@functools.lru_cache(maxsize=1)
def _enums() -> dict[str, Any]:
    return json.loads(ENUMS.read_text())


def with_enums(found: dict[str, Any]) -> dict[str, Any]:
    """Give each field its ``enum`` and append its "Possible enum values" text, as the API server serves them."""
    for name, fields in _enums().items():
        for prop, enum in fields.items():
            field = found[name]["properties"][prop]
            field["enum"] = enum["enum"]
            if enum["note"]:
                field["description"] = field.get("description", "") + ENUM_NOTE + enum["note"]
    return found


if __name__ == "__main__":  # pragma: no cover - run by hand to refresh the data files
    carried = build(sys.argv[1])
    DATA.write_text(json.dumps(carried, indent=0, sort_keys=True, ensure_ascii=False) + "\n")
    if len(sys.argv) > 2:  # a k8s.io/api checkout (v0.32.x): the enums come from its Go types
        groups = {g: (Path(sys.argv[2]) / g / "v1" / "types.go").read_text()
                  for g in ("core", "apps", "networking", "discovery")}
        ENUMS.write_text(json.dumps(extract_enums(carried, groups), indent=0, sort_keys=True,
                                    ensure_ascii=False) + "\n")
