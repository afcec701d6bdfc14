"""Nodes as manifests (core/v1 ``Node``, cluster-scoped).

A served Node shows its ``podCIDR``, kind's ``providerID``
(``kind://docker/kind/<name>``), its taints and what its kubelet reports:
conditions, addresses and ``nodeInfo``, whose machine ID, system UUID and
boot ID are derived from the node's uid, so they stay the same from one
``get`` to the next. Reading takes back the spec (pod CIDRs, taints,
``unschedulable``); the status is the kubelet's. No learner applies a Node:
a node joins the cluster when its kubelet registers it, so ``kubectl apply``
refuses the kind (``decode.check_served``).

Examples
--------
>>> doc = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kind-worker"},
...        "spec": {"podCIDR": "10.244.1.0/24", "taints": [{"key": "gpu", "effect": "NoSchedule"}]}}
>>> worker = decode_node(doc, "")
>>> worker.spec.taints[0].key, worker.metadata.namespace
('gpu', '')
>>> encode_node(worker, served=False)["spec"]
{'podCIDR': '10.244.1.0/24', 'taints': [{'key': 'gpu', 'effect': 'NoSchedule'}]}
"""

from __future__ import annotations

import hashlib
from typing import Any

from k8sedu.manifests.meta import decode_metadata, envelope, items, put
from k8sedu.objects import Node, NodeSpec, Taint


def _ids(node: Node) -> dict[str, str]:
    digest = hashlib.sha256(node.metadata.uid.encode() or node.metadata.name.encode()).hexdigest()
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return {"machineID": digest[32:64], "systemUUID": uuid, "bootID": uuid[::-1].replace("-", "")[:8] + uuid[8:]}


def _spec(n: Node, served: bool) -> dict:
    spec: dict[str, Any] = {}
    put(spec, "podCIDR", n.spec.pod_cidr)
    put(spec, "podCIDRs", list(n.spec.pod_cidrs))
    put(spec, "providerID", f"kind://docker/kind/{n.metadata.name}" if served else "")
    put(spec, "taints", [{k: v for k, v in (("key", t.key), ("value", t.value), ("effect", t.effect)) if v}
                         for t in n.spec.taints])
    put(spec, "unschedulable", n.spec.unschedulable)
    return spec


def _status(n: Node) -> dict:
    info = n.status.node_info
    node_info = {**_ids(n), "kernelVersion": info.kernel_version, "osImage": info.os_image,
                 "containerRuntimeVersion": info.container_runtime_version, "kubeletVersion": info.kubelet_version,
                 "kubeProxyVersion": info.kubelet_version, "operatingSystem": "linux", "architecture": "amd64"}
    status: dict[str, Any] = {}
    put(status, "conditions", [{"type": c.type, "status": c.status} for c in n.status.conditions])
    put(status, "addresses", [{"type": a.type, "address": a.address} for a in n.status.addresses])
    status["nodeInfo"] = node_info
    return status


def encode_node(n: Node, served: bool = True) -> dict:
    """Return ``n`` as ``kubectl get node -o yaml`` shows it."""
    return {**envelope(n, served), "spec": _spec(n, served), "status": _status(n)}


def _read_taint(t: dict) -> Taint:
    return Taint(t.get("key") or "", t.get("effect") or "", t.get("value") or "")


def decode_node(doc: dict, namespace: str = "") -> Node:
    """Return the Node ``doc`` declares, status left to the kubelet (``namespace``: unused, Nodes have none)."""
    spec = doc.get("spec") or {}
    return Node(decode_metadata(doc.get("metadata")), NodeSpec(
        pod_cidr=spec.get("podCIDR") or "", pod_cidrs=tuple(spec.get("podCIDRs") or ()),
        taints=tuple(_read_taint(t) for t in items(spec.get("taints"))),
        unschedulable=bool(spec.get("unschedulable"))))
