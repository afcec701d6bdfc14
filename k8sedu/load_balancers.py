"""Load balancers as the cluster sees them: which exist, where each may send, and why one is missing.

Mirrors three pieces that decide where a LoadBalancer Service's traffic
enters the cluster. The cloud's service controller (k8s.io/cloud-provider
``controllers/service``) registers every Ready node as a backend except
those labelled ``node.kubernetes.io/exclude-from-external-load-balancers``
(kubeadm puts it on the control plane); the load balancer's health checks
then skip nodes that are down, and, for ``externalTrafficPolicy: Local``,
nodes whose ``healthCheckNodePort`` (served by kube-proxy) reports no local
endpoint. MetalLB in layer 2 mode has a single announcing node instead.
When nothing provisions an address, EXTERNAL-IP stays ``<pending>``, and
``why_pending`` says which of these is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cloud import LoadBalancer
    from k8sedu.objects import Service
    from k8sedu.protocols import DataPlane

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


def backends(core: "DataPlane", svc: "Service", lb: "LoadBalancer") -> list[str]:
    """The nodes ``lb`` may send a new connection to (its health checks pass)."""
    if lb.announcing_node:
        return [lb.announcing_node] if core.node_is_up(lb.announcing_node) else []
    nodes = [n for n in core.api.list("Node") if n.ready and core.node_is_up(n.metadata.name)
             and EXCLUDE_LABEL not in n.metadata.labels]
    if svc.spec.external_traffic_policy == "Local":  # the healthCheckNodePort says "no local endpoints"
        local = {e.node_name for s in core.api.store.select("EndpointSlice", svc.metadata.namespace,
                                                            {"kubernetes.io/service-name": svc.metadata.name})
                 for e in s.endpoints if e.conditions.ready is not False}
        nodes = [n for n in nodes if n.metadata.name in local]
    return [n.metadata.name for n in nodes]


def why_pending(core: "DataPlane", svc: "Service") -> str:
    """Why a LoadBalancer Service has no EXTERNAL-IP yet, in one sentence."""
    if svc.spec.load_balancer_class:
        return f"only a controller for loadBalancerClass {svc.spec.load_balancer_class} may serve it"
    if core.cloud is not None:
        lb = core.cloud.load_balancers.get((svc.metadata.namespace, svc.metadata.name))
        if lb is not None:
            return (f"{core.cloud.provider.name} is still provisioning load balancer {lb.name} "
                    f"(ready in {max(0.0, lb.ready_at - core.now):.0f} s)")
        return "the cloud controller has not seen it yet"
    if "metallb" in core.addons:
        return "MetalLB's address pool is exhausted"
    return ("nothing on this cluster provisions load balancers: there is no cloud provider, and no MetalLB "
            "or minikube tunnel; it stays <pending> forever, while its NodePort and ClusterIP work")
