"""The Deployment controller (kube-controller-manager).

Mirrors ``pkg/controller/deployment``: for each Deployment it keeps one
ReplicaSet per pod template, named ``<deployment>-<pod-template-hash>``, with
the label ``pod-template-hash`` added to its selector and template so the
ReplicaSets never fight over pods. Scaling a Deployment scales its current
ReplicaSet (event ``ScalingReplicaSet``). A new template (``kubectl rollout
restart``, a new image) gets a new ReplicaSet and a **rolling update** with the
default strategy, ``maxSurge: 25%`` (rounded up) and ``maxUnavailable: 25%``
(rounded down): the new ReplicaSet grows while the total stays within
``replicas + maxSurge``, and old ones shrink only while at least
``replicas - maxUnavailable`` pods stay available (``rolling.go``), so a
Service always has ready endpoints during a rollout.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.apiserver.names import pod_template_hash
from k8sedu.controllers.base import Controller, Result, Watch, own_key, owner_keys
from k8sedu.events import Recorder
from k8sedu.objects import (Deployment, DeploymentStatus, LabelSelector, ObjectMeta, OwnerReference,
                            PodTemplateSpec, ReplicaSet, ReplicaSetSpec, frozen)

HASH_LABEL = "pod-template-hash"


def max_surge(replicas: int) -> int:
    """25% of replicas, rounded up (the default ``strategy.rollingUpdate.maxSurge``)."""
    return -(-replicas * 25 // 100)


def max_unavailable(replicas: int) -> int:
    """25% of replicas, rounded down; never 0 together with a 0 surge (``ResolveFenceposts``)."""
    down = replicas * 25 // 100
    return 1 if down == 0 and max_surge(replicas) == 0 else down


def new_replicas(replicas: int, current: ReplicaSet, olds: list[ReplicaSet]) -> int:
    """How big the current ReplicaSet may be now (``NewRSNewReplicas``).

    Examples
    --------
    >>> from k8sedu.objects import ObjectMeta, ReplicaSetSpec
    >>> rs = lambda n: ReplicaSet(ObjectMeta(), ReplicaSetSpec(LabelSelector(), PodTemplateSpec(), n))
    >>> new_replicas(4, rs(0), [rs(4)])   # a rollout starts: surge by 1
    1
    >>> new_replicas(4, rs(2), [])        # plain scaling: straight to the target
    4
    """
    if current.spec.replicas >= replicas:
        return replicas
    total = current.spec.replicas + sum(rs.spec.replicas for rs in olds)
    room = replicas + max_surge(replicas) - total
    if room <= 0:
        return current.spec.replicas
    return current.spec.replicas + min(room, replicas - current.spec.replicas)


class DeploymentController(Controller):
    name = "deployment-controller"

    def __init__(self, api: APIServer, recorder: Recorder):
        self.api = api
        self.recorder = recorder

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Deployment", own_key), Watch("ReplicaSet", owner_keys("Deployment")))

    def reconcile(self, key) -> Optional[Result]:
        namespace, name = key
        dep = self.api.try_get("Deployment", namespace, name)
        if dep is None or dep.metadata.deletion_timestamp is not None:
            return None
        owned = self.api.store.owned_by("ReplicaSet", namespace, dep.metadata.uid)
        current = self._current_replicaset(dep, owned)
        olds = sorted((rs for rs in owned if rs.metadata.name != current.metadata.name),
                      key=lambda rs: (rs.metadata.creation_timestamp or 0.0, rs.metadata.name))
        self._scale(current, new_replicas(dep.spec.replicas, current, olds), dep)
        self._scale_down_old(dep, self._fresh(current), [self._fresh(rs) for rs in olds])
        self._write_status(dep, current, owned)
        return None

    def _fresh(self, rs: ReplicaSet) -> ReplicaSet:
        return self.api.get("ReplicaSet", rs.metadata.namespace, rs.metadata.name)

    def _scale_down_old(self, dep: Deployment, current: ReplicaSet, olds: list[ReplicaSet]) -> None:
        """Shrink old ReplicaSets, oldest first, while enough pods stay available."""
        min_available = dep.spec.replicas - max_unavailable(dep.spec.replicas)
        available = current.status.available_replicas + sum(rs.status.available_replicas for rs in olds)
        budget = available - min_available
        for rs in olds:
            if rs.spec.replicas == 0:
                continue
            unavailable = rs.spec.replicas - rs.status.available_replicas
            cut = min(rs.spec.replicas, max(budget, 0) + unavailable)  # pods that are not available cost nothing
            if cut > 0:
                self._scale(rs, rs.spec.replicas - cut, dep)
                budget -= cut - min(cut, unavailable)

    def _current_replicaset(self, dep: Deployment, owned: list[ReplicaSet]) -> ReplicaSet:
        """Return the ReplicaSet for the Deployment's template, creating it if needed."""
        hash_ = pod_template_hash(repr(dep.spec.template))
        name = f"{dep.metadata.name}-{hash_}"
        for rs in owned:
            if rs.metadata.name == name:
                return rs
        return self._create_replicaset(dep, name, hash_)

    def _create_replicaset(self, dep: Deployment, name: str, hash_: str) -> ReplicaSet:
        labels = frozen({**dep.spec.template.metadata.labels, HASH_LABEL: hash_})
        template = PodTemplateSpec(dataclasses.replace(dep.spec.template.metadata, labels=labels),
                                   dep.spec.template.spec)
        selector = LabelSelector(frozen({**dep.spec.selector.match_labels, HASH_LABEL: hash_}))
        owner = OwnerReference("apps/v1", "Deployment", dep.metadata.name, dep.metadata.uid)
        rs = ReplicaSet(
            ObjectMeta(name=name, namespace=dep.metadata.namespace, labels=labels, owner_references=(owner,)),
            ReplicaSetSpec(selector=selector, template=template, replicas=0),
        )
        return self.api.create(rs)

    def _scale(self, rs: ReplicaSet, replicas: int, dep: Deployment) -> None:
        old = rs.spec.replicas
        if old == replicas:
            return
        self.api.update(dataclasses.replace(rs, spec=dataclasses.replace(rs.spec, replicas=replicas)))
        verb = "up" if replicas > old else "down"
        self.recorder.event(dep, "ScalingReplicaSet",
                            f"Scaled {verb} replica set {rs.metadata.name} from {old} to {replicas}")

    def _write_status(self, dep: Deployment, current: ReplicaSet, owned: list[ReplicaSet]) -> None:
        sets = self.api.store.owned_by("ReplicaSet", dep.metadata.namespace, dep.metadata.uid)
        current = next((rs for rs in sets if rs.metadata.name == current.metadata.name), current)
        status = DeploymentStatus(
            observed_generation=dep.metadata.generation,
            replicas=sum(rs.status.replicas for rs in sets),
            updated_replicas=current.status.replicas,
            ready_replicas=sum(rs.status.ready_replicas for rs in sets),
            available_replicas=sum(rs.status.available_replicas for rs in sets),
        )
        if status != dep.status:
            self.api.update(dataclasses.replace(dep, status=status))
