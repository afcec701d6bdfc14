"""What ``kind create cluster`` (kind v0.27.0, node image kindest/node:v1.32.2) leaves running.

Sources: kind v0.27.0 ``pkg/apis/config/defaults/image.go`` (the node image),
``pkg/build/nodeimage/const_cni.go`` (the ``kindnet`` DaemonSet: hostNetwork, ``operator: Exists``,
nodeSelector ``kubernetes.io/os: linux``, image ``docker.io/kindest/kindnetd:v20250214-acbabc1a``) and
``const_storage.go`` (namespace ``local-path-storage``, Deployment ``local-path-provisioner``); kubeadm
``cmd/kubeadm/app/phases/addons/proxy/manifests.go`` (the ``kube-proxy`` DaemonSet) and
``kubeadm config images list --kubernetes-version=v1.32.x`` (etcd 3.5.16-0); k/k
``pkg/kubelet/config/common.go`` and ``pkg/kubelet/pod/mirror_client.go`` (static pods: ``<name>-<node>``,
owned by the Node, tolerating every NoExecute taint); ``pkg/printers/internalversion/printers.go``
``printDaemonSet`` (the ``get ds`` columns); k/k ``pkg/kubelet`` node events (``Starting kubelet.``,
``recordNodeStatusEvent``, ``NodeAllocatableEnforced``) and ``cmd/kube-proxy/app/server.go``
``birthCry`` (reason ``Starting``, an empty note); MetalLB v0.14.9 ``config/manifests/metallb-native.yaml``.
"""

import random
import re

import pytest

from k8sedu.core import Core
from kubectl_results import out

SYSTEM_PODS = [
    ("kube-system", r"coredns-[a-z0-9]+-[a-z0-9]{5}", "kind-control-plane", r"10\.244\.0\.\d+"),
    ("kube-system", r"coredns-[a-z0-9]+-[a-z0-9]{5}", "kind-control-plane", r"10\.244\.0\.\d+"),
    ("kube-system", "etcd-kind-control-plane", "kind-control-plane", "172.18.0.2"),
    ("kube-system", r"kindnet-[a-z0-9]{5}", None, "node"),
    ("kube-system", r"kindnet-[a-z0-9]{5}", None, "node"),
    ("kube-system", r"kindnet-[a-z0-9]{5}", None, "node"),
    ("kube-system", "kube-apiserver-kind-control-plane", "kind-control-plane", "172.18.0.2"),
    ("kube-system", "kube-controller-manager-kind-control-plane", "kind-control-plane", "172.18.0.2"),
    ("kube-system", r"kube-proxy-[a-z0-9]{5}", None, "node"),
    ("kube-system", r"kube-proxy-[a-z0-9]{5}", None, "node"),
    ("kube-system", r"kube-proxy-[a-z0-9]{5}", None, "node"),
    ("kube-system", "kube-scheduler-kind-control-plane", "kind-control-plane", "172.18.0.2"),
    ("local-path-storage", r"local-path-provisioner-[a-z0-9]+-[a-z0-9]{5}", "kind-control-plane", r"10\.244\.0\.\d+"),
]


@pytest.fixture(scope="module")
def core():
    return Core(nodes=3, rng=random.Random(3))


def test_every_system_pod_is_running_where_kind_puts_it(core):
    pods = core.api.list("Pod")
    assert len(pods) == len(SYSTEM_PODS)
    for pod, (ns, name, node, ip) in zip(pods, SYSTEM_PODS):
        assert pod.metadata.namespace == ns and re.fullmatch(name, pod.metadata.name), pod.metadata.name
        assert pod.ready and pod.status.phase == "Running"
        if node:
            assert pod.spec.node_name == node
        expected_ip = core.node_ip(pod.spec.node_name) if ip == "node" else ip
        assert re.fullmatch(expected_ip, pod.status.pod_ip), (pod.metadata.name, pod.status.pod_ip)


def test_each_daemonset_has_one_pod_per_node(core):
    for name in ("kube-proxy", "kindnet"):
        pods = [p for p in core.api.list("Pod", "kube-system") if p.metadata.name.startswith(name + "-")]
        assert sorted(p.spec.node_name for p in pods) == ["kind-control-plane", "kind-worker", "kind-worker2"]
        assert all(p.spec.host_network and p.status.pod_ip == p.status.host_ip for p in pods)


def test_static_pods_are_mirror_pods_owned_by_the_node(core):
    pod = core.api.get("Pod", "kube-system", "kube-apiserver-kind-control-plane")
    [owner] = pod.metadata.owner_references
    assert (owner.kind, owner.name, owner.controller) == ("Node", "kind-control-plane", True)
    assert pod.metadata.annotations["kubernetes.io/config.source"] == "file"
    assert dict(pod.metadata.labels) == {"component": "kube-apiserver", "tier": "control-plane"}
    assert pod.spec.containers[0].image == "registry.k8s.io/kube-apiserver:v1.32.2"


def test_host_network_pods_are_not_pod_addresses(core):
    """A node's IP belongs to the node: the pod-by-IP index leaves hostNetwork pods out."""
    assert core.api.store.by_index("Pod", "ip", "172.18.0.2") == []


def test_kubectl_get_ds_all_namespaces(core):
    assert out(core, "get ds -A") == (
        "NAMESPACE     NAME         DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE\n"
        "kube-system   kindnet      3         3         3       3            3           kubernetes.io/os=linux   5m\n"
        "kube-system   kube-proxy   3         3         3       3            3           kubernetes.io/os=linux   5m")


def test_kubectl_get_ds_wide_names_the_images_kind_uses(core):
    lines = out(core, "get daemonsets -n kube-system -o wide").splitlines()
    assert lines[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE", "SELECTOR",
                                "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert lines[1].split()[-3:] == ["kindnet-cni", "docker.io/kindest/kindnetd:v20250214-acbabc1a", "app=kindnet"]
    assert lines[2].split()[-3:] == ["kube-proxy", "registry.k8s.io/kube-proxy:v1.32.2", "k8s-app=kube-proxy"]


def test_local_path_storage_namespace_and_provisioner(core):
    assert "local-path-storage   Active   5m" in out(core, "get ns").splitlines()
    assert out(core, "get deploy -n local-path-storage").splitlines()[1].split()[:4] == [
        "local-path-provisioner", "1/1", "1", "1"]


def test_describe_daemonset(core):
    text = out(core, "describe ds kube-proxy -n kube-system")
    assert text.splitlines()[:12] == [
        "Name:           kube-proxy",
        "Namespace:      kube-system",
        "Selector:       k8s-app=kube-proxy",
        "Node-Selector:  kubernetes.io/os=linux",
        "Labels:         k8s-app=kube-proxy",
        "Annotations:    deprecated.daemonset.template.generation: 1",
        "Desired Number of Nodes Scheduled: 3",
        "Current Number of Nodes Scheduled: 3",
        "Number of Nodes Scheduled with Up-to-date Pods: 3",
        "Number of Nodes Scheduled with Available Pods: 3",
        "Number of Nodes Misscheduled: 0",
        "Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed"]


def test_node_events_as_the_kubelet_and_kube_proxy_record_them(core):
    events = out(core, "describe node kind-worker").split("Events:\n", 1)[1].splitlines()
    rows = [re.split(r"\s{2,}", line.strip()) for line in events[2:]]
    assert [(r[1], r[3], r[4] if len(r) > 4 else "") for r in rows] == [
        ("Starting", "kubelet", "Starting kubelet."),
        ("NodeHasSufficientMemory", "kubelet", "Node kind-worker status is now: NodeHasSufficientMemory"),
        ("NodeHasNoDiskPressure", "kubelet", "Node kind-worker status is now: NodeHasNoDiskPressure"),
        ("NodeHasSufficientPID", "kubelet", "Node kind-worker status is now: NodeHasSufficientPID"),
        ("NodeAllocatableEnforced", "kubelet", "Updated Node Allocatable limit across pods"),
        ("RegisteredNode", "node-controller", "Node kind-worker event: Registered Node kind-worker in Controller"),
        ("Starting", "kube-proxy", ""),
        ("NodeReady", "kubelet", "Node kind-worker status is now: NodeReady"),
    ]


def test_node_events_are_listed_in_the_default_namespace(core):
    """Events about cluster-scoped objects go to ``default`` (client-go ``record``: no namespace -> default)."""
    rows = [line.split() for line in out(core, "get events -A").splitlines()[1:]]
    assert {r[0] for r in rows if r[4].startswith("node/")} == {"default"}


def test_a_node_s_iptables_save_has_mangle_with_the_hint_and_both_canaries(core):
    text = core.kube_proxy("kind-worker").iptables_save()
    mangle = text.split("*mangle\n", 1)[1].split("COMMIT", 1)[0].splitlines()
    assert [line for line in mangle if line.startswith(":KUBE-")] == [
        ":KUBE-IPTABLES-HINT - [0:0]", ":KUBE-KUBELET-CANARY - [0:0]", ":KUBE-PROXY-CANARY - [0:0]"]


def test_metallb_installs_its_controller_and_a_speaker_per_node():
    core = Core(nodes=3, rng=random.Random(3))
    core.install("metallb", addresses="172.18.255.200-172.18.255.250")
    core.advance(30)
    speakers = [p for p in core.api.list("Pod", "metallb-system") if p.metadata.name.startswith("speaker-")]
    assert sorted(p.spec.node_name for p in speakers) == ["kind-control-plane", "kind-worker", "kind-worker2"]
    assert all(p.ready and p.status.pod_ip == core.node_ip(p.spec.node_name) for p in speakers)
    assert all(p.spec.containers[0].image == "quay.io/metallb/speaker:v0.14.9" for p in speakers)
    assert out(core, "get ds -n metallb-system").splitlines()[1].split()[:7] == [
        "speaker", "3", "3", "3", "3", "3", "kubernetes.io/os=linux"]
    assert out(core, "get deploy -n metallb-system").splitlines()[1].split()[:2] == ["controller", "1/1"]


DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  selector:
    matchLabels:
      app: node-agent
  template:
    metadata:
      labels:
        app: node-agent
    spec:
      containers:
      - name: agent
        image: nginx:1.27
"""


def test_a_learner_s_daemonset_runs_on_each_worker_and_its_pods_go_with_it():
    """Without a toleration the control plane's NoSchedule taint keeps the pod off it (NodeShouldRunDaemonPod);
    deleting the DaemonSet deletes its pods (garbage collector, background propagation)."""
    core = Core(nodes=3, rng=random.Random(3))
    assert out(core, "apply -f -", stdin=DAEMONSET) == "daemonset.apps/node-agent created"
    core.advance(30)
    pods = core.api.list("Pod", "default")
    assert sorted(p.spec.node_name for p in pods) == ["kind-worker", "kind-worker2"]
    assert out(core, "get ds").splitlines()[1].split() == ["node-agent", "2", "2", "2", "2", "2", "<none>", "30s"]
    assert out(core, "delete ds node-agent") == 'daemonset.apps "node-agent" deleted'
    core.advance(10)
    assert core.api.list("Pod", "default") == []
