"""The ReplicaSet controller (kube-controller-manager).

Mirrors ``pkg/controller/replicaset``: it counts the active pods a ReplicaSet
owns (not terminating, not finished) and creates or deletes pods until the
count equals ``spec.replicas``. New pods are named by ``generateName``:
``<replicaset>-`` plus 5 random characters. When it must delete, it picks the
pods that hurt least first, as ``getPodsToDelete`` ranks them: unscheduled
before scheduled, Pending before Running, not-ready before ready, the most
recently ready first, then the newest.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch, own_key, owner_keys
from k8sedu.events import Recorder
from k8sedu.objects import ObjectMeta, OwnerReference, Pod, ReplicaSet, ReplicaSetStatus

PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def __init__(self, api: APIServer, recorder: Recorder):
        self.api = api
        self.recorder = recorder

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("ReplicaSet", own_key), Watch("Pod", owner_keys("ReplicaSet")))

    def reconcile(self, key) -> Optional[Result]:
        namespace, name = key
        rs = self.api.try_get("ReplicaSet", namespace, name)
        if rs is None:
            return None
        active = [p for p in self.api.store.owned_by("Pod", namespace, rs.metadata.uid) if is_active(p)]
        diff = rs.spec.replicas - len(active)
        if diff > 0:
            for _ in range(diff):
                active.append(self._create_pod(rs))
        elif diff < 0:
            for pod in sorted(active, key=deletion_rank)[:-diff]:
                self.api.delete("Pod", namespace, pod.metadata.name)
                self.recorder.event(rs, "SuccessfulDelete", f"Deleted pod: {pod.metadata.name}")
        self._write_status(rs)
        return None

    def _create_pod(self, rs: ReplicaSet) -> Pod:
        template = rs.spec.template
        owner = OwnerReference("apps/v1", "ReplicaSet", rs.metadata.name, rs.metadata.uid)
        meta = ObjectMeta(generate_name=f"{rs.metadata.name}-", namespace=rs.metadata.namespace,
                          labels=template.metadata.labels, owner_references=(owner,))
        pod = self.api.create(Pod(meta, template.spec))
        self.recorder.event(rs, "SuccessfulCreate", f"Created pod: {pod.metadata.name}")
        return pod

    def _write_status(self, rs: ReplicaSet) -> None:
        pods = [p for p in self.api.store.owned_by("Pod", rs.metadata.namespace, rs.metadata.uid)
                if is_active(p)]
        ready = sum(1 for p in pods if p.ready)
        status = ReplicaSetStatus(observed_generation=rs.metadata.generation, replicas=len(pods),
                                  fully_labeled_replicas=len(pods), ready_replicas=ready,
                                  available_replicas=ready)
        if status != rs.status:
            self.api.update(dataclasses.replace(rs, status=status))


def is_active(pod: Pod) -> bool:
    """A pod counts toward replicas unless it is terminating or finished."""
    return pod.metadata.deletion_timestamp is None and pod.status.phase not in ("Succeeded", "Failed")


def deletion_rank(pod: Pod) -> tuple:
    """Sort key: the pod to delete first sorts first (``ActivePodsWithRanks``)."""
    return (
        pod.spec.node_name != "",
        PHASE_RANK.get(pod.status.phase, 1),
        pod.ready,
        -(pod.status.start_time or 0.0),
        -(pod.metadata.creation_timestamp or 0.0),
        pod.metadata.name,
    )
