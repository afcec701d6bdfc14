"""The DaemonSet controller alone: preload nodes and a DaemonSet, call reconcile, assert on the writes.

Source: k/k ``pkg/controller/daemon/daemon_controller.go`` (``manage``: one pod per node that
``NodeShouldRunDaemonPod`` accepts, extra pods deleted), ``pkg/controller/daemon/util/daemonset_util.go``
(``AddOrUpdateDaemonPodTolerations``, ``ReplaceDaemonSetPodNodeNameNodeAffinity``: the pod is pinned to
its node with ``matchFields`` on ``metadata.name`` and bound by the default scheduler), and
``pkg/printers/internalversion/printers.go`` ``printDaemonSet`` for the status the columns read.
"""

import dataclasses
import random

import pytest

from k8sedu.controllers.daemonset import DaemonSetController, node_affinity, pinned_node, should_run
from k8sedu.events import EventLog, Recorder
from k8sedu.objects import (Container, DaemonSet, DaemonSetSpec, LabelSelector, Node, NodeCondition, NodeSpec,
                            NodeStatus, ObjectMeta, Pod, PodSpec, PodTemplateSpec, Taint, frozen)
from k8sedu.scheduler import Scheduler

LINUX = frozen({"kubernetes.io/os": "linux"})
PROXY = frozen({"k8s-app": "kube-proxy"})
CONTROL_PLANE = Taint("node-role.kubernetes.io/control-plane", "NoSchedule")


def node(name, taints=(), labels=LINUX):
    return Node(ObjectMeta(name=name, labels=frozen({**labels, "kubernetes.io/hostname": name})),
                NodeSpec(pod_cidr="10.244.0.0/24", taints=taints))


def daemonset(tolerations=(Taint("", ""),), node_selector=LINUX, host_network=True):
    spec = PodSpec((Container("kube-proxy", "registry.k8s.io/kube-proxy:v1.32.2"),), host_network=host_network,
                   node_selector=node_selector, tolerations=tolerations)
    return DaemonSet(ObjectMeta(name="kube-proxy", namespace="kube-system", labels=PROXY),
                     DaemonSetSpec(LabelSelector(PROXY), PodTemplateSpec(ObjectMeta(labels=PROXY), spec)))


@pytest.fixture
def log():
    return EventLog()


@pytest.fixture
def ctrl(api, log, clock):
    return DaemonSetController(api, Recorder(log, lambda: clock.now, "daemonset-controller"))


def pods_by_node(api):
    return {pinned_node(p): p for p in api.list("Pod", "kube-system")}


@pytest.mark.parametrize("nodes, ds, expected", [
    # every node, the tainted control plane too: "tolerations: [{operator: Exists}]"
    ([node("cp", (CONTROL_PLANE,)), node("w1"), node("w2")], daemonset(), ["cp", "w1", "w2"]),
    # without a matching toleration the control plane's NoSchedule taint keeps it away
    ([node("cp", (CONTROL_PLANE,)), node("w1")], daemonset(tolerations=()), ["w1"]),
    # nodeSelector kubernetes.io/os=linux leaves out a node without the label
    ([node("w1"), node("win", labels=frozen({"kubernetes.io/os": "windows"}))], daemonset(), ["w1"]),
])
def test_one_pod_per_node_that_fits(api, ctrl, log, nodes, ds, expected):
    for n in nodes:
        api.create(n)
    api.create(ds)
    ctrl.reconcile(("kube-system", "kube-proxy"))
    pods = pods_by_node(api)
    assert sorted(pods) == expected
    assert all(p.metadata.name.startswith("kube-proxy-") and len(p.metadata.name) == len("kube-proxy-") + 5
               for p in pods.values())
    assert [e.reason for e in log] == ["SuccessfulCreate"] * len(expected)
    assert sorted(e.message for e in log) == sorted(f"Created pod: {p.metadata.name}" for p in pods.values())


def test_the_pod_is_pinned_by_node_affinity_and_gets_the_daemon_tolerations(api, ctrl):
    api.create(node("w1"))
    api.create(daemonset())
    ctrl.reconcile(("kube-system", "kube-proxy"))
    [pod] = api.list("Pod", "kube-system")
    assert pod.spec.node_name == ""  # the scheduler binds it
    [req] = pod.spec.affinity.node_match_fields
    assert (req.key, req.operator, req.values) == ("metadata.name", "In", ("w1",))
    assert [(t.key, t.effect) for t in pod.spec.tolerations] == [
        ("", ""),
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
        ("node.kubernetes.io/network-unavailable", "NoSchedule"),  # hostNetwork pods only
    ]
    assert pod.metadata.owner_references[0].kind == "DaemonSet"
    assert pod.metadata.labels["pod-template-generation"] == "1"


def test_the_default_scheduler_binds_the_pod_to_its_node_only(api, ctrl, log, clock):
    for name in ("w1", "w2", "w3"):
        api.create(dataclasses.replace(node(name), status=NodeStatus(conditions=(NodeCondition("Ready", "True"),))))
    api.create(daemonset())
    ctrl.reconcile(("kube-system", "kube-proxy"))
    scheduler = Scheduler(api, Recorder(log, lambda: clock.now, "default-scheduler"), random.Random(0))
    for pod in api.list("Pod", "kube-system"):
        scheduler.reconcile(("kube-system", pod.metadata.name))
    assert all(p.spec.node_name == pinned_node(p) for p in api.list("Pod", "kube-system"))
    assert sorted(p.spec.node_name for p in api.list("Pod", "kube-system")) == ["w1", "w2", "w3"]


def test_reconcile_is_idempotent_and_writes_the_status(api, ctrl):
    for name in ("w1", "w2"):
        api.create(node(name))
    api.create(daemonset())
    ctrl.reconcile(("kube-system", "kube-proxy"))
    ds = api.get("DaemonSet", "kube-system", "kube-proxy")
    assert (ds.status.desired_number_scheduled, ds.status.current_number_scheduled, ds.status.number_ready) == (2, 0, 0)
    rv = api.store.resource_version
    ctrl.reconcile(("kube-system", "kube-proxy"))
    assert api.store.resource_version == rv


def test_a_pod_on_a_node_that_no_longer_fits_is_deleted(api, ctrl, log):
    api.create(node("w1"))
    api.create(node("w2"))
    api.create(daemonset())
    ctrl.reconcile(("kube-system", "kube-proxy"))
    w2 = api.get("Node", "", "w2")
    api.update(dataclasses.replace(w2, metadata=dataclasses.replace(w2.metadata, labels=frozen({}))))
    ctrl.reconcile(("kube-system", "kube-proxy"))
    assert [pinned_node(p) for p in api.list("Pod", "kube-system") if p.metadata.deletion_timestamp is None] == ["w1"]
    assert log[-1].reason == "SuccessfulDelete"


@pytest.mark.parametrize("taints, tolerations, runs", [
    ((), (), True),
    ((CONTROL_PLANE,), (), False),
    ((CONTROL_PLANE,), (CONTROL_PLANE,), True),
    ((CONTROL_PLANE,), (Taint("", ""),), True),                       # operator: Exists, no key
    ((Taint("gpu", "NoExecute"),), (Taint("gpu", "NoSchedule"),), False),  # wrong effect
    ((Taint("soft", "PreferNoSchedule"),), (), True),                 # only NoSchedule/NoExecute count
])
def test_should_run_reads_taints_and_tolerations(taints, tolerations, runs):
    assert should_run(daemonset(tolerations=tolerations), node("n", taints)) is runs


@pytest.mark.parametrize("tolerations, node_selector, node_name, fits", [
    ((), LINUX, "w1", True),
    ((), frozen({"kubernetes.io/os": "windows"}), "w1", False),            # nodeSelector does not match
    ((Taint("", ""),), LINUX, "w2", False),                                 # pinned elsewhere by affinity
    ((), LINUX, "cordoned", False),                                         # NodeUnschedulable
    ((Taint("node.kubernetes.io/unschedulable", "NoSchedule"),), LINUX, "cordoned", True),  # a daemon pod
])
def test_the_scheduler_filters_on_node_selector_affinity_and_cordon(tolerations, node_selector, node_name, fits):
    """kube-scheduler filter plugins NodeAffinity (nodeSelector and matchFields) and NodeUnschedulable
    (pkg/scheduler/framework/plugins/nodeunschedulable: a pod tolerating the unschedulable taint passes)."""
    name = "cordoned" if node_name == "cordoned" else "w1"
    spec = dataclasses.replace(node(name).spec, unschedulable=name == "cordoned")
    target = dataclasses.replace(node(name), spec=spec, status=NodeStatus(conditions=(NodeCondition("Ready", "True"),)))
    pod = Pod(ObjectMeta(name="p"), PodSpec(node_selector=node_selector, tolerations=tolerations,
                                            affinity=node_affinity(node_name)))
    assert Scheduler._fits(pod, target) is fits


@pytest.mark.parametrize("log_limit", [200_000, 8])
def test_the_sync_of_the_nodes_that_changed_ends_where_a_full_sync_would(monkeypatch, log_limit):
    """After nodes come, go, change labels and taints, and daemon pods are deleted, a fresh controller's full
    sync finds nothing to do: the node-by-node syncs created, kept and deleted what ``manage()`` would (also
    when the change log is compacted between syncs, and the controller falls back to the full sync)."""
    from k8sedu.apiserver import store as store_module
    from k8sedu.core import Core
    monkeypatch.setattr(store_module, "LOG_LIMIT", log_limit)
    core = Core(nodes=12, rng=random.Random(5))
    api = core.api
    api.create(dataclasses.replace(daemonset(tolerations=()), metadata=ObjectMeta(
        name="agent", namespace="kube-system", labels=PROXY)))
    core.advance(10)
    workers = [n.metadata.name for n in api.list("Node")][1:]
    for i, name in enumerate(workers):
        n = api.get("Node", "", name)
        if i % 3 == 0:  # no longer linux: the DaemonSet's nodeSelector leaves it out
            api.update(dataclasses.replace(n, metadata=dataclasses.replace(n.metadata, labels=frozen({}))))
        elif i % 3 == 1:  # a taint the DaemonSet does not tolerate
            api.update(dataclasses.replace(n, spec=dataclasses.replace(n.spec, taints=(Taint("gpu", "NoSchedule"),))))
        core.settle()
    victim = next(p for p in api.list("Pod", "kube-system") if p.metadata.name.startswith("agent-"))
    api.delete("Pod", "kube-system", victim.metadata.name)
    api.delete("Node", "", workers[-1])
    core.advance(10)
    ds = api.get("DaemonSet", "kube-system", "agent")
    agents = [p for p in api.list("Pod", "kube-system") if p.metadata.name.startswith("agent-")]
    assert sorted(pinned_node(p) for p in agents) == sorted(
        n.metadata.name for n in api.list("Node") if should_run(ds, n))
    assert ds.status.desired_number_scheduled == len(agents) == 3
    assert ds.status.number_ready == 3
    rv = api.store.resource_version
    fresh = DaemonSetController(api, Recorder(EventLog(), lambda: core.now, "daemonset-controller"))
    fresh.reconcile(("kube-system", "agent"))
    assert api.store.resource_version == rv
