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
from typing import TYPE_CHECKING, Any, Callable, Optional

from k8sedu.apiserver.admission import DEFAULT_TOLERATION_SECONDS, NOT_READY, UNREACHABLE
from k8sedu.manifests.apply import LAST_APPLIED
from k8sedu.manifests.encode import encode
from k8sedu.manifests.yamlio import to_yaml

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease",
                     "local-path-storage")  # kind's storage provisioner: every kind cluster has it
HEADER = "# Exported by k8sedu: apply it to a real cluster with  kubectl apply -f <this file>\n"


def _own_namespace(obj: Any) -> bool:
    return obj.metadata.name not in SYSTEM_NAMESPACES + ("default",)


def _own_cluster_object(obj: Any) -> bool:
    return True


def _own_namespaced(obj: Any) -> bool:
    """Made by the learner: outside the system namespaces, and no controller owns it."""
    return obj.metadata.namespace not in SYSTEM_NAMESPACES and not obj.metadata.owner_references


def _own_service(obj: Any) -> bool:
    return _own_namespaced(obj) and (obj.metadata.namespace, obj.metadata.name) != ("default", "kubernetes")


def _own_pod(obj: Any) -> bool:
    return _own_namespaced(obj) and obj.metadata.deletion_timestamp is None


# kind -> whether an object of that kind is the learner's, in the order the file lists them (namespaces and
# classes before what lives in them or names them). Other kinds are the controllers'.
LEARNERS: dict[str, Callable[[Any], bool]] = {
    "Namespace": _own_namespace, "IngressClass": _own_cluster_object, "ConfigMap": _own_namespaced,
    "Deployment": _own_namespaced, "Service": _own_service, "Ingress": _own_namespaced, "Pod": _own_pod,
}


def user_objects(core: "Model") -> list[Any]:
    """The objects a learner created, in an order a real cluster accepts (namespaces first)."""
    # An add-on's objects are installed on the other cluster by the add-on's own manifest.
    return [obj for kind, own in LEARNERS.items() for obj in core.api.list(kind)
            if not core.addons.installed(obj) and own(obj)]


def _portable_deployment(doc: dict, asked: Optional[dict]) -> None:
    doc["spec"].pop("strategy", None)
    doc["spec"]["template"]["metadata"].pop("creationTimestamp", None)


def _portable_pod(doc: dict, asked: Optional[dict]) -> None:
    spec = doc["spec"]
    spec.pop("nodeName", None)  # the other cluster's scheduler chooses
    asked_keys = {t.get("key") for t in ((asked or {}).get("spec") or {}).get("tolerations") or ()
                  if isinstance(t, dict)}
    kept = [t for t in spec.get("tolerations") or () if not _admitted(t) or t.get("key") in asked_keys]
    if kept:
        spec["tolerations"] = kept
    else:
        spec.pop("tolerations", None)


def _admitted(toleration: dict) -> bool:
    """A toleration the DefaultTolerationSeconds admission plugin added (the other cluster adds its own)."""
    return toleration == {"effect": "NoExecute", "key": toleration.get("key"), "operator": "Exists",
                          "tolerationSeconds": DEFAULT_TOLERATION_SECONDS} and toleration["key"] in (NOT_READY,
                                                                                                    UNREACHABLE)


def _portable_service(doc: dict, asked: Optional[dict]) -> None:
    """Drop the allocated IPs and node ports, keeping a node port or IP family the learner asked for."""
    spec = doc["spec"]
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


def _as_written(doc: dict, asked: Optional[dict]) -> None:
    """Nothing in this kind's generated manifest is the cluster's choice."""


# kind -> what to take out of its manifest that the cluster chose (allocations, defaults, the scheduler's node).
PORTABLE: dict[str, Callable[[dict, Optional[dict]], None]] = {
    "Deployment": _portable_deployment, "Pod": _portable_pod, "Service": _portable_service,
}


# What the cluster writes on objects itself; another cluster writes its own.
SERVER_ANNOTATIONS = ("deployment.kubernetes.io/", "deprecated.daemonset.template.generation")


def _server_written(key: str) -> bool:
    """``kubectl apply``'s record and the controllers' own annotations (revision, desired-replicas...)."""
    return key == LAST_APPLIED or key.startswith(SERVER_ANNOTATIONS)


def portable(obj: Any) -> dict:
    """``obj`` as a manifest for another cluster."""
    applied = obj.metadata.annotations.get(LAST_APPLIED)
    asked = json.loads(applied) if applied else None
    doc = encode(obj, served=False)
    meta = doc["metadata"]
    meta.pop("creationTimestamp", None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if not _server_written(k)}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    doc.pop("status", None)
    PORTABLE.get(obj.kind, _as_written)(doc, asked)
    return doc


def export(core: "Model", path: Optional[str] = None) -> str:
    """Return (and write to ``path``) the learner's objects as multi-document YAML."""
    docs = [to_yaml(portable(obj)) for obj in user_objects(core)]
    text = HEADER + core.addons.export_notes() + "".join(f"---\n{d}" for d in docs)
    if path is not None:
        Path(path).write_text(text)
    return text
