"""Each panel's logic without a browser: change a control's value, and the model, the text and the picture follow.

Controls have Python values (``panel.replicas.value = 3`` is a drag), so
these tests do what a learner does and read what the panel shows. Pictures
are SVG bytes in an ``ipywidgets.Image``; "the picture changed" means new
bytes were sent.
"""

import pytest

from k8sedu import Cluster
from k8sedu import widgets as W

CE = "in28min/currency-exchange:0.0.1-RELEASE"


@pytest.fixture
def cluster():
    cluster = Cluster(seed=4)
    cluster.kubectl(f"create deployment currency-exchange --image={CE} --replicas=2 --port=8000")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE --port=8100")
    cluster.advance(10)
    return cluster


def client(cluster):
    return cluster.pod_names({"app": "currency-conversion"})[0]


def test_scaling_shows_pods_pending_then_ready_frame_by_frame(cluster):
    panel = W.ScaleDeployment(cluster, "currency-exchange", client=client(cluster))
    panel.refresh()
    first = panel.image.value
    panel.replicas.value = 4
    assert cluster.get("Deployment", "currency-exchange").spec.replicas == 4
    states = [sorted(set(s.values())) for _, s in panel.frames]
    assert states[0] == ["Pending", "Ready"] and states[-1] == ["Ready"]
    assert [t for t, _ in panel.frames] == sorted(t for t, _ in panel.frames) and len(panel.frames) >= 2
    assert panel.image.value != first and panel.pictures_sent >= 2
    assert "deployment.apps/currency-exchange scaled" in panel.text.value


def test_scaling_down_shows_terminating_pods_until_they_are_gone(cluster):
    panel = W.ScaleDeployment(cluster, "currency-exchange", client=client(cluster))
    panel.replicas.value = 1
    seen = set().union(*(s.values() for _, s in panel.frames))
    assert "Terminating" in seen and set(panel.frames[-1][1].values()) == {"Ready"}


def test_a_refused_scale_shows_kubectls_error_and_changes_nothing(cluster):
    panel = W.ScaleDeployment(cluster, "currency-exchange", client=client(cluster))
    panel.replicas.max = 10
    cluster.kubectl("delete deployment currency-exchange")
    panel.scale(3)
    assert 'Error from server (NotFound): deployments.apps "currency-exchange" not found' in panel.text.value or \
        "not found" in panel.text.value


def test_switching_type_shows_what_exists_and_who_can_reach_it(cluster):
    panel = W.ServiceTypeSwitcher(cluster, "currency-exchange", client(cluster))
    panel.refresh()
    reach = {(who, url.split(":")[1][2:].count(".") > 0): ok for who, url, ok, _ in panel.reachability()}
    assert any(ok for (who, _), ok in reach.items() if who.startswith("pod"))
    assert not any(ok for who, url, ok, _ in panel.reachability() if who in ("vpc", "internet"))
    panel.type.value = "NodePort"
    assert cluster.get("Service", "currency-exchange").spec.type == "NodePort"
    assert any(line.startswith("NodePort ") for line in panel.exists())
    rows = panel.reachability()
    assert any(ok for who, url, ok, _ in rows if who == "vpc")  # a machine on the nodes' network reaches the NodePort
    panel.type.value = "LoadBalancer"
    assert any("<pending>" in line and "nothing on this cluster provisions load balancers" in line
               for line in panel.exists())
    panel.type.value = "ExternalName"
    assert panel.exists()[0].startswith("no ClusterIP") and "CNAME to example.com" in panel.exists()[0]
    panel.type.value = "ClusterIP"
    assert cluster.get("Service", "currency-exchange").spec.cluster_ip not in ("", "None")


def test_failures_are_shown_with_the_models_reason_never_a_bare_count(cluster):
    panel = W.ServiceTypeSwitcher(cluster, "currency-exchange", client(cluster))
    panel.refresh()
    assert "only reachable inside the cluster" in panel.text.value
    explorer = W.TrafficExplorer(cluster, "currency-exchange", client(cluster))
    cluster.kubectl("scale deployment currency-exchange --replicas=0")
    cluster.advance(60)
    explorer.send()
    assert explorer.counts == {None: 100}
    assert "100 failed" in explorer.text.value and "has no endpoints" in explorer.text.value


def test_traffic_explorer_counts_match_the_exact_shares_and_policies_change_them(cluster):
    panel = W.TrafficExplorer(cluster, "currency-exchange", client(cluster), n=1000)
    panel.send()
    pods = cluster.pod_names({"app": "currency-exchange"})
    assert sorted(panel.counts) == sorted(pods) and all(abs(panel.counts[p] - 500) < 80 for p in pods)
    shares = {v: d["share"] for _, v, d in panel.figure.graph.out_edges("svc/currency-exchange", data=True)}
    assert shares == {f"pod/{p}": 0.5 for p in pods}
    assert all(f"{panel.counts[p]} sent" in panel.figure.labels["svc/currency-exchange", f"pod/{p}"].get_text()
               for p in pods)
    panel.policies["sessionAffinity"].value = "ClientIP"
    assert cluster.get("Service", "currency-exchange").spec.session_affinity == "ClientIP"
    panel.send()
    assert len(panel.counts) == 1  # one client, pinned to one pod
    panel.policies["internalTrafficPolicy"].value = "Local"
    assert cluster.get("Service", "currency-exchange").spec.internal_traffic_policy == "Local"


def test_traffic_explorer_sends_from_the_nodes_network_to_a_nodeport(cluster):
    cluster.kubectl("patch service currency-exchange -p '{\"spec\":{\"type\":\"NodePort\"}}'")
    panel = W.TrafficExplorer(cluster, "currency-exchange", client(cluster))
    panel.source.value = "vpc"
    port = cluster.get("Service", "currency-exchange").spec.ports[0].node_port
    assert panel.url().endswith(f":{port}/")
    panel.send()
    assert None not in panel.counts and sum(panel.counts.values()) == 100


def test_dns_explorer_walks_the_search_list_and_shows_each_query(cluster):
    panel = W.DnsExplorer(cluster, "currency-exchange", client(cluster))
    panel.refresh()
    assert panel.walk() == [("currency-exchange.default.svc.cluster.local.", "NOERROR")]
    panel.name.value = "currency-exchange.default.svc"
    assert panel.walk() == [("currency-exchange.default.svc.default.svc.cluster.local.", "NXDOMAIN"),
                            ("currency-exchange.default.svc.svc.cluster.local.", "NXDOMAIN"),
                            ("currency-exchange.default.svc.cluster.local.", "NOERROR")]
    assert "after 3 queries" in panel.text.value and "search list first" in panel.text.value
    panel.name.value = "nope"
    assert "NXDOMAIN" in panel.text.value and "✗" in panel.text.value
    assert panel.pictures_sent == 0  # nothing to draw for a name


def test_ingress_tester_shows_the_matched_rule_404_and_the_backend(cluster):
    cluster.install("ingress-nginx")
    cluster.kubectl("create ingress ce --class=nginx --rule=/currency-exchange*=currency-exchange:8000")
    cluster.advance(30)
    panel = W.IngressTester(cluster, path="/currency-exchange/from/USD/to/INR")
    panel.refresh()
    assert panel.trace.ok and panel.trace.status == 200 and panel.trace.pod.startswith("currency-exchange-")
    assert "ingress default/ce" in panel.text.value
    panel.path.value = "/nope"
    assert panel.trace.status == 404 and "HTTP 404" in panel.text.value


def test_ingress_tester_without_a_controller_says_why_nothing_answers(cluster):
    panel = W.IngressTester(cluster, path="/")
    panel.refresh()
    assert not panel.trace.ok and "✗ failed:" in panel.text.value


def test_packet_walk_steps_through_every_hop_and_lights_it(cluster):
    panel = W.PacketWalk(cluster, "http://currency-exchange:8000/", from_pod=client(cluster))
    hops = panel.trace.hops
    assert panel.step.max == len(hops) and panel.step.value == 1
    seen = []
    for _ in hops:
        seen.append(panel.text.value)
        panel.move(1)
    assert panel.step.value == len(hops)
    assert all(f"hop {i + 1} of {len(hops)}" in text for i, text in enumerate(seen))
    assert any("KUBE-SVC-" in text for text in seen)
    assert panel.hops.current == len(hops) - 1
    lit = panel.figure.boxes[f"pod/{panel.trace.pod}"].get_bbox_patch().get_linewidth()
    assert lit > 2


def test_chaos_panel_deletes_a_pod_and_the_service_keeps_answering(cluster):
    panel = W.ChaosPanel(cluster, "currency-exchange", "currency-exchange", client(cluster))
    before = set(cluster.pod_names({"app": "currency-exchange"}))
    panel.delete_pod()
    after = set(cluster.pod_names({"app": "currency-exchange"}))
    assert len(after) == 2 and after != before
    assert "SuccessfulCreate" in panel.text.value and "failed" not in panel.text.value


def test_chaos_panel_node_failure_and_broken_readiness_then_recovery(cluster):
    panel = W.ChaosPanel(cluster, "currency-exchange", "currency-exchange", client(cluster))
    node = cluster.get("Pod", cluster.pod_names({"app": "currency-exchange"})[0]).spec.node_name
    panel.node.value = node
    panel.fail_node()
    for _ in range(6):
        panel.wait()
    assert "NodeNotReady" in str(cluster.events) and "✗" not in panel.text.value  # traffic went to the other pod
    panel.recover_node()
    panel.break_readiness()
    assert "deployment.apps/currency-exchange patched" in panel.text.value and "✗" not in panel.text.value
    panel.fix_readiness()
    assert "rolled back" in panel.text.value


def test_service_discovery_panel_is_built_on_the_same_parts(cluster):
    panel = W.ServiceDiscoveryPanel(cluster, "currency-exchange", "http://currency-exchange:8000/", client(cluster))
    assert isinstance(panel, W.ScaleDeployment) and isinstance(panel.dns, W.DnsExplorer)
    panel.replicas.value = 3
    panel.send()
    pods = cluster.pod_names({"app": "currency-exchange"})
    assert len(pods) == 3 and all(p in panel.text.value for p in pods)
    panel.replicas.value = 0
    panel.send()
    assert "has no endpoints, so the filter table rejects it" in panel.text.value


def test_a_widget_cell_never_writes_to_the_cells_outputs(cluster, capsys):
    panel = W.ServiceDiscoveryPanel(cluster, "currency-exchange", "http://currency-exchange:8000/", client(cluster))
    panel.replicas.value = 3
    panel.send()
    assert capsys.readouterr() == ("", "")  # text goes to HTML widgets, never print(): nbval would see it


@pytest.mark.parametrize("seed", [17, 18])
def test_ingress_tester_on_kind_sends_to_a_node_that_runs_the_controller(seed):
    """The controller's Service has externalTrafficPolicy: Local, so only its pod's node answers on the NodePort
    (found by the browser test: with seed 17 every request of notebook 07's panel was dropped)."""
    lab, _ = W.lab(seed=seed, ingress=True)
    panel = W.IngressTester(lab, path="/currency-exchange/from/USD/to/INR")
    panel.refresh()
    assert panel.trace.ok and panel.trace.status == 200 and panel.trace.pod.startswith("currency-exchange-")
