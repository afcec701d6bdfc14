"""The API server's own ``kubernetes`` Service, kept alive (kube-apiserver's bootstrap controller).

Mirrors ``pkg/controlplane/controller/kubernetesservice``: every 10 s
(``EndpointInterval``) kube-apiserver makes sure ``default/kubernetes`` exists
(``CreateOrUpdateMasterServiceIfNeeded``), with the first IP of the service
range (``10.96.0.1`` on kind) and port 443 to its own port, and that its
Endpoints and EndpointSlice name the API server (``ReconcileEndpoints``).
Delete it and it comes back at the next tick, with the same ClusterIP; the
endpoints controller removed its Endpoints meanwhile, and they come back too.

The model reads what to recreate from the objects bootstrap created (they
carry the API server's flags: ``--service-cluster-ip-range``,
``--advertise-address``, ``--secure-port``), remembered the first time it sees
each one.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

from k8sedu.apiserver import APIServer
from k8sedu.clock import Clock
from k8sedu.controllers.base import Controller, Result, Watch
from k8sedu.objects import ObjectMeta

NAMESPACE, NAME = "default", "kubernetes"
KINDS = ("Service", "Endpoints", "EndpointSlice")  # recreated in this order, as the reconciler does
INTERVAL = 10.0  # EndpointInterval: the bootstrap controller's period


def _ours(event) -> tuple:
    meta = event.object.metadata
    return ((NAMESPACE, NAME),) if (meta.namespace, meta.name) == (NAMESPACE, NAME) else ()


def fresh(obj: Any) -> Any:
    """``obj`` as the API server writes it anew: its name, namespace and labels, no uid or status.

    >>> from k8sedu.objects import Service, ServiceSpec, ServiceStatus
    >>> s = fresh(Service(ObjectMeta(name="kubernetes", uid="u1", resource_version="7"), ServiceSpec(cluster_ip="10.96.0.1")))
    >>> s.metadata.uid, s.spec.cluster_ip
    ('', '10.96.0.1')
    """
    meta = ObjectMeta(name=obj.metadata.name, namespace=obj.metadata.namespace, labels=obj.metadata.labels)
    obj = dataclasses.replace(obj, metadata=meta)
    if hasattr(obj, "status"):
        obj = dataclasses.replace(obj, status=type(obj.status)())
    return obj


class KubernetesServiceController(Controller):
    name = "kubernetes-service-controller"

    def __init__(self, api: APIServer, clock: Clock):
        self.api = api
        self.clock = clock
        self.desired: dict[str, Any] = {}  # kind -> the object as bootstrap created it
        self.due: Optional[float] = None  # when the 10-s runner next looks, once something is missing

    def watches(self) -> tuple[Watch, ...]:
        return tuple(Watch(kind, _ours) for kind in KINDS)

    def reconcile(self, key) -> Optional[Result]:
        """Remember what exists; recreate what is missing at the next 10-s tick."""
        for kind in KINDS:
            obj = self.api.try_get(kind, NAMESPACE, NAME)
            if obj is not None and kind not in self.desired:
                self.desired[kind] = fresh(obj)
        missing = [kind for kind in KINDS if kind in self.desired and self.api.try_get(kind, NAMESPACE, NAME) is None]
        if not missing:
            self.due = None
            return None
        if self.due is None:  # the runner's next tick after the loss
            self.due = (math.floor(self.clock.now / INTERVAL) + 1) * INTERVAL
        if self.clock.now < self.due:
            return Result(requeue_after=self.due - self.clock.now)
        self.due = None
        for kind in missing:
            self.api.create(self.desired[kind])
        return None
