"""The ReplicaSet controller (kube-controller-manager).

Mirrors ``pkg/controller/replicaset``: it counts the active pods a ReplicaSet
owns (not terminating, not finished) and creates or deletes pods until the
count equals ``spec.replicas``. New pods are named by ``generateName``:
``<replicaset>-`` plus 5 random characters. When it must delete, it picks the
pods that hurt least first, as ``getPodsToDelete`` ranks them: unscheduled
before scheduled, Pending before Running, not-ready before ready, the most
recently ready first, then the newest.

Like the real controller it creates at most ``burstReplicas`` (500) pods per
sync and comes back for the rest. The model also stops at 150000 ReplicaSet
pods in the cluster, Kubernetes' published limit; the cluster's own pods
come on top (its DaemonSets', a few per node, and the Deployments of
kube-system and local-path-storage, bounded apart at 1000). Past a bound the
ReplicaSet is still accepted, and a ``FailedCreate`` Warning event says why
its pods were not created, in the API server's words.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch, own_key, owner_keys
from k8sedu.events import Recorder
from k8sedu.objects import ObjectMeta, OwnerReference, Pod, ReplicaSet, ReplicaSetStatus

PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}
BURST_REPLICAS = 500  # replicaset_controller.go: BurstReplicas, the most pods one sync creates or deletes
MAX_CLUSTER_PODS = 150_000  # k8sedu's own bound, at Kubernetes' published limit ("Considerations for large clusters")
SYSTEM_NAMESPACES = ("kube-system", "local-path-storage")  # where the cluster's own Deployments run (kind)
MAX_SYSTEM_PODS = 1_000  # their bound, apart from the learners' pods
RESYNC = 1.0  # simulated seconds before the next batch: the model's pace for the real controller's rate-limited client


def _bound_group(pod: Pod):
    """Index value of a ReplicaSet's pod: ``system`` (the cluster's own namespaces) or ``user``; others: none."""
    if not any(ref.kind == "ReplicaSet" and ref.controller for ref in pod.metadata.owner_references):
        return ()
    return ("system",) if pod.metadata.namespace in SYSTEM_NAMESPACES else ("user",)


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def __init__(self, api: APIServer, recorder: Recorder, now: Callable[[], float] = lambda: 0.0):
        self.api = api
        self.recorder = recorder
        self._now = now
        self._resume: dict = {}  # key -> when the next batch may start (the model's stand-in for expectations)
        api.store.add_index("Pod", "replicaset-pods", _bound_group, namespaced=False)

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("ReplicaSet", own_key), Watch("Pod", owner_keys("ReplicaSet")))

    def reconcile(self, key) -> Optional[Result]:
        namespace, name = key
        rs = self.api.try_get("ReplicaSet", namespace, name)
        if rs is None:
            return None
        active = [p for p in self.api.store.owned_by("Pod", namespace, rs.metadata.uid) if is_active(p)]
        diff = rs.spec.replicas - len(active)
        again = None
        wait = self._resume.get(key, 0.0) - self._now()
        if diff > 0 and wait > 0:
            return Result(requeue_after=wait)
        self._resume.pop(key, None)
        if diff > 0:
            room, bound = self._room(namespace)
            for _ in range(min(diff, BURST_REPLICAS, max(room, 0))):
                active.append(self._create_pod(rs))
            if room < min(diff, BURST_REPLICAS):
                self.recorder.event(rs, "FailedCreate", f'Error creating: pods "{rs.metadata.name}-" is forbidden: '
                                    f"k8sedu models up to {bound}", type="Warning")
            elif diff > BURST_REPLICAS:
                self._resume[key] = self._now() + RESYNC
                again = Result(requeue_after=RESYNC)
        elif diff < 0:
            for pod in sorted(active, key=deletion_rank)[:min(-diff, BURST_REPLICAS)]:
                self.api.delete("Pod", namespace, pod.metadata.name)
                self.recorder.event(rs, "SuccessfulDelete", f"Deleted pod: {pod.metadata.name}")
            again = Result(requeue_after=RESYNC) if -diff > BURST_REPLICAS else None
        self._write_status(rs)
        return again

    def _room(self, namespace: str) -> tuple[int, str]:
        """How many more pods the bound lets ReplicaSets in ``namespace`` create, and the bound in words."""
        if namespace in SYSTEM_NAMESPACES:
            used = self.api.store.index_count("Pod", "replicaset-pods", "system")
            return MAX_SYSTEM_PODS - used, f"{MAX_SYSTEM_PODS} pods in {', '.join(SYSTEM_NAMESPACES)}"
        used = self.api.store.index_count("Pod", "replicaset-pods", "user")
        return MAX_CLUSTER_PODS - used, f"{MAX_CLUSTER_PODS} pods, Kubernetes' published limit"

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
