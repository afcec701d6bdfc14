"""Objects to manifests: what ``kubectl get -o yaml`` shows, with the API's own field names.

The model's objects use snake_case (``spec.cluster_ip``); the API serves
camelCase (``spec.clusterIP``). ``ENCODERS`` has one row per kind: the
function, in the module of the kind's concept (``pods``, ``workloads``,
``services``, ``endpoints``, ``namespaces``, ``nodes``, ``networking``), that
writes the kind's fields in the order of the Go struct (``k8s.io/api``),
leaves out empty optional fields as ``omitempty`` does, and adds what a real
API server fills in when it stores an object and the model does not keep (a
Deployment's ``strategy`` and ``revisionHistoryLimit``, a container's
``imagePullPolicy`` and ``terminationMessagePath``, ``dnsPolicy``,
``schedulerName``...). The result is a manifest that validates against the
Kubernetes schema and that a real cluster accepts. ``decode.DECODERS`` is the
other direction, row for row.

``served=False`` gives what kubectl itself generates before sending
(``kubectl create ... --dry-run=client -o yaml``): no server-side fields, no
defaults, ``creationTimestamp: null``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable, Mapping

from k8sedu.clock import EPOCH
from k8sedu.manifests import configmaps, endpoints, namespaces, networking, nodes, pods, services, workloads
from k8sedu.manifests.meta import timestamp
from k8sedu.manifests.pods import container_status

Encoder = Callable[[Any, bool], dict]

ENCODERS: Mapping[str, Encoder] = MappingProxyType({
    "Namespace": namespaces.encode_namespace,
    "Node": nodes.encode_node,
    "Pod": pods.encode_pod,
    "Service": services.encode_service,
    "Endpoints": endpoints.encode_endpoints,
    "EndpointSlice": endpoints.encode_endpointslice,
    "Deployment": workloads.encode_deployment,
    "ReplicaSet": workloads.encode_replicaset,
    "DaemonSet": workloads.encode_daemonset,
    "Ingress": networking.encode_ingress,
    "IngressClass": networking.encode_ingressclass,
    "ConfigMap": configmaps.encode_configmap,
})

# The names kubectl imports from here: ``timestamp`` and ``EPOCH`` for its ages and events, and the kubelet's
# view of one container that ``kubectl describe pod`` prints (``pods.container_status``).
_container_status = container_status
__all__ = ["ENCODERS", "encode", "timestamp", "EPOCH", "container_status", "_container_status"]


def encode(obj: Any, served: bool = True) -> dict:
    """Return ``obj`` as a manifest dict, in Go struct field order.

    Examples
    --------
    >>> from k8sedu.objects import Namespace, ObjectMeta
    >>> encode(Namespace(ObjectMeta(name="shop")), served=False)
    {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'shop', 'creationTimestamp': None}, 'spec': {}, 'status': {}}
    """
    encoder = ENCODERS.get(obj.kind)
    if encoder is None:
        raise KeyError(f"k8sedu cannot write a {obj.kind} as a manifest yet")
    return encoder(obj, served)
