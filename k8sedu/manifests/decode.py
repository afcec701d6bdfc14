"""Manifests to objects: what the API server does with the YAML a learner sends.

Three checks happen before anything is stored, each with the words a real
cluster uses:

1. kubectl's own, on the client: every document needs ``apiVersion`` and
   ``kind`` (``error validating data: kind not set``), and the pair must name a
   type the cluster serves (``no matches for kind "Deployment" in version
   "v1"``, the classic missing ``apps/``);
2. the server's strict decoding (``fieldValidation=Strict``, kubectl's default
   since 1.27): a value of the wrong type (``json: cannot unmarshal string into
   Go struct field DeploymentSpec.spec.replicas of type int32``), then every
   unknown field (``strict decoding error: unknown field "spec.replica"``);
3. validation proper (names, ports, selectors), which the model's API server
   does when the object is created or updated.

The object handed to step 3 comes from ``DECODERS``, one row per kind, each
pointing at the module of the kind's concept (``pods``, ``services``...). Fields
the real API has but the model does not use (``imagePullPolicy``,
``resources``, ``env``...) are accepted and dropped: the model keeps only what
its networking needs.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable, Mapping, Optional

from k8sedu.errors import KubectlError
from k8sedu.manifests import (configmaps, endpoints, namespaces, networking, nodes, openapi, pods, services,
                              workloads)
from k8sedu.manifests.meta import api_version as served_version

# kind -> the function that builds the model's object from a checked manifest and the namespace that fills a
# missing one (cluster-scoped kinds ignore it). ``encode.ENCODERS`` is the other direction, row for row.
Decoder = Callable[[dict, str], Any]
DECODERS: Mapping[str, Decoder] = MappingProxyType({
    "Namespace": namespaces.decode_namespace,
    "Node": nodes.decode_node,
    "Pod": pods.decode_pod,
    "Service": services.decode_service,
    "Endpoints": endpoints.decode_endpoints,
    "EndpointSlice": endpoints.decode_endpointslice,
    "Deployment": workloads.decode_deployment,
    "ReplicaSet": workloads.decode_replicaset,
    "DaemonSet": workloads.decode_daemonset,
    "Ingress": networking.decode_ingress,
    "IngressClass": networking.decode_ingressclass,
    "ConfigMap": configmaps.decode_configmap,
})
# Kinds the model has but does not create from a manifest: its Nodes are those its kubelets registered.
REGISTERED = ("Node",)
# Real kinds a manifest may name that the model does not have (yet): refused honestly.
NOT_MODELLED = {"Secret", "StatefulSet", "Job", "CronJob", "NetworkPolicy", "ServiceAccount",
                "PersistentVolumeClaim", "PersistentVolume", "Role", "RoleBinding", "ClusterRole",
                "ClusterRoleBinding", "HorizontalPodAutoscaler", "ReplicationController", "PodDisruptionBudget",
                "Gateway", "HTTPRoute", "LimitRange", "ResourceQuota"}
VALIDATE_HINT = "; if you choose to ignore these errors, turn validation off with --validate=false"


# ---------------------------------------------------------------- 1. kubectl's client-side checks

def check_type_meta(doc: Any, source: str) -> tuple[str, str]:
    """Return (apiVersion, kind), or raise kubectl's client-side validation error."""
    if not isinstance(doc, dict):
        raise KubectlError(f'error: error validating "{source}": error validating data: invalid object to validate'
                           + VALIDATE_HINT)
    problems = []
    for field in ("apiVersion", "kind"):
        value = doc.get(field)
        if value is None or value == "":
            problems.append(f"{field} not set")
        elif not isinstance(value, str):
            problems.append(f"{field} isn't string type")
    if problems:
        shown = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
        raise KubectlError(f'error: error validating "{source}": error validating data: {shown}' + VALIDATE_HINT)
    return doc["apiVersion"], doc["kind"]


def check_served(api_version: str, kind: str, name: str, namespace: str, source: str) -> None:
    """Refuse a kind/version pair the cluster does not serve, as the REST mapper does."""
    if kind in DECODERS and kind not in REGISTERED and served_version(kind) == api_version:
        return
    if kind in NOT_MODELLED or kind in REGISTERED:
        raise KubectlError(f"error: k8sedu does not model {kind} objects yet (a real cluster has them; "
                           f"this course does not need them so far)")
    raise KubectlError(f'error: resource mapping not found for name: "{name}" namespace: "{namespace}" from '
                       f'"{source}": no matches for kind "{kind}" in version "{api_version}"\n'
                       "ensure CRDs are installed first")


# ---------------------------------------------------------------- 2. strict decoding against the schema

_JSON_TYPES = {bool: "bool", int: "number", float: "number", str: "string", list: "array", dict: "object"}


def _json_type(value: Any) -> str:
    return next(name for t, name in _JSON_TYPES.items() if isinstance(value, t))


def _go_type(schema: dict) -> str:
    if "items" in schema:
        return "[]" + _go_type(schema["items"])
    if "additionalProperties" in schema:
        return "map[string]" + _go_type(schema["additionalProperties"])
    if "$ref" in schema:
        target = openapi.definitions()[schema["$ref"]]
        if target.get("type") == "string":
            return "v1.Time" if target.get("format") == "date-time" else "string"
        if "oneOf" in target:
            return "intstr.IntOrString" if "integer" in target["oneOf"] else "resource.Quantity"
        group = schema["$ref"].split(".")[-2]
        return f"{group}.{openapi.short(schema['$ref'])}"
    return {"integer": schema.get("format", "int32").replace("int32", "int32"), "boolean": "bool",
            "number": "float64"}.get(schema.get("type", ""), schema.get("type", "string"))


class _TypeError(Exception):
    pass


def strict_check(doc: dict, definition: str) -> list[str]:
    """Return the unknown-field paths of ``doc``; raise ``_TypeError`` (Go's json message) on a wrong type."""
    unknown: list[str] = []
    _check_object(doc, definition, "", unknown, top=True)
    return unknown


def _check_object(value: dict, definition: str, path: str, unknown: list[str], top: bool = False) -> None:
    props = openapi.definitions()[definition].get("properties", {})
    for key, child in value.items():
        child_path = f"{path}.{key}" if path else key
        schema = props.get(key)
        if schema is None:
            unknown.append(child_path)
            continue
        if top and key in ("apiVersion", "kind"):
            continue
        _check_value(child, schema, child_path, openapi.short(definition), unknown)


def _check_value(value: Any, schema: dict, path: str, struct: str, unknown: list[str]) -> None:
    if value is None:
        return  # null is every type's zero value
    target = openapi.resolve(schema) if "$ref" in schema else schema
    expected = target.get("type") or ("object" if target.get("properties") else None)
    one_of = target.get("oneOf")

    def wrong() -> _TypeError:
        shown = _json_type(value) + (f" {value}" if isinstance(value, float) else "")
        return _TypeError(f"json: cannot unmarshal {shown} into Go struct field {struct}.{_dotted(path)} "
                          f"of type {_go_type(schema)}")

    if one_of:  # IntOrString / Quantity
        if isinstance(value, bool) or not isinstance(value, (int, str, float)):
            raise wrong()
        if isinstance(value, float) and "number" not in one_of:
            raise wrong()
        return
    if "items" in schema:
        if not isinstance(value, list):
            raise wrong()
        for i, item in enumerate(value):
            _check_value(item, schema["items"], f"{path}[{i}]", struct, unknown)
        return
    if "additionalProperties" in schema:
        if not isinstance(value, dict):
            raise wrong()
        for k, item in value.items():
            _check_value(item, schema["additionalProperties"], path, struct, unknown)
        return
    if "$ref" in schema and target.get("properties") is not None:
        if not isinstance(value, dict):
            raise wrong()
        _check_object(value, schema["$ref"], path, unknown)
        return
    if expected == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or isinstance(value, float) \
                and not value.is_integer():
            raise wrong()
        bits = 64 if schema.get("format") == "int64" else 32
        if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            raise _TypeError(f"json: cannot unmarshal number {int(value)} into Go struct field "
                             f"{struct}.{_dotted(path)} of type int{bits}")
    elif expected == "string":
        if not isinstance(value, str):
            raise wrong()
    elif expected == "boolean":
        if not isinstance(value, bool):
            raise wrong()
    elif expected == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong()
    elif expected == "object" and not isinstance(value, dict):
        raise wrong()


def _dotted(path: str) -> str:
    """``spec.ports[0].port`` -> ``spec.ports.port`` (Go's json errors name fields, not indexes)."""
    return ".".join(p for p in path.replace("[", ".[").split(".") if not p.startswith("["))


def server_decode_error(kind: str, version: str, detail: str) -> str:
    """The body of the BadRequest a strict decode gives (without kubectl's prefix)."""
    return f'{kind} in version "{version}" cannot be handled as a {kind}: {detail}'


def strict_decode_problem(doc: dict) -> Optional[str]:
    """Return the server's decoding complaint about ``doc`` (a known kind), or None."""
    api_version, kind = doc["apiVersion"], doc["kind"]
    definition = openapi.definition_for_kind(kind)
    version = api_version.rsplit("/", 1)[-1]
    try:
        unknown = strict_check(doc, definition)
    except _TypeError as err:
        return server_decode_error(kind, version, str(err))
    if unknown:
        fields = ", ".join(f'unknown field "{u}"' for u in unknown)
        return server_decode_error(kind, version, f"strict decoding error: {fields}")
    if kind == "ConfigMap" and configmaps.binary_data_problem(doc):  # Go decodes []byte from base64
        return server_decode_error(kind, version, configmaps.binary_data_problem(doc))
    return None


# ---------------------------------------------------------------- 3. manifest -> model objects

def to_object(doc: dict, namespace: str) -> Any:
    """Build the model's object from a checked manifest (``namespace`` fills a missing one).

    Examples
    --------
    >>> to_object({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    ...            "spec": {"ports": [{"port": 80}]}}, "shop").metadata.namespace
    'shop'
    """
    decoder = DECODERS.get(doc["kind"])
    if decoder is None:
        raise KubectlError(f"error: k8sedu does not model {doc['kind']} objects yet")
    return decoder(doc, namespace)


def documents(data: Any, source: str) -> list[dict]:
    """Flatten what ``apply`` was given (a dict, a list, ``kind: List``) into object documents.

    A Python manifest must hold what JSON holds: anything else (a tuple, a set, bytes) is refused by name before
    anything is sent.

    >>> documents({"kind": "ConfigMap", "data": ("a",)}, "STDIN")
    Traceback (most recent call last):
    ...
    k8sedu.errors.KubectlError: error: error validating "STDIN": error validating data: data is a tuple, not a JSON value (use dict, list, str, int, float, bool or None); if you choose to ignore these errors, turn validation off with --validate=false
    """
    check_json_data(data, source)
    return _flatten(data, source)


_JSON_VALUES = (dict, list, str, int, float, bool, type(None))
MAX_DEPTH = 10000  # go's encoding/json and go-yaml refuse deeper nesting


def check_json_data(data: Any, source: str) -> None:
    """Refuse a Python manifest holding a non-JSON value, a container that holds itself, or nesting past 10000.

    Iterative, and a path is spelled out only for the error (shortened), so a hostile structure costs its size.

    >>> loop = []; loop.append(loop)
    >>> check_json_data({"data": loop}, "STDIN")
    Traceback (most recent call last):
    ...
    k8sedu.errors.KubectlError: error: error validating "STDIN": error validating data: data[0] holds itself (JSON cannot); if you choose to ignore these errors, turn validation off with --validate=false
    """
    paths: list[tuple[int, str]] = [(-1, "")]  # (parent, step) per visited value: the path, built on demand
    on_path: set[int] = set()
    stack: list[tuple[Any, int, int]] = [(data, 0, 0)]  # (value, its entry in paths, depth); None value = leave
    while stack:
        value, entry, depth = stack.pop()
        if entry < 0:
            on_path.discard(depth)  # leaving the container whose id was stashed in ``depth``
            continue
        problem = ""
        if not isinstance(value, _JSON_VALUES):
            problem = f"is a {type(value).__name__}, not a JSON value (use dict, list, str, int, float, bool or None)"
        elif depth > MAX_DEPTH:
            problem = f"is nested deeper than {MAX_DEPTH} levels"
        elif isinstance(value, (dict, list)) and id(value) in on_path:
            problem = "holds itself (JSON cannot)"
        if problem:
            raise KubectlError(f'error: error validating "{source}": error validating data: '
                               f"{_path(paths, entry)} {problem}" + VALIDATE_HINT)
        if isinstance(value, (dict, list)):
            on_path.add(id(value))
            stack.append((None, -1, id(value)))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in items:
                paths.append((entry, f".{key}" if isinstance(value, dict) else f"[{key}]"))
                stack.append((child, len(paths) - 1, depth + 1))


def _path(paths: list[tuple[int, str]], entry: int, limit: int = 120) -> str:
    steps = []
    while entry > 0:
        entry, step = paths[entry]
        steps.append(step)
    text = "".join(reversed(steps)).lstrip(".") or "the manifest"
    return text if len(text) <= limit else text[:limit] + "..."


def _flatten(data: Any, source: str) -> list[dict]:
    """Lists and ``kind: List`` items, in order, into documents; iterative (a list may be nested 10000 deep)."""
    found: list = []
    stack: list = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and item.get("kind") == "List" and item.get("apiVersion") == "v1":
            items = item.get("items")
            if items is not None and not isinstance(items, list):
                raise KubectlError(f'error: error validating "{source}": error validating data: invalid object to '
                                   "validate" + VALIDATE_HINT)
            stack.extend(reversed(items or []))
        elif isinstance(item, list):
            stack.extend(reversed(item))
        else:
            found.append(item)
    return found
