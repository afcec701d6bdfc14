"""When the change that an endpoint object reflects happened: the ``last-change-trigger-time`` annotation.

Mirrors ``TriggerTimeTracker`` (``k8s.io/endpointslice/util/trigger_time_tracker.go``), which the
EndpointSlice and Endpoints controllers each keep. At every sync of a Service it remembers each
selected pod's trigger time (the ``lastTransitionTime`` of its Ready condition) and the Service's
(its creationTimestamp), and returns the earliest of those that moved since the previous sync: the
moment the oldest change now being written happened. The controllers write it as the annotation
``endpoints.kubernetes.io/last-change-trigger-time`` on the objects they create or update (and
remove the annotation when nothing moved). kube-proxy reads it to measure how long a change took
to reach the node's rules. The first sync of a Service returns its creationTimestamp.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional

from k8sedu.clock import rfc3339
from k8sedu.objects import Labels, Pod, Service, frozen

TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time"


def with_trigger_time(annotations: Mapping[str, str], triggered: Optional[float]) -> Labels:
    """``annotations`` with the trigger time set, or without it when there is none (``addTriggerTimeAnnotation``).

    The time is RFC 3339 in UTC (``RFC3339Nano``: whole seconds print no fraction, as API times have none).

    >>> dict(with_trigger_time({}, 312.0))
    {'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-05T09:05:12Z'}
    >>> dict(with_trigger_time({TRIGGER_TIME_ANNOTATION: "x", "a": "b"}, None))
    {'a': 'b'}
    """
    out = {k: v for k, v in annotations.items() if k != TRIGGER_TIME_ANNOTATION}
    if triggered is not None:
        out[TRIGGER_TIME_ANNOTATION] = rfc3339(triggered)
    return frozen(out)


def pod_trigger_time(pod: Pod) -> Optional[float]:
    """``getPodTriggerTime``: when the pod's Ready condition last changed, or None without one."""
    return next((c.last_transition_time for c in pod.status.conditions if c.type == "Ready"), None)


class TriggerTimeTracker:
    """Per Service: the pods' trigger times and the Service's, as of the last sync."""

    def __init__(self) -> None:
        self._state: dict[tuple[str, str], tuple[dict[str, float], float]] = {}

    def compute(self, svc: Service, pods: Iterable[Pod]) -> Optional[float]:
        """``ComputeEndpointLastChangeTriggerTime``: the earliest trigger time that moved since the last sync."""
        key = (svc.metadata.namespace, svc.metadata.name)
        known = key in self._state
        last_pods, last_service = self._state.get(key, ({}, None))
        times: dict[str, float] = {}
        earliest: Optional[float] = None
        for pod in pods:
            t = pod_trigger_time(pod)
            if t is None:
                continue
            times[pod.metadata.name] = t
            if pod.metadata.name not in last_pods or t > last_pods[pod.metadata.name]:
                earliest = t if earliest is None else min(earliest, t)
        created = svc.metadata.creation_timestamp or 0.0
        if last_service is None or created > last_service:
            earliest = created if earliest is None else min(earliest, created)
        self._state[key] = (times, created)
        return earliest if known else created

    def forget(self, namespace: str, name: str) -> None:
        """``DeleteService``: the Service is gone."""
        self._state.pop((namespace, name), None)
