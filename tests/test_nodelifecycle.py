"""A node whose kubelet stops posting status, as the node lifecycle controller of 1.32 handles it.

Sources: k/k ``pkg/controller/nodelifecycle/node_lifecycle_controller.go`` ``tryUpdateNodeHealth``
(Ready, MemoryPressure, DiskPressure, PIDPressure -> Unknown, reason ``NodeStatusUnknown``, message
"Kubelet stopped posting node status."; NetworkUnavailable "managed on a control plane level" is left
alone), k/k PR #126287 (``--node-monitor-grace-period`` 50 s from 1.32), the DefaultTolerationSeconds
admission plugin (``tolerationSeconds: 300`` for pods with no unreachable toleration),
``pkg/kubelet/config/common.go`` (static pods tolerate every NoExecute taint) and
``pkg/kubelet/nodestatus/setters.go`` (a healthy node's reasons and messages).
"""

import random

import pytest

from k8sedu.apiserver.admission import admit_pod
from k8sedu.controllers.nodelifecycle import GRACE_PERIOD, silent_conditions, toleration_seconds
from k8sedu.core import Core
from k8sedu.kubectl import run
from k8sedu.objects import NodeCondition, ObjectMeta, Pod, PodSpec, Taint

HEALTHY = [
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
]
SILENT = "Kubelet stopped posting node status."


def conditions(node):
    return [(c.type, c.status, c.reason, c.message) for c in node.status.conditions]


@pytest.fixture
def core():
    core = Core(nodes=3, rng=random.Random(7))
    run(core, "create deployment web --image=nginx:1.27 --replicas=4")
    core.advance(30)
    return core


def test_a_healthy_kind_node_reports_the_kubelet_s_four_conditions(core):
    assert conditions(core.api.get("Node", "", "kind-worker")) == HEALTHY


def test_the_grace_period_is_50_seconds():
    assert GRACE_PERIOD == 50.0


def test_after_the_grace_period_the_four_conditions_are_unknown_and_the_node_is_tainted(core):
    core.fail_node("kind-worker")
    core.advance(49)
    assert core.api.get("Node", "", "kind-worker").ready
    core.advance(1)
    node = core.api.get("Node", "", "kind-worker")
    assert conditions(node) == [(t, "Unknown", "NodeStatusUnknown", SILENT) for t, *_ in HEALTHY]
    assert [(t.key, t.effect) for t in node.spec.taints] == [
        ("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")]
    assert all(c.last_transition_time == core.now for c in node.status.conditions)


def test_network_unavailable_is_left_alone():
    kept = NodeCondition("NetworkUnavailable", "False", "RouteCreated", "RouteController created a route")
    after = silent_conditions((NodeCondition("Ready", "True", "KubeletReady"), kept), 60.0)
    assert after[1] == kept and after[0].status == "Unknown"


@pytest.mark.parametrize("tolerations, seconds", [
    ((), 300.0),                                                          # DefaultTolerationSeconds
    ((Taint("node.kubernetes.io/unreachable", "NoExecute", toleration_seconds=60),), 60.0),
    ((Taint("", "NoExecute"),), None),                                    # a static pod: forever
    ((Taint("", ""),), None),                                             # kube-proxy, kindnet
    ((Taint("node.kubernetes.io/unreachable", "NoExecute"),), None),      # the DaemonSet controller's
    ((Taint("node-role.kubernetes.io/control-plane", "NoSchedule"),), 300.0),  # CoreDNS: not this taint
])
def test_how_long_a_pod_stays_on_an_unreachable_node(tolerations, seconds):
    """A pod declaring ``tolerations``, as the API server stores it (DefaultTolerationSeconds applied)."""
    assert toleration_seconds(admit_pod(Pod(ObjectMeta(), PodSpec(tolerations=tolerations)))) == seconds


def test_ordinary_pods_are_evicted_300_s_after_the_taint_daemon_pods_stay(core):
    on_node = lambda: {p.metadata.name: p for p in core.api.store.by_index("Pod", "node", "kind-worker")}
    web = [n for n in on_node() if n.startswith("web-")]
    daemons = sorted(n for n in on_node() if n.startswith(("kube-proxy-", "kindnet-")))
    assert web and len(daemons) == 2
    core.fail_node("kind-worker")
    core.advance(GRACE_PERIOD + 299)
    assert all(on_node()[n].metadata.deletion_timestamp is None for n in web)
    core.advance(1)
    assert all(on_node()[n].metadata.deletion_timestamp is not None for n in web)
    assert all(on_node()[n].metadata.deletion_timestamp is None for n in daemons)
    # the taint-eviction-controller (separate from node-controller since 1.29) marks them, under its own name
    evictions = [e for e in core.events if e.reason == "TaintManagerEviction"]
    assert {e.component for e in evictions} == {"taint-eviction-controller"} and len(evictions) == len(web)
    core.advance(600)
    assert all(on_node()[n].metadata.deletion_timestamp is None for n in daemons)


def test_the_node_comes_back_healthy(core):
    core.fail_node("kind-worker")
    core.advance(60)
    core.recover_node("kind-worker")
    node = core.api.get("Node", "", "kind-worker")
    assert conditions(node) == HEALTHY and node.spec.taints == ()


def test_pods_on_a_silent_node_are_marked_not_ready_in_their_ready_condition_only(core):
    """``MarkPodsNotReady`` sets the Ready condition False (its time now); ContainersReady stays the kubelet's."""
    core.fail_node("kind-worker")
    core.advance(GRACE_PERIOD + 1)
    pods = [p for p in core.api.store.by_index("Pod", "node", "kind-worker") if p.metadata.name.startswith("web-")]
    assert pods
    for pod in pods:
        by_type = {c.type: c for c in pod.status.conditions}
        assert by_type["Ready"].status == "False" and by_type["ContainersReady"].status == "True"
        assert core.now - 1 <= by_type["Ready"].last_transition_time <= core.now
