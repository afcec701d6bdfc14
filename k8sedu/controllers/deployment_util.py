"""Helpers of the Deployment controller, as kube-controller-manager's ``pkg/controller/deployment/util``.

The rolling-update arithmetic (``maxSurge`` 25% rounded up, ``maxUnavailable``
25% rounded down), the annotations a Deployment and its ReplicaSets carry
(``deployment.kubernetes.io/revision``, ``revision-history``,
``desired-replicas``, ``max-replicas``, and the Deployment's own annotations
copied onto its current ReplicaSet), and the status conditions with their
rules (``SetDeploymentCondition``, ``DeploymentComplete``,
``DeploymentProgressing``).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from k8sedu.objects import Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
# deployment/util annotationsToSkip: never copied from a Deployment to its ReplicaSets.
NOT_COPIED = ("kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY, DESIRED_REPLICAS,
              MAX_REPLICAS, "deprecated.deployment.rollback.to")


def max_surge(replicas: int) -> int:
    """25% of replicas, rounded up (the default ``strategy.rollingUpdate.maxSurge``)."""
    return -(-replicas * 25 // 100)


def max_unavailable(replicas: int) -> int:
    """25% of replicas, rounded down; never 0 together with a 0 surge (``ResolveFenceposts``)."""
    down = replicas * 25 // 100
    return 1 if down == 0 and max_surge(replicas) == 0 else down


def revision_of(rs: ReplicaSet) -> int:
    """``deploymentutil.Revision``: the ReplicaSet's revision annotation as a number (0 when absent)."""
    text = rs.metadata.annotations.get(REVISION, "")
    return int(text) if text.isdigit() else 0


def new_rs_annotations(dep: Deployment, current: dict, revision: int) -> dict:
    """``SetNewReplicaSetAnnotations``: copy the Deployment's annotations, raise the revision, keep its history.

    Examples
    --------
    >>> from k8sedu.objects import DeploymentSpec, LabelSelector, ObjectMeta, PodTemplateSpec, frozen
    >>> dep = Deployment(ObjectMeta(annotations=frozen({"kubernetes.io/change-cause": "v2"})),
    ...                  DeploymentSpec(LabelSelector(), PodTemplateSpec()))
    >>> new_rs_annotations(dep, {REVISION: "1"}, 3)      # rolled back to the ReplicaSet of revision 1
    {'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1', 'kubernetes.io/change-cause': 'v2'}
    """
    out = dict(current)
    out.update({k: v for k, v in dep.metadata.annotations.items() if k not in NOT_COPIED})
    old = out.get(REVISION, "")
    if not old.isdigit() or int(old) < revision:
        out[REVISION] = str(revision)
        if old.isdigit():
            history = out.get(REVISION_HISTORY, "")
            out[REVISION_HISTORY] = f"{history},{old}" if history else old
    return dict(sorted(out.items()))


def replicas_annotations(dep: Deployment) -> dict:
    """``SetReplicasAnnotations``: the size the Deployment wants, and the most it may reach while surging."""
    replicas = dep.spec.replicas
    return {DESIRED_REPLICAS: str(replicas), MAX_REPLICAS: str(replicas + max_surge(replicas))}


def condition(status: DeploymentStatus, type_: str) -> Optional[DeploymentCondition]:
    return next((c for c in status.conditions if c.type == type_), None)


def set_condition(status: DeploymentStatus, new: DeploymentCondition) -> DeploymentStatus:
    """``SetDeploymentCondition``: same status and reason changes nothing; same status keeps the transition time."""
    old = condition(status, new.type)
    if old is not None and old.status == new.status and old.reason == new.reason:
        return status
    if old is not None and old.status == new.status:
        new = dataclasses.replace(new, last_transition_time=old.last_transition_time)
    kept = tuple(c for c in status.conditions if c.type != new.type)
    return dataclasses.replace(status, conditions=kept + (new,))


def complete(dep: Deployment, status: DeploymentStatus) -> bool:
    """``DeploymentComplete``: every replica updated and available, the latest spec observed."""
    want = dep.spec.replicas
    return (status.updated_replicas == want and status.replicas == want and status.available_replicas == want
            and status.observed_generation >= dep.metadata.generation)


def made_progress(old: DeploymentStatus, new: DeploymentStatus) -> bool:
    """``DeploymentProgressing``: more updated, ready or available pods, or fewer old ones."""
    return (new.updated_replicas > old.updated_replicas
            or new.replicas - new.updated_replicas < old.replicas - old.updated_replicas
            or new.ready_replicas > old.ready_replicas or new.available_replicas > old.available_replicas)
