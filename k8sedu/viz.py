"""Traffic-flow graphs: where new connections go, read from the rules that route ``send()``.

Like networkx itself, three separate steps: ``traffic_graph`` builds a
``networkx.DiGraph`` (sources -> Services -> pods -> nodes); ``layout``
computes positions (pure, no drawing); ``draw`` renders with matplotlib,
imported only when drawing.

The graph computes no share of its own. A source is a client pod, or a node
(its own processes, and a client on the nodes' network reaching its
NodePorts); each of its connections enters that node's netfilter, and
``network.node.rules_distribution`` walks those very tables (and ``recent``
lists) with the one walker ``send()`` uses, following every ``statistic``
branch with the kernel's probability instead of drawing. So a pod's share
is exactly the chance that one new connection lands there:
``internalTrafficPolicy: Local`` gives the client's local pod 100%,
``externalTrafficPolicy: Local`` applies at the node a NodePort connection
reached, a REJECT or DROP is an edge to a ``drop`` node with the reason the
matched rule gives, and with ClientIP affinity a client the node already
remembers is pinned (100%) to its pod.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional

from k8sedu.apiserver import StatusError
from k8sedu.cloud import vpc_client_ip
from k8sedu.errors import from_status
from k8sedu.kube_proxy.matches import Recent
from k8sedu.netfilter import Flow, Packet
from k8sedu.network.node import filter_reason, pod_at, rules_distribution

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from k8sedu.network import Trace
    from k8sedu.objects import Service
    from k8sedu.protocols import Model

COLORS = {"client": "#8e7cc3", "service": "#3d85c6", "pod": "#6aa84f", "pod-not-ready": "#f1c232",
          "pod-terminating": "#cc4125", "node": "#999999", "drop": "#cc0000", "address": "#cccccc"}

Key = tuple[str, str]  # (source graph node, "destination ip:port"): one kind of new connection


@dataclass(frozen=True)
class Source:
    """Where new connections start: ``name`` is its graph node, ``node`` the node whose rules they enter."""

    name: str
    node: str
    ip: str
    from_node: bool = False


def traffic_graph(model: "Model", namespace: str = "default", clients: tuple[str, ...] = (),
                  nodes: Optional[Iterable[str]] = None) -> "nx.DiGraph":
    """Build the graph of sources, Services, the pods the rules send to and the nodes they run on.

    ``clients`` names pods that send (drawn as ``client/<pod>``; they still
    appear as endpoints if a Service selects them); ``nodes`` names nodes
    that send (default: every node when no client is given). Each edge
    from a Service has ``shares``: for each ``(source, "ip:port")`` it
    sends to, the exact probability that one new connection ends there;
    ``share`` is that probability when every source sees the same one, else
    None. ``affinity`` marks ClientIP Services; ``pinned`` lists the keys
    whose client the rules already pin to that pod.
    """
    import networkx as nx

    model.settle()
    graph = nx.DiGraph()
    _add_nodes_and_pods(graph, model, namespace)
    sources = _sources(model, namespace, clients, nodes)
    for source in sources:
        if source.name not in graph:
            graph.add_node(source.name, kind="client", label=source.name.split("/", 1)[1], detail="client")
    for svc in model.api.store.list("Service", namespace):
        if svc.metadata.name != "kubernetes":
            _add_service(graph, model, svc, sources)
    return graph


def _add_nodes_and_pods(graph, model: "Model", namespace: str) -> None:
    for node in model.api.store.list("Node"):
        graph.add_node(f"node/{node.metadata.name}", kind="node", label=node.metadata.name,
                       detail=node.spec.pod_cidr)
    for pod in model.api.store.list("Pod", namespace):
        state = "pod-terminating" if pod.terminating else ("pod" if pod.ready else "pod-not-ready")
        graph.add_node(f"pod/{pod.metadata.name}", kind=state, label=pod.metadata.name,
                       detail=pod.status.pod_ip or "<no IP yet>", node=pod.spec.node_name)
        if pod.spec.node_name:
            graph.add_edge(f"pod/{pod.metadata.name}", f"node/{pod.spec.node_name}", kind="runs-on")


def _sources(model: "Model", namespace: str, clients: tuple[str, ...], nodes: Optional[Iterable[str]]) -> list[Source]:
    try:
        pods = [model.api.get("Pod", namespace, name) for name in clients]
    except StatusError as err:
        raise from_status(err) from None
    sources = [Source(f"client/{p.metadata.name}", p.spec.node_name, p.status.pod_ip) for p in pods]
    names = [n.metadata.name for n in model.api.store.list("Node")] if nodes is None and not clients else nodes
    return sources + [Source(f"node/{n}", n, model.kube_proxy(n).node_ip, from_node=True) for n in names or ()]


def _entries(model: "Model", source: Source, svc: "Service") -> list[tuple[str, Packet]]:
    """The first packet of each kind of connection ``source`` makes to ``svc``, by ``"ip:port"`` it is sent to.

    Every source connects to each cluster-IP port; a node's own processes
    do so from the node, and a client on the nodes' network reaches the
    node's NodePorts. Headless and ExternalName Services have no rules, and
    a pod without an IP yet sends nothing.
    """
    ip = svc.spec.cluster_ip
    if ip in ("", "None") or not source.ip:
        return []
    entries = []
    for port in svc.spec.ports:
        proto = port.protocol.lower()
        entries.append((f"{ip}:{port.port}", Packet(source.ip, ip, port.port, proto, src_local=source.from_node)))
        if source.from_node and port.node_port:
            packet = Packet(vpc_client_ip(model.cloud), source.ip, port.node_port, proto, dst_local=True)
            entries.append((f"{source.ip}:{port.node_port}", packet))
    return entries


def _add_service(graph, model: "Model", svc: "Service", sources: list[Source]) -> None:
    name = f"svc/{svc.metadata.name}"
    ports = ",".join(str(p.port) for p in svc.spec.ports)
    affinity = svc.spec.session_affinity == "ClientIP"
    graph.add_node(name, kind="service", label=svc.metadata.name, detail=f"{svc.spec.cluster_ip}:{ports}",
                   affinity=affinity, namespace=svc.metadata.namespace)
    for pod, conditions in _slice_endpoints(model, svc):
        if f"pod/{pod}" in graph:
            graph.add_edge(name, f"pod/{pod}", kind="endpoint", affinity=affinity, **conditions)
    keys: list[Key] = []
    for source in sources:
        entries = _entries(model, source, svc)
        if entries:
            graph.add_edge(source.name, name, kind="request", affinity=affinity,
                           destinations=tuple(dest for dest, _ in entries))
        for dest, packet in entries:
            keys.append((source.name, dest))
            for flow, p in rules_distribution(model, source.node, packet).items():
                _add_share(graph, model, name, (source.name, dest), flow, p)
    _complete_shares(graph, name, keys)


def _slice_endpoints(model: "Model", svc: "Service") -> list[tuple[str, dict]]:
    """Each endpoint pod of ``svc``'s EndpointSlices, with its conditions."""
    selector = {"kubernetes.io/service-name": svc.metadata.name}
    return [(e.target_ref.name, {"ready": e.conditions.ready is not False,
                                 "serving": e.conditions.serving is not False,
                                 "terminating": bool(e.conditions.terminating)})
            for s in model.api.store.select("EndpointSlice", svc.metadata.namespace, selector)
            for e in s.endpoints if e.target_ref is not None]


def _add_share(graph, model: "Model", svc: str, key: Key, flow: Flow, p: float) -> None:
    """Add ``p``, the probability of one way ``flow`` the connection ``key`` can take, to the edge it ends on."""
    target = _outcome_node(graph, model, svc, key, flow)
    edge = graph.edges[svc, target]
    shares = edge.setdefault("shares", {})
    shares[key] = shares.get(key, 0.0) + p
    if any(isinstance(m, Recent) and m.mode == "rcheck" for _, rule in flow.nat.path for m in rule.matches):
        edge["pinned"] = edge.get("pinned", ()) + (key,)


def _outcome_node(graph, model: "Model", svc: str, key: Key, flow: Flow) -> str:
    """The graph node a connection ends on: its endpoint pod (or bare address), or where it was stopped."""
    if flow.target == "DNAT":
        return _endpoint_node(graph, model, svc, flow.endpoint)
    stopped = flow.target in ("REJECT", "DROP")  # else no rule took it: nothing answers a virtual IP
    node = f"{flow.target.lower() if stopped else 'unrouted'}/{svc.split('/', 1)[1]}"
    rule = flow.verdict.rule
    graph.add_node(node, kind="drop", label=flow.target if stopped else "no rule",
                   detail=rule.comment if rule else "no kube-proxy rule")
    if not graph.has_edge(svc, node):
        graph.add_edge(svc, node, kind="drop", target=flow.target, reasons={}, rules={})
    graph.edges[svc, node]["reasons"][key] = (filter_reason(flow.verdict, key[1]) if stopped else
                                              f"{key[1]}: no kube-proxy rule DNATs it, so nothing answers")
    graph.edges[svc, node]["rules"][key] = rule.to_text() if rule else ""
    return node


def _endpoint_node(graph, model: "Model", svc: str, endpoint: str) -> str:
    pod = pod_at(model, endpoint.rsplit(":", 1)[0])
    in_view = pod is not None and pod.metadata.namespace == graph.nodes[svc]["namespace"]
    node = f"pod/{pod.metadata.name}" if in_view else f"addr/{endpoint}"
    if node not in graph:
        graph.add_node(node, kind="address", label=endpoint, detail="no pod in view has this IP")
    if not graph.has_edge(svc, node):
        graph.add_edge(svc, node, kind="endpoint", affinity=graph.nodes[svc]["affinity"])
    return node


def _complete_shares(graph, svc: str, keys: list[Key]) -> None:
    """Give every edge from ``svc`` a share for every key (0 where no connection ends), and ``share``."""
    for _, _, edge in graph.out_edges(svc, data=True):
        shares = {key: edge.get("shares", {}).get(key, 0.0) for key in keys}
        edge["shares"] = shares
        edge.setdefault("pinned", ())
        distinct = set(shares.values())
        edge["share"] = distinct.pop() if len(distinct) == 1 else None


def layout(graph: "nx.DiGraph") -> dict[str, tuple[float, float]]:
    """Place sources, Services, pods (then drops) and nodes in four columns, ordered for stable drawings.

    Pods are grouped by the node they run on, so traffic crossing nodes shows.
    """
    columns = {"client": 0.0, "service": 1.0, "node": 3.0}
    nodes = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "node")
    pods = sorted((n for n, d in graph.nodes(data=True) if d["kind"].startswith("pod")),
                  key=lambda n: (graph.nodes[n].get("node", ""), n))
    ends = pods + sorted(n for n, d in graph.nodes(data=True) if d["kind"] in ("drop", "address"))
    positions = {name: (2.0, -float(i)) for i, name in enumerate(ends)}
    span = max(len(ends) - 1, 1)
    for kind, x in columns.items():
        members = nodes if kind == "node" else sorted(n for n, d in graph.nodes(data=True) if d["kind"] == kind)
        for i, name in enumerate(members):
            positions[name] = (x, -span * (i + 0.5) / max(len(members), 1))
    return positions


def share_label(edge: dict) -> str:
    """An edge's share as drawn: one percentage, or one per source and port when they differ; affinity says so."""
    if edge.get("share") is not None:
        text = f"{edge['share']:.0%}"
    else:
        text = "\n".join(f"{source.split('/', 1)[1]}:{dest.rsplit(':', 1)[1]} {p:.0%}"
                          for (source, dest), p in edge.get("shares", {}).items())
    return text + (" sticky" if edge.get("affinity") and text else "")


def draw(graph: "nx.DiGraph", ax=None, trace: Optional["Trace"] = None, title: str = ""):
    """Draw ``graph`` with matplotlib; highlight the path of ``trace`` if given."""
    import matplotlib.pyplot as plt
    import networkx as nx

    if ax is None:
        _, ax = plt.subplots(figsize=(10, max(3.0, 0.7 * graph.number_of_nodes())))
    pos = layout(graph)
    kinds = nx.get_node_attributes(graph, "kind")
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=[COLORS[kinds[n]] for n in graph], node_size=900)
    labels = {n: f"{d['label']}\n{d['detail']}" for n, d in graph.nodes(data=True)}
    nx.draw_networkx_labels(graph, pos, labels, ax=ax, font_size=7)
    path = _trace_edges(graph, trace)
    for kind, style in (("request", "solid"), ("endpoint", "solid"), ("drop", "dashed"), ("runs-on", "dotted")):
        edges = [(u, v) for u, v, d in graph.edges(data=True) if d["kind"] == kind]
        colors = ["#cc0000" if (u, v) in path or kind == "drop" else "#444444" for u, v in edges]
        widths = [3.0 if (u, v) in path else 1.0 + 2.0 * max(graph.edges[u, v].get("shares", {}).values(), default=0)
                  for u, v in edges]
        nx.draw_networkx_edges(graph, pos, edgelist=edges, ax=ax, style=style, edge_color=colors, width=widths,
                               arrows=True, node_size=900)
    shares = {(u, v): share_label(d) for u, v, d in graph.edges(data=True) if d["kind"] in ("endpoint", "drop")}
    nx.draw_networkx_edge_labels(graph, pos, shares, ax=ax, font_size=7, label_pos=0.3)
    ax.set_title(title)
    ax.set_axis_off()
    return ax


def _trace_edges(graph, trace) -> set[tuple[str, str]]:
    if trace is None or not trace.ok:
        return set()
    source = trace.source if trace.source.startswith("node/") else f"client/{trace.source.split('/', 1)[1]}"
    pod = f"pod/{trace.pod}"
    edges = set()
    for svc in graph.predecessors(pod):
        if graph.has_edge(source, svc):
            edges |= {(source, svc), (svc, pod)}
    return edges
