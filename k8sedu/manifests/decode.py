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

Fields the real API has but the model does not use (``imagePullPolicy``,
``resources``, ``env``...) are accepted and dropped: the model keeps only what
its networking needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

from k8sedu.errors import KubectlError
from k8sedu.manifests import openapi
from k8sedu.objects import (ClientIPConfig, Container, ContainerPort, Deployment, DeploymentSpec, Endpoint,
                            EndpointAddress, EndpointConditions, EndpointPort, Endpoints, EndpointSlice,
                            EndpointSubset, HTTPGetAction, LabelSelector, Namespace, ObjectMeta, ObjectReference,
                            Pod, PodSpec, PodTemplateSpec, Probe, ReplicaSet, ReplicaSetSpec, Service, ServicePort,
                            ServiceSpec, SessionAffinityConfig, Taint, frozen)

# apiVersion -> kinds the model can create from a manifest.
SERVED = {
    "v1": ("Namespace", "Pod", "Service", "Endpoints"),
    "apps/v1": ("Deployment", "ReplicaSet"),
    "discovery.k8s.io/v1": ("EndpointSlice",),
    "networking.k8s.io/v1": ("Ingress", "IngressClass"),
}
# Real kinds a manifest may name that the model does not have (yet): refused honestly.
NOT_MODELLED = {"ConfigMap", "Secret", "StatefulSet", "DaemonSet", "Job", "CronJob", "NetworkPolicy", "ServiceAccount",
                "PersistentVolumeClaim", "PersistentVolume", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "HorizontalPodAutoscaler", "Node", "ReplicationController",
                "PodDisruptionBudget", "Gateway", "HTTPRoute", "LimitRange", "ResourceQuota"}
VALIDATE_HINT = "; if you choose to ignore these errors, turn validation off with --validate=false"


@dataclass(frozen=True)
class Decoded:
    """One object read from a manifest: the model's object and the manifest it came from."""

    obj: Any
    manifest: dict
    source: str


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
    if kind in SERVED.get(api_version, ()):
        return
    if kind in NOT_MODELLED:
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
    return None


# ---------------------------------------------------------------- 3. manifest -> model objects

def _items(value: Any) -> list[dict]:
    """A list of objects, a JSON null item read as an empty object (Go decodes it to the zero struct)."""
    return [item if isinstance(item, dict) else {} for item in value or ()]


def _labels(value: Any) -> Any:
    return frozen({str(k): str(v) for k, v in (value or {}).items()})


def _int(value: Any, default: int = 0) -> int:
    return default if value is None else int(value)


def _port_value(value: Any) -> Union[int, str]:
    if value is None:
        return 0
    return int(value) if isinstance(value, (int, float)) else value


def metadata(m: Optional[dict], namespace: str = "") -> ObjectMeta:
    m = m or {}
    return ObjectMeta(name=m.get("name") or "", namespace=m.get("namespace") or namespace,
                      generate_name=m.get("generateName") or "", labels=_labels(m.get("labels")),
                      annotations=_labels(m.get("annotations")))


def _probe(p: Optional[dict]) -> Optional[Probe]:
    if not p or not p.get("httpGet"):
        return None
    get = p["httpGet"]
    return Probe(HTTPGetAction(_port_value(get.get("port")), get.get("path") or "/"),
                 _int(p.get("initialDelaySeconds")), _int(p.get("periodSeconds"), 10))


def _container(c: dict) -> Container:
    ports = tuple(ContainerPort(_int(p.get("containerPort")), p.get("name") or "", p.get("protocol") or "TCP")
                  for p in _items(c.get("ports")))
    return Container(c.get("name") or "", c.get("image") or "", ports, _probe(c.get("readinessProbe")))


def _taint(t: dict) -> Taint:
    return Taint(t.get("key") or "", t.get("effect") or "", t.get("value") or "")


def pod_spec(s: Optional[dict]) -> PodSpec:
    s = s or {}
    return PodSpec(containers=tuple(_container(c) for c in _items(s.get("containers"))),
                   node_name=s.get("nodeName") or "", hostname=s.get("hostname") or "",
                   subdomain=s.get("subdomain") or "", dns_policy=s.get("dnsPolicy") or "ClusterFirst",
                   termination_grace_period_seconds=_int(s.get("terminationGracePeriodSeconds"), 30),
                   tolerations=tuple(_taint(t) for t in _items(s.get("tolerations"))))


def _template(t: Optional[dict]) -> PodTemplateSpec:
    t = t or {}
    return PodTemplateSpec(metadata(t.get("metadata")), pod_spec(t.get("spec")))


def _selector(s: Optional[dict]) -> LabelSelector:
    return LabelSelector(_labels((s or {}).get("matchLabels")))


def _service_port(p: dict) -> ServicePort:
    return ServicePort(port=_int(p.get("port")), target_port=_port_value(p.get("targetPort")),
                       name=p.get("name") or "", protocol=p.get("protocol") or "", node_port=_int(p.get("nodePort")))


def service_spec(s: Optional[dict]) -> ServiceSpec:
    s = s or {}
    config = None
    client_ip = ((s.get("sessionAffinityConfig") or {}).get("clientIP"))
    if client_ip is not None:
        config = SessionAffinityConfig(ClientIPConfig(_int(client_ip.get("timeoutSeconds"), 10800)))
    cluster_ip = s.get("clusterIP") or ""
    cluster_ips = tuple(s.get("clusterIPs") or ((cluster_ip,) if cluster_ip else ()))
    return ServiceSpec(
        ports=tuple(_service_port(p) for p in _items(s.get("ports"))), selector=_labels(s.get("selector")),
        type=s.get("type") or "", cluster_ip=cluster_ip or (cluster_ips[0] if cluster_ips else ""),
        cluster_ips=cluster_ips, session_affinity=s.get("sessionAffinity") or "",
        session_affinity_config=config, external_name=s.get("externalName") or "",
        external_ips=tuple(s.get("externalIPs") or ()), external_traffic_policy=s.get("externalTrafficPolicy") or "",
        internal_traffic_policy=s.get("internalTrafficPolicy") or "",
        health_check_node_port=_int(s.get("healthCheckNodePort")), load_balancer_ip=s.get("loadBalancerIP") or "",
        load_balancer_source_ranges=tuple(s.get("loadBalancerSourceRanges") or ()),
        load_balancer_class=s.get("loadBalancerClass") or "",
        allocate_load_balancer_node_ports=s.get("allocateLoadBalancerNodePorts"),
        ip_families=tuple(s.get("ipFamilies") or ()), ip_family_policy=s.get("ipFamilyPolicy") or "",
        publish_not_ready_addresses=bool(s.get("publishNotReadyAddresses")))


def _reference(r: Optional[dict]) -> Optional[ObjectReference]:
    if not r:
        return None
    return ObjectReference(r.get("kind") or "", r.get("name") or "", r.get("namespace") or "", r.get("uid") or "")


def _endpoint_port(p: dict) -> EndpointPort:
    return EndpointPort(_int(p.get("port")), p.get("name") or "", p.get("protocol") or "TCP")


def _address(a: dict) -> EndpointAddress:
    return EndpointAddress(a.get("ip") or "", a.get("hostname") or "", a.get("nodeName") or "",
                           _reference(a.get("targetRef")))


def _endpoint(e: dict) -> Endpoint:
    c = e.get("conditions") or {}
    return Endpoint(tuple(e.get("addresses") or ()),
                    EndpointConditions(c.get("ready"), c.get("serving"), c.get("terminating")),
                    e.get("hostname") or "", _reference(e.get("targetRef")), e.get("nodeName") or "",
                    e.get("zone") or "")


def to_object(doc: dict, namespace: str) -> Any:
    """Build the model's object from a checked manifest (``namespace`` fills a missing one)."""
    kind = doc["kind"]
    meta = metadata(doc.get("metadata"), namespace if kind != "Namespace" else "")
    spec = doc.get("spec") or {}
    if kind == "Namespace":
        return Namespace(meta)
    if kind == "Pod":
        return Pod(meta, pod_spec(spec))
    if kind == "Service":
        return Service(meta, service_spec(spec))
    if kind == "Deployment":
        return Deployment(meta, DeploymentSpec(_selector(spec.get("selector")), _template(spec.get("template")),
                                               _int(spec.get("replicas"), 1)))
    if kind == "ReplicaSet":
        return ReplicaSet(meta, ReplicaSetSpec(_selector(spec.get("selector")), _template(spec.get("template")),
                                               _int(spec.get("replicas"), 1)))
    if kind == "Endpoints":
        subsets = tuple(EndpointSubset(tuple(_address(a) for a in _items(s.get("addresses"))),
                                       tuple(_address(a) for a in _items(s.get("notReadyAddresses"))),
                                       tuple(_endpoint_port(p) for p in _items(s.get("ports"))))
                        for s in _items(doc.get("subsets")))
        return Endpoints(meta, subsets)
    if kind == "EndpointSlice":
        return EndpointSlice(meta, doc.get("addressType") or "IPv4",
                             tuple(_endpoint(e) for e in _items(doc.get("endpoints"))),
                             tuple(_endpoint_port(p) for p in _items(doc.get("ports"))))
    from k8sedu.manifests import ingress  # it builds on ``metadata`` above (and on encode's): imported when needed
    if kind in ingress.DECODERS:
        return ingress.DECODERS[kind](doc, namespace)
    raise KubectlError(f"error: k8sedu does not model {kind} objects yet")


def documents(data: Any, source: str) -> list[dict]:
    """Flatten what ``apply`` was given (a dict, a list, ``kind: List``) into object documents."""
    if isinstance(data, list):
        return [d for item in data for d in documents(item, source)]
    if isinstance(data, dict) and data.get("kind") == "List" and data.get("apiVersion") == "v1":
        items = data.get("items")
        if items is not None and not isinstance(items, list):
            raise KubectlError(f'error: error validating "{source}": error validating data: invalid object to '
                               "validate" + VALIDATE_HINT)
        return [d for item in items or () for d in documents(item, source)]
    return [data]
