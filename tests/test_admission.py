"""What the API server adds to a Pod it stores (DefaultTolerationSeconds), and the container ``hostPort``.

Sources: k/k ``plugin/pkg/admission/defaulttolerationseconds/admission.go`` ``Admit`` (a pod that does
not tolerate ``node.kubernetes.io/not-ready`` or ``node.kubernetes.io/unreachable`` with effect NoExecute,
by an empty or equal key and an empty or NoExecute effect, gets an ``operator: Exists`` toleration of it
with ``tolerationSeconds: 300``, appended: not-ready, then unreachable); the pod YAML real clusters print
(kubernetes.io "Taints and Tolerations", Taint based Evictions; ``kubectl get pod -o yaml`` of any
Deployment's pod: ``- effect: NoExecute / key: node.kubernetes.io/not-ready / operator: Exists /
tolerationSeconds: 300``, then unreachable); k/k ``pkg/controller/tainteviction/taint_eviction.go``
(``getMinTolerationTime``: a pod without a matching toleration goes at once, else after the first
matching toleration's seconds); kubectl ``pkg/describe/describe.go`` (``printTolerationsMultiline``
sorts by key; ``describeContainerHostPorts`` prints ``hostPort/protocol`` for every port, 0 if unset).
"""

import pytest
import yaml

from k8sedu import Cluster
from k8sedu.controllers.nodelifecycle import GRACE_PERIOD
from k8sedu.manifests.pods import decode_pod, encode_pod
from k8sedu.objects import Container, ContainerPort, ObjectMeta, Pod, PodSpec
from tests.kubectl_results import out

NR, UR = "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"


def pod_manifest(name: str, tolerations=None, node: str = "") -> dict:
    spec = {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


@pytest.fixture
def cluster():
    return Cluster(seed=3)


@pytest.mark.parametrize("declared, stored", [
    (None, [(NR, "NoExecute", 300), (UR, "NoExecute", 300)]),
    ([{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],                     # the pod's own come first
     [("gpu", "NoSchedule", None), (NR, "NoExecute", 300), (UR, "NoExecute", 300)]),
    ([{"key": UR, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}],  # only not-ready added
     [(UR, "NoExecute", 60), (NR, "NoExecute", 300)]),
    ([{"key": NR, "operator": "Exists"}],                                                # no effect: every effect
     [(NR, "", None), (UR, "NoExecute", 300)]),
    ([{"key": UR, "operator": "Exists", "effect": "NoSchedule"}],                        # not the NoExecute taint
     [(UR, "NoSchedule", None), (NR, "NoExecute", 300), (UR, "NoExecute", 300)]),
    ([{"operator": "Exists", "effect": "NoExecute"}], [("", "NoExecute", None)]),        # a static pod's
    ([{"operator": "Exists"}], [("", "", None)]),                                        # kube-proxy's, kindnet's
])
def test_the_api_server_stores_default_toleration_seconds(cluster, declared, stored):
    cluster.apply(pod_manifest("p", declared))
    pod = cluster.get("Pod", "p")
    assert [(t.key, t.effect, t.toleration_seconds) for t in pod.spec.tolerations] == stored


def test_get_o_yaml_shows_the_stored_tolerations_as_a_real_pod_does(cluster):
    cluster.kubectl("create deployment web --image=nginx:1.27")
    cluster.advance(10)
    served = yaml.safe_load(cluster.kubectl(f"get pod {cluster.pod_names({'app': 'web'})[0]} -o yaml"))
    assert served["spec"]["tolerations"] == [
        {"effect": "NoExecute", "key": NR, "operator": "Exists", "tolerationSeconds": 300},
        {"effect": "NoExecute", "key": UR, "operator": "Exists", "tolerationSeconds": 300},
    ]
    text = cluster.kubectl(f"get pod {cluster.pod_names({'app': 'web'})[0]} -o yaml")
    assert ("  tolerations:\n  - effect: NoExecute\n    key: node.kubernetes.io/not-ready\n    operator: Exists\n"
            "    tolerationSeconds: 300\n  - effect: NoExecute\n    key: node.kubernetes.io/unreachable\n"
            "    operator: Exists\n    tolerationSeconds: 300\n") in text


def test_a_served_pod_applied_again_keeps_its_two_tolerations(cluster):
    """The plugin sees they are tolerated already: nothing is appended twice."""
    cluster.apply(pod_manifest("p"))
    served = cluster.kubectl("get pod p -o yaml")
    fresh = Cluster(seed=4)
    fresh.apply(served)
    assert fresh.get("Pod", "p").spec.tolerations == cluster.get("Pod", "p").spec.tolerations
    assert len(fresh.get("Pod", "p").spec.tolerations) == 2


def test_templates_are_not_admitted_only_pods(cluster):
    cluster.kubectl("create deployment web --image=nginx:1.27")
    assert cluster.get("Deployment", "web").spec.template.spec.tolerations == ()
    assert "\n  Tolerations:     <none>\n" in cluster.kubectl("describe deployment web")


def test_describe_shows_the_stored_tolerations_sorted_by_key(cluster):
    cluster.apply(pod_manifest("p", [{"key": "zone", "operator": "Equal", "value": "a", "effect": "NoSchedule"},
                                     {"key": "gpu", "operator": "Exists"}]))
    text = cluster.kubectl("describe pod p")
    assert text.split("Tolerations:")[1].split("Events:")[0].split("\n")[:4] == [
        "                  gpu op=Exists",
        "                              node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
        "                              node.kubernetes.io/unreachable:NoExecute op=Exists for 300s",
        "                              zone=a:NoSchedule",
    ]


def test_describe_reads_the_pod_not_a_second_copy_of_the_plugin(cluster):
    """A pod stored without the admission step (as no real API server would) shows no tolerations."""
    cluster.api.store.create(Pod(ObjectMeta(name="raw", namespace="default"),
                                 PodSpec(containers=(Container("nginx", "nginx:1.27"),))))
    assert "Tolerations:                  <none>" in out(cluster.core, "describe pod raw")


@pytest.mark.parametrize("tolerations, evicted_after", [
    (None, 300),                                                                              # the plugin's
    ([{"key": UR, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}], 60),  # the pod's own
    ([{"key": UR, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 0}], 0),
])
def test_the_node_lifecycle_controller_evicts_by_the_stored_toleration_seconds(cluster, tolerations, evicted_after):
    cluster.apply(pod_manifest("p", tolerations, node="kind-worker"))
    cluster.advance(10)
    cluster.fail_node("kind-worker")
    cluster.advance(GRACE_PERIOD + evicted_after - 1)
    assert cluster.get("Pod", "p").metadata.deletion_timestamp is None
    cluster.advance(1)
    assert cluster.get("Pod", "p").metadata.deletion_timestamp is not None


def test_a_pod_stored_without_the_plugin_goes_at_once():
    """``getMinTolerationTime`` of no matching toleration is 0: the taint evicts it with no delay."""
    cluster = Cluster(seed=3)
    cluster.api.store.create(Pod(ObjectMeta(name="raw", namespace="default"),
                                 PodSpec(containers=(Container("nginx", "nginx:1.27"),), node_name="kind-worker")))
    cluster.advance(10)
    cluster.fail_node("kind-worker")
    cluster.advance(GRACE_PERIOD)
    assert cluster.get("Pod", "raw").metadata.deletion_timestamp is not None


# ---------------------------------------------------------------- hostPort

def test_host_port_round_trips_through_a_manifest():
    """core/v1 ContainerPort in Go field order: name, hostPort, containerPort, protocol."""
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "c", "image": "nginx:1.27", "ports": [{"name": "http", "hostPort": 8080, "containerPort": 80}]}]}}
    pod = decode_pod(doc, "default")
    assert pod.spec.containers[0].ports == (ContainerPort(80, "http", "TCP", host_port=8080),)
    assert encode_pod(pod, served=False)["spec"]["containers"][0]["ports"] == [
        {"name": "http", "hostPort": 8080, "containerPort": 80}]
    assert list(encode_pod(pod)["spec"]["containers"][0]["ports"][0]) == ["name", "hostPort", "containerPort",
                                                                           "protocol"]


@pytest.mark.parametrize("ports, lines", [
    ([], ["Port: <none>", "Host Port: <none>"]),
    ([{"containerPort": 80}], ["Port: 80/TCP", "Host Port: 0/TCP"]),
    ([{"containerPort": 80, "hostPort": 8080}], ["Port: 80/TCP", "Host Port: 8080/TCP"]),
    ([{"containerPort": 80, "hostPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
     ["Ports: 80/TCP, 53/UDP", "Host Ports: 80/TCP, 0/UDP"]),
])
def test_describe_pod_prints_host_ports_as_kubectl_does(cluster, ports, lines):
    doc = pod_manifest("p")
    doc["spec"]["containers"][0]["ports"] = ports
    cluster.apply(doc)
    text = cluster.kubectl("describe pod p")
    assert [" ".join(line.split()) for line in text.splitlines() if "Port" in line] == lines  # tabwriter aside


def test_ingress_nginx_on_kind_publishes_host_ports_80_and_443():
    """ingress-nginx ``deploy/static/provider/kind/deploy.yaml``: hostPort 80 and 443, the webhook none."""
    cluster = Cluster(seed=3, ingress_ready=True)
    cluster.install("ingress-nginx")
    cluster.advance(60)
    name = next(n for n in cluster.pod_names(namespace="ingress-nginx") if "controller" in n)
    text = cluster.kubectl(f"-n ingress-nginx describe pod {name}")
    assert "    Host Ports:     80/TCP, 443/TCP, 0/TCP\n" in text
    served = yaml.safe_load(cluster.kubectl(f"-n ingress-nginx get pod {name} -o yaml"))
    ports = served["spec"]["containers"][0]["ports"]
    assert [(p["containerPort"], p.get("hostPort")) for p in ports] == [(80, 80), (443, 443), (8443, None)]
