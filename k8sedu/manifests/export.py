"""``cluster.export()``: the learner's own objects, as one file to ``kubectl apply -f`` on kind.

What a learner made (their namespaces, Deployments, Services, Ingresses,
IngressClasses and bare Pods) is written without what the cluster filled in: no ``uid``,
``resourceVersion``, ``creationTimestamp`` or ``status``, and no allocated
``clusterIP`` or ``nodePort``, which another cluster allocates anew (kind's
service range is ``10.96.0.0/16``, so a model IP may not even fit). A node
port the learner asked for in an applied manifest is kept. Objects the
cluster made itself (ReplicaSets, Pods of a Deployment, EndpointSlices, the
``kubernetes`` and ``kube-dns`` Services, add-ons) are left out. When
ingress-nginx was installed, the file starts with the command that installs it
on kind (its objects are not the learner's to export).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from k8sedu.ingress_nginx.addon import LABELS as INGRESS_NGINX_LABELS
from k8sedu.ingress_nginx.addon import VERSION as INGRESS_NGINX_VERSION
from k8sedu.ingress_nginx.controller import NAMESPACE as INGRESS_NGINX
from k8sedu.manifests.apply import LAST_APPLIED
from k8sedu.manifests.encode import encode
from k8sedu.manifests.yamlio import to_yaml

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "metallb-system", INGRESS_NGINX)
KINDS = ("Namespace", "IngressClass", "Deployment", "Service", "Ingress", "Pod")
HEADER = "# Exported by k8sedu: apply it to a real cluster with  kubectl apply -f <this file>\n"
INGRESS_NGINX_NOTE = ("# This cluster ran ingress-nginx. Install it first (on kind):\n"
                      "#   kubectl apply -f https://raw.githubusercontent.com/kubernetes/ingress-nginx/"
                      f"controller-v{INGRESS_NGINX_VERSION}/deploy/static/provider/kind/deploy.yaml\n")


def user_objects(cluster: "Cluster") -> list[Any]:
    """The objects a learner created, in an order a real cluster accepts (namespaces first)."""
    found = []
    for kind in KINDS:
        for obj in cluster.api.list(kind):
            meta = obj.metadata
            if kind == "Namespace":
                if meta.name not in SYSTEM_NAMESPACES + ("default",):
                    found.append(obj)
                continue
            if kind == "IngressClass":
                if not _installed_by_ingress_nginx(meta):
                    found.append(obj)
                continue
            if meta.namespace in SYSTEM_NAMESPACES or meta.owner_references:
                continue
            if kind == "Service" and (meta.namespace, meta.name) == ("default", "kubernetes"):
                continue
            if kind == "Pod" and meta.deletion_timestamp is not None:
                continue
            found.append(obj)
    return found


def _installed_by_ingress_nginx(meta: Any) -> bool:
    return meta.labels.get("app.kubernetes.io/part-of") == INGRESS_NGINX_LABELS["app.kubernetes.io/part-of"]


def portable(obj: Any) -> dict:
    """``obj`` as a manifest for another cluster."""
    applied = obj.metadata.annotations.get(LAST_APPLIED)
    asked = json.loads(applied) if applied else None
    doc = encode(obj, served=False)
    meta = doc["metadata"]
    meta.pop("creationTimestamp", None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    doc.pop("status", None)
    if obj.kind == "Deployment":
        doc["spec"].pop("strategy", None)
        doc["spec"]["template"]["metadata"].pop("creationTimestamp", None)
    if obj.kind == "Pod":
        doc["spec"].pop("nodeName", None)
    if obj.kind == "Service":
        _portable_service(doc["spec"], asked)
    return doc


def _portable_service(spec: dict, asked: Optional[dict]) -> None:
    asked_spec = (asked or {}).get("spec") or {}
    asked_ports = {(p.get("port"), p.get("protocol") or "TCP"): p for p in asked_spec.get("ports") or ()
                   if isinstance(p, dict)}
    if spec.get("clusterIP") != "None":
        spec.pop("clusterIP", None)
    spec.pop("clusterIPs", None)
    for key in ("ipFamilies", "ipFamilyPolicy", "healthCheckNodePort"):
        if key not in asked_spec:
            spec.pop(key, None)
    for port in spec.get("ports") or ():
        wanted = asked_ports.get((port["port"], port.get("protocol") or "TCP"), {})
        if "nodePort" not in wanted:
            port.pop("nodePort", None)


def export(cluster: "Cluster", path: Optional[str] = None) -> str:
    """Return (and write to ``path``) the learner's objects as multi-document YAML."""
    docs = [to_yaml(portable(obj)) for obj in user_objects(cluster)]
    installed = cluster.api.try_get("Namespace", "", INGRESS_NGINX) is not None
    text = HEADER + (INGRESS_NGINX_NOTE if installed else "") + "".join(f"---\n{d}" for d in docs)
    if path is not None:
        Path(path).write_text(text)
    return text
