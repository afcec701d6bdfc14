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

Each ReplicaSet carries its **revision** (``deployment.kubernetes.io/revision``):
a new one gets the highest revision so far plus one, and so does an old one
that becomes current again (``kubectl rollout undo``), which then remembers its
earlier numbers in ``deployment.kubernetes.io/revision-history``. The
Deployment carries the revision of its current ReplicaSet, and its other
annotations (``kubernetes.io/change-cause``) are copied onto the current
ReplicaSet, which is what ``kubectl rollout history`` lists (``deployment/util``
``SetNewReplicaSetAnnotations``). The status has the two conditions of
``sync.go``/``progress.go``: ``Available`` (``MinimumReplicasAvailable`` while
at least ``replicas - maxUnavailable`` pods are available) and ``Progressing``
(``NewReplicaSetCreated``, ``FoundNewReplicaSet``, ``ReplicaSetUpdated`` while
pods move, ``NewReplicaSetAvailable`` when done, ``ProgressDeadlineExceeded``
after ``progressDeadlineSeconds`` (600) without progress). Once a rollout is
complete, idle old ReplicaSets beyond ``revisionHistoryLimit`` (10) are deleted,
oldest revision first, so ``rollout history`` lists at most 11 revisions.
The arithmetic, annotations and condition rules are in ``deployment_util``,
as they are in ``deployment/util``.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

from k8sedu.apiserver import APIServer
from k8sedu.apiserver.names import pod_template_hash
from k8sedu.controllers.base import Controller, Result, Watch, own_key, owner_keys
from k8sedu.controllers.deployment_util import (REVISION, complete, condition, made_progress, max_surge,
                                                max_unavailable, new_rs_annotations, replicas_annotations,
                                                revision_of, set_condition)
from k8sedu.events import Recorder
from k8sedu.objects import (Deployment, DeploymentCondition, DeploymentStatus, LabelSelector, ObjectMeta, hash_text,
                            OwnerReference, PodTemplateSpec, ReplicaSet, ReplicaSetSpec, frozen)

HASH_LABEL = "pod-template-hash"
PROGRESS_DEADLINE_SECONDS = 600  # the API default of spec.progressDeadlineSeconds
REVISION_HISTORY_LIMIT = 10  # the API default of spec.revisionHistoryLimit: idle old ReplicaSets kept


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

    def __init__(self, api: APIServer, recorder: Recorder, now: Optional[Callable[[], float]] = None):
        self.api = api
        self.recorder = recorder
        self.now = now or (lambda: 0.0)  # condition timestamps and the progress deadline
        self._hashes: dict[int, tuple[object, str]] = {}  # id(template) -> (template, pod-template-hash)

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Deployment", own_key), Watch("ReplicaSet", owner_keys("Deployment")))

    def reconcile(self, key) -> Optional[Result]:
        namespace, name = key
        dep = self.api.try_get("Deployment", namespace, name)
        if dep is None or dep.metadata.deletion_timestamp is not None:
            return None
        owned = self.api.store.owned_by("ReplicaSet", namespace, dep.metadata.uid)
        current, progressing = self._current_replicaset(dep, owned)
        olds = sorted((rs for rs in owned if rs.metadata.name != current.metadata.name),
                      key=lambda rs: (rs.metadata.creation_timestamp or 0.0, rs.metadata.name))
        dep = self._set_revision(dep, current.metadata.annotations.get(REVISION, ""))
        self._scale(current, new_replicas(dep.spec.replicas, current, olds), dep)
        self._scale_down_old(dep, self._fresh(current), [self._fresh(rs) for rs in olds])
        result = self._write_status(dep, self._fresh(current), progressing)
        self._clean_up(namespace, name, olds)
        return result

    def _clean_up(self, namespace: str, name: str, olds: list[ReplicaSet]) -> None:
        """``cleanupDeployment``: once a rollout is complete, keep at most ``revisionHistoryLimit`` (10) idle old
        ReplicaSets, deleting those of the oldest revisions."""
        dep = self.api.get("Deployment", namespace, name)
        if not complete(dep, dep.status):
            return
        idle = sorted((rs for rs in map(self._fresh, olds) if rs.spec.replicas == 0 and rs.status.replicas == 0
                       and rs.metadata.deletion_timestamp is None), key=revision_of)
        for rs in idle[:max(0, len(idle) - REVISION_HISTORY_LIMIT)]:
            self.api.delete("ReplicaSet", namespace, rs.metadata.name)

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

    def _template_hash(self, template) -> str:
        """``pod-template-hash`` of ``template``, remembered for the very template object: a Deployment keeps its
        template object across status writes, and hashing its text costs more than a whole sync."""
        found = self._hashes.get(id(template))
        if found is None or found[0] is not template:
            if len(self._hashes) > 10_000:
                self._hashes.clear()
            found = self._hashes[id(template)] = (template, pod_template_hash(hash_text(template)))
        return found[1]

    def _current_replicaset(self, dep: Deployment,
                            owned: list[ReplicaSet]) -> tuple[ReplicaSet, Optional[DeploymentCondition]]:
        """Return the ReplicaSet for the Deployment's template (creating it if needed), with its revision set.

        Also return the Progressing condition ``getNewReplicaSet`` writes when it
        created the ReplicaSet (``NewReplicaSetCreated``) or found one for a
        Deployment that had no such condition yet (``FoundNewReplicaSet``).
        """
        hash_ = self._template_hash(dep.spec.template)
        name = f"{dep.metadata.name}-{hash_}"
        revision = 1 + max((revision_of(rs) for rs in owned if rs.metadata.name != name), default=0)
        for rs in owned:
            if rs.metadata.name == name:
                found = self._condition("Progressing", "True", "FoundNewReplicaSet", f'Found new replica set "{name}"')
                missing = not any(c.type == "Progressing" for c in dep.status.conditions)
                return self._annotate(dep, rs, revision), found if missing else None
        created = self._create_replicaset(dep, name, hash_, revision)
        return created, self._condition("Progressing", "True", "NewReplicaSetCreated",
                                        f'Created new replica set "{name}"')

    def _create_replicaset(self, dep: Deployment, name: str, hash_: str, revision: int) -> ReplicaSet:
        labels = frozen({**dep.spec.template.metadata.labels, HASH_LABEL: hash_})
        template = PodTemplateSpec(dataclasses.replace(dep.spec.template.metadata, labels=labels),
                                   dep.spec.template.spec)
        selector = LabelSelector(frozen({**dep.spec.selector.match_labels, HASH_LABEL: hash_}))
        owner = OwnerReference("apps/v1", "Deployment", dep.metadata.name, dep.metadata.uid)
        annotations = frozen({**new_rs_annotations(dep, {}, revision), **replicas_annotations(dep)})
        rs = ReplicaSet(
            ObjectMeta(name=name, namespace=dep.metadata.namespace, labels=labels, annotations=annotations,
                       owner_references=(owner,)),
            ReplicaSetSpec(selector=selector, template=template, replicas=0),
        )
        return self.api.create(rs)

    def _annotate(self, dep: Deployment, rs: ReplicaSet, revision: int) -> ReplicaSet:
        """Bring the current ReplicaSet's annotations up to date (a rollback gives it a new revision)."""
        annotations = new_rs_annotations(dep, rs.metadata.annotations, revision)
        if annotations == dict(rs.metadata.annotations):
            return rs
        return self.api.update(dataclasses.replace(rs, metadata=dataclasses.replace(
            rs.metadata, annotations=frozen(annotations))))

    def _set_revision(self, dep: Deployment, revision: str) -> Deployment:
        """``SetDeploymentRevision``: the Deployment shows its current ReplicaSet's revision."""
        if not revision or dep.metadata.annotations.get(REVISION) == revision:
            return dep
        annotations = frozen({**dep.metadata.annotations, REVISION: revision})
        return self.api.update(dataclasses.replace(dep, metadata=dataclasses.replace(dep.metadata,
                                                                                     annotations=annotations)))

    def _scale(self, rs: ReplicaSet, replicas: int, dep: Deployment) -> None:
        old = rs.spec.replicas
        if old == replicas:
            return
        annotations = frozen({**rs.metadata.annotations, **replicas_annotations(dep)})
        self.api.update(dataclasses.replace(rs, metadata=dataclasses.replace(rs.metadata, annotations=annotations),
                                            spec=dataclasses.replace(rs.spec, replicas=replicas)))
        verb = "up" if replicas > old else "down"
        self.recorder.event(dep, "ScalingReplicaSet",
                            f"Scaled {verb} replica set {rs.metadata.name} from {old} to {replicas}")

    def _write_status(self, dep: Deployment, current: ReplicaSet,
                      progressing: Optional[DeploymentCondition]) -> Optional[Result]:
        """``calculateStatus`` then ``syncRolloutStatus``: counts, Available, Progressing."""
        sets = self.api.store.owned_by("ReplicaSet", dep.metadata.namespace, dep.metadata.uid)
        status = DeploymentStatus(
            observed_generation=dep.metadata.generation,
            replicas=sum(rs.status.replicas for rs in sets),
            updated_replicas=current.status.replicas,
            ready_replicas=sum(rs.status.ready_replicas for rs in sets),
            available_replicas=sum(rs.status.available_replicas for rs in sets),
            conditions=dep.status.conditions,
        )
        if progressing is not None:
            status = set_condition(status, progressing)
        status = set_condition(status, self._availability(dep, status))
        status, wait = self._progress(dep, status, current.metadata.name)
        if status != dep.status:
            self.api.update(dataclasses.replace(dep, status=status))
        return Result(requeue_after=wait) if wait else None

    def _availability(self, dep: Deployment, status: DeploymentStatus) -> DeploymentCondition:
        if status.available_replicas >= dep.spec.replicas - max_unavailable(dep.spec.replicas):
            return self._condition("Available", "True", "MinimumReplicasAvailable",
                                   "Deployment has minimum availability.")
        return self._condition("Available", "False", "MinimumReplicasUnavailable",
                               "Deployment does not have minimum availability.")

    def _progress(self, dep: Deployment, status: DeploymentStatus,
                  rs_name: str) -> tuple[DeploymentStatus, Optional[float]]:
        """The Progressing condition of ``syncRolloutStatus``, and how long until the deadline if still rolling."""
        current = condition(dep.status, "Progressing")
        if status.replicas == status.updated_replicas and current is not None \
                and current.reason == "NewReplicaSetAvailable":
            return status, None  # a finished rollout: nothing to estimate
        if complete(dep, status):
            return set_condition(status, self._condition(
                "Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.')), None
        if made_progress(dep.status, status):
            fresh = self._condition("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.')
            if current is not None and current.status == "True":
                fresh = dataclasses.replace(fresh, last_transition_time=current.last_transition_time)
            kept = tuple(c for c in status.conditions if c.type != "Progressing")
            return dataclasses.replace(status, conditions=kept + (fresh,)), PROGRESS_DEADLINE_SECONDS
        last = condition(status, "Progressing")
        if last is None or last.reason == "ProgressDeadlineExceeded":
            return status, None
        left = last.last_update_time + PROGRESS_DEADLINE_SECONDS - self.now()
        if left > 0:
            return status, left
        return set_condition(status, self._condition(
            "Progressing", "False", "ProgressDeadlineExceeded", f'ReplicaSet "{rs_name}" has timed out progressing.')), None

    def _condition(self, type_: str, status: str, reason: str, message: str) -> DeploymentCondition:
        now = self.now()
        return DeploymentCondition(type_, status, reason, message, now, now)
