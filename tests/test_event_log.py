"""The event log at scale: bounded like the API server's Events (``--event-ttl``), read per object by describe.

The correlator itself (the same thing said again bumps ``count``) is tested with the controllers
and kubectl; here: the log's bound, and that ``describe`` reading only the events about objects of
its object's name shows exactly what folding the whole log shows.
"""

from __future__ import annotations

from k8sedu import Cluster, events
from k8sedu.events import Event, EventLog
from k8sedu.kubectl import events as kubectl_events


def said(i: int, name: str = "", time: float = 0.0) -> Event:
    return Event(time or float(i), "kubelet", "Pod", "default", name or f"p{i}", "Started", "Started container app")


def test_the_log_keeps_at_most_its_bound_and_drops_what_was_said_least_recently(monkeypatch):
    monkeypatch.setattr(events, "MAX_EVENTS", 10)
    log = EventLog()
    for i in range(25):
        log.record(said(i))
        if i == 12:
            log.record(said(3, time=12.5))  # p3 is said again: it is recent now
    assert len(log) <= 10
    assert {"p24", "p23"} <= {e.name for e in log}
    log.record(said(24, time=30.0))  # the correlator still finds the entry after a drop
    assert [e.count for e in log if e.name == "p24"] == [2]
    assert [e.name for e in log.named("p24")] == ["p24"]


def test_describe_reads_only_its_objects_events_and_shows_what_the_whole_log_shows():
    """A Deployment, its Service and pods share names with other kinds: the per-name index keeps the names."""
    cluster = Cluster(seed=4)
    cluster.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    cluster.kubectl("expose deployment web --port=80")
    cluster.advance(30)
    cluster.kubectl("scale deployment web --replicas=1")
    cluster.advance(30)
    log = cluster.events
    objects = [cluster.get("Deployment", "web"), cluster.get("Service", "web"),
               *cluster.list("Pod"), *cluster.list("ReplicaSet")]
    assert any(kubectl_events.about(log, cluster.now, o) for o in objects)
    for obj in objects:
        assert kubectl_events.about(log, cluster.now, obj) == kubectl_events.about(list(log), cluster.now, obj)
