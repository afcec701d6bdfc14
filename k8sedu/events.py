"""Events: what every component did, as ``kubectl get events`` would show it.

Mirrors client-go's ``record.EventRecorder``: a component records an event
about an object with a reason (``ScalingReplicaSet``, ``SuccessfulCreate``,
``Scheduled``...) and a message. The model keeps them in one ordered log,
``cluster.events``, so a notebook can show the control loop at work without
touching it. As client-go's EventCorrelator does, the same thing said again
about the same object (same source, object, type, reason and message) is not
a new entry: it bumps the entry's ``count`` and ``time``, so a pod that
fails to schedule at every node change adds one event, not one per retry,
and the log stays bounded by what is different.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

CORE_V1 = "v1"  # client-go tools/record: the Event carries source {component, host}
EVENTS_V1 = "events.k8s.io/v1"  # client-go tools/events: reportingController/-Instance, eventTime, no source


@dataclass(frozen=True)
class Event:
    """One recorded event. ``time`` is simulated seconds since cluster start."""

    time: float
    component: str
    kind: str
    namespace: str
    name: str
    reason: str
    message: str
    type: str = "Normal"
    host: str = ""  # the node the recording component runs on (source.host of the kubelet's events)
    field_path: str = ""  # the part of the object, e.g. spec.containers{web} (involvedObject.fieldPath)
    api: str = CORE_V1  # which recorder wrote it: CORE_V1 or EVENTS_V1
    count: int = 1  # how many times it was said (the correlator's count, or an events.k8s.io series)
    first: float = -1.0  # when it was first said; ``time`` is the last time (-1: the same as ``time``)

    @property
    def key(self) -> tuple:
        """The correlator's key (client-go ``getEventKey``): source, object and field path, type, reason, message."""
        return (self.component, self.host, self.api, self.type, self.kind, self.namespace, self.name,
                self.field_path, self.reason, self.message)

    @property
    def first_time(self) -> float:
        return self.time if self.first < 0 else self.first

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        again = f" (x{self.count} since T={self.first_time:.1f}s)" if self.count > 1 else ""
        return (f"T={self.time:>7.1f}s  {self.component:<24} {self.type:<7} {self.reason:<20} "
                f"{self.kind.lower()}/{where}: {self.message}{again}")


MAX_EVENTS = 100_000  # entries the log keeps at most; past it the least recently said half goes


class EventLog(list):
    """The cluster's event log: a list of ``Event`` (one per distinct thing said) with small helpers.

    Bounded as the API server bounds Events with ``--event-ttl``: past
    ``MAX_EVENTS`` entries, the half said least recently is dropped (a
    teaching cluster never gets near it; a 150,000-pod one does).
    """

    def record(self, event: Event) -> None:
        """Add ``event``, or count it on the entry that already says the same thing."""
        keys, names = self._indexes()
        index = keys.get(event.key)
        if index is None:
            keys[event.key] = len(self)
            names.setdefault(event.name, []).append(len(self))
            self.append(event)
            self._indexed = len(self)
            if len(self) > MAX_EVENTS:
                self._drop_oldest()
        else:
            old = self[index]
            self[index] = dataclasses.replace(old, time=event.time, count=old.count + 1, first=old.first_time)

    def named(self, name: str) -> "EventLog":
        """The events about objects called ``name`` (of any kind), in log order: what ``describe`` folds."""
        return EventLog(self[i] for i in self._indexes()[1].get(name, ()))

    def _indexes(self) -> tuple[dict, dict]:
        """(correlator key -> position, object name -> positions); built again for a copy or a list changed
        other than by ``record``."""
        if getattr(self, "_indexed", -1) != len(self):
            self._keys = {e.key: i for i, e in enumerate(self)}
            self._names: dict[str, list[int]] = {}
            for i, e in enumerate(self):
                self._names.setdefault(e.name, []).append(i)
            self._indexed = len(self)
        return self._keys, self._names

    def _drop_oldest(self) -> None:
        """Keep the half said most recently, in log order."""
        keep = sorted(sorted(range(len(self)), key=lambda i: self[i].time)[len(self) // 2:])
        self[:] = [self[i] for i in keep]
        self._indexed = -1

    def since(self, time: float) -> "EventLog":
        """Return the events recorded at or after ``time``."""
        return EventLog(e for e in self if e.time >= time)

    def about(self, kind: str, name: str = "") -> "EventLog":
        """Return the events about objects of ``kind`` (and ``name``)."""
        return EventLog(e for e in self if e.kind == kind and (not name or e.name == name))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self)


class Recorder:
    """Records events for one component into the cluster's log.

    ``host`` is the node the component runs on: the kubelet's recorder puts it
    in ``source.host`` (``EventSource{Component: "kubelet", Host: nodeName}``);
    a component using the newer events API (``api=EVENTS_V1``: kube-proxy, the
    scheduler) reports it as ``reportingInstance`` ``<component>-<hostname>``.
    """

    def __init__(self, log: EventLog, now, component: str, host: str = "", api: str = CORE_V1):
        self._log = log
        self._now = now
        self.component = component
        self.host = host
        self.api = api

    def event(self, obj, reason: str, message: str, type: str = "Normal", field_path: str = "") -> None:
        meta = obj.metadata
        self._log.record(Event(self._now(), self.component, obj.kind, meta.namespace, meta.name,
                               reason, message, type, self.host, field_path, self.api))
