"""``cluster.export()``: the learner's own objects, as one file to ``kubectl apply -f`` on kind.

What a learner made (their namespaces, Deployments, Services, Ingresses,
IngressClasses and bare Pods) is written without what the cluster filled in: no ``uid``,
``resourceVersion``, ``creationTimestamp`` or ``status``, and no allocated
``clusterIP`` or ``nodePort``, which another cluster allocates anew (kind's
service range is ``10.96.0.0/16``, so a model IP may not even fit). A node
port the learner asked for in an applied manifest is kept. Objects the
cluster made itself (ReplicaSets, Pods of a Deployment, EndpointSlices, the
``kubernetes`` and ``kube-dns`` Services, what add-ons installed) are left out.
For each add-on the cluster ran, the file starts with the command that
installs it on kind (``k8sedu.addons``: its objects are not the learner's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from k8sedu.manifests.apply import LAST_APPLIED
from k8sedu.manifests.encode import encode
from k8sedu.manifests.yamlio import to_yaml

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
KINDS = ("Namespace", "IngressClass", "Deployment", "Service", "Ingress", "Pod")
HEADER = "# Exported by k8sedu: apply it to a real cluster with  kubectl apply -f <this file>\n"


def user_objects(cluster: "Model") -> list[Any]:
    """The objects a learner created, in an order a real cluster accepts (namespaces first)."""
    found = []
    for kind in KINDS:
        for obj in cluster.api.list(kind):
            meta = obj.metadata
            if cluster.addons.installed(obj):  # an add-on's, installed on the other cluster by its own manifest
                continue
            if kind == "Namespace":
                if meta.name not in SYSTEM_NAMESPACES + ("default",):
                    found.append(obj)
                continue
            if kind == "IngressClass":
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


def export(cluster: "Model", path: Optional[str] = None) -> str:
    """Return (and write to ``path``) the learner's objects as multi-document YAML."""
    docs = [to_yaml(portable(obj)) for obj in user_objects(cluster)]
    text = HEADER + cluster.addons.export_notes() + "".join(f"---\n{d}" for d in docs)
    if path is not None:
        Path(path).write_text(text)
    return text
