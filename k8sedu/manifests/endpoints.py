"""Endpoints and EndpointSlices as manifests (core/v1 ``Endpoints``, ``discovery.k8s.io/v1`` ``EndpointSlice``).

Both list the pods behind a Service, written by controllers
(``controllers.endpoints``, ``controllers.endpointslice``): the legacy
Endpoints as ``subsets`` of ready and not-ready addresses sharing ports, the
slice as one entry per pod with ``ready``/``serving``/``terminating``
conditions (a condition the controller did not set is left out, "unknown").
An EndpointSlice with no endpoints or no ports shows them as ``null``, as the
API serves them. Reading takes every field back, so a learner may apply one.

Examples
--------
>>> doc = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "web-abc"},
...        "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": True}}],
...        "ports": [{"name": "", "protocol": "TCP", "port": 80}]}
>>> slice = decode_endpointslice(doc, "default")
>>> slice.endpoints[0].conditions.ready, slice.ports[0].port
(True, 80)
>>> encode_endpointslice(slice, served=False)["endpoints"]
[{'addresses': ['10.244.1.5'], 'conditions': {'ready': True}}]
"""

from __future__ import annotations

from typing import Any, Optional

from k8sedu.manifests.meta import decode_metadata, envelope, integer, items, put
from k8sedu.objects import (Endpoint, EndpointAddress, EndpointConditions, EndpointPort, Endpoints, EndpointSlice,
                            EndpointSubset, ObjectReference)


# ---------------------------------------------------------------- writing

def _target_ref(ref: Optional[ObjectReference]) -> Optional[dict]:
    if ref is None:
        return None
    out: dict[str, Any] = {"kind": ref.kind}
    put(out, "namespace", ref.namespace)
    out["name"] = ref.name
    put(out, "uid", ref.uid)
    return out


def _address(a: EndpointAddress) -> dict:
    out: dict[str, Any] = {"ip": a.ip}
    put(out, "hostname", a.hostname)
    put(out, "nodeName", a.node_name)
    put(out, "targetRef", _target_ref(a.target_ref))
    return out


def _port(p: EndpointPort) -> dict:
    out: dict[str, Any] = {}
    put(out, "name", p.name)
    out["port"] = p.port
    out["protocol"] = p.protocol
    return out


def encode_endpoints(e: Endpoints, served: bool = True) -> dict:
    """Return ``e`` as ``kubectl get endpoints -o yaml`` shows it."""
    subsets = []
    for s in e.subsets:
        subset: dict[str, Any] = {}
        put(subset, "addresses", [_address(a) for a in s.addresses])
        put(subset, "notReadyAddresses", [_address(a) for a in s.not_ready_addresses])
        put(subset, "ports", [_port(p) for p in s.ports])
        subsets.append(subset)
    out = envelope(e, served)
    put(out, "subsets", subsets)
    return out


def _endpoint(e: Endpoint) -> dict:
    out: dict[str, Any] = {"addresses": list(e.addresses)}
    conditions = {key: value for key, value in (("ready", e.conditions.ready), ("serving", e.conditions.serving),
                                                ("terminating", e.conditions.terminating)) if value is not None}
    out["conditions"] = conditions
    put(out, "hostname", e.hostname)
    put(out, "targetRef", _target_ref(e.target_ref))
    put(out, "nodeName", e.node_name)
    put(out, "zone", e.zone)
    return out


def encode_endpointslice(s: EndpointSlice, served: bool = True) -> dict:
    """Return ``s`` as ``kubectl get endpointslice -o yaml`` shows it."""
    eps = [_endpoint(e) for e in s.endpoints]
    ports = [{"name": p.name, "protocol": p.protocol, "port": p.port} for p in s.ports]
    return {**envelope(s, served), "addressType": s.address_type, "endpoints": eps or None, "ports": ports or None}


# ---------------------------------------------------------------- reading

def _read_reference(r: Optional[dict]) -> Optional[ObjectReference]:
    if not r:
        return None
    return ObjectReference(r.get("kind") or "", r.get("name") or "", r.get("namespace") or "", r.get("uid") or "")


def _read_port(p: dict) -> EndpointPort:
    return EndpointPort(integer(p.get("port")), p.get("name") or "", p.get("protocol") or "TCP")


def _read_address(a: dict) -> EndpointAddress:
    return EndpointAddress(a.get("ip") or "", a.get("hostname") or "", a.get("nodeName") or "",
                           _read_reference(a.get("targetRef")))


def _read_endpoint(e: dict) -> Endpoint:
    c = e.get("conditions") or {}
    return Endpoint(tuple(e.get("addresses") or ()),
                    EndpointConditions(c.get("ready"), c.get("serving"), c.get("terminating")),
                    e.get("hostname") or "", _read_reference(e.get("targetRef")), e.get("nodeName") or "",
                    e.get("zone") or "")


def _read_subset(s: dict) -> EndpointSubset:
    return EndpointSubset(tuple(_read_address(a) for a in items(s.get("addresses"))),
                          tuple(_read_address(a) for a in items(s.get("notReadyAddresses"))),
                          tuple(_read_port(p) for p in items(s.get("ports"))))


def decode_endpoints(doc: dict, namespace: str) -> Endpoints:
    """Return the Endpoints ``doc`` declares (``namespace`` fills a missing one)."""
    return Endpoints(decode_metadata(doc.get("metadata"), namespace),
                     tuple(_read_subset(s) for s in items(doc.get("subsets"))))


def decode_endpointslice(doc: dict, namespace: str) -> EndpointSlice:
    """Return the EndpointSlice ``doc`` declares (``namespace`` fills a missing one)."""
    return EndpointSlice(decode_metadata(doc.get("metadata"), namespace), doc.get("addressType") or "IPv4",
                         tuple(_read_endpoint(e) for e in items(doc.get("endpoints"))),
                         tuple(_read_port(p) for p in items(doc.get("ports"))))
