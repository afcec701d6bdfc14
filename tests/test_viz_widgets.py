"""The traffic graph and the widget panel, tested without a browser or a kernel."""

import pytest

from k8sedu import Cluster, viz


@pytest.fixture
def cluster():
    cluster = Cluster(seed=4)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1 --replicas=2 --port=8000")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1 --port=8100")
    cluster.advance(10)
    return cluster


def client(cluster):
    return cluster.pod_names({"app": "currency-conversion"})[0]


def test_the_graph_links_the_service_to_its_ready_pods_with_equal_shares(cluster):
    graph = cluster.traffic_graph()
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
    graph = viz.traffic_graph(cluster)
    assert graph.nodes[f"pod/{leaving}"]["kind"] == "pod-terminating"
    assert graph.edges["svc/currency-exchange", f"pod/{leaving}"]["share"] == 0.0


def test_layout_is_deterministic_and_groups_pods_by_node(cluster):
    graph = viz.traffic_graph(cluster, clients=(client(cluster),))
    assert viz.layout(graph) == viz.layout(viz.traffic_graph(cluster, clients=(client(cluster),)))
    pods = [n for n in graph if n.startswith("pod/")]
    ys = sorted(pods, key=lambda n: -viz.layout(graph)[n][1])
    nodes = [graph.nodes[n]["node"] for n in ys]
    assert nodes == sorted(nodes)


def test_draw_highlights_the_traced_path(cluster):
    import matplotlib
    matplotlib.use("Agg")
    trace = cluster.request("http://currency-exchange:8000/", from_pod=client(cluster))
    graph = viz.traffic_graph(cluster, clients=(client(cluster),))
    assert viz._trace_edges(graph, trace) == {(f"client/{client(cluster)}", "svc/currency-exchange"),
                                              ("svc/currency-exchange", f"pod/{trace.pod}")}
    ax = viz.draw(graph, trace=trace)
    assert ax.get_title() == ""


def test_the_panel_scales_the_deployment_and_reports_endpoints_and_traffic(cluster):
    from k8sedu.widgets import ServiceDiscoveryPanel
    panel = ServiceDiscoveryPanel(cluster, "currency-exchange", "http://currency-exchange:8000/", client(cluster))
    panel.render = lambda send=False: None  # drawing is tested above; here the logic only
    panel.replicas.value = 3
    assert cluster.get("Deployment", "currency-exchange").spec.replicas == 3
    text = panel.summary(send=True)
    pods = cluster.pod_names({"app": "currency-exchange"})
    assert len(pods) == 3 and all(p in text for p in pods)
    assert "currency-exchange -> NOERROR" in text
    panel.name.value = "nope"
    assert "nope -> NXDOMAIN" in panel.summary()
