"""The Deployment controller (kube-controller-manager).

Mirrors ``pkg/controller/deployment``: for each Deployment it keeps one
ReplicaSet per pod template, named ``<deployment>-<pod-template-hash>``, with
the label ``pod-template-hash`` added to its selector and template so the
ReplicaSets never fight over pods. Scaling a Deployment scales its current
ReplicaSet (event ``ScalingReplicaSet``); a new template gets a new ReplicaSet
and the old ones are scaled to zero.

Simplification: a template change replaces the old ReplicaSet at once instead
of stepping through ``maxSurge`` / ``maxUnavailable`` like a rolling update.
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
        self._scale(current, dep.spec.replicas, dep)
        for old in owned:
            if old.metadata.name != current.metadata.name:
                self._scale(old, 0, dep)
        self._write_status(dep, current, owned)
        return None

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
