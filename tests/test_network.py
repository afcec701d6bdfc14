"""Requests traced hop by hop, table-driven like kube-proxy's packet-flow tests."""

import dataclasses

import pytest

from k8sedu import Cluster, KubectlError
from k8sedu.objects import (Container, ContainerPort, Deployment, DeploymentSpec, LabelSelector, Namespace,
                            ObjectMeta, PodSpec, PodTemplateSpec, Service, ServicePort, ServiceSpec, frozen)


def deploy(cluster, name, image, port, replicas, namespace="default", service_port=None, target_port=None):
    labels = frozen({"app": name})
    container = Container(name, image, (ContainerPort(port),))
    cluster.api.create(Deployment(ObjectMeta(name=name, namespace=namespace, labels=labels),
                                  DeploymentSpec(LabelSelector(labels),
                                                 PodTemplateSpec(ObjectMeta(labels=labels), PodSpec((container,))),
                                                 replicas)))
    if service_port:
        cluster.api.create(Service(ObjectMeta(name=name, namespace=namespace, labels=labels),
                                   ServiceSpec(ports=(ServicePort(service_port, target_port or port),),
                                               selector=labels)))


@pytest.fixture(scope="module")
def base():
    cluster = Cluster(seed=5)
    cluster.api.create(Namespace(ObjectMeta(name="test")))
    deploy(cluster, "currency-exchange", "in28min/currency-exchange:0.0.1-RELEASE", 8000, 2, service_port=8000)
    deploy(cluster, "currency-conversion", "in28min/currency-conversion:0.0.1-RELEASE", 8100, 1, service_port=8100)
    deploy(cluster, "wrong-port", "nginx", 80, 1, service_port=80, target_port=8080)
    deploy(cluster, "nobody", "nginx", 80, 0, service_port=80)
    deploy(cluster, "tester", "nginx", 80, 1, namespace="test")
    cluster.advance(10)
    return cluster


@pytest.fixture
def cluster(base):
    return base


def client(cluster, namespace="default"):
    app = "currency-conversion" if namespace == "default" else "tester"
    return cluster.pod_names({"app": app}, namespace)[0]


def ce_ips(cluster):
    return {p.status.pod_ip: p.metadata.name for p in cluster.list("Pod", selector={"app": "currency-exchange"})}


FLOWS = [
    # (url, from namespace, lands on currency-exchange?, failure reason fragment, DNS queries)
    ("http://currency-exchange:8000/", "default", True, "", 1),
    ("http://currency-exchange.default:8000/", "default", True, "", 2),
    ("http://currency-exchange.default.svc.cluster.local:8000/", "default", True, "", 4),
    ("http://currency-exchange.default.svc.cluster.local.:8000/", "default", True, "", 1),
    ("http://currency-exchange:8000/", "test", False, "not found (NXDOMAIN)", 4),
    ("http://currency-exchange.default:8000/", "test", True, "", 2),
    ("http://nope:8000/", "default", False, "not found (NXDOMAIN)", 4),
    ("http://nobody/", "default", False, "no endpoints", 1),
    ("http://wrong-port/", "default", False, "nothing listens on port 8080", 1),
    ("http://currency-exchange:9999/", "default", False, "no rule matched", 1),
]


@pytest.mark.parametrize("url, ns, lands, reason, queries", FLOWS)
def test_request_flows(cluster, url, ns, lands, reason, queries):
    trace = cluster.request(url, from_pod=client(cluster, ns), namespace=ns)
    assert len(trace.dns.queries) == queries
    if lands:
        assert trace.ok and trace.status == 200
        assert trace.pod in ce_ips(cluster).values()
        assert [h.action for h in trace.hops] == ["resolved", "DNAT", "routed", "answered"]
    else:
        assert not trace.ok and reason in trace.reason
        assert trace.error.startswith("curl: (")


def test_a_request_to_the_cluster_ip_skips_dns_and_is_dnated_by_the_nodes_rules(cluster):
    ip = cluster.get("Service", "currency-exchange").spec.cluster_ip
    trace = cluster.request(f"http://{ip}:8000/", from_pod=client(cluster))
    assert trace.dns is None and trace.ok
    dnat = trace.hops[0]
    assert dnat.action == "DNAT" and "KUBE-SERVICES -> KUBE-SVC-" in dnat.detail and "KUBE-SEP-" in dnat.detail


def test_a_pod_ip_works_until_the_pod_is_replaced(cluster):
    ips = ce_ips(cluster)
    ip, name = sorted(ips.items())[0]
    assert cluster.request(f"http://{ip}:8000/", from_pod=client(cluster)).pod == name
    cluster.api.delete("Pod", "default", name)
    cluster.advance(10)
    trace = cluster.request(f"http://{ip}:8000/", from_pod=client(cluster))
    assert not trace.ok and "no pod has IP" in trace.reason
    assert cluster.request("http://currency-exchange:8000/", from_pod=client(cluster)).ok


def test_send_spreads_requests_over_the_ready_pods():
    cluster = Cluster(seed=11)
    deploy(cluster, "currency-exchange", "in28min/currency-exchange:0.0.1-RELEASE", 8000, 3, service_port=8000)
    deploy(cluster, "currency-conversion", "in28min/currency-conversion:0.0.1-RELEASE", 8100, 1)
    cluster.advance(10)
    counts = cluster.send("http://currency-exchange:8000/", n=3000, from_pod=client(cluster))
    assert set(counts) == set(ce_ips(cluster).values())
    assert all(800 <= hits <= 1200 for hits in counts.values()), counts


def test_dns_fails_when_coredns_has_no_ready_pods():
    cluster = Cluster(seed=2)
    deploy(cluster, "currency-conversion", "in28min/currency-conversion:0.0.1-RELEASE", 8100, 1)
    dep = cluster.get("Deployment", "coredns", "kube-system")
    cluster.api.update(dataclasses.replace(dep, spec=dataclasses.replace(dep.spec, replicas=0)))
    cluster.advance(10)
    answer = cluster.resolve("kubernetes", from_pod=client(cluster))
    assert answer.rcode == "TIMEOUT"


def test_the_body_comes_from_the_answering_pod(cluster):
    trace = cluster.request("http://currency-exchange:8000/currency-exchange/from/USD/to/INR", from_pod=client(cluster))
    assert trace.pod in trace.body


def test_an_unknown_client_pod_is_kubectls_not_found(cluster):
    with pytest.raises(KubectlError, match=r'^Error from server \(NotFound\): pods "ghost" not found$'):
        cluster.request("http://currency-exchange:8000/", from_pod="ghost")


def test_hairpin_traffic_is_masqueraded_so_the_pod_sees_its_nodes_pod_gateway():
    """A pod reaching itself through its Service: KUBE-SEP's ``-s <pod IP> -j KUBE-MARK-MASQ`` marks it, and
    MASQUERADE writes the address of the interface it leaves by, the pod's veth, whose host side holds the
    podCIDR's .1 (kind v0.27.0 kindnetd ``cni.go``: the ptp plugin; containernetworking/plugins ``ptp.go``
    ``setupHostVeth`` puts the gateway address on the host veth). Derived from code: those two functions."""
    cluster = Cluster(seed=6)
    deploy(cluster, "currency-exchange", "in28min/currency-exchange:0.0.1-RELEASE", 8000, 1, service_port=8000)
    cluster.advance(10)
    [me] = cluster.pod_names({"app": "currency-exchange"})
    trace = cluster.request("http://currency-exchange:8000/", from_pod=me)
    node = cluster.get("Node", cluster.get("Pod", me).spec.node_name)
    assert trace.pod == me and trace.client_ip_seen == node.spec.pod_cidr.replace(".0/24", ".1")
    assert any("KUBE-MARK-MASQ" in rule for hop in trace.hops for rule in hop.rules)
