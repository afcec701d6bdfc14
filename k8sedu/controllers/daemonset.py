"""The DaemonSet controller (kube-controller-manager).

Mirrors ``pkg/controller/daemon``: a DaemonSet wants one pod of its template
on every node that fits it (``NodeShouldRunDaemonPod``: the template's
``nodeSelector`` matches the node's labels and the pod tolerates the node's
NoSchedule/NoExecute taints). For each node missing its pod the controller
creates one, named by ``generateName`` (``<daemonset>-`` plus 5 random
characters, as ``kube-proxy-7x2bq``), with event ``SuccessfulCreate``. Since
Kubernetes 1.12 it does not bind the pod itself: it pins the pod to its node
with a node affinity on ``metadata.name`` (``ReplaceDaemonSetPodNodeNameNodeAffinity``)
and lets the default scheduler bind it. It also adds the tolerations every
daemon pod gets (``AddOrUpdateDaemonPodTolerations``), so a daemon pod is not
evicted from a node that becomes unreachable and still lands on a node under
pressure. Status carries the ``kubectl get ds`` counts.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch, own_key, owner_keys
from k8sedu.events import Recorder
from k8sedu.objects import (Affinity, DaemonSet, DaemonSetStatus, Node, NodeSelectorRequirement, ObjectMeta,
                            OwnerReference, Pod, Taint, frozen)

# AddOrUpdateDaemonPodTolerations (pkg/controller/daemon/util/daemonset_util.go), in its order.
DAEMON_TOLERATIONS = (
    Taint("node.kubernetes.io/not-ready", "NoExecute"),
    Taint("node.kubernetes.io/unreachable", "NoExecute"),
    Taint("node.kubernetes.io/disk-pressure", "NoSchedule"),
    Taint("node.kubernetes.io/memory-pressure", "NoSchedule"),
    Taint("node.kubernetes.io/pid-pressure", "NoSchedule"),
    Taint("node.kubernetes.io/unschedulable", "NoSchedule"),
)
HOST_NETWORK_TOLERATION = Taint("node.kubernetes.io/network-unavailable", "NoSchedule")


def tolerates_taint(tolerations, taint: Taint) -> bool:
    """True if one of ``tolerations`` tolerates ``taint`` (an empty key tolerates every taint).

    Examples
    --------
    >>> tolerates_taint((Taint("", ""),), Taint("node-role.kubernetes.io/control-plane", "NoSchedule"))
    True
    >>> tolerates_taint((Taint("gpu", "NoExecute"),), Taint("gpu", "NoSchedule"))
    False
    """
    return any((not t.key or t.key == taint.key) and t.effect in ("", taint.effect) for t in tolerations)


def should_run(ds: DaemonSet, node: Node) -> bool:
    """Whether ``node`` should run a pod of ``ds`` (``NodeShouldRunDaemonPod``, without resources)."""
    spec = ds.spec.template.spec
    if spec.node_selector and not all(node.metadata.labels.get(k) == v for k, v in spec.node_selector.items()):
        return False
    hard = [t for t in node.spec.taints if t.effect in ("NoSchedule", "NoExecute")]
    return all(tolerates_taint(spec.tolerations, t) for t in hard)


def daemon_tolerations(existing: tuple[Taint, ...], host_network: bool) -> tuple[Taint, ...]:
    """The template's tolerations plus the ones every daemon pod gets (each added once)."""
    extra = DAEMON_TOLERATIONS + ((HOST_NETWORK_TOLERATION,) if host_network else ())
    have = {(t.key, t.effect) for t in existing}
    return existing + tuple(t for t in extra if (t.key, t.effect) not in have)


def node_affinity(node: str) -> Affinity:
    """Pin a pod to ``node``: ``matchFields: [{key: metadata.name, operator: In, values: [node]}]``."""
    return Affinity((NodeSelectorRequirement("metadata.name", "In", (node,)),))


def pinned_node(pod: Pod) -> str:
    """The node a daemon pod is pinned to by its node affinity, or ''."""
    if pod.spec.affinity is None:
        return pod.spec.node_name
    return next((r.values[0] for r in pod.spec.affinity.node_match_fields
                 if r.key == "metadata.name" and r.operator == "In" and r.values), "")


class DaemonSetController(Controller):
    """Keeps one pod of each DaemonSet on every node that should run it.

    A sync looks only at the nodes whose Node, or a pod of the DaemonSet
    there, was written since the last sync (the store's change log, as a
    watch resumed from a resourceVersion reads it), and keeps the status
    counts node by node, so a node joining a 5,000-node cluster costs the
    same as one joining a 3-node cluster. A new DaemonSet, a new generation
    of one, or a change log that no longer reaches back that far gets the
    full sync over every node, as ``manage()`` does. Both give the same
    result: a node nothing touched needs nothing.
    """

    name = "daemonset-controller"

    def __init__(self, api: APIServer, recorder: Recorder):
        self.api = api
        self.recorder = recorder
        # should_run per (DaemonSet uid and generation, node and its version), and each daemon pod's node
        self._runs: dict[tuple, bool] = {}
        self._pinned: dict[str, str] = {}
        self._synced: dict[tuple[str, str], tuple[str, int, int]] = {}  # key -> (uid, generation, resourceVersion)
        self._tallies: dict[tuple[str, str], _Tally] = {}  # key -> its pods on the nodes that should run one
        self._pod_nodes: dict[tuple[str, str], dict[str, str]] = {}  # key -> pod name -> its node, for deletions
        api.store.add_index("Pod", "daemon-node", self._daemon_node)

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("DaemonSet", own_key), Watch("Pod", owner_keys("DaemonSet")),
                Watch("Node", self._every_daemonset))

    def _every_daemonset(self, event) -> tuple:
        return tuple((d.metadata.namespace, d.metadata.name) for d in self.api.list("DaemonSet"))

    def _daemon_node(self, pod: Pod):
        """Index value ``<DaemonSet uid>/<node>`` of a daemon pod (pods of other owners are not indexed)."""
        return tuple(f"{ref.uid}/{self._pinned_node(pod)}" for ref in pod.metadata.owner_references
                     if ref.kind == "DaemonSet" and ref.controller)

    def reconcile(self, key) -> Optional[Result]:
        ds = self.api.try_get("DaemonSet", *key)
        if ds is None or ds.metadata.deletion_timestamp is not None:
            for state in (self._synced, self._tallies, self._pod_nodes):
                state.pop(key, None)
            return None
        uid, generation, rv = ds.metadata.uid, ds.metadata.generation, self.api.store.resource_version
        synced = self._synced.get(key)
        touched = self._touched(key, uid, synced[2]) if synced and synced[:2] == (uid, generation) else None
        if touched is None:
            self._sync_all(key, ds)
        else:
            self._sync_nodes(key, ds, sorted(touched))
        self._synced[key] = (uid, generation, rv)
        self._write_status(ds, self._tallies[key])
        return None

    def _touched(self, key, uid: str, since: int) -> Optional[set[str]]:
        """The nodes whose Node or daemon pod was written after ``since``; None if the change log starts later."""
        store = self.api.store
        nodes, pods = store.changed_since("Node", since), store.changed_since("Pod", since)
        if nodes is None or pods is None:
            return None
        touched = {name for _, name in nodes}
        pod_nodes = self._pod_nodes[key]
        for namespace, name in dict.fromkeys(pods):
            if namespace != key[0]:
                continue
            if name in pod_nodes:
                touched.add(pod_nodes.pop(name))
            pod = store.try_get("Pod", namespace, name)
            if pod is not None and any(r.uid == uid and r.controller for r in pod.metadata.owner_references):
                pod_nodes[name] = self._pinned_node(pod)
                touched.add(pod_nodes[name])
        return touched

    def _sync_all(self, key, ds: DaemonSet) -> None:
        """The full sync: every node, every pod of the DaemonSet."""
        pods = [p for p in self.api.store.owned_by("Pod", key[0], ds.metadata.uid)
                if p.metadata.deletion_timestamp is None]
        by_node = {self._pinned_node(p): p for p in pods}
        wanted = [n for n in self.api.list("Node") if self._should_run(ds, n)]
        for node in wanted:
            if node.metadata.name not in by_node:
                by_node[node.metadata.name] = self._create_pod(ds, node.metadata.name)
        names = {n.metadata.name for n in wanted}
        for node, pod in sorted(by_node.items()):
            if node not in names:
                self._delete_pod(ds, pod)
        self._tallies[key] = _Tally({n: _counted(p) for n, p in by_node.items() if n in names})
        self._pod_nodes[key] = {p.metadata.name: n for n, p in by_node.items()}
        self._pod_nodes[key].update((p.metadata.name, self._pinned_node(p)) for p in pods)

    def _sync_nodes(self, key, ds: DaemonSet, nodes: list[str]) -> None:
        """The sync of the nodes an event touched, in the full sync's order: creations, then deletions."""
        tally = self._tallies[key]
        stale = []
        for name in nodes:
            pods = [p for p in self.api.store.by_index("Pod", "daemon-node", f"{ds.metadata.uid}/{name}", key[0])
                    if p.metadata.deletion_timestamp is None]
            node = self.api.try_get("Node", "", name)
            if node is not None and self._should_run(ds, node):
                tally.set(name, _counted(pods[-1] if pods else self._create_pod(ds, name)))
                continue
            tally.pop(name)
            if pods:
                stale.append(pods[-1])
        for pod in stale:
            self._delete_pod(ds, pod)

    def _delete_pod(self, ds: DaemonSet, pod: Pod) -> None:
        self.api.delete("Pod", pod.metadata.namespace, pod.metadata.name)
        self.recorder.event(ds, "SuccessfulDelete", f"Deleted pod: {pod.metadata.name}")

    def _should_run(self, ds: DaemonSet, node: Node) -> bool:
        key = (ds.metadata.uid, ds.metadata.generation, node.metadata.name, node.metadata.resource_version)
        found = self._runs.get(key)
        if found is None:
            if len(self._runs) > 200_000:
                self._runs.clear()
            found = self._runs[key] = should_run(ds, node)
        return found

    def _pinned_node(self, pod: Pod) -> str:
        """``pinned_node``, remembered per pod uid once it names a node (a daemon pod's affinity never changes)."""
        found = self._pinned.get(pod.metadata.uid)
        if found is None:
            found = pinned_node(pod)
            if found:
                if len(self._pinned) > 200_000:
                    self._pinned.clear()
                self._pinned[pod.metadata.uid] = found
        return found

    def _create_pod(self, ds: DaemonSet, node: str) -> Pod:
        template = ds.spec.template
        owner = OwnerReference("apps/v1", "DaemonSet", ds.metadata.name, ds.metadata.uid)
        labels = frozen({**template.metadata.labels, "pod-template-generation": str(max(ds.metadata.generation, 1))})
        spec = dataclasses.replace(template.spec, affinity=node_affinity(node),
                                   tolerations=daemon_tolerations(template.spec.tolerations,
                                                                  template.spec.host_network))
        meta = ObjectMeta(generate_name=f"{ds.metadata.name}-", namespace=ds.metadata.namespace, labels=labels,
                          owner_references=(owner,))
        pod = self.api.create(Pod(meta, spec))
        self._pod_nodes.setdefault((ds.metadata.namespace, ds.metadata.name), {})[pod.metadata.name] = node
        self.recorder.event(ds, "SuccessfulCreate", f"Created pod: {pod.metadata.name}")
        return pod

    def _write_status(self, ds: DaemonSet, tally: "_Tally") -> None:
        scheduled, ready = tally.scheduled, tally.ready
        status = DaemonSetStatus(current_number_scheduled=scheduled, desired_number_scheduled=len(tally.nodes),
                                 number_ready=ready, observed_generation=ds.metadata.generation,
                                 updated_number_scheduled=scheduled, number_available=ready)
        if status != ds.status:
            self.api.update(dataclasses.replace(ds, status=status))


def _counted(pod: Pod) -> tuple[bool, bool]:
    """What a daemon pod adds to its DaemonSet's status: (scheduled, ready and scheduled)."""
    scheduled = bool(pod.spec.node_name)
    return scheduled, scheduled and pod.ready


class _Tally:
    """A DaemonSet's pods on the nodes that should run one, node by node, with the status counts kept current."""

    def __init__(self, nodes: dict[str, tuple[bool, bool]]):
        self.nodes = nodes
        self.scheduled = sum(1 for s, _ in nodes.values() if s)
        self.ready = sum(1 for _, r in nodes.values() if r)

    def set(self, node: str, counted: tuple[bool, bool]) -> None:
        self.pop(node)
        self.nodes[node] = counted
        self.scheduled += counted[0]
        self.ready += counted[1]

    def pop(self, node: str) -> None:
        old = self.nodes.pop(node, None)
        if old is not None:
            self.scheduled -= old[0]
            self.ready -= old[1]
