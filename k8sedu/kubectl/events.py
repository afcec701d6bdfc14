"""Events as the API serves them: ``kubectl get events`` and the ``Events:`` of ``kubectl describe``.

The model records every event in ``cluster.events``. A real cluster stores
them as Event objects, and client-go's event recorder folds repeats into one:
the same component saying the same thing about the same object bumps
``count`` and ``lastTimestamp`` instead of adding a row (the
``EventCorrelator``). Events expire an hour after they were last seen (the API
server's ``--event-ttl=1h``). An event about a cluster-scoped object, such as
a Node, lives in the ``default`` namespace. Event names are
``<object>.<hex timestamp>``, so a list is grouped by object, oldest first.

Notes the model itself records in ``cluster.events`` (component ``k8sedu``,
such as ``NoIngressController``) explain the model to the learner; no real
cluster has them, so kubectl never shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from k8sedu.clock import EPOCH
from k8sedu.kubectl.duration import age
from k8sedu.manifests.encode import timestamp
from k8sedu.objects import EMPTY

EVENT_TTL = 3600
MODEL_COMPONENT = "k8sedu"  # the model's own notes in cluster.events: not Kubernetes events


@dataclass(frozen=True)
class EventView:
    """One (aggregated) Event object."""

    namespace: str
    name: str
    kind: str
    object_name: str
    object_namespace: str
    type: str
    reason: str
    message: str
    source: str
    first: float
    last: float
    count: int

    @property
    def target(self) -> str:
        return f"{self.kind.lower()}/{self.object_name}"

    @property
    def metadata(self) -> "EventMeta":
        return EventMeta(self.name, self.namespace, self.first)


@dataclass(frozen=True)
class EventMeta:
    """The bits of an Event's metadata that listings read."""

    name: str
    namespace: str
    creation_timestamp: float
    labels: Any = EMPTY


def encode(view: EventView) -> dict:
    """An Event as the API serves it (core/v1)."""
    involved = {"kind": view.kind, "name": view.object_name}
    if view.object_namespace:
        involved["namespace"] = view.object_namespace
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": view.name, "namespace": view.namespace,
                         "creationTimestamp": timestamp(view.first)},
            "involvedObject": involved, "reason": view.reason, "message": view.message,
            "source": {"component": view.source}, "firstTimestamp": timestamp(view.first),
            "lastTimestamp": timestamp(view.last), "count": view.count, "type": view.type, "eventTime": None,
            "reportingComponent": view.source, "reportingInstance": ""}


def events(log: Iterable[Any], now: float, namespace: Optional[str] = None) -> list[EventView]:
    """Fold the event log into Event objects, in the API's list order (namespace, then name)."""
    folded: dict[tuple, list] = {}
    for e in log:
        if e.component == MODEL_COMPONENT:
            continue
        key = (e.component, e.type, e.kind, e.namespace, e.name, e.reason, e.message)
        if key in folded:
            folded[key][1] = e.time
            folded[key][2] += 1
        else:
            folded[key] = [e.time, e.time, 1]
    views = []
    for (component, type_, kind, ns, name, reason, message), (first, last, count) in folded.items():
        if now - last > EVENT_TTL:
            continue
        home = ns or "default"
        if namespace is not None and home != namespace:
            continue
        stamp = int((EPOCH.timestamp() + first) * 1e9)
        views.append(EventView(home, f"{name}.{stamp:x}", kind, name, ns, type_, reason, message, component,
                               first, last, count))
    return sorted(views, key=lambda v: (v.namespace, v.name, v.first))


def about(log: Iterable[Any], now: float, obj: Any) -> list[EventView]:
    """The events whose involved object is ``obj``, sorted by time (describe's ``SortableEvents``)."""
    meta = obj.metadata
    found = [v for v in events(log, now) if v.kind == obj.kind and v.object_name == meta.name
             and v.object_namespace == meta.namespace]
    return sorted(found, key=lambda v: (v.last, v.first))


def row(view: EventView, now: float, wide: bool = False) -> list[str]:
    """A ``kubectl get events`` row (printers.go ``printEvent``)."""
    first = age(view.first, now)
    last = age(view.last, now)
    if wide:
        return [last, view.type, view.reason, view.target, "", view.source, view.message.strip(), first,
                str(view.count), view.name]
    return [last, view.type, view.reason, view.target, view.message.strip()]


def describe_section(views: list[EventView], now: float) -> str:
    """The ``Events:`` part of ``kubectl describe`` (describe.go ``DescribeEvents``), tab-separated."""
    if not views:
        return "Events:\t<none>\n"
    lines = ["Events:", "  Type\tReason\tAge\tFrom\tMessage", "  ----\t------\t----\t----\t-------"]
    for v in views:
        interval = age(v.first, now)
        if v.count > 1:
            interval = f"{age(v.last, now)} (x{v.count} over {interval})"
        lines.append(f"  {v.type}\t{v.reason}\t{interval}\t{v.source}\t{v.message.strip()}")
    return "\n".join(lines) + "\n"
