"""Ingress and IngressClass as manifests: YAML/dict -> objects (``apply``) and objects -> dict (``-o yaml``).

The two directions of ``k8sedu.manifests`` (``decode.to_object`` dispatches
to ``DECODERS``, ``encode.ENCODERS`` includes ``ENCODERS``) for the
``networking.k8s.io/v1`` kinds, in Go struct
field order (``api@v0.32.0 networking/v1/types.go``). A ``pathType`` left out
of a manifest stays None, so the API server's validation can answer
``pathType must be specified`` as a real cluster does.

Examples
--------
>>> doc = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
...        "spec": {"rules": [{"host": "a.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
...                 "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}
>>> ing = decode_ingress(doc, "default")
>>> encode_ingress(ing, served=False)["spec"] == doc["spec"]
True
"""

from __future__ import annotations

from typing import Any, Optional

from k8sedu.manifests.decode import _items
from k8sedu.manifests.decode import metadata as decode_metadata
from k8sedu.manifests.encode import metadata as encode_metadata
from k8sedu.objects import (HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressClass,
                            IngressClassParametersReference, IngressClassSpec, IngressRule, IngressServiceBackend,
                            IngressSpec, IngressTLS, ServiceBackendPort, TypedLocalObjectReference)


# ---------------------------------------------------------------- decode

def _backend(b: Optional[dict]) -> IngressBackend:
    b = b or {}
    service = resource = None
    if b.get("service") is not None:
        s = b["service"]
        port = s.get("port") or {}
        service = IngressServiceBackend(s.get("name") or "", ServiceBackendPort(port.get("name") or "",
                                                                                int(port.get("number") or 0)))
    if b.get("resource") is not None:
        r = b["resource"]
        resource = TypedLocalObjectReference(r.get("kind") or "", r.get("name") or "", r.get("apiGroup"))
    return IngressBackend(service, resource)


def _rule(r: dict) -> IngressRule:
    http = None
    if r.get("http") is not None:  # (a JSON null list item decodes to the zero struct, as Go does)
        http = HTTPIngressRuleValue(tuple(HTTPIngressPath(p.get("path") or "", p.get("pathType"),
                                                          _backend(p.get("backend")))
                                          for p in _items(r["http"].get("paths"))))
    return IngressRule(r.get("host") or "", http)


def decode_ingress(doc: dict, namespace: str) -> Ingress:
    spec = doc.get("spec") or {}
    default = spec.get("defaultBackend")
    return Ingress(decode_metadata(doc.get("metadata"), namespace), IngressSpec(
        ingress_class_name=spec.get("ingressClassName"),
        default_backend=_backend(default) if default is not None else None,
        tls=tuple(IngressTLS(tuple(h or "" for h in t.get("hosts") or ()), t.get("secretName") or "")
                  for t in _items(spec.get("tls"))),
        rules=tuple(_rule(r) for r in _items(spec.get("rules")))))


def decode_ingressclass(doc: dict) -> IngressClass:
    spec = doc.get("spec") or {}
    params = spec.get("parameters")
    ref = None if params is None else IngressClassParametersReference(
        params.get("kind") or "", params.get("name") or "", params.get("apiGroup"), params.get("scope"),
        params.get("namespace"))
    return IngressClass(decode_metadata(doc.get("metadata")), IngressClassSpec(spec.get("controller") or "", ref))


# ---------------------------------------------------------------- encode

def _encode_backend(b: IngressBackend) -> dict:
    out: dict[str, Any] = {}
    if b.service is not None:
        port: dict[str, Any] = {}
        if b.service.port.name:
            port["name"] = b.service.port.name
        if b.service.port.number:
            port["number"] = b.service.port.number
        out["service"] = {"name": b.service.name, "port": port}
    if b.resource is not None:
        ref: dict[str, Any] = {} if b.resource.api_group is None else {"apiGroup": b.resource.api_group}
        out["resource"] = {**ref, "kind": b.resource.kind, "name": b.resource.name}
    return out


def _encode_rule(r: IngressRule) -> dict:
    out: dict[str, Any] = {}
    if r.host:
        out["host"] = r.host
    if r.http is not None:
        paths = []
        for p in r.http.paths:
            entry: dict[str, Any] = {"path": p.path} if p.path else {}
            if p.path_type is not None:
                entry["pathType"] = p.path_type
            entry["backend"] = _encode_backend(p.backend)
            paths.append(entry)
        out["http"] = {"paths": paths}
    return out


def encode_ingress(ing: Ingress, served: bool = True) -> dict:
    spec: dict[str, Any] = {}
    if ing.spec.ingress_class_name is not None:
        spec["ingressClassName"] = ing.spec.ingress_class_name
    if ing.spec.default_backend is not None:
        spec["defaultBackend"] = _encode_backend(ing.spec.default_backend)
    if ing.spec.tls:
        spec["tls"] = [{**({"hosts": list(t.hosts)} if t.hosts else {}),
                        **({"secretName": t.secret_name} if t.secret_name else {})} for t in ing.spec.tls]
    if ing.spec.rules:
        spec["rules"] = [_encode_rule(r) for r in ing.spec.rules]
    addresses = [{**({"ip": a.ip} if a.ip else {}), **({"hostname": a.hostname} if a.hostname else {})}
                 for a in ing.status.load_balancer.ingress]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": encode_metadata(ing.metadata, served, ing.kind), "spec": spec,
            "status": {"loadBalancer": {"ingress": addresses} if addresses else {}}}


def encode_ingressclass(cls: IngressClass, served: bool = True) -> dict:
    spec: dict[str, Any] = {}
    if cls.spec.controller:
        spec["controller"] = cls.spec.controller
    p = cls.spec.parameters
    if p is not None:
        spec["parameters"] = {k: v for k, v in (("apiGroup", p.api_group), ("kind", p.kind), ("name", p.name),
                                                ("scope", p.scope), ("namespace", p.namespace)) if v is not None}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": encode_metadata(cls.metadata, served, cls.kind), "spec": spec}


DECODERS = {"Ingress": decode_ingress, "IngressClass": lambda doc, namespace: decode_ingressclass(doc)}
ENCODERS = {"Ingress": encode_ingress, "IngressClass": encode_ingressclass}
