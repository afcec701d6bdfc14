"""The traffic graph's shares, tested without a browser or a kernel (drawing: test_viz_figure.py; panels: test_widgets.py).

The graph's shares come from the rules (tests/test_dataplane.py checks them
against the walker and send() on random clusters); here, named cases.
"""

import networkx as nx
import pytest

from k8sedu import Cluster, viz


@pytest.fixture
def cluster():
    cluster = Cluster(seed=4)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE --replicas=2 --port=8000")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE --port=8100")
    cluster.advance(10)
    return cluster


def client(cluster):
    return cluster.pod_names({"app": "currency-conversion"})[0]


def test_the_graph_links_the_service_to_its_ready_pods_with_equal_shares(cluster):
    graph = cluster.traffic_graph()  # no client given: every node is a source, and they all agree
    pods = cluster.pod_names({"app": "currency-exchange"})
    assert sorted(graph.successors("svc/currency-exchange")) == [f"pod/{p}" for p in pods]
    assert [graph.edges["svc/currency-exchange", f"pod/{p}"]["share"] for p in pods] == [0.5, 0.5]
    for p in pods:
        node = cluster.get("Pod", p).spec.node_name
        assert graph.has_edge(f"pod/{p}", f"node/{node}")


def test_a_terminating_pod_gets_no_share_while_ready_pods_exist(cluster):
    leaving = cluster.pod_names({"app": "currency-exchange"})[0]
    cluster.api.delete("Pod", "default", leaving)
    cluster.settle()
    graph = viz.traffic_graph(cluster.core)
    assert graph.nodes[f"pod/{leaving}"]["kind"] == "pod-terminating"
    assert graph.edges["svc/currency-exchange", f"pod/{leaving}"]["share"] == 0.0


def only_pod(cluster, app):
    (pod,) = cluster.list("Pod", selector={"app": app})
    return pod


def test_with_internal_traffic_policy_local_each_source_keeps_to_its_own_node(cluster):
    cluster.kubectl("patch service currency-exchange -p '{\"spec\":{\"internalTrafficPolicy\":\"Local\"}}'")
    me = only_pod(cluster, "currency-conversion")
    graph = viz.traffic_graph(cluster.core, clients=(me.metadata.name,), nodes=("kind-control-plane",))
    ip = cluster.get("Service", "currency-exchange").spec.cluster_ip
    mine, theirs = (f"client/{me.metadata.name}", f"{ip}:8000"), ("node/kind-control-plane", f"{ip}:8000")
    for pod in cluster.list("Pod", selector={"app": "currency-exchange"}):  # one on each worker
        edge = graph.edges["svc/currency-exchange", f"pod/{pod.metadata.name}"]
        local = pod.spec.node_name == me.spec.node_name
        assert edge["shares"] == {mine: 1.0 if local else 0.0, theirs: 0.0}
        assert edge["share"] == (None if local else 0.0)  # None: the sources disagree
    drop = graph.edges["svc/currency-exchange", "drop/currency-exchange"]  # no endpoint on the control plane
    assert drop["shares"] == {mine: 0.0, theirs: 1.0}
    assert "has no local endpoints (internalTrafficPolicy: Local" in drop["reasons"][theirs]
    assert set(cluster.send("http://currency-exchange:8000/", n=20, from_pod=me.metadata.name)) == {
        n.split("/", 1)[1] for n in graph.successors("svc/currency-exchange")
        if graph.edges["svc/currency-exchange", n]["shares"][mine] > 0}


def test_a_service_without_endpoints_is_drawn_rejected_with_the_reason_its_rule_gives(cluster):
    cluster.kubectl("scale deployment currency-exchange --replicas=0")
    cluster.advance(30)
    graph = viz.traffic_graph(cluster.core, clients=(client(cluster),))
    edge = graph.edges["svc/currency-exchange", "reject/currency-exchange"]
    assert (edge["kind"], edge["target"], edge["share"]) == ("drop", "REJECT", 1.0)
    (reason,) = edge["reasons"].values()
    assert reason.endswith("default/currency-exchange has no endpoints, so the filter table rejects it "
                           "(connection refused)")
    (rule,) = edge["rules"].values()
    assert rule.startswith("-A KUBE-SERVICES") and rule.endswith("-j REJECT --reject-with icmp-port-unreachable")
    assert graph.nodes["reject/currency-exchange"]["detail"] == "default/currency-exchange has no endpoints"
    import matplotlib
    matplotlib.use("Agg")
    viz.draw(graph)  # a drop node has a colour and a place


def test_client_ip_affinity_is_drawn_and_a_remembered_client_is_pinned_to_its_pod(cluster):
    cluster.kubectl("patch service currency-exchange -p '{\"spec\":{\"sessionAffinity\":\"ClientIP\"}}'")
    me = client(cluster)
    before = viz.traffic_graph(cluster.core, clients=(me,))
    edges = [before.edges["svc/currency-exchange", f"pod/{p}"] for p in cluster.pod_names({"app": "currency-exchange"})]
    assert all(e["affinity"] and e["share"] == 0.5 and e["pinned"] == () for e in edges)
    assert viz.share_label(edges[0]) == "50% sticky"
    served = cluster.request("http://currency-exchange:8000/", from_pod=me).pod
    after = viz.traffic_graph(cluster.core, clients=(me,))
    pinned = after.edges["svc/currency-exchange", f"pod/{served}"]
    assert pinned["share"] == 1.0 and len(pinned["pinned"]) == 1
    assert set(cluster.send("http://currency-exchange:8000/", n=20, from_pod=me)) == {served}


def test_the_graph_reads_the_rules_without_drawing_random_numbers_or_touching_affinity(cluster):
    cluster.kubectl("patch service currency-exchange -p '{\"spec\":{\"sessionAffinity\":\"ClientIP\"}}'")
    state = cluster.core.random.getstate()
    viz.traffic_graph(cluster.core, clients=(client(cluster),))
    assert cluster.core.random.getstate() == state
    assert all(len(cluster.kube_proxy(n.metadata.name).recent) == 0 for n in cluster.list("Node"))


