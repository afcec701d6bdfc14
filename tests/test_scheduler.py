"""kube-scheduler on big clusters: the snapshot's answers are the node-by-node search's.

From 100 nodes up the scheduler searches only ``numFeasibleNodesToFind``
nodes from ``nextStartNodeIndex``, as kube-scheduler does. The model answers
that from per-shape candidate lists (``k8sedu.scheduler.snapshot``) instead
of walking the nodes; these tests hold it to the walk, pod by pod, and the
candidate lists to a brute-force search.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8sedu import Cluster
from k8sedu.apiserver import store as store_module
from k8sedu.scheduler import Scheduler, num_feasible_nodes_to_find
from k8sedu.scheduler.snapshot import Candidates, pick, tie_count


def deployment(name: str, replicas: int, node_selector: dict | None = None) -> dict:
    labels = {"app": name}
    spec = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": spec}}}


def placements(fast: bool, monkeypatch) -> dict[str, str]:
    """Every pod's node after a busy life on a 120-node cluster, with the snapshot on or off."""
    monkeypatch.setattr(Scheduler, "fast", fast)
    cluster = Cluster(nodes=120, seed=7)
    api = cluster.api
    workers = [n.metadata.name for n in api.list("Node")][1:]
    for name in workers[5:9]:
        cluster.kubectl(f"label node {name} disk=ssd")
    cordoned = api.get("Node", "", workers[11])
    api.update(dataclasses.replace(cordoned, spec=dataclasses.replace(cordoned.spec, unschedulable=True)))
    cluster.fail_node(workers[20])
    cluster.apply([deployment("web", 40), deployment("wide", 130), deployment("ssd", 6, {"disk": "ssd"}),
                   deployment("none", 2, {"disk": "nvme"})])
    cluster.advance(30)
    cluster.kubectl("scale deployment web --replicas=15")
    cluster.advance(10)
    cluster.recover_node(workers[20])
    cluster.kubectl("scale deployment web --replicas=60")
    cluster.kubectl("scale deployment wide --replicas=200")
    cluster.advance(30)
    for pod in cluster.pod_names({"app": "web"})[::7]:
        cluster.kubectl(f"delete pod {pod}")
    cluster.advance(30)
    return {p.metadata.name: p.spec.node_name for p in api.list("Pod", None)}


@pytest.mark.parametrize("log_limit", [200_000, 40])
def test_the_snapshot_places_every_pod_where_the_node_by_node_search_does(monkeypatch, log_limit):
    """Also when the store's change log is compacted under the snapshot (then it relists)."""
    walked = placements(False, monkeypatch)
    monkeypatch.setattr(store_module, "LOG_LIMIT", log_limit)
    fast = placements(True, monkeypatch)
    assert fast == walked
    assert sum(1 for node in fast.values() if not node) == 2  # the nvme pods stay Pending in both
    assert len(fast) >= 500


def brute(fits, counts, owned, start, wanted, max_pods):
    """The reference: walk from ``start``, keep the first ``wanted`` feasible, score by (owner pods, pods)."""
    total = len(fits)
    order = list(range(start, total)) + list(range(start))
    found, processed = [], 0
    for i in order:
        processed += 1
        if fits[i] and counts[i] < max_pods:
            found.append(i)
            if len(found) == wanted:
                break
    if len(found) < wanted:
        processed = total
    scores = {i: (owned.get(i, 0), counts[i]) for i in found}
    best = min(scores.values()) if scores else None
    return processed, [i for i in found if scores[i] == best], best


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_candidates_find_the_nodes_the_walk_finds(data):
    total = data.draw(st.integers(1, 60))
    max_pods = data.draw(st.integers(1, 6))
    fits = data.draw(st.lists(st.booleans(), min_size=total, max_size=total))
    counts = data.draw(st.lists(st.integers(0, max_pods), min_size=total, max_size=total))
    candidates = Candidates(list(fits), list(counts), max_pods)
    for _ in range(data.draw(st.integers(0, 10))):  # nodes change after the lists are built
        i = data.draw(st.integers(0, total - 1))
        fits[i], counts[i] = data.draw(st.booleans()), data.draw(st.integers(0, max_pods))
        candidates.set(i, fits[i], counts[i])
    owned = data.draw(st.dictionaries(st.integers(0, total - 1), st.integers(1, 3), max_size=total))
    start, wanted = data.draw(st.integers(0, total - 1)), data.draw(st.integers(1, total))
    processed, ties, best = brute(fits, counts, owned, start, wanted, max_pods)
    ranges, searched = candidates.search(start, wanted)
    assert searched == processed
    answer = candidates.best(ranges, owned)
    if best is None or best[0] > 0:
        assert answer is None  # nothing found, or only the owner's nodes: the walk decides
        return
    count, found = answer
    assert count == best[1]
    assert [pick(found, k) for k in range(tie_count(found))] == ties


def test_a_daemon_pod_pinned_to_its_node_leaves_the_search_start_where_it_was():
    """Visiting every node (fewer than numFeasibleNodesToFind fit) moves nextStartNodeIndex by the node count."""
    cluster = Cluster(nodes=150, seed=3)
    scheduler = next(c for c in cluster.core.manager.controllers if isinstance(c, Scheduler))
    assert num_feasible_nodes_to_find(150) == 100
    assert scheduler._next_start == 0  # 450 daemon pods placed, the search never moved
    cluster.apply([deployment("web", 3)])
    cluster.advance(10)
    assert scheduler._next_start == (3 * 101) % 150  # each search passes the tainted control plane once


@pytest.mark.parametrize("nodes", [0, -1, 5001])
def test_impossible_cluster_sizes_are_refused_in_words(nodes):
    with pytest.raises(ValueError, match="nodes"):
        Cluster(nodes=nodes)


def test_an_unschedulable_pod_says_so_in_its_podscheduled_condition_and_the_binding_sets_it_true():
    """``handleSchedulingFailure`` writes PodScheduled False, reason Unschedulable, the FitError as message (the
    status write does not send the pod round again: one FailedScheduling event); the binding sets it True."""
    cluster = Cluster(seed=3)
    cluster.apply(deployment("picky", 1, node_selector={"disk": "ssd"}))
    cluster.advance(5)
    [pod] = cluster.list("Pod", selector={"app": "picky"})
    [failed] = [e for e in cluster.events if e.reason == "FailedScheduling"]
    [condition] = pod.status.conditions
    assert (condition.type, condition.status, condition.reason) == ("PodScheduled", "False", "Unschedulable")
    assert condition.message == failed.message and failed.count == 1
    failed_at = condition.last_transition_time
    cluster.advance(10)
    cluster.kubectl("label node kind-worker disk=ssd")
    bound_at = cluster.now
    cluster.advance(10)
    [pod] = cluster.list("Pod", selector={"app": "picky"})
    scheduled = next(c for c in pod.status.conditions if c.type == "PodScheduled")
    assert (scheduled.status, scheduled.reason, scheduled.last_transition_time) == ("True", "", bound_at)
    assert bound_at > failed_at and pod.ready
