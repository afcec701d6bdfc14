"""Namespaces as manifests (core/v1 ``Namespace``, cluster-scoped).

A served Namespace shows the ``kubernetes`` finalizer the API server adds and
its phase: ``Active``, or ``Terminating`` once it is being deleted. kubectl's
own manifest (``kubectl create namespace --dry-run=client -o yaml``) has an
empty spec and status. A manifest sets only the name, labels and annotations.

Examples
--------
>>> shop = decode_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}, "")
>>> encode_namespace(shop, served=False)["metadata"], encode_namespace(shop)["spec"]
({'name': 'shop', 'creationTimestamp': None}, {'finalizers': ['kubernetes']})
"""

from __future__ import annotations

from k8sedu.manifests.meta import decode_metadata, envelope
from k8sedu.objects import Namespace


def encode_namespace(n: Namespace, served: bool = True) -> dict:
    """Return ``n`` as ``kubectl get namespace -o yaml`` shows it (``served``) or as kubectl generates it."""
    if not served:
        return {**envelope(n, served), "spec": {}, "status": {}}
    phase = "Terminating" if n.metadata.deletion_timestamp is not None else "Active"
    return {**envelope(n, served), "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": phase}}


def decode_namespace(doc: dict, namespace: str = "") -> Namespace:
    """Return the Namespace ``doc`` declares (``namespace`` is a namespaced kind's default: unused here)."""
    return Namespace(decode_metadata(doc.get("metadata")))
