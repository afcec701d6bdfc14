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
conversion that the ``kubernetes-validate`` package ships for 1.32
(``python -m k8sedu.manifests.openapi <schema dir>`` regenerates the file).

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
import sys
from pathlib import Path
from typing import Any, Optional

DATA = Path(__file__).with_name("openapi-v1.32.json")

# The kinds the model has (and Ingress, which the course adds): the roots of the carried schema.
ROOTS = ("io.k8s.api.core.v1.Namespace", "io.k8s.api.core.v1.Node", "io.k8s.api.core.v1.Pod",
         "io.k8s.api.core.v1.Service", "io.k8s.api.core.v1.Endpoints", "io.k8s.api.discovery.v1.EndpointSlice",
         "io.k8s.api.apps.v1.Deployment", "io.k8s.api.apps.v1.ReplicaSet", "io.k8s.api.networking.v1.Ingress",
         "io.k8s.api.networking.v1.IngressClass")


@functools.lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    """Every carried definition, by its full name (``io.k8s.api.core.v1.ServiceSpec``)."""
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


if __name__ == "__main__":  # pragma: no cover - run by hand to refresh the data file
    DATA.write_text(json.dumps(build(sys.argv[1]), indent=0, sort_keys=True, ensure_ascii=False) + "\n")
