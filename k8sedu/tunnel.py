"""``minikube tunnel``: LoadBalancer Services on a laptop, by routing to the ClusterIP.

Mirrors minikube's tunnel (minikube.sigs.k8s.io/docs/handbook/accessing/): a
foreground process on the host that adds a route for the service CIDR through
the cluster's node and, for each LoadBalancer Service, "sets their Ingress to
their ClusterIP", so EXTERNAL-IP shows the ClusterIP. Only the host running
the tunnel gets the route. In the model, stopping the tunnel also clears the
addresses it wrote.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch, own_key
from k8sedu.objects import LoadBalancerIngress, LoadBalancerStatus, ServiceStatus


class Tunnel(Controller):
    name = "minikube-tunnel"

    def __init__(self, api: APIServer):
        self.api = api
        self.running = False

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Service", own_key),)

    def reconcile(self, key) -> Optional[Result]:
        svc = self.api.try_get("Service", *key)
        if svc is None or svc.spec.type != "LoadBalancer":
            return None
        ingress = (LoadBalancerIngress(ip=svc.spec.cluster_ip, ip_mode="VIP"),) if self.running else ()
        status = ServiceStatus(LoadBalancerStatus(ingress))
        if svc.status != status:
            self.api.update(dataclasses.replace(svc, status=status))
        return None
