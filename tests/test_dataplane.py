"""One data-plane truth: the traffic graph's shares are the walker's exact odds, and send() agrees with them.

For random small clusters (nodes, replicas, Service types, internal and
external traffic policies, ClientIP affinity, client pods), for every source
(each client pod; each node, from its own processes and, at its NodePorts,
from a client on the nodes' network) and every Service it can send to:

(a) the graph's share of each pod (or drop) is the exact probability
    ``netfilter.connection_distribution`` gives one new connection through
    the source node's tables (within 1e-12: the same floats, summed in the
    same order);
(b) every pod ``send()`` reaches has a share > 0, none with share 0 is
    reached, and requests fail only where the graph draws a drop;
(c) from a fixed seed, send(n=2000)'s frequencies match the shares within
    0.05 (the largest standard deviation, at p = 0.5, is 0.011: over 4 sigma);
(d) ClientIP Services are marked ``affinity`` and, once a client has been
    answered, drawn pinned: 100% to the pod the rules remember it on.

A graph that computed its own 1/n split would fail (a) as soon as a Service
has ``internalTrafficPolicy: Local`` and a node without a local endpoint
(its connections are DROPped, the 1/n graph draws them spread); the
``@example`` makes sure such a cluster is always tried.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from k8sedu import Cluster, viz
from k8sedu.kube_proxy.changes import EndpointInfo, ServicePortInfo, ServicePortName
from k8sedu.kube_proxy.iptables import compute_probability, render_tables, service_chain_name
from k8sedu.kube_proxy.matches import Comment, kernel_probability
from k8sedu.kube_proxy.tables import Rule
from k8sedu.netfilter import Packet, Verdict, chain_distribution, connection_distribution
from k8sedu.network.node import filter_reason
from k8sedu.objects import (Container, ContainerPort, Deployment, DeploymentSpec, LabelSelector, ObjectMeta,
                            PodSpec, PodTemplateSpec, Service, ServicePort, ServiceSpec, frozen)

PORT = 8000
VPC_CLIENT = "172.18.0.1"  # a machine next to a kind cluster: what send(source="vpc") uses
SAMPLES, TOLERANCE = 2000, 0.05
FEW = 50  # enough to see which pods a source reaches; the frequencies are checked on SAMPLES


# ---------------------------------------------------------------- the ladder alone

@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 10, 20])
def test_the_exact_odds_of_the_probability_ladder_are_uniform(n):
    name = ServicePortName("default", "web")
    endpoints = tuple(EndpointInfo(f"10.244.1.{i + 2}", 80) for i in range(n))
    nat, _ = render_tables({name: ServicePortInfo("10.96.0.5", 80)}, {name: endpoints})
    odds = chain_distribution(nat, "PREROUTING", Packet("10.244.2.9", "10.96.0.5", 80))
    by_endpoint = {v.to_destination: p for v, p in odds.items()}
    assert sorted(by_endpoint) == sorted(str(e) for e in endpoints)
    # kube-proxy writes 1/(n-i) with 10 decimals and the kernel keeps 31 bits: each rung is off by < 1e-10
    assert all(p == pytest.approx(1 / n, abs=1e-9) for p in by_endpoint.values())
    assert sum(by_endpoint.values()) == pytest.approx(1.0, abs=1e-12)
    assert [by_endpoint[e] for e in ladder_order(nat, name)] == rung_odds(n)


def ladder_order(nat, name) -> list[str]:
    """The endpoints in the order of the KUBE-SVC chain's rungs."""
    rungs = nat.chain(service_chain_name(name)).rules[1:]  # after the masquerade rule
    return [nat.chain(rule.target).rules[-1].to_destination for rule in rungs]


def rung_odds(n: int) -> list[float]:
    """Rung i is reached with the product of (1 - p) of the rungs above it, then taken with its own p."""
    odds, reached = [], 1.0
    for i in range(n):
        p = kernel_probability(compute_probability(n - i)) if i < n - 1 else 1.0
        odds.append(reached * p)
        reached *= 1.0 - p
    return odds


# ---------------------------------------------------------------- drop reasons, from the rule that matched

def stopped_by(chain: str, target: str, comment: str) -> Verdict:
    rule = Rule(chain, target, matches=(Comment(comment),))
    return Verdict(target, path=(("FORWARD", Rule("FORWARD", chain)), (chain, rule)))


@pytest.mark.parametrize("chain, target, comment, reason", [
    ("KUBE-SERVICES", "REJECT", "default/web has no endpoints",
     "10.96.0.5:80: default/web has no endpoints, so the filter table rejects it (connection refused)"),
    ("KUBE-SERVICES", "DROP", "default/web has no local endpoints",
     "10.96.0.5:80: default/web has no local endpoints (internalTrafficPolicy: Local sends cluster-IP traffic "
     "only to endpoints on the client's node), so the filter table drops it"),
    ("KUBE-EXTERNAL-SERVICES", "DROP", "default/web has no local endpoints",
     "10.96.0.5:80: default/web has no local endpoints (externalTrafficPolicy: Local keeps traffic on the node "
     "it reached), so the filter table drops it"),
    # the rule decides, not the words of its comment
    ("KUBE-PROXY-FIREWALL", "DROP", 'default/web has no endpoints "quoted"',
     '10.96.0.5:80: default/web has no endpoints "quoted" -> DROP'),
    ("KUBE-EXTERNAL-SERVICES", "REJECT", "", "10.96.0.5:80: a filter rule, so the filter table rejects it "
                                            "(connection refused)"),
])
def test_a_drop_is_explained_by_the_rule_that_matched(chain, target, comment, reason):
    assert filter_reason(stopped_by(chain, target, comment), "10.96.0.5:80") == reason


def test_a_packet_that_falls_off_to_a_drop_policy_is_explained_by_the_policy():
    assert filter_reason(Verdict("DROP"), "10.96.0.5:80") == "10.96.0.5:80: the filter table's policy -> DROP"


# ---------------------------------------------------------------- random clusters

def deployment(app: str, replicas: int, image: str, port: int) -> Deployment:
    labels = frozen({"app": app})
    template = PodTemplateSpec(ObjectMeta(labels=labels), PodSpec((Container(app, image, (ContainerPort(port),)),)))
    return Deployment(ObjectMeta(name=app, namespace="default", labels=labels),
                      DeploymentSpec(LabelSelector(labels), template, replicas))


def service(name: str, spec: dict) -> Service:
    external = {"external_traffic_policy": spec["external"]} if spec["type"] == "NodePort" else {}
    return Service(ObjectMeta(name=name, namespace="default"), ServiceSpec(
        ports=(ServicePort(PORT, PORT),), selector=frozen({"app": name}), type=spec["type"],
        internal_traffic_policy=spec["internal"], session_affinity="ClientIP" if spec["affinity"] else "None",
        **external))


service_specs = st.fixed_dictionaries({
    "replicas": st.integers(0, 3), "type": st.sampled_from(["ClusterIP", "NodePort"]),
    "internal": st.sampled_from(["Cluster", "Local"]), "external": st.sampled_from(["Cluster", "Local"]),
    "affinity": st.booleans(),
})

LOCAL_ONLY = {"replicas": 2, "type": "NodePort", "internal": "Local", "external": "Local", "affinity": False}


def build(seed: int, nodes: int, specs: list[dict], clients: int) -> Cluster:
    cluster = Cluster(nodes=nodes, seed=seed)
    cluster.api.create(deployment("client", clients, "in28min/currency-conversion:0.0.1-RELEASE", 8100))
    for i, spec in enumerate(specs):
        cluster.api.create(deployment(f"svc{i}", spec["replicas"], "in28min/currency-exchange:0.0.1-RELEASE", PORT))
        cluster.api.create(service(f"svc{i}", spec))
    cluster.advance(10)
    return cluster


def connections(cluster: Cluster, svc: Service) -> list[tuple[tuple[str, str], str, Packet]]:
    """Every ``(source, "ip:port")`` key the graph should draw for ``svc``, with the node and first packet."""
    ip, node_port = svc.spec.cluster_ip, svc.spec.ports[0].node_port
    out = [((f"client/{p.metadata.name}", f"{ip}:{PORT}"), p.spec.node_name, Packet(p.status.pod_ip, ip, PORT))
           for p in cluster.list("Pod", selector={"app": "client"})]
    for node in cluster.list("Node"):
        name, node_ip = node.metadata.name, node.address("InternalIP")
        out.append(((f"node/{name}", f"{ip}:{PORT}"), name, Packet(node_ip, ip, PORT, src_local=True)))
        if node_port:
            out.append(((f"node/{name}", f"{node_ip}:{node_port}"), name,
                        Packet(VPC_CLIENT, node_ip, node_port, dst_local=True)))
    return out


def walker_odds(cluster: Cluster, node: str, packet: Packet, svc: str) -> dict[str, float]:
    """The walker's exact odds for one new connection, by graph node it ends on (pod, or reject/drop)."""
    proxy = cluster.core.kube_proxy(node)
    odds: dict[str, float] = {}
    for flow, p in connection_distribution(proxy.nat, proxy.filter, packet, proxy.recent, cluster.now,
                                           (proxy.node_ip,)).items():
        pods = cluster.api.store.by_index("Pod", "ip", flow.endpoint.rsplit(":", 1)[0]) if flow.endpoint else []
        stopped = flow.target.lower() if flow.target in ("REJECT", "DROP") else "unrouted"
        where = f"pod/{pods[0].metadata.name}" if pods else f"{stopped}/{svc}"
        odds[where] = odds.get(where, 0.0) + p
    return odds


def graph_shares(graph, svc: str, key) -> dict[str, float]:
    return {target: edge["shares"][key] for _, target, edge in graph.out_edges(f"svc/{svc}", data=True)}


def url(key, svc: str) -> tuple[str, dict]:
    source, dest = key
    if source.startswith("client/"):
        return f"http://{svc}:{PORT}/", {"from_pod": source.split("/", 1)[1]}
    return f"http://{dest}/", {"source": source if dest.endswith(f":{PORT}") else "vpc"}


def sent(cluster: Cluster, key, svc: str, n: int) -> Counter:
    """Where n requests went, by graph node: the pod that answered, or ``failed``."""
    address, where = url(key, svc)
    return Counter({f"pod/{pod}" if pod else "failed": hits for pod, hits in cluster.send(address, n, **where).items()})


def graph(cluster: Cluster):
    clients = tuple(cluster.pod_names({"app": "client"}))
    return viz.traffic_graph(cluster.core, clients=clients, nodes=[n.metadata.name for n in cluster.list("Node")])


def check_against_send(cluster: Cluster, drawn, key, svc: str, n: int) -> None:
    """(b) and (c): send n requests for ``key``; they land where the graph draws shares, as often."""
    shares = graph_shares(drawn, svc, key)
    counts = sent(cluster, key, svc, n)
    failed_share = sum(p for target, p in shares.items() if not target.startswith("pod/"))
    for target, hits in counts.items():
        share = failed_share if target == "failed" else shares.get(target, 0.0)
        assert share > 0, f"{key}: send reached {target}, which the graph gives no share"
        if n >= SAMPLES:
            assert abs(hits / n - share) <= TOLERANCE, (key, target, hits, share)
    for target, share in shares.items():
        if n >= SAMPLES and target.startswith("pod/"):
            assert abs(counts[target] / n - share) <= TOLERANCE, (key, target, counts[target], share)


def check_pinned(cluster: Cluster, key, svc: str) -> object:
    """(d) after one answered request, the graph pins the client to that pod (100%), and marks it so."""
    address, where = url(key, svc)
    first = cluster.request(address, **where)
    drawn = graph(cluster)
    if first.ok:
        edge = drawn.edges[f"svc/{svc}", f"pod/{first.pod}"]
        assert key in edge["pinned"] and edge["shares"][key] == 1.0 and edge["affinity"], key
    return drawn


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), nodes=st.integers(1, 3), specs=st.lists(service_specs, min_size=1, max_size=2),
       clients=st.integers(1, 2), sampled=st.integers(0, 63))
@example(seed=7, nodes=3, specs=[LOCAL_ONLY], clients=2, sampled=0)
def test_the_graph_draws_exactly_what_the_rules_do_and_send_agrees(seed, nodes, specs, clients, sampled):
    cluster = build(seed, nodes, specs, clients)
    drawn = graph(cluster)
    services = [cluster.get("Service", f"svc{i}") for i in range(len(specs))]
    keys = [(svc, conn) for svc in services for conn in connections(cluster, svc)]
    for svc, (key, node, packet) in keys:  # (a)
        name = svc.metadata.name
        expected, shares = walker_odds(cluster, node, packet, name), graph_shares(drawn, name, key)
        assert set(expected) <= set(shares), key
        assert all(shares[t] == pytest.approx(expected.get(t, 0.0), abs=1e-12) for t in shares), (key, shares, expected)
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12), key
    for svc, spec in zip(services, specs):  # (d) affinity is drawn as such
        name = f"svc/{svc.metadata.name}"
        edges = [*drawn.out_edges(name, data=True), *drawn.in_edges(name, data=True)]
        assert all(e["affinity"] is spec["affinity"] for _, _, e in edges if e["kind"] in ("endpoint", "request"))
    for i, (svc, (key, _, _)) in enumerate(keys):  # (b), (c), (d)
        name, sticky = svc.metadata.name, svc.spec.session_affinity == "ClientIP"
        if sticky:
            drawn = check_pinned(cluster, key, name)
        check_against_send(cluster, drawn, key, name, SAMPLES if i == sampled % len(keys) else FEW)
