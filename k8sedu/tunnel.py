"""``minikube tunnel``: LoadBalancer Services on a laptop, by routing to the ClusterIP.

Mirrors minikube's tunnel (minikube.sigs.k8s.io/docs/handbook/accessing/): a
foreground process on the host that adds a route for the service CIDR through
the cluster's node and, for each LoadBalancer Service, "sets their Ingress to
their ClusterIP", so EXTERNAL-IP shows the ClusterIP. Only the host running
the tunnel gets the route. In the model, stopping the tunnel also clears the
addresses it wrote, and only those: a Service whose address another
controller (MetalLB) wrote is left alone, so the two never fight over it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch, own_key
from k8sedu.errors import KubectlError
from k8sedu.objects import LoadBalancerIngress, LoadBalancerStatus, ServiceStatus
from k8sedu.protocols import Addon

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model


class Tunnel(Controller, Addon):
    name = "minikube-tunnel"

    def __init__(self, api: APIServer):
        self.api = api
        self.running = False

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Service", own_key),)

    # what the add-on declares (k8sedu.protocols.Addon): a host route, nothing installed in the cluster

    def route_node(self) -> Optional[str]:
        """The node the host's route to the service CIDR leads to: the first node, while running."""
        return self.api.list("Node")[0].metadata.name if self.running else None

    def reconcile(self, key) -> Optional[Result]:
        svc = self.api.try_get("Service", *key)
        if svc is None or svc.spec.type != "LoadBalancer":
            return None
        ours = ServiceStatus(LoadBalancerStatus((LoadBalancerIngress(ip=svc.spec.cluster_ip, ip_mode="VIP"),)))
        empty = ServiceStatus(LoadBalancerStatus(()))
        if self.running and svc.status == empty:
            self.api.update(dataclasses.replace(svc, status=ours))
        elif not self.running and svc.status == ours:
            self.api.update(dataclasses.replace(svc, status=empty))
        return None


def run(core: "Model", running: bool = True) -> str:
    """Start (or stop) ``minikube tunnel`` on the host; return what ``minikube tunnel`` prints."""
    if core.cloud is not None:
        raise KubectlError("error: minikube tunnel is for local clusters: "
                           f"{core.cloud.provider.name} provisions real load balancers")
    tunnel = core.addons.get("minikube-tunnel")
    if tunnel is None:
        tunnel = core.addons.add("minikube-tunnel", core.manager.add(Tunnel(core.api)))
    tunnel.running = running
    for svc in core.api.list("Service"):
        core.manager.enqueue(tunnel, (svc.metadata.namespace, svc.metadata.name))
    core.settle()
    node = core.api.list("Node")[0]
    state = "Running" if running else "Stopped"
    return (f"Status:\n\tmachine: {core.name}\n\troute: {core.api.service_ips.network} -> "
            f"{node.address()}\n\tminikube: {state}\n")
