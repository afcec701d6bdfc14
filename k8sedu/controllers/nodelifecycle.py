"""The node lifecycle controller (kube-controller-manager), for failed nodes.

Mirrors ``pkg/controller/nodelifecycle``: a kubelet that stops posting status
is noticed after ``--node-monitor-grace-period`` (40 s): the node's Ready
condition becomes ``Unknown``, it gets the ``node.kubernetes.io/unreachable``
taints (NoSchedule, NoExecute) and its pods are marked not ready, so the
EndpointSlice controller takes them out of every Service at once. Pods
tolerate the NoExecute taint for 300 s (the default toleration the API server
adds); after that they are evicted (deleted), and their ReplicaSets create
replacements on healthy nodes. The evicted pods stay ``Terminating`` until
the node comes back, because only its kubelet can confirm they stopped.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.clock import Clock
from k8sedu.controllers.base import Controller, Result, Watch
from k8sedu.events import Recorder
from k8sedu.objects import NodeCondition, PodCondition, Taint

GRACE_PERIOD = 40.0  # --node-monitor-grace-period
EVICTION_AFTER = 300.0  # tolerationSeconds of the default not-ready/unreachable tolerations
UNREACHABLE = "node.kubernetes.io/unreachable"


class NodeLifecycleController(Controller):
    name = "node-lifecycle-controller"

    def __init__(self, api: APIServer, clock: Clock, recorder: Recorder):
        self.api = api
        self.clock = clock
        self.recorder = recorder
        self.silent_since: dict[str, float] = {}  # node -> when its kubelet stopped posting status

    def watches(self) -> tuple[Watch, ...]:
        # new nodes are registered; failures are driven by missing heartbeats (timers), not by events
        return (Watch("Node", lambda e: (("", e.object.metadata.name),) if e.type == "ADDED" else ()),)

    def kubelet_stopped(self, node: str) -> None:
        self.silent_since[node] = self.clock.now
        self.clock.call_later(GRACE_PERIOD, lambda: self._check(node), label=f"{self.name} check {node}")

    def kubelet_resumed(self, node: str) -> None:
        self.silent_since.pop(node, None)
        obj = self.api.get("Node", "", node)
        taints = tuple(t for t in obj.spec.taints if t.key != UNREACHABLE)
        self.api.update(dataclasses.replace(obj, spec=dataclasses.replace(obj.spec, taints=taints),
                                            status=dataclasses.replace(obj.status, conditions=(
                                                NodeCondition("Ready", "True"),))))
        self.recorder.event(obj, "NodeReady", f"Node {node} status is now: NodeReady")

    def reconcile(self, key) -> Optional[Result]:
        """Record that a new node joined, as the controller's first sight of it does."""
        node = self.api.try_get("Node", "", key[1])
        if node is not None:
            self.recorder.event(node, "RegisteredNode",
                                f"Node {key[1]} event: Registered Node {key[1]} in Controller")
        return None

    def _check(self, node: str) -> None:
        since = self.silent_since.get(node)
        if since is None or self.clock.now - since < GRACE_PERIOD:
            return
        obj = self.api.get("Node", "", node)
        taints = obj.spec.taints + (Taint(UNREACHABLE, "NoSchedule"), Taint(UNREACHABLE, "NoExecute"))
        status = dataclasses.replace(obj.status, conditions=(NodeCondition("Ready", "Unknown"),))
        self.api.update(dataclasses.replace(obj, spec=dataclasses.replace(obj.spec, taints=taints), status=status))
        self.recorder.event(obj, "NodeNotReady", f"Node {node} status is now: NodeNotReady")
        for pod in self.api.store.by_index("Pod", "node", node):
            self._mark_not_ready(pod)
        self.clock.call_later(EVICTION_AFTER, lambda: self._evict(node, since), label=f"{self.name} evict {node}")

    def _mark_not_ready(self, pod) -> None:
        conditions = tuple(PodCondition(c.type, "False") if c.type in ("Ready", "ContainersReady") else c
                           for c in pod.status.conditions)
        if conditions != pod.status.conditions:
            self.api.update(dataclasses.replace(pod, status=dataclasses.replace(pod.status, conditions=conditions)))
            self.recorder.event(pod, "NodeNotReady", "Node is not ready", type="Warning")

    def _evict(self, node: str, since: float) -> None:
        if self.silent_since.get(node) != since:
            return  # the node came back in time
        for pod in self.api.store.by_index("Pod", "node", node):
            if pod.metadata.deletion_timestamp is None:
                self.recorder.event(pod, "TaintManagerEviction",
                                    f"Marking for deletion Pod {pod.metadata.namespace}/{pod.metadata.name}")
                self.api.delete("Pod", pod.metadata.namespace, pod.metadata.name)
