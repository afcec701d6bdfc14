"""Ingresses and IngressClasses as manifests (``networking.k8s.io/v1``).

Fields follow the Go structs' order (``api@v0.32.0 networking/v1/types.go``).
An Ingress's ``status.loadBalancer`` holds the address its controller wrote
(ingress-nginx copies its own Service's). A ``pathType`` left out of a
manifest stays None, so the API server's validation can answer ``pathType
must be specified`` as a real cluster does; an IngressClass's
``parameters.apiGroup``, ``scope`` and ``namespace`` likewise stay None when
absent, since the API tells "absent" from "empty".

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

from k8sedu.manifests.meta import decode_metadata, envelope, items
from k8sedu.objects import (HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressClass,
                            IngressClassParametersReference, IngressClassSpec, IngressRule, IngressServiceBackend,
                            IngressSpec, IngressTLS, ServiceBackendPort, TypedLocalObjectReference)


# ---------------------------------------------------------------- writing

def _backend(b: IngressBackend) -> dict:
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


def _path(p: HTTPIngressPath) -> dict:
    out: dict[str, Any] = {"path": p.path} if p.path else {}
    if p.path_type is not None:
        out["pathType"] = p.path_type
    out["backend"] = _backend(p.backend)
    return out


def _rule(r: IngressRule) -> dict:
    out: dict[str, Any] = {}
    if r.host:
        out["host"] = r.host
    if r.http is not None:
        out["http"] = {"paths": [_path(p) for p in r.http.paths]}
    return out


def _tls(t: IngressTLS) -> dict:
    return {**({"hosts": list(t.hosts)} if t.hosts else {}), **({"secretName": t.secret_name} if t.secret_name else {})}


def encode_ingress(ing: Ingress, served: bool = True) -> dict:
    """Return ``ing`` as ``kubectl get ingress -o yaml`` shows it (``served``) or as kubectl generates it."""
    spec: dict[str, Any] = {}
    if ing.spec.ingress_class_name is not None:
        spec["ingressClassName"] = ing.spec.ingress_class_name
    if ing.spec.default_backend is not None:
        spec["defaultBackend"] = _backend(ing.spec.default_backend)
    if ing.spec.tls:
        spec["tls"] = [_tls(t) for t in ing.spec.tls]
    if ing.spec.rules:
        spec["rules"] = [_rule(r) for r in ing.spec.rules]
    addresses = [{**({"ip": a.ip} if a.ip else {}), **({"hostname": a.hostname} if a.hostname else {})}
                 for a in ing.status.load_balancer.ingress]
    return {**envelope(ing, served), "spec": spec,
            "status": {"loadBalancer": {"ingress": addresses} if addresses else {}}}


def encode_ingressclass(cls: IngressClass, served: bool = True) -> dict:
    """Return ``cls`` as ``kubectl get ingressclass -o yaml`` shows it."""
    spec: dict[str, Any] = {}
    if cls.spec.controller:
        spec["controller"] = cls.spec.controller
    p = cls.spec.parameters
    if p is not None:
        spec["parameters"] = {k: v for k, v in (("apiGroup", p.api_group), ("kind", p.kind), ("name", p.name),
                                                ("scope", p.scope), ("namespace", p.namespace)) if v is not None}
    return {**envelope(cls, served), "spec": spec}


# ---------------------------------------------------------------- reading

def _read_backend(b: Optional[dict]) -> IngressBackend:
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


def _read_rule(r: dict) -> IngressRule:
    http = None
    if r.get("http") is not None:  # (a JSON null list item decodes to the zero struct, as Go does)
        http = HTTPIngressRuleValue(tuple(HTTPIngressPath(p.get("path") or "", p.get("pathType"),
                                                          _read_backend(p.get("backend")))
                                          for p in items(r["http"].get("paths"))))
    return IngressRule(r.get("host") or "", http)


def decode_ingress(doc: dict, namespace: str) -> Ingress:
    """Return the Ingress ``doc`` declares (``namespace`` fills a missing one)."""
    spec = doc.get("spec") or {}
    default = spec.get("defaultBackend")
    return Ingress(decode_metadata(doc.get("metadata"), namespace), IngressSpec(
        ingress_class_name=spec.get("ingressClassName"),
        default_backend=_read_backend(default) if default is not None else None,
        tls=tuple(IngressTLS(tuple(h or "" for h in t.get("hosts") or ()), t.get("secretName") or "")
                  for t in items(spec.get("tls"))),
        rules=tuple(_read_rule(r) for r in items(spec.get("rules")))))


def decode_ingressclass(doc: dict, namespace: str = "") -> IngressClass:
    """Return the IngressClass ``doc`` declares (``namespace``: unused, IngressClasses are cluster-scoped)."""
    spec = doc.get("spec") or {}
    params = spec.get("parameters")
    ref = None if params is None else IngressClassParametersReference(
        params.get("kind") or "", params.get("name") or "", params.get("apiGroup"), params.get("scope"),
        params.get("namespace"))
    return IngressClass(decode_metadata(doc.get("metadata")), IngressClassSpec(spec.get("controller") or "", ref))
