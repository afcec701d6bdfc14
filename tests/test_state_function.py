"""The state function can fail: two clusters that differ in any one part have different states.

``tests/cluster_state.py`` is what the fuzz suite compares before and after a
refused command (issue 10: a refusal changes nothing, including what the seed
hands out next). A state function that missed a part would let a refusal
that moved the random source, left a timer or a queued key, or allocated a
ClusterIP pass unnoticed; so each row below changes one part of one of two
identically built clusters and checks that the states differ in that part.
Derived from code: ``tests/cluster_state.cluster_state``.
"""

from __future__ import annotations

import dataclasses

import pytest

from cluster_state import (PARTS, assert_settled, cluster_state, differing_parts, explain_difference, queued,
                           state_bytes)
from k8sedu import Cluster


def lab() -> Cluster:
    """A small lab: a Deployment of two pods behind a NodePort Service, settled."""
    c = Cluster(nodes=2, seed=3)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=2 --port=80")
    c.kubectl("expose deployment web --port=80 --type=NodePort")
    c.advance(10)
    return c


def _restamp(c: Cluster) -> None:
    """Give one stored object a new resourceVersion and nothing else, behind the store's back."""
    store = c.api.store
    svc = store.get("Service", "default", "web")
    bumped = dataclasses.replace(svc, metadata=dataclasses.replace(svc.metadata, resource_version="999999"))
    store._objects["Service"][("default", "web")] = bumped


def _event(c: Cluster) -> None:
    c.core.recorder("test").event(c.get("Service", "web"), "Tested", "one more event in the log")


# (what changes, the part that must see it, the change)
MUTATIONS = [
    ("a learner's object is labelled", "export", lambda c: c.kubectl("label deployment web tier=fe")),
    ("a system object is labelled (not exported)", "objects",
     lambda c: c.kubectl("label service kube-dns -n kube-system tier=dns")),
    ("an object's resourceVersion alone", "objects", _restamp),
    ("a ClusterIP is taken", "allocators", lambda c: c.api.services.ips.allocate(c.core.service_ip(50))),
    ("a UDP NodePort is taken", "allocators", lambda c: c.api.services.node_ports["UDP"].allocate(30500)),
    ("the random source drew a number", "random", lambda c: c.core.random.random()),
    ("half a second passed", "clock", lambda c: setattr(c.core.clock, "now", c.core.clock.now + 0.5)),
    ("a timer was scheduled", "timers", lambda c: c.core.clock.call_later(30, lambda: None, label="test")),
    ("an event was recorded", "events", _event),
    ("a key waits in a controller's queue", "queues",
     lambda c: c.core.manager.enqueue(c.core.manager.controllers[0], ("default", "web"))),
    ("a node lost power", "nodes", lambda c: c.fail_node("kind-worker")),
    ("kindnet masquerades another pod range", "iptables",
     lambda c: setattr(c.core, "cluster_cidr", "10.245.0.0/16")),
]


def test_the_same_steps_give_the_same_state():
    """Determinism: two clusters built alike have byte-identical states (no ids, no wall clock inside)."""
    a, b = cluster_state(lab()), cluster_state(lab())
    assert state_bytes(a) == state_bytes(b)
    assert [part for part, _ in a] == list(PARTS)


def test_computing_the_state_changes_nothing():
    """The state function only reads: no settle, no random draw, no timer (so it cannot hide a change)."""
    c = lab()
    first = cluster_state(c)
    assert cluster_state(c) == first
    assert cluster_state(c) == first


@pytest.mark.parametrize("what, part, mutate", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_change_in_one_part_changes_the_state(what, part, mutate):
    before, c = cluster_state(lab()), lab()
    mutate(c)
    after = cluster_state(c)
    assert part in differing_parts(before, after), (what, differing_parts(before, after))
    assert state_bytes(before) != state_bytes(after)
    assert f"{part} changed:" in explain_difference(before, after)


def test_every_part_has_a_mutation():
    """The table covers every part of the state."""
    assert {part for _, part, _ in MUTATIONS} == set(PARTS)


def test_a_refusal_that_draws_from_the_seed_is_seen():
    """The issue's case: a refused command that drew a random number moves the next ClusterIP.

    Two clusters, one of which drew once from the random source, hand out
    different ClusterIPs to the same next Service: only the random part told
    them apart before that Service was created.
    """
    a, b = lab(), lab()
    b.core.random.getrandbits(32)
    assert differing_parts(cluster_state(a), cluster_state(b)) == ["random"]
    for c in (a, b):
        c.kubectl("create service clusterip db --tcp=5432")
    assert a.get("Service", "db").spec.cluster_ip != b.get("Service", "db").spec.cluster_ip


def test_assert_settled_fails_while_keys_wait():
    c = lab()
    assert_settled(c)
    c.core.manager.enqueue(c.core.manager.controllers[0], ("default", "web"))
    assert queued(c)
    with pytest.raises(AssertionError, match="controllers left with work queued"):
        assert_settled(c)
