"""kube-scheduler: binds each new pod to a node.

Mirrors the default scheduler's two phases. *Filter* drops nodes that cannot
take the pod (not Ready, cordoned, or tainted with a taint the pod does not
tolerate, like the control plane's ``NoSchedule``). *Score* prefers the node
with the fewest pods of the same owner, then the fewest pods overall (the
default topology-spread constraint spreads a ReplicaSet's pods across nodes);
ties are broken at random, as ``selectHost`` does, with the cluster's seeded
random source. Binding sets ``spec.nodeName``; the kubelet takes it from
there. A node holds at most the kubelet's ``maxPods`` (110); a pod no node
takes stays Pending with ``FitError``'s event: each node's first failing
filter, counted, then what preemption found (``0/3 nodes are available: 1
node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Too
many pods. preemption: 0/3 nodes are available: 1 Preemption is not helpful
for scheduling, 2 No preemption victims found for incoming pod.``). The model
has no priorities, so preemption never finds victims.

On 100 nodes or more it searches as kube-scheduler does: from where the
last search stopped (``nextStartNodeIndex``) until ``numFeasibleNodesToFind``
nodes fit (``percentageOfNodesToScore``'s adaptive default), and scores only
those. ``snapshot.py`` answers that search from per-node counts kept up to
date, as the scheduler's cache and snapshot do, instead of visiting the
nodes one by one; the answers are the same.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch
from k8sedu.events import Recorder
from k8sedu.kubelet import MAX_PODS
from k8sedu.objects import Node, Pod, PodCondition
from k8sedu.scheduler.snapshot import MAX_SHAPES, Candidates, Snapshot, pick, tie_count


def _owner_uid(pod: Pod) -> str:
    refs = pod.metadata.owner_references
    return refs[0].uid if refs else ""


def _node_of(pod: Pod):
    return (pod.spec.node_name,) if pod.spec.node_name else ()


def _node_and_owner(pod: Pod):
    return (f"{pod.spec.node_name}/{_owner_uid(pod)}",) if pod.spec.node_name else ()


def _unscheduled(event):
    """A pod to (try to) schedule: not bound, not leaving, and new or changed beyond its status (``isPodUpdated``
    strips the status: the scheduler's own PodScheduled condition does not send the pod round again)."""
    pod, old = event.object, event.old
    if event.type == "DELETED" or pod.spec.node_name or pod.metadata.deletion_timestamp is not None:
        return ()
    if old is not None and old.spec == pod.spec and old.metadata.labels == pod.metadata.labels \
            and old.metadata.annotations == pod.metadata.annotations:
        return ()
    return ((pod.metadata.namespace, pod.metadata.name),)


def with_condition(pod: Pod, condition: PodCondition) -> Pod:
    """``UpdatePodCondition``: set ``condition`` (its time now, or kept if its status is unchanged)."""
    conditions = list(pod.status.conditions)
    found = next((i for i, c in enumerate(conditions) if c.type == condition.type), None)
    if found is None:
        conditions.append(condition)
    else:
        if conditions[found].status == condition.status:
            condition = dataclasses.replace(condition, last_transition_time=conditions[found].last_transition_time)
        conditions[found] = condition
    return dataclasses.replace(pod, status=dataclasses.replace(pod.status, conditions=tuple(conditions)))


def _nodes_changed(scheduler: "Scheduler"):
    def to_keys(event):
        return tuple(scheduler.pending())
    return to_keys


UNSCHEDULABLE = "node.kubernetes.io/unschedulable"


def untolerated_taint(pod: Pod, node: Node):
    """The node's first NoSchedule/NoExecute taint the pod does not tolerate, or None."""
    hard = [t for t in node.spec.taints if t.effect in ("NoSchedule", "NoExecute")]
    return next((t for t in hard if not any((not tol.key or tol.key == t.key) and tol.effect in ("", t.effect)
                                            for tol in pod.spec.tolerations)), None)


def tolerates(pod: Pod, node: Node) -> bool:
    """True if the pod tolerates every NoSchedule/NoExecute taint of the node."""
    return untolerated_taint(pod, node) is None


# Filter plugins' reasons (pkg/scheduler/framework/plugins: nodeunschedulable, tainttoleration, nodeaffinity,
# noderesources/fit.go) and the preemption plugin's (framework/preemption/preemption.go).
UNSCHEDULABLE_REASON = "node(s) were unschedulable"
TAINT_REASON = "node(s) had untolerated taint"
NOT_READY = "node.kubernetes.io/not-ready"
AFFINITY_REASON = "node(s) didn't match Pod's node affinity/selector"
TOO_MANY_PODS = "Too many pods"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


def _histogram(reasons: list[str]) -> str:
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    return ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items()))


class _Shape:
    """What of a pod the placement filters read (tolerations, nodeSelector, affinity), hashed once."""

    __slots__ = ("value", "hashed")

    def __init__(self, value: tuple):
        self.value, self.hashed = value, hash(value)

    def __hash__(self) -> int:
        return self.hashed

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Shape) and self.hashed == other.hashed and self.value == other.value


_SHAPES: dict[_Shape, _Shape] = {}  # one instance per shape, so cache lookups compare by identity


def _shape(pod: Pod) -> _Shape:
    spec = pod.spec
    shape = _Shape((spec.tolerations, spec.node_selector, spec.affinity))
    if len(_SHAPES) > 10_000:
        _SHAPES.clear()
    return _SHAPES.setdefault(shape, shape)


MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def num_feasible_nodes_to_find(nodes: int) -> int:
    """kube-scheduler's ``numFeasibleNodesToFind`` with the default ``percentageOfNodesToScore`` (adaptive:
    50% - nodes/125, at least 5%, and at least 100 nodes).

    >>> num_feasible_nodes_to_find(3), num_feasible_nodes_to_find(150), num_feasible_nodes_to_find(5000)
    (3, 100, 500)
    """
    if nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return nodes
    percentage = max(50 - nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(nodes * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


def fit_error(reasons: list[str]) -> str:
    """``FitError.Error()``: every node's reason, counted and sorted, then the preemption plugin's verdict.

    Only resource shortages are worth preempting for (``Unschedulable``); the other filters'
    rejections are ``UnschedulableAndUnresolvable``.

    >>> fit_error([TAINT_REASON + " {node-role.kubernetes.io/control-plane: }", TOO_MANY_PODS, TOO_MANY_PODS])
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Too many pods. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.'
    """
    total = len(reasons)
    preemption = [NO_VICTIMS if r == TOO_MANY_PODS else NOT_HELPFUL for r in reasons]
    return (f"0/{total} nodes are available: {_histogram(reasons)}. "
            f"preemption: 0/{total} nodes are available: {_histogram(preemption)}.")


def _pinned_names(pod: Pod) -> Optional[set[str]]:
    """The node names a pod's ``matchFields`` on ``metadata.name`` allows (all requirements at once), or None."""
    fields = [set(r.values) for r in (pod.spec.affinity.node_match_fields if pod.spec.affinity else ())
              if r.key == "metadata.name" and r.operator == "In"]
    return set.intersection(*fields) if fields else None


def matches_node(pod: Pod, node: Node) -> bool:
    """True if the node passes the pod's ``nodeSelector`` and node affinity (``NodeAffinity`` filter plugin).

    The only affinity the model has is the one the DaemonSet controller
    writes: ``matchFields`` on ``metadata.name``, which pins a daemon pod to one node.
    """
    if any(node.metadata.labels.get(k) != v for k, v in pod.spec.node_selector.items()):
        return False
    fields = pod.spec.affinity.node_match_fields if pod.spec.affinity else ()
    return all(node.metadata.name in r.values for r in fields if r.key == "metadata.name" and r.operator == "In")


class Scheduler(Controller):
    name = "default-scheduler"
    fast = True  # use the snapshot's answers on big clusters (tests compare them with the reference search)

    def __init__(self, api: APIServer, recorder: Recorder, rng: random.Random):
        self.api = api
        self.recorder = recorder
        self.rng = rng
        self._pending: set[tuple[str, str]] = set()
        self._next_start = 0  # nextStartNodeIndex: where the next search for feasible nodes begins
        self._fits_cache: dict[tuple, Optional[str]] = {}  # (pod's scheduling shape, node, its version) -> reason
        self._snapshot = Snapshot(api.store, _owner_uid)
        self._candidates: dict[_Shape, tuple[int, Pod, Candidates]] = {}  # shape -> (snapshot layout, a pod, ...)
        api.store.add_index("Pod", "node", _node_of, namespaced=False)
        api.store.add_index("Pod", "node-owner", _node_and_owner, namespaced=False)

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Pod", _unscheduled), Watch("Node", _nodes_changed(self)))

    def pending(self) -> list[tuple[str, str]]:
        """Keys of the pods that found no node yet: a node change may help them."""
        return sorted(self._pending)

    def _remember(self, key) -> None:
        self._pending.add(key)

    def _forget(self, key) -> None:
        self._pending.discard(key)

    def reconcile(self, key) -> Optional[Result]:
        pod = self.api.try_get("Pod", *key)
        if pod is None or pod.spec.node_name or pod.metadata.deletion_timestamp is not None:
            self._forget(key)
            return None
        self._snapshot.refresh()
        every = self._snapshot.nodes
        node = self._schedule(pod, every)
        if node is None:
            self._remember(key)
            reasons = [self._filter(pod, n) for n in every]  # a FitError names every node's reason
            self.recorder.event(pod, "FailedScheduling", fit_error(reasons), type="Warning")
            failed = with_condition(pod, PodCondition("PodScheduled", "False", self.api.now(), "Unschedulable",
                                                      fit_error(reasons)))
            if failed.status != pod.status:
                self.api.update(failed)
            return None
        bound = with_condition(pod, PodCondition("PodScheduled", "True", self.api.now()))  # the binding sets it
        self.api.update(dataclasses.replace(bound, spec=dataclasses.replace(pod.spec, node_name=node.metadata.name)))
        self._forget(key)
        self.recorder.event(pod, "Scheduled", f"Successfully assigned {key[0]}/{key[1]} to {node.metadata.name}")
        return None

    def _schedule(self, pod: Pod, every: list[Node]) -> Optional[Node]:
        """The node the pod goes to, or None if none fits.

        On a cluster of 100 nodes or more the answer comes from the snapshot:
        a daemon pod pinned to its node looks at that node only, and any
        other pod asks its shape's ``Candidates``. Both give what the
        node-by-node search and scoring below give, which stays the
        reference (and the answer when every node found runs a pod of the
        same owner).
        """
        shape = _shape(pod)
        wanted = num_feasible_nodes_to_find(len(every))
        if wanted < len(every) and self.fast:
            pins = _pinned_names(pod)
            if pins is not None and len(pins) < wanted:
                nodes = self._pinned_feasible(pod, every, shape, pins)
                return self._best(pod, nodes) if nodes else None
            if pins is None:
                node = self._from_candidates(pod, every, shape, wanted)
                if node is not None:
                    return node
        nodes = self._feasible(pod, every)
        return self._best(pod, nodes) if nodes else None

    def _pinned_feasible(self, pod: Pod, every: list[Node], shape: "_Shape", pins: set[str]) -> list[Node]:
        """What the search finds for a pod only its pinned nodes can take: it visits every node (fewer than
        ``wanted`` fit), so the next search starts where this one did."""
        start = self._next_start % len(every)
        position = self._snapshot.position
        places = sorted((position[n] - start) % len(every) for n in pins if n in position)
        nodes = [every[(start + p) % len(every)] for p in places]
        return [n for n in nodes if self._filter(pod, n, shape) is None]

    def _from_candidates(self, pod: Pod, every: list[Node], shape: "_Shape", wanted: int) -> Optional[Node]:
        candidates = self._candidates_for(pod, shape, every)
        start = self._next_start % len(every)
        ranges, processed = candidates.search(start, wanted)
        position = self._snapshot.position
        owned = {position[n]: c for n, c in self._snapshot.owner_nodes.get(_owner_uid(pod), {}).items()}
        best = candidates.best(ranges, owned)
        if best is None:
            return None  # every node found runs a pod of the owner: the reference scoring decides
        self._next_start = (start + processed) % len(every)
        return every[pick(best[1], self.rng.choice(range(tie_count(best[1]))))]

    def _candidates_for(self, pod: Pod, shape: "_Shape", every: list[Node]) -> Candidates:
        """The shape's Candidates, brought up to date with the nodes that changed since the last pod."""
        snapshot = self._snapshot
        changed = snapshot.take_changed()
        for known, (layout, example, candidates) in list(self._candidates.items()):
            if layout != snapshot.layout:
                del self._candidates[known]
                continue
            for name in changed:
                i = snapshot.position[name]
                candidates.set(i, self._placement_cached(example, every[i], known) is None, self._pods_on(name))
        if shape not in self._candidates:
            if len(self._candidates) >= MAX_SHAPES:
                self._candidates.pop(next(iter(self._candidates)))
            fits = [self._placement_cached(pod, n, shape) is None for n in every]
            counts = [self._pods_on(n.metadata.name) for n in every]
            self._candidates[shape] = (snapshot.layout, pod, Candidates(fits, counts, MAX_PODS))
        return self._candidates[shape][2]

    def _pods_on(self, node: str) -> int:
        return self.api.store.index_count("Pod", "node", node)

    def _feasible(self, pod: Pod, every: list[Node]) -> list[Node]:
        """The nodes the pod fits, searched as ``findNodesThatPassFilters`` does: all of them below 100 nodes;
        on a bigger cluster, from where the last search stopped, until ``num_feasible_nodes_to_find`` fit."""
        wanted = num_feasible_nodes_to_find(len(every))
        shape = _shape(pod)
        if wanted >= len(every):
            return [n for n in every if self._filter(pod, n, shape) is None]
        start = self._next_start % len(every)
        found, processed = [], 0
        for node in every[start:] + every[:start]:
            processed += 1
            if self._filter(pod, node, shape) is None:
                found.append(node)
                if len(found) == wanted:
                    break
        self._next_start = (start + processed) % len(every)
        return found

    def _filter(self, pod: Pod, node: Node, shape: Optional["_Shape"] = None) -> Optional[str]:
        """The first filter plugin that rejects ``node``, as its reason; None if the pod fits."""
        reason = self._placement_cached(pod, node, _shape(pod) if shape is None else shape)
        if reason is None and self.api.store.index_count("Pod", "node", node.metadata.name) + 1 > MAX_PODS:
            return TOO_MANY_PODS  # NodeResourcesFit: the kubelet's maxPods
        return reason

    def _placement_cached(self, pod: Pod, node: Node, shape: "_Shape") -> Optional[str]:
        """``_placement``, remembered per pod shape and node version (pods of one template share the answer, as
        kube-scheduler's per-node snapshot lets it avoid recomputing); bounded, cleared when full."""
        key = (shape, node.metadata.name, node.metadata.resource_version)
        if key not in self._fits_cache:
            if len(self._fits_cache) > 200_000:
                self._fits_cache.clear()
            self._fits_cache[key] = self._placement(pod, node)
        return self._fits_cache[key]

    @staticmethod
    def _fits(pod: Pod, node: Node) -> bool:
        """True if ``node`` passes every filter but the resource one (which counts the node's pods)."""
        return Scheduler._placement(pod, node) is None

    @staticmethod
    def _placement(pod: Pod, node: Node) -> Optional[str]:
        # NodeUnschedulable: a cordoned node takes only pods that tolerate its taint (daemon pods do)
        cordoned = node.spec.unschedulable and not any(
            (not t.key or t.key == UNSCHEDULABLE) and t.effect in ("", "NoSchedule") for t in pod.spec.tolerations)
        if cordoned:
            return UNSCHEDULABLE_REASON
        if not node.ready or node.spec.pod_cidr == "":  # the node lifecycle controller's not-ready taint
            return f"{TAINT_REASON} {{{NOT_READY}: }}"
        untolerated = untolerated_taint(pod, node)
        if untolerated is not None:
            return f"{TAINT_REASON} {{{untolerated.key}: {untolerated.value}}}"
        if not matches_node(pod, node):
            return AFFINITY_REASON
        return None

    def _best(self, pod: Pod, nodes: list[Node]) -> Node:
        owner = _owner_uid(pod)
        count = self.api.store.index_count

        def score(node: Node) -> tuple[int, int]:
            name = node.metadata.name
            return (count("Pod", "node-owner", f"{name}/{owner}"), count("Pod", "node", name))

        scores = {n.metadata.name: score(n) for n in nodes}
        best = min(scores.values())
        return self.rng.choice([n for n in nodes if scores[n.metadata.name] == best])
