"""kube-scheduler: binds each new pod to a node.

Mirrors the default scheduler's two phases. *Filter* drops nodes that cannot
take the pod (not Ready, cordoned, or tainted with a taint the pod does not
tolerate, like the control plane's ``NoSchedule``). *Score* prefers the node
with the fewest pods of the same owner, then the fewest pods overall (the
default topology-spread constraint spreads a ReplicaSet's pods across nodes);
ties are broken at random, as ``selectHost`` does, with the cluster's seeded
random source. Binding sets ``spec.nodeName``; the kubelet takes it from
there.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch
from k8sedu.events import Recorder
from k8sedu.objects import Node, Pod


def _owner_uid(pod: Pod) -> str:
    refs = pod.metadata.owner_references
    return refs[0].uid if refs else ""


def _node_of(pod: Pod):
    return (pod.spec.node_name,) if pod.spec.node_name else ()


def _node_and_owner(pod: Pod):
    return (f"{pod.spec.node_name}/{_owner_uid(pod)}",) if pod.spec.node_name else ()


def _unscheduled(event):
    pod = event.object
    if event.type != "DELETED" and not pod.spec.node_name and pod.metadata.deletion_timestamp is None:
        return ((pod.metadata.namespace, pod.metadata.name),)
    return ()


def _nodes_changed(scheduler: "Scheduler"):
    def to_keys(event):
        return tuple(scheduler.pending())
    return to_keys


UNSCHEDULABLE = "node.kubernetes.io/unschedulable"


def tolerates(pod: Pod, node: Node) -> bool:
    """True if the pod tolerates every NoSchedule/NoExecute taint of the node."""
    hard = [t for t in node.spec.taints if t.effect in ("NoSchedule", "NoExecute")]
    return all(any((not tol.key or tol.key == t.key) and tol.effect in ("", t.effect) for tol in pod.spec.tolerations)
               for t in hard)


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

    def __init__(self, api: APIServer, recorder: Recorder, rng: random.Random):
        self.api = api
        self.recorder = recorder
        self.rng = rng
        self._pending: set[tuple[str, str]] = set()
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
        nodes = [n for n in self.api.list("Node") if self._fits(pod, n)]
        if not nodes:
            self._remember(key)
            total = self.api.store.count("Node")
            self.recorder.event(pod, "FailedScheduling",
                                f"0/{total} nodes are available: no node fits the pod.", type="Warning")
            return None
        node = self._best(pod, nodes)
        self.api.update(dataclasses.replace(pod, spec=dataclasses.replace(pod.spec, node_name=node.metadata.name)))
        self._forget(key)
        self.recorder.event(pod, "Scheduled", f"Successfully assigned {key[0]}/{key[1]} to {node.metadata.name}")
        return None

    @staticmethod
    def _fits(pod: Pod, node: Node) -> bool:
        # NodeUnschedulable: a cordoned node takes only pods that tolerate its taint (daemon pods do)
        cordoned = node.spec.unschedulable and not any(
            (not t.key or t.key == UNSCHEDULABLE) and t.effect in ("", "NoSchedule") for t in pod.spec.tolerations)
        return (node.ready and not cordoned and node.spec.pod_cidr != "" and tolerates(pod, node)
                and matches_node(pod, node))

    def _best(self, pod: Pod, nodes: list[Node]) -> Node:
        owner = _owner_uid(pod)
        count = self.api.store.index_count

        def score(node: Node) -> tuple[int, int]:
            name = node.metadata.name
            return (count("Pod", "node-owner", f"{name}/{owner}"), count("Pod", "node", name))

        scores = {n.metadata.name: score(n) for n in nodes}
        best = min(scores.values())
        return self.rng.choice([n for n in nodes if scores[n.metadata.name] == best])
