"""The node lifecycle controller (kube-controller-manager), for failed nodes.

Mirrors ``pkg/controller/nodelifecycle``: a kubelet that stops posting status
is noticed after ``--node-monitor-grace-period`` (50 s since Kubernetes 1.32,
k/k PR #126287; 40 s before): ``tryUpdateNodeHealth`` sets the node's
``Ready``, ``MemoryPressure``, ``DiskPressure`` and ``PIDPressure`` conditions
to ``Unknown`` (reason ``NodeStatusUnknown``, "Kubelet stopped posting node
status."; ``NetworkUnavailable`` belongs to the network and is left alone),
it gets the ``node.kubernetes.io/unreachable`` taints (NoSchedule, NoExecute)
and its pods are marked not ready, so the EndpointSlice controller takes them
out of every Service at once. A pod stays on the node as long as it tolerates
the NoExecute taint, as its stored tolerations say: 300 s for an ordinary pod
(the DefaultTolerationSeconds admission plugin, ``apiserver.admission``, stored
a ``tolerationSeconds: 300`` toleration on every pod that had none), forever
for daemon pods and static pods, whose tolerations have no limit. Then it is
evicted (deleted), and its ReplicaSet creates a replacement on a healthy node.
The evicted pods stay ``Terminating`` until the node comes back, because only
its kubelet can confirm they stopped.

When no node is Ready at all, the controller does not trust what it sees
(``handleDisruption``: the zone's state is ``FullDisruption``, and with every
zone so it logs "Controller detected that all Nodes are not-Ready. Entering
master disruption mode"): it takes the NoExecute taints off every node
(``markNodeAsReachable``) and stops evicting, since the fault is more likely
its own network than every node at once. The NoSchedule taints stay. When a
node is Ready again it leaves that mode, and the nodes still down are tainted
NoExecute anew, their pods' tolerations counting from then.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.apiserver.admission import UNREACHABLE
from k8sedu.clock import Clock
from k8sedu.controllers.base import Controller, Result, Watch
from k8sedu.events import Recorder
from k8sedu.kubelet.nodestatus import HEALTHY
from k8sedu.objects import Taint

GRACE_PERIOD = 50.0  # --node-monitor-grace-period, 50 s since 1.32
# tryUpdateNodeHealth: Ready and these become Unknown; NetworkUnavailable is "managed on a control plane level"
UNKNOWN_WHEN_SILENT = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


def toleration_seconds(pod) -> Optional[float]:
    """How long ``pod`` stays on an unreachable node: None is forever, 0 is not at all.

    Reads the pod's stored tolerations as the taint eviction controller does
    (``GetMatchingTolerations``, then ``getMinTolerationTime``): the first
    toleration of the NoExecute unreachable taint decides; without a
    ``tolerationSeconds`` it is forever, without any such toleration the pod
    goes at once. Every pod created through the API server has one: its own,
    or the 300 s one of DefaultTolerationSeconds (``apiserver.admission``).

    Examples
    --------
    >>> from k8sedu.apiserver.admission import admit_pod
    >>> from k8sedu.objects import ObjectMeta, Pod, PodSpec
    >>> toleration_seconds(admit_pod(Pod(ObjectMeta())))  # as the API server stored it
    300.0
    >>> toleration_seconds(Pod(ObjectMeta()))  # stored without the admission plugin: not tolerated
    0.0
    >>> toleration_seconds(Pod(ObjectMeta(), PodSpec(tolerations=(Taint("", ""),))))  # a daemon pod
    """
    tolerations = [t for t in pod.spec.tolerations
                   if (not t.key or t.key == UNREACHABLE) and t.effect in ("", "NoExecute") and not t.value]
    if not tolerations:
        return 0.0
    seconds = tolerations[0].toleration_seconds
    return None if seconds is None else float(max(seconds, 0))


def _ready(node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)


def silent_conditions(conditions, now: float) -> tuple:
    """The node's conditions once its kubelet stopped posting status (``tryUpdateNodeHealth``)."""
    return tuple(dataclasses.replace(c, status="Unknown", reason="NodeStatusUnknown",
                                     message="Kubelet stopped posting node status.", last_transition_time=now)
                 if c.type in UNKNOWN_WHEN_SILENT and c.status != "Unknown" else c for c in conditions)


class NodeLifecycleController(Controller):
    name = "node-lifecycle-controller"

    def __init__(self, api: APIServer, clock: Clock, recorder: Recorder, evictions: Optional[Recorder] = None):
        self.api = api
        self.clock = clock
        self.recorder = recorder
        # since 1.29 (SeparateTaintEvictionController) the NoExecute evictions are kube-controller-manager's
        # taint-eviction-controller, which records its TaintManagerEviction events under its own name
        self.evictions = evictions or recorder
        self.silent_since: dict[str, float] = {}  # node -> when its kubelet stopped posting status
        self.tainted_at: dict[str, float] = {}  # node -> when it got the NoExecute unreachable taint
        self.full_disruption = False  # every node not Ready: no NoExecute taints, no evictions

    def watches(self) -> tuple[Watch, ...]:
        # new nodes are registered; failures are driven by missing heartbeats (timers), not by events
        return (Watch("Node", lambda e: (("", e.object.metadata.name),) if e.type == "ADDED" else ()),)

    def kubelet_stopped(self, node: str) -> None:
        self.silent_since[node] = self.clock.now
        self.clock.call_later(GRACE_PERIOD, lambda: self._check(node), label=f"{self.name} check {node}")

    def kubelet_resumed(self, node: str) -> None:
        self.silent_since.pop(node, None)
        self.tainted_at.pop(node, None)
        obj = self.api.get("Node", "", node)
        taints = tuple(t for t in obj.spec.taints if t.key != UNREACHABLE)
        now = self.clock.now
        conditions = tuple(dataclasses.replace(c, status=healthy, reason=reason, message=message,
                                               last_heartbeat_time=now, last_transition_time=now)
                           for c in obj.status.conditions for healthy, reason, message in [HEALTHY.get(
                               c.type, (c.status, c.reason, c.message))])
        self.api.update(dataclasses.replace(obj, spec=dataclasses.replace(obj.spec, taints=taints),
                                            status=dataclasses.replace(obj.status, conditions=conditions)))
        self.recorder.event(obj, "NodeReady", f"Node {node} status is now: NodeReady")
        self._handle_disruption()

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
        status = dataclasses.replace(obj.status, conditions=silent_conditions(obj.status.conditions, self.clock.now))
        self.api.update(dataclasses.replace(obj, spec=dataclasses.replace(obj.spec, taints=taints), status=status))
        self.recorder.event(obj, "NodeNotReady", f"Node {node} status is now: NodeNotReady")
        for pod in self.api.store.by_index("Pod", "node", node):
            self._mark_not_ready(pod)
        self._start_evictions(node)
        self._handle_disruption()

    def _start_evictions(self, node: str) -> None:
        """From now, evict each pod of ``node`` once its toleration of the NoExecute taint runs out."""
        self.tainted_at[node] = self.clock.now
        for delay in sorted({toleration_seconds(p) for p in self.api.store.by_index("Pod", "node", node)} - {None}):
            self.clock.call_later(delay, lambda: self._evict(node), label=f"{self.name} evict {node}")

    def _handle_disruption(self) -> None:
        """``handleDisruption`` for the one zone of the model's clusters: enter or leave full disruption."""
        nodes = self.api.list("Node")
        all_down = bool(nodes) and not any(_ready(n) for n in nodes)
        if all_down and not self.full_disruption:
            self.full_disruption = True  # "Entering master disruption mode": no NoExecute taints, no evictions
            for obj in nodes:
                taints = tuple(t for t in obj.spec.taints if not (t.key == UNREACHABLE and t.effect == "NoExecute"))
                if taints != obj.spec.taints:
                    self.api.update(dataclasses.replace(obj, spec=dataclasses.replace(obj.spec, taints=taints)))
        elif not all_down and self.full_disruption:
            self.full_disruption = False  # "Exiting master disruption mode": the nodes still down are tainted anew
            for obj in nodes:
                if obj.metadata.name in self.silent_since:
                    taints = obj.spec.taints + (Taint(UNREACHABLE, "NoExecute"),)
                    self.api.update(dataclasses.replace(obj, spec=dataclasses.replace(obj.spec, taints=taints)))
                    self._start_evictions(obj.metadata.name)

    def _mark_not_ready(self, pod) -> None:
        """``MarkPodsNotReady``: the Ready condition only goes False (ContainersReady stays what the kubelet said)."""
        conditions = tuple(dataclasses.replace(c, status="False", last_transition_time=self.clock.now)
                           if c.type == "Ready" and c.status != "False" else c for c in pod.status.conditions)
        if conditions != pod.status.conditions:
            self.api.update(dataclasses.replace(pod, status=dataclasses.replace(pod.status, conditions=conditions)))
            self.recorder.event(pod, "NodeNotReady", "Node is not ready", type="Warning")

    def _evict(self, node: str) -> None:
        tainted_at = self.tainted_at.get(node)
        if tainted_at is None or self.full_disruption:
            return  # the node came back in time, or every node is down and evictions stopped
        for pod in self.api.store.by_index("Pod", "node", node):
            seconds = toleration_seconds(pod)
            if pod.metadata.deletion_timestamp is None and seconds is not None \
                    and self.clock.now >= tainted_at + seconds:
                self.evictions.event(pod, "TaintManagerEviction",
                                    f"Marking for deletion Pod {pod.metadata.namespace}/{pod.metadata.name}")
                self.api.delete("Pod", pod.metadata.namespace, pod.metadata.name)
