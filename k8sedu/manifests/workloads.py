"""Deployments and ReplicaSets as manifests (``apps/v1``).

Both hold a label selector and a pod template (``pods.encode_pod_spec`` /
``pods.decode_pod_spec`` write and read its spec). Writing, the API server
adds a Deployment's defaults (``strategy`` RollingUpdate 25%/25%,
``revisionHistoryLimit: 10``, ``progressDeadlineSeconds: 600``) and the
controllers' status counts; kubectl's own manifest has ``strategy: {}``. A
template's metadata always shows ``creationTimestamp: null``, as real ones do.
Reading, a missing ``replicas`` is 1, the API's default.

Examples
--------
>>> doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
...        "spec": {"selector": {"matchLabels": {"app": "web"}},
...                 "template": {"metadata": {"labels": {"app": "web"}},
...                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}
>>> web = decode_deployment(doc, "default")
>>> web.spec.replicas, dict(web.spec.selector.match_labels)
(1, {'app': 'web'})
>>> encode_deployment(web, served=False)["spec"]["template"]["metadata"]
{'creationTimestamp': None, 'labels': {'app': 'web'}}
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

from k8sedu.manifests.meta import decode_metadata, envelope, integer, labels, put, string_map, timestamp
from k8sedu.manifests.pods import decode_pod_spec, encode_pod_spec
from k8sedu.objects import DaemonSet, DaemonSetSpec, frozen
from k8sedu.objects import (Deployment, DeploymentSpec, LabelSelector, ObjectMeta, PodTemplateSpec, ReplicaSet,
                            ReplicaSetSpec)


# ---------------------------------------------------------------- writing

def _selector(sel: LabelSelector) -> dict:
    return {"matchLabels": string_map(sel.match_labels)}


def _template_metadata(meta: ObjectMeta) -> dict:
    out: dict[str, Any] = {"creationTimestamp": None}
    put(out, "labels", string_map(meta.labels))
    put(out, "annotations", string_map(meta.annotations))
    return out


def _template(t: PodTemplateSpec, served: bool) -> dict:
    return {"metadata": _template_metadata(t.metadata), "spec": encode_pod_spec(t.spec, served)}


def encode_deployment(d: Deployment, served: bool = True) -> dict:
    """Return ``d`` as ``kubectl get deployment -o yaml`` shows it (``served``) or as kubectl generates it."""
    spec: dict[str, Any] = {"replicas": d.spec.replicas, "selector": _selector(d.spec.selector),
                            "template": _template(d.spec.template, served)}
    if served:
        spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
        spec["revisionHistoryLimit"] = 10
        spec["progressDeadlineSeconds"] = 600
    else:
        spec["strategy"] = {}
    status: dict[str, Any] = {}
    for key, value in (("observedGeneration", d.status.observed_generation), ("replicas", d.status.replicas),
                       ("updatedReplicas", d.status.updated_replicas), ("readyReplicas", d.status.ready_replicas),
                       ("availableReplicas", d.status.available_replicas)):
        put(status, key, value)
    if served and d.spec.replicas != d.status.available_replicas:
        put(status, "unavailableReplicas", max(0, d.spec.replicas - d.status.available_replicas))
    # The Deployment controller's Available and Progressing conditions (controllers/deployment.py).
    put(status, "conditions", [{"lastTransitionTime": timestamp(c.last_transition_time),
                                "lastUpdateTime": timestamp(c.last_update_time), "message": c.message,
                                "reason": c.reason, "status": c.status, "type": c.type}
                               for c in d.status.conditions])
    return {**envelope(d, served), "spec": spec, "status": status}


def encode_replicaset(rs: ReplicaSet, served: bool = True) -> dict:
    """Return ``rs`` as ``kubectl get replicaset -o yaml`` shows it."""
    spec = {"replicas": rs.spec.replicas, "selector": _selector(rs.spec.selector),
            "template": _template(rs.spec.template, served)}
    status: dict[str, Any] = {"replicas": rs.status.replicas}
    for key, value in (("fullyLabeledReplicas", rs.status.fully_labeled_replicas),
                       ("readyReplicas", rs.status.ready_replicas),
                       ("availableReplicas", rs.status.available_replicas),
                       ("observedGeneration", rs.status.observed_generation)):
        put(status, key, value)
    return {**envelope(rs, served), "spec": spec, "status": status}


TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


def served_daemonset(ds: DaemonSet) -> DaemonSet:
    """``ds`` as apps/v1 serves it: the conversion from the internal type writes the template's
    generation into the annotation ``deprecated.daemonset.template.generation``
    (k/k ``pkg/apis/apps/v1/conversion.go``); a DaemonSet's spec is its selector, which cannot change,
    and its template, so that generation is ``metadata.generation``."""
    annotations = {**ds.metadata.annotations, TEMPLATE_GENERATION: str(max(ds.metadata.generation, 1))}
    return dataclasses.replace(ds, metadata=dataclasses.replace(ds.metadata, annotations=frozen(annotations)))


def encode_daemonset(ds: DaemonSet, served: bool = True) -> dict:
    """Return ``ds`` as ``kubectl get daemonset -o yaml`` shows it: served, with the API's defaults
    (``updateStrategy`` RollingUpdate maxUnavailable 1 / maxSurge 0, ``revisionHistoryLimit: 10``)."""
    spec: dict[str, Any] = {"selector": _selector(ds.spec.selector), "template": _template(ds.spec.template, served)}
    if served:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
        spec["revisionHistoryLimit"] = 10
    s = ds.status
    status: dict[str, Any] = {"currentNumberScheduled": s.current_number_scheduled,
                              "numberMisscheduled": s.number_misscheduled,
                              "desiredNumberScheduled": s.desired_number_scheduled, "numberReady": s.number_ready}
    if served:
        put(status, "observedGeneration", s.observed_generation)
        put(status, "updatedNumberScheduled", s.updated_number_scheduled)
        put(status, "numberAvailable", s.number_available)
        put(status, "numberUnavailable", s.desired_number_scheduled - s.number_available)
    return {**envelope(served_daemonset(ds) if served else ds, served), "spec": spec, "status": status}


# ---------------------------------------------------------------- reading

def _read_template(t: Optional[dict]) -> PodTemplateSpec:
    t = t or {}
    return PodTemplateSpec(decode_metadata(t.get("metadata")), decode_pod_spec(t.get("spec")))


def _read_selector(s: Optional[dict]) -> LabelSelector:
    return LabelSelector(labels((s or {}).get("matchLabels")))


def decode_deployment(doc: dict, namespace: str) -> Deployment:
    """Return the Deployment ``doc`` declares (``namespace`` fills a missing one)."""
    spec = doc.get("spec") or {}
    return Deployment(decode_metadata(doc.get("metadata"), namespace), DeploymentSpec(
        _read_selector(spec.get("selector")), _read_template(spec.get("template")), integer(spec.get("replicas"), 1)))


def decode_replicaset(doc: dict, namespace: str) -> ReplicaSet:
    """Return the ReplicaSet ``doc`` declares (``namespace`` fills a missing one)."""
    spec = doc.get("spec") or {}
    return ReplicaSet(decode_metadata(doc.get("metadata"), namespace), ReplicaSetSpec(
        _read_selector(spec.get("selector")), _read_template(spec.get("template")), integer(spec.get("replicas"), 1)))


def decode_daemonset(doc: dict, namespace: str) -> DaemonSet:
    """Return the DaemonSet ``doc`` declares (``namespace`` fills a missing one)."""
    spec = doc.get("spec") or {}
    meta = decode_metadata(doc.get("metadata"), namespace)
    annotations = {k: v for k, v in meta.annotations.items() if k != TEMPLATE_GENERATION}  # the server's to write
    return DaemonSet(dataclasses.replace(meta, annotations=frozen(annotations)), DaemonSetSpec(
        _read_selector(spec.get("selector")), _read_template(spec.get("template"))))
