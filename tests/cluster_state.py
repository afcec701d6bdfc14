"""What a cluster *is*, as one value: so a test can say "a refused command changed nothing".

Issue 10's contract: a refusal changes nothing, byte for byte, including
what the seed hands out next. ``cluster_state`` gathers every part a command
could touch, each rendered as text in a stable order:

- ``export``: what ``cluster.export()`` writes (the learner's objects, portable);
- ``objects``: every stored object of every kind in every namespace, with its
  resourceVersion, uid and timestamps, and the store's own resourceVersion;
- ``allocators``: the Service registry's ClusterIP and NodePort allocators
  (what is in use), ``core.api.services``;
- ``random``: the seeded random source's state (``core.random.getstate()``),
  so the next pod name, ClusterIP and load-balancing choice are the same;
- ``clock``: ``core.now``; ``timers``: every pending timer's time, priority,
  sequence number and label;
- ``events``: the length of the event log (it only grows);
- ``queues``: the keys waiting in each controller's work queue (a settled
  cluster has none: ``assert_settled``);
- ``nodes``: which nodes are down (``fail_node``);
- ``iptables``: every node's ``iptables-save``, as ``cluster.iptables_save`` prints it.

Computing the state changes nothing (no settle, no random draw): kube-proxy's
sync and the nat merge are caches of what the store holds.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import random
from typing import Any

from k8sedu import kindnet, manifests
from k8sedu.clock import EPOCH
from k8sedu.errors import KubectlError
from k8sedu.kube_proxy.iptables import save_date

PARTS = ("export", "objects", "allocators", "random", "clock", "timers", "events", "queues", "nodes", "iptables")

State = tuple[tuple[str, str], ...]  # ((part, text), ...) in PARTS order: hashable, comparable


def cluster_state(cluster: Any) -> State:
    """The cluster's state (a ``Cluster`` or its ``Core``), part by part, as text."""
    core = getattr(cluster, "core", cluster)
    render = {"export": _export, "objects": _objects, "allocators": _allocators, "random": _random,
              "clock": _clock, "timers": _timers, "events": _events, "queues": _queues, "nodes": _nodes,
              "iptables": _iptables}
    return tuple((part, render[part](core)) for part in PARTS)


def state_bytes(state: State) -> bytes:
    """The state as one byte string (what "byte for byte unchanged" compares)."""
    return "".join(f"== {part}\n{text}\n" for part, text in state).encode()


def differing_parts(a: State, b: State) -> list[str]:
    """The names of the parts that differ between two states."""
    return [part for (part, x), (_, y) in zip(a, b) if x != y]


def explain_difference(a: State, b: State, limit: int = 40) -> str:
    """A readable account of what differs: each differing part's first diff lines."""
    texts = []
    for (part, x), (_, y) in zip(a, b):
        if x != y:
            diff = list(difflib.unified_diff(x.splitlines(), y.splitlines(), "before", "after", lineterm="", n=1))
            texts.append(f"{part} changed:\n" + "\n".join(diff[:limit]))
    return "\n".join(texts)


def queued(cluster: Any) -> dict[str, list]:
    """The keys waiting in each controller's work queue, for the controllers that have any."""
    core = getattr(cluster, "core", cluster)
    manager = core.manager
    return {c.name: list(manager._queues[c.name]._items) for c in manager.controllers
            if len(manager._queues[c.name])}


def assert_settled(cluster: Any) -> None:
    """Fail unless every controller's queue is empty (a command left the controllers unsettled)."""
    waiting = queued(cluster)
    assert not waiting, f"controllers left with work queued: {waiting}"


# ---------------------------------------------------------------- the parts

def _export(core) -> str:
    return manifests.export(core)


def _objects(core) -> str:
    store = core.api.store
    lines = [f"resourceVersion {store.resource_version}"]
    for kind in sorted(store._objects):  # every kind the store has ever held
        lines += [repr(obj) for obj in store.list(kind)]
    return "\n".join(lines)


def _allocators(core) -> str:
    return _plain(core.api.services)


def _random(core) -> str:
    state = repr(core.random.getstate())
    return f"sha256 {hashlib.sha256(state.encode()).hexdigest()}\n{state}"


def _clock(core) -> str:
    return repr(core.clock.now)


def _timers(core) -> str:
    return "\n".join(f"{t.time!r} {t.priority} {t.seq} {t.label}" for t in core.clock.pending())


def _events(core) -> str:
    return str(len(core.events))


def _queues(core) -> str:
    return "\n".join(f"{name}: {keys!r}" for name, keys in queued(core).items())


def _nodes(core) -> str:
    names = [n.metadata.name for n in core.api.store.list("Node")]
    return "down: " + " ".join(n for n in names if not core.node_is_up(n))


def _iptables(core) -> str:
    date = save_date(EPOCH.timestamp() + core.now)
    texts = []
    for node in core.api.store.list("Node"):
        name = node.metadata.name
        try:
            texts.append(f"# node {name}\n{kindnet.iptables_save_node(core, name, date)}")
        except KubectlError as err:  # a Node object without agents (created through the API)
            texts.append(f"# node {name}: {err}")
    return "\n".join(texts)


def _plain(value: Any, depth: int = 0) -> str:
    """A stable text of an object's attributes: sets sorted, dicts by key, the random source left out.

    Generic on purpose, so it covers whatever the allocators keep (a set of
    offsets today, a bitmap tomorrow) without naming their private fields.
    """
    if isinstance(value, random.Random):
        return "<the random source: part 'random'>"
    if depth > 6:
        return repr(value)
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: repr(kv[0]))
        return "{" + ", ".join(f"{k!r}: {_plain(v, depth + 1)}" for k, v in items) + "}"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(repr(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_plain(v, depth + 1) for v in value) + "]"
    if callable(value) and not hasattr(value, "__dict__"):
        return getattr(value, "__qualname__", type(value).__name__)
    ours = type(value).__module__.startswith("k8sedu")  # the stdlib's (ipaddress) keep caches in __dict__
    if not ours or dataclasses.is_dataclass(value) or not hasattr(value, "__dict__"):
        return repr(value)
    attrs = vars(value)
    return type(value).__name__ + "(" + ", ".join(
        f"{k}={_plain(v, depth + 1)}" for k, v in sorted(attrs.items())) + ")"
