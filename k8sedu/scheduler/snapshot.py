"""kube-scheduler's node snapshot: what it knows of every node between two scheduling cycles.

The real scheduler keeps a cache of nodes and the pods bound to them, and
takes a snapshot of it at the start of each cycle (``pkg/scheduler/backend/cache``),
so filtering and scoring read per-node counts instead of listing pods. This
snapshot holds the same: the nodes in their order, how many pods each runs,
and each owner's nodes. It catches up from the store's change log, as an
informer resumed from a resourceVersion would, so it is current whenever the
scheduler asks.

``Candidates`` answers the default scheduler's question for one pod shape on
a big cluster in time logarithmic in the nodes: where the search that starts
at ``nextStartNodeIndex`` and stops after ``numFeasibleNodesToFind`` feasible
nodes ends, and which of those nodes score best. It gives the answer the
node-by-node search gives (same nodes, same order, so the same random draw).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Callable, Optional

from k8sedu.apiserver.store import Store
from k8sedu.objects import Node

MAX_SHAPES = 8  # Candidates kept at once; most clusters have two or three pod shapes


class Snapshot:
    """Nodes in order, pods per node and per owner; brought up to date from the store's change log."""

    def __init__(self, store: Store, owner_of: Callable[[object], str]):
        self._store = store
        self._owner_of = owner_of
        self._seen = 0  # the resourceVersion the snapshot reflects
        self.nodes: list[Node] = []
        self.position: dict[str, int] = {}
        self._pod_node: dict[tuple[str, str], tuple[str, str]] = {}  # pod key -> (node, owner) while bound
        self.owner_nodes: dict[str, dict[str, int]] = {}  # owner uid -> node -> pods of that owner there
        self.layout = 0  # bumped when nodes come or go (positions change)
        self.changed: set[str] = set()  # nodes whose Node or pod count changed since the last ``take_changed``

    def refresh(self) -> None:
        """Catch up with every write since the last refresh."""
        rv = self._store.resource_version
        if rv == self._seen:
            return
        pods, nodes = self._store.changed_since("Pod", self._seen), self._store.changed_since("Node", self._seen)
        if pods is None or nodes is None:  # the log was compacted past our last look: relist
            pods = [(p.metadata.namespace, p.metadata.name) for p in self._store.list("Pod")] + list(self._pod_node)
            nodes = [("", name) for name in self.position] + [("", n.metadata.name) for n in self._store.list("Node")]
        for key in dict.fromkeys(pods):
            self._pod_written(key)
        nodes = dict.fromkeys(name for _, name in nodes)
        self._seen = rv
        if any((self._store.try_get("Node", "", n) is None) != (n not in self.position) for n in nodes):
            self._relist()
            return
        for name in nodes:
            self.nodes[self.position[name]] = self._store.get("Node", "", name)
            self.changed.add(name)

    def _relist(self) -> None:
        self.nodes = self._store.list("Node")
        self.position = {n.metadata.name: i for i, n in enumerate(self.nodes)}
        self.layout += 1
        self.changed.clear()

    def _pod_written(self, key: tuple[str, str]) -> None:
        pod = self._store.try_get("Pod", *key)
        now = (pod.spec.node_name, self._owner_of(pod)) if pod is not None and pod.spec.node_name else None
        before = self._pod_node.pop(key, None)
        if before == now:
            if now is not None:
                self._pod_node[key] = now
            return
        if before is not None:
            node, owner = before
            on_node = self.owner_nodes[owner]
            on_node[node] -= 1
            if not on_node[node]:
                del on_node[node]
                if not on_node:
                    del self.owner_nodes[owner]
            self.changed.add(node)
        if now is not None:
            node, owner = now
            self._pod_node[key] = now
            on_node = self.owner_nodes.setdefault(owner, {})
            on_node[node] = on_node.get(node, 0) + 1
            self.changed.add(node)

    def take_changed(self) -> set[str]:
        changed, self.changed = self.changed, set()
        return changed


class Candidates:
    """For one pod shape: the nodes it fits (filters passed, fewer than ``max_pods`` pods), by position, and
    grouped by how many pods they run."""

    def __init__(self, fits: list[bool], counts: list[int], max_pods: int):
        self.fits, self.counts, self.max_pods = fits, counts, max_pods
        self.feasible = [i for i, ok in enumerate(fits) if ok and counts[i] < max_pods]
        self.buckets: dict[int, list[int]] = {}  # pod count -> positions of the feasible nodes with that count
        for i in self.feasible:
            self.buckets.setdefault(counts[i], []).append(i)

    def set(self, i: int, fits: bool, count: int) -> None:
        """Node ``i`` now passes the filters (or not) and runs ``count`` pods."""
        if self.fits[i] and self.counts[i] < self.max_pods:
            self.feasible.pop(bisect_left(self.feasible, i))
            bucket = self.buckets[self.counts[i]]
            bucket.pop(bisect_left(bucket, i))
            if not bucket:
                del self.buckets[self.counts[i]]
        self.fits[i], self.counts[i] = fits, count
        if fits and count < self.max_pods:
            insort(self.feasible, i)
            insort(self.buckets.setdefault(count, []), i)

    def search(self, start: int, wanted: int) -> tuple[list[tuple[int, int]], int]:
        """The positions the node-by-node search visits from ``start`` until ``wanted`` nodes fit, as ranges in
        visiting order, and how many nodes it processed."""
        total, feasible = len(self.fits), self.feasible
        first = bisect_left(feasible, start)
        after = len(feasible) - first
        if after >= wanted:
            end = feasible[first + wanted - 1]
            return [(start, end + 1)], end + 1 - start
        if len(feasible) >= wanted:
            end = feasible[wanted - after - 1]
            return [(start, total), (0, end + 1)], total - start + end + 1
        return [(start, total), (0, start)], total

    def best(self, ranges: list[tuple[int, int]], owned: dict[int, int]) -> Optional[tuple[int, list]]:
        """The lowest pod count among the feasible nodes in ``ranges`` that run none of the pod's owner's pods
        (``owned``: position -> count), and those nodes' positions in visiting order as (range, offsets, skip);
        None if every feasible node there runs one of the owner's pods (then the caller scores them all)."""
        for count in sorted(self.buckets):
            bucket = self.buckets[count]
            spans = [(bisect_left(bucket, lo), bisect_left(bucket, hi)) for lo, hi in ranges]
            if not any(b > a for a, b in spans):
                continue
            skip = [sorted((p for p in owned if lo <= p < hi and self.counts[p] == count and self.fits[p]),
                           key=lambda p: p) for lo, hi in ranges]
            if sum(b - a for a, b in spans) > sum(map(len, skip)):
                return count, [(bucket, a, b, set(s)) for (a, b), s in zip(spans, skip)]
        return None


def pick(ties: list, index: int) -> int:
    """The ``index``-th position among ``ties`` (from ``Candidates.best``) in visiting order."""
    for bucket, a, b, skip in ties:
        if not skip:
            if index < b - a:
                return bucket[a + index]
            index -= b - a
            continue
        for position in bucket[a:b]:
            if position in skip:
                continue
            if index == 0:
                return position
            index -= 1
    raise IndexError(index)


def tie_count(ties: list) -> int:
    return sum(b - a - len(skip) for _, a, b, skip in ties)
