"""The traffic graph: what can carry traffic, and where new connections go, read from the rules ``send()`` uses.

``traffic_graph`` builds a ``networkx.DiGraph`` of sources (client pods,
nodes, and ``internet``/``vpc`` outside the cluster), the cloud load
balancers in front of LoadBalancer Services, the ingress controller and its
rules, the Services with their ClusterIPs, the pods the rules send to and the
nodes they run on. Every node carries ``kind``, ``label``, ``detail`` and
``state`` (a pod's ``Pending``/``Ready``/``NotReady``/``Terminating``, a
node's ``Ready``/``NotReady``).

The graph computes no share of its own. A source is a client pod, or a node
(its own processes, and a client on the nodes' network reaching its
NodePorts), or a load balancer's client; each of its connections enters a
node's netfilter, and ``network.node.rules_distribution`` walks those very
tables (and ``recent`` lists) with the one walker ``send()`` uses, following
every ``statistic`` branch with the kernel's probability instead of drawing.
So a pod's share is exactly the chance that one new connection lands there:
``internalTrafficPolicy: Local`` gives the client's local pod 100%,
``externalTrafficPolicy: Local`` applies at the node a NodePort connection
reached (and a cloud load balancer sends only to nodes with a ready local
endpoint), a REJECT or DROP is an edge to a ``drop`` node with the reason the
matched rule gives, and with ClientIP affinity a client the node already
remembers is pinned (100%) to its pod.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional

from k8sedu.apiserver import StatusError
from k8sedu import load_balancers
from k8sedu.cloud import INTERNET_CLIENT_IP, vpc_client_ip
from k8sedu.errors import from_status
from k8sedu.kube_proxy.matches import Recent
from k8sedu.netfilter import Flow, Packet
from k8sedu.ingress_nginx.addon import controller_of
from k8sedu.network.node import filter_reason, node_ip, pod_at, rules_distribution

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from k8sedu.cloud import LoadBalancer
    from k8sedu.objects import Service
    from k8sedu.protocols import Model

Key = tuple[str, str]  # (source graph node, "destination ip:port"): one kind of new connection


@dataclass(frozen=True)
class Source:
    """Where new connections start: ``name`` is its graph node, ``node`` the node whose rules they enter."""

    name: str
    node: str
    ip: str
    from_node: bool = False


OUTSIDE = ("internet", "vpc")  # sources outside the cluster, as ``request(source=...)`` names them


def traffic_graph(model: "Model", namespace: str = "default", clients: tuple[str, ...] = (),
                  nodes: Optional[Iterable[str]] = None, outside: tuple[str, ...] = ()) -> "nx.DiGraph":
    """Build the graph of sources, Services, the pods the rules send to and the nodes they run on.

    ``clients`` names pods that send (drawn as ``client/<pod>``; they still
    appear as endpoints if a Service selects them); ``nodes`` names nodes
    that send (default: every node when no client or outside source is
    given); ``outside`` names ``"internet"`` and/or ``"vpc"``, which reach
    the Services' load balancers (and the ingress controller's). Each edge
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
    sources = _sources(model, namespace, clients, nodes, outside)
    for source in sources:
        if source.name not in graph:
            graph.add_node(source.name, kind="client", label=source.name.split("/", 1)[1],
                           detail=source.ip if source.name.startswith("outside/") else "client", state="")
    for svc in model.api.store.list("Service", namespace):
        if svc.metadata.name != "kubernetes":
            _add_service(graph, model, svc, sources)
    _add_ingress(graph, model, namespace, [s for s in sources if s.name.startswith("outside/")])
    return graph


def _add_nodes_and_pods(graph, model: "Model", namespace: str) -> None:
    for node in model.api.store.list("Node"):
        up = node.ready and model.node_is_up(node.metadata.name)
        graph.add_node(f"node/{node.metadata.name}", kind="node", label=node.metadata.name,
                       detail=node.spec.pod_cidr, state="Ready" if up else "NotReady")
    for pod in model.api.store.list("Pod", namespace):
        kind, state = pod_state(pod)
        graph.add_node(f"pod/{pod.metadata.name}", kind=kind, label=pod.metadata.name, state=state,
                       detail=pod.status.pod_ip or "<no IP yet>", node=pod.spec.node_name)
        if pod.spec.node_name:
            graph.add_edge(f"pod/{pod.metadata.name}", f"node/{pod.spec.node_name}", kind="runs-on")


def pod_state(pod) -> tuple[str, str]:
    """A pod's graph kind and the state a legend names: Pending (no IP or not running yet), Ready, NotReady, Terminating."""
    if pod.terminating:
        return "pod-terminating", "Terminating"
    if pod.ready:
        return "pod", "Ready"
    if pod.status.phase == "Pending" or not pod.status.pod_ip:
        return "pod-pending", "Pending"
    return "pod-not-ready", "NotReady"


def _sources(model: "Model", namespace: str, clients: tuple[str, ...], nodes: Optional[Iterable[str]],
             outside: tuple[str, ...]) -> list[Source]:
    try:
        pods = [model.api.get("Pod", namespace, name) for name in clients]
    except StatusError as err:
        raise from_status(err) from None
    unknown = [o for o in outside if o not in OUTSIDE]
    if unknown:
        raise ValueError(f"unknown outside source {unknown[0]!r}: use one of {', '.join(OUTSIDE)}")
    sources = [Source(f"client/{p.metadata.name}", p.spec.node_name, p.status.pod_ip) for p in pods]
    default = nodes is None and not clients and not outside
    names = [n.metadata.name for n in model.api.store.list("Node")] if default else nodes
    sources += [Source(f"node/{n}", n, model.kube_proxy(n).node_ip, from_node=True) for n in names or ()]
    ips = {"internet": INTERNET_CLIENT_IP, "vpc": vpc_client_ip(model.cloud)}
    return sources + [Source(f"outside/{o}", "", ips[o]) for o in outside]


Entry = tuple[str, list[tuple[str, Packet, float]]]  # ("ip:port" sent to, [(node, first packet, weight)])


def _entries(model: "Model", source: Source, svc: "Service") -> list[Entry]:
    """Each kind of connection ``source`` makes to ``svc``: the ``"ip:port"`` it is sent to, and the
    node(s) whose rules it enters with what first packet and what chance.

    Every source in the cluster connects to each cluster-IP port; a node's
    own processes do so from the node, and a client on the nodes' network
    reaches the node's NodePorts. Outside sources go through the Service's
    load balancers instead. Headless and ExternalName Services have no
    rules, and a pod without an IP yet sends nothing.
    """
    ip = svc.spec.cluster_ip
    if ip in ("", "None") or not source.ip:
        return []
    if source.name.startswith("outside/"):
        return [entry for lb in _load_balancers_of(model, svc) for entry in _lb_entries(model, source, svc, lb)]
    entries: list[Entry] = []
    for port in svc.spec.ports:
        proto = port.protocol.lower()
        packet = Packet(source.ip, ip, port.port, proto, src_local=source.from_node)
        entries.append((f"{ip}:{port.port}", [(source.node, packet, 1.0)]))
        if source.from_node and port.node_port:
            packet = Packet(vpc_client_ip(model.cloud), source.ip, port.node_port, proto, dst_local=True)
            entries.append((f"{source.ip}:{port.node_port}", [(source.node, packet, 1.0)]))
    return entries


def _load_balancers_of(model: "Model", svc: "Service") -> list["LoadBalancer"]:
    key = (svc.metadata.namespace, svc.metadata.name)
    return [lb for lb in model.addons.load_balancers() if lb.service == key and model.now >= lb.ready_at]


def _lb_entries(model: "Model", source: Source, svc: "Service", lb: "LoadBalancer") -> list[Entry]:
    """A load balancer hands each new connection to one of its healthy nodes, each as likely (its
    NodePort, or the LB address itself for MetalLB); a private address is not reached from the internet."""
    if source.name == "outside/internet" and not lb.internet_reachable:
        return []
    backends = load_balancers.backends(model, svc, lb)
    entries: list[Entry] = []
    for port in svc.spec.ports:
        proto = port.protocol.lower()
        ways = []
        for node in backends:
            dst, dport = (node_ip(model, node), port.node_port) if lb.forwards_to_node_port else (lb.address, port.port)
            ways.append((node, Packet(source.ip, dst, dport, proto, dst_local=lb.forwards_to_node_port),
                         1.0 / len(backends)))
        entries.append((f"{lb.address}:{port.port}", ways))
    return entries


def _add_service(graph, model: "Model", svc: "Service", sources: list[Source]) -> None:
    name = f"svc/{svc.metadata.name}"
    ports = ",".join(str(p.port) for p in svc.spec.ports)
    affinity = svc.spec.session_affinity == "ClientIP"
    detail = (f"CNAME {svc.spec.external_name}" if svc.spec.type == "ExternalName" else
              f"{svc.spec.cluster_ip}:{ports}")
    graph.add_node(name, kind="service", label=svc.metadata.name, detail=detail,
                   affinity=affinity, namespace=svc.metadata.namespace, type=svc.spec.type, state="")
    for pod, conditions in _slice_endpoints(model, svc):
        if f"pod/{pod}" in graph:
            graph.add_edge(name, f"pod/{pod}", kind="endpoint", affinity=affinity, **conditions)
    keys: list[Key] = []
    for source in sources:
        entries = _entries(model, source, svc)
        if entries:
            _add_request(graph, model, source, svc, name, affinity, tuple(dest for dest, _ in entries))
        for dest, ways in entries:
            keys.append((source.name, dest))
            for node, packet, weight in ways:
                for flow, p in rules_distribution(model, node, packet).items():
                    _add_share(graph, model, name, (source.name, dest), flow, p * weight)
    _complete_shares(graph, name, keys)


def _add_request(graph, model: "Model", source: Source, svc: "Service", name: str, affinity: bool,
                 destinations: tuple[str, ...]) -> None:
    """The edge a source's requests take to the Service: direct, or through the Service's load balancer."""
    if not source.name.startswith("outside/"):
        graph.add_edge(source.name, name, kind="request", affinity=affinity, destinations=destinations)
        return
    for lb in _load_balancers_of(model, svc):
        lb_node = f"lb/{lb.name}"
        graph.add_node(lb_node, kind="load-balancer", label=lb.name, detail=lb.hostname or lb.address, state="")
        graph.add_edge(source.name, lb_node, kind="request", affinity=affinity, destinations=destinations)
        graph.add_edge(lb_node, name, kind="request", affinity=affinity, destinations=destinations)


def _add_ingress(graph, model: "Model", namespace: str, outside: list[Source]) -> None:
    """The ingress controller and its rules: one ``route`` edge per location that sends to a Service here.

    Outside sources reach it through its own Service's load balancer (or, on
    kind, the hostPorts of the node it runs on).
    """
    controller = controller_of(model)
    if controller is None:
        return
    routes = [(server.hostname, loc) for server in controller.configuration.servers for loc in server.locations
              if loc.service and loc.ingress.startswith(f"{namespace}/") and f"svc/{loc.service}" in graph]
    node = "ingress/ingress-nginx"
    running = bool(controller.running_pods())
    graph.add_node(node, kind="ingress", label="ingress-nginx", detail=f"{len(routes)} rule(s)",
                   state="Ready" if running else "NotReady")
    for host, loc in routes:
        where = ("" if host == "_" else host) + (loc.ingress_path or loc.path)
        graph.add_edge(node, f"svc/{loc.service}", kind="route", rule=where, port=loc.service_port)
    for source in outside:
        graph.add_edge(source.name, node, kind="request", affinity=False, destinations=())


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


def share_label(edge: dict) -> str:
    """An edge's share as drawn: one percentage, or one per source and port when they differ; affinity says so."""
    if edge.get("share") is not None:
        text = f"{edge['share']:.0%}"
    else:
        text = "\n".join(f"{source.split('/', 1)[1]}:{dest.rsplit(':', 1)[1]} {p:.0%}"
                          for (source, dest), p in edge.get("shares", {}).items())
    return text + (" sticky" if edge.get("affinity") and text else "")
