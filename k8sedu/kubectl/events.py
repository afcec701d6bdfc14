"""Events as the API serves them: ``kubectl get events`` and the ``Events:`` of ``kubectl describe``.

The model records every event in ``cluster.events``. A real cluster stores
them as Event objects, and client-go's event recorder folds repeats into one:
the same component saying the same thing about the same object bumps
``count`` and ``lastTimestamp`` instead of adding a row (the
``EventCorrelator``). Events expire an hour after they were last seen (the API
server's ``--event-ttl=1h``). An event about a cluster-scoped object, such as
a Node, lives in the ``default`` namespace. Event names are
``<object>.<hex timestamp>`` (client-go ``makeEvent``: ``fmt.Sprintf("%v.%x",
ref.Name, t.UnixNano())``), so a list is grouped by object, oldest first; two
events the model records at the same simulated instant get consecutive
nanoseconds, so every name is unique and the same on every run.

Who recorded an event shows in ``-o wide``'s SOURCE (printers.go
``formatEventSource``: component, then host or reporting instance). The
kubelet records through client-go's ``tools/record`` with
``EventSource{Component: "kubelet", Host: <node>}``, so its events read
``kubelet, kind-worker``, and each about a container names it as SUBOBJECT
(``spec.containers{web}``). kube-proxy and the scheduler record through the
newer events API (``tools/events``): no ``source``, but ``reportingInstance``
``<component>-<hostname>`` (``kube-proxy, kube-proxy-kind-worker``) and an
``eventTime`` instead of ``firstTimestamp``/``lastTimestamp``/``count``.
The controllers of kube-controller-manager set no host.

Notes the model itself records in ``cluster.events`` (component ``k8sedu``,
such as ``NoIngressController``) explain the model to the learner; no real
cluster has them, so kubectl never shows them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from k8sedu.clock import EPOCH
from k8sedu.events import CORE_V1, EVENTS_V1
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
    host: str = ""
    field_path: str = ""
    api: str = CORE_V1

    @property
    def target(self) -> str:
        return f"{self.kind.lower()}/{self.object_name}"

    @property
    def reporting_instance(self) -> str:
        """``reportingInstance``: the host (``tools/record``), or ``<component>-<hostname>`` (``tools/events``)."""
        if self.api == EVENTS_V1:
            return f"{self.source}-{self.host}" if self.host else ""
        return self.host

    @property
    def source_cell(self) -> str:
        """SOURCE of ``get events -o wide`` (printers.go ``formatEventSource``).

        Examples
        --------
        >>> view = EventView("default", "n.1", "Node", "n", "", "Normal", "Starting", "", "kube-proxy", 0, 0, 1,
        ...                  host="kind-worker", api="events.k8s.io/v1")
        >>> view.source_cell
        'kube-proxy, kube-proxy-kind-worker'
        >>> EventView("default", "p.1", "Pod", "p", "default", "Normal", "Pulled", "", "kubelet", 0, 0, 1,
        ...           host="kind-worker").source_cell
        'kubelet, kind-worker'
        """
        instance = self.reporting_instance
        return f"{self.source}, {instance}" if instance else self.source

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


# (component, reason) -> the ``action`` a ``tools/events`` recorder passes (scheduler: schedule_one.go;
# kube-proxy: server.go birthCry)
ACTIONS = {("default-scheduler", "Scheduled"): "Binding", ("default-scheduler", "FailedScheduling"): "Scheduling",
           ("kube-proxy", "Starting"): "StartKubeProxy"}


def encode(view: EventView) -> dict:
    """An Event as the API serves it (core/v1).

    One recorded through the events API (``events.k8s.io/v1``) is converted
    back: no ``source`` fields, null ``firstTimestamp``/``lastTimestamp``, no
    ``count`` unless it became a series, ``eventTime`` in microseconds, its
    ``action``.
    """
    involved = {"kind": view.kind, "name": view.object_name}
    if view.object_namespace:
        involved["namespace"] = view.object_namespace
    if view.field_path:
        involved["fieldPath"] = view.field_path
    out = {"apiVersion": "v1", "kind": "Event",
           "metadata": {"name": view.name, "namespace": view.namespace, "creationTimestamp": timestamp(view.first)},
           "involvedObject": involved, "reason": view.reason}
    if view.message:
        out["message"] = view.message
    if view.api == EVENTS_V1:
        out.update({"source": {}, "firstTimestamp": None, "lastTimestamp": None, "type": view.type,
                    "eventTime": micro_timestamp(view.first), "action": ACTIONS.get((view.source, view.reason), "")})
        if view.count > 1:
            out["series"] = {"count": view.count, "lastObservedTime": micro_timestamp(view.last)}
    else:
        source = {"component": view.source, **({"host": view.host} if view.host else {})}
        out.update({"source": source, "firstTimestamp": timestamp(view.first), "lastTimestamp": timestamp(view.last),
                    "count": view.count, "type": view.type, "eventTime": None})
    out.update({"reportingComponent": view.source, "reportingInstance": view.reporting_instance})
    return out


def micro_timestamp(seconds: float) -> str:
    """A ``metav1.MicroTime`` as JSON (RFC 3339 with microseconds).

    >>> micro_timestamp(1.5)
    '2026-01-05T09:00:01.500000Z'
    """
    return (EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unix_nano(seconds: float) -> int:
    """``t.UnixNano()`` of simulated ``seconds``, in integers so no nanosecond is lost to float rounding.

    >>> hex(unix_nano(0.0))
    '0x1887ca1be9b3a000'
    """
    return int(EPOCH.timestamp()) * 10**9 + round(seconds * 1e9)


def events(log: Iterable[Any], now: float, namespace: Optional[str] = None) -> list[EventView]:
    """Fold the event log into Event objects, in the API's list order (namespace, then name).

    The correlator's key (client-go ``getEventKey``) is the source (component
    and host), the involved object and field path, the type, reason and
    message: the same thing said again bumps ``count``.
    """
    folded: dict[tuple, list] = {}
    for e in log:
        if e.component == MODEL_COMPONENT:
            continue
        key = e.key
        if key in folded:
            folded[key][1] = e.time
            folded[key][2] += e.count
        else:
            folded[key] = [e.first_time, e.time, e.count]
    views, names = [], _names(folded)
    for key, (first, last, count) in folded.items():
        component, host, api, type_, kind, ns, name, field_path, reason, message = key
        home = ns or "default"
        if now - last > EVENT_TTL or (namespace is not None and home != namespace):
            continue
        views.append(EventView(home, names[key], kind, name, ns, type_, reason, message, component,
                               first, last, count, host, field_path, api))
    return sorted(views, key=lambda v: (v.namespace, v.name, v.first))


def _names(folded: dict[tuple, list]) -> dict[tuple, str]:
    """Each Event's name, ``<object>.<hex UnixNano>``, in the order they were first recorded.

    Two events at the same simulated instant about one object would share a
    name; the later one takes the next free nanosecond, as the real clock
    would have moved on by then.
    """
    names, taken = {}, set()
    for key, (first, _, _) in folded.items():
        name, stamp = key[6], unix_nano(first)
        while (name, stamp) in taken:
            stamp += 1
        taken.add((name, stamp))
        names[key] = f"{name}.{stamp:x}"
    return names


def about(log: Iterable[Any], now: float, obj: Any) -> list[EventView]:
    """The events whose involved object is ``obj``, sorted by time (describe's ``SortableEvents``)."""
    meta = obj.metadata
    if hasattr(log, "named"):  # only events about objects of that name: names never collide across names
        log = log.named(meta.name)
    found = [v for v in events(log, now) if v.kind == obj.kind and v.object_name == meta.name
             and v.object_namespace == meta.namespace]
    return sorted(found, key=lambda v: (v.last, v.first))


def row(view: EventView, now: float, wide: bool = False) -> list[str]:
    """A ``kubectl get events`` row (printers.go ``printEvent``)."""
    first = age(view.first, now)
    last = age(view.last, now)
    if wide:
        return [last, view.type, view.reason, view.target, view.field_path, view.source_cell, view.message.strip(),
                first, str(view.count), view.name]
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
