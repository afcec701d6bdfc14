"""Events: what every component did, as ``kubectl get events`` would show it.

Mirrors client-go's ``record.EventRecorder``: a component records an event
about an object with a reason (``ScalingReplicaSet``, ``SuccessfulCreate``,
``Scheduled``...) and a message. The model keeps them in one ordered log,
``cluster.events``, so a notebook can show the control loop at work without
touching it.
"""

from __future__ import annotations

from dataclasses import dataclass


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

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return (f"T={self.time:>7.1f}s  {self.component:<24} {self.type:<7} {self.reason:<20} "
                f"{self.kind.lower()}/{where}: {self.message}")


class EventLog(list):
    """The cluster's event log: a plain list of ``Event`` with small helpers."""

    def since(self, time: float) -> "EventLog":
        """Return the events recorded at or after ``time``."""
        return EventLog(e for e in self if e.time >= time)

    def about(self, kind: str, name: str = "") -> "EventLog":
        """Return the events about objects of ``kind`` (and ``name``)."""
        return EventLog(e for e in self if e.kind == kind and (not name or e.name == name))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self)


class Recorder:
    """Records events for one component into the cluster's log."""

    def __init__(self, log: EventLog, now, component: str):
        self._log = log
        self._now = now
        self.component = component

    def event(self, obj, reason: str, message: str, type: str = "Normal") -> None:
        meta = obj.metadata
        self._log.append(Event(self._now(), self.component, obj.kind, meta.namespace, meta.name,
                               reason, message, type))
