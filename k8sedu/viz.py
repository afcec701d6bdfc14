"""Traffic-flow graphs: who can send to whom, built from a snapshot of the cluster.

Like networkx itself, three separate steps: ``traffic_graph`` builds a
``networkx.DiGraph`` from the store (clients -> Services -> pods -> nodes, with
each Service -> pod edge carrying the endpoint's conditions and the share of
new connections kube-proxy sends it); ``layout`` computes positions (pure, no
drawing); ``draw`` renders with matplotlib, imported only when drawing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from k8sedu.protocols import Model
    from k8sedu.network import Trace

COLORS = {"client": "#8e7cc3", "service": "#3d85c6", "pod": "#6aa84f", "pod-not-ready": "#f1c232",
          "pod-terminating": "#cc4125", "node": "#999999"}


def _usable(endpoints):
    ready = [e for e in endpoints if e["ready"]]
    return ready or [e for e in endpoints if e["serving"] and e["terminating"]]


def traffic_graph(cluster: "Model", namespace: str = "default", clients: tuple[str, ...] = ()) -> "nx.DiGraph":
    """Build the graph of Services, their endpoint pods and the nodes they run on.

    ``clients`` names pods drawn as the source of traffic (they still appear
    as endpoints if a Service selects them).
    """
    import networkx as nx

    graph = nx.DiGraph()
    store = cluster.api.store
    for node in store.list("Node"):
        graph.add_node(f"node/{node.metadata.name}", kind="node", label=node.metadata.name,
                       detail=node.spec.pod_cidr)
    for pod in store.list("Pod", namespace):
        state = "pod-terminating" if pod.terminating else ("pod" if pod.ready else "pod-not-ready")
        graph.add_node(f"pod/{pod.metadata.name}", kind=state, label=pod.metadata.name,
                       detail=pod.status.pod_ip or "<no IP yet>", node=pod.spec.node_name)
        if pod.spec.node_name:
            graph.add_edge(f"pod/{pod.metadata.name}", f"node/{pod.spec.node_name}", kind="runs-on")
    for svc in store.list("Service", namespace):
        if svc.metadata.name == "kubernetes":
            continue
        _add_service(graph, svc, store)
    for client in clients:
        graph.add_node(f"client/{client}", kind="client", label=client, detail="client")
        for svc in store.list("Service", namespace):
            if f"svc/{svc.metadata.name}" in graph:
                graph.add_edge(f"client/{client}", f"svc/{svc.metadata.name}", kind="request")
    return graph


def _add_service(graph, svc, store) -> None:
    ports = ",".join(str(p.port) for p in svc.spec.ports)
    graph.add_node(f"svc/{svc.metadata.name}", kind="service", label=svc.metadata.name,
                   detail=f"{svc.spec.cluster_ip}:{ports}")
    endpoints = []
    for s in store.select("EndpointSlice", svc.metadata.namespace,
                          {"kubernetes.io/service-name": svc.metadata.name}):
        for e in s.endpoints:
            if e.target_ref is not None:
                endpoints.append({"pod": e.target_ref.name, "ready": e.conditions.ready is not False,
                                  "serving": e.conditions.serving is not False,
                                  "terminating": bool(e.conditions.terminating)})
    usable = _usable(endpoints)
    for e in endpoints:
        share = 1 / len(usable) if e in usable else 0.0
        graph.add_edge(f"svc/{svc.metadata.name}", f"pod/{e['pod']}", kind="endpoint", share=share,
                       ready=e["ready"], serving=e["serving"], terminating=e["terminating"])


def layout(graph: "nx.DiGraph") -> dict[str, tuple[float, float]]:
    """Place clients, Services, pods and nodes in four columns, ordered for stable drawings.

    Pods are grouped by the node they run on, so traffic crossing nodes shows.
    """
    columns = {"client": 0.0, "service": 1.0, "node": 3.0}
    nodes = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "node")
    pods = sorted((n for n, d in graph.nodes(data=True) if d["kind"].startswith("pod")),
                  key=lambda n: (graph.nodes[n].get("node", ""), n))
    positions = {}
    for i, name in enumerate(pods):
        positions[name] = (2.0, -float(i))
    for kind, x in columns.items():
        members = nodes if kind == "node" else sorted(n for n, d in graph.nodes(data=True) if d["kind"] == kind)
        span = max(len(pods) - 1, 1)
        for i, name in enumerate(members):
            positions[name] = (x, -span * (i + 0.5) / max(len(members), 1))
    return positions


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
    for kind, style in (("request", "solid"), ("endpoint", "solid"), ("runs-on", "dotted")):
        edges = [(u, v) for u, v, d in graph.edges(data=True) if d["kind"] == kind]
        colors = ["#cc0000" if (u, v) in path else "#444444" for u, v in edges]
        widths = [3.0 if (u, v) in path else 1.0 + 2.0 * graph.edges[u, v].get("share", 0) for u, v in edges]
        nx.draw_networkx_edges(graph, pos, edgelist=edges, ax=ax, style=style, edge_color=colors, width=widths,
                               arrows=True, node_size=900)
    shares = {(u, v): f"{d['share']:.0%}" for u, v, d in graph.edges(data=True) if d["kind"] == "endpoint"}
    nx.draw_networkx_edge_labels(graph, pos, shares, ax=ax, font_size=7, label_pos=0.3)
    ax.set_title(title)
    ax.set_axis_off()
    return ax


def _trace_edges(graph, trace) -> set[tuple[str, str]]:
    if trace is None or not trace.ok:
        return set()
    client = f"client/{trace.source.split('/', 1)[1]}"
    pod = f"pod/{trace.pod}"
    edges = set()
    for svc in graph.predecessors(pod):
        if graph.has_edge(client, svc):
            edges |= {(client, svc), (svc, pod)}
    return edges
