"""The garbage collector (kube-controller-manager).

Mirrors ``pkg/controller/garbagecollector`` with background propagation: when
an owner is deleted, every object whose ``ownerReferences`` name its uid is
deleted after it. Deleting a Deployment removes its ReplicaSets, whose pods
then terminate; deleting a DaemonSet removes its pods; deleting a Service
removes its EndpointSlices.
"""

from __future__ import annotations

from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch

DEPENDENTS = {"Deployment": ("ReplicaSet",), "ReplicaSet": ("Pod",), "Service": ("EndpointSlice",),
              "DaemonSet": ("Pod",)}


def _deleted_owner(kind: str):
    def to_keys(event):
        if event.type == "DELETED":
            meta = event.object.metadata
            return ((meta.namespace, f"{kind}/{meta.uid}"),)
        return ()
    return to_keys


class GarbageCollector(Controller):
    name = "garbage-collector-controller"

    def __init__(self, api: APIServer):
        self.api = api

    def watches(self) -> tuple[Watch, ...]:
        return tuple(Watch(kind, _deleted_owner(kind)) for kind in DEPENDENTS)

    def reconcile(self, key) -> Optional[Result]:
        namespace, owner = key
        kind, uid = owner.split("/", 1)
        for dependent in DEPENDENTS[kind]:
            for obj in self.api.store.owned_by(dependent, namespace, uid):
                if obj.metadata.deletion_timestamp is None:
                    self.api.delete(dependent, namespace, obj.metadata.name)
        return None
