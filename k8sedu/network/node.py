"""On a node: the connection passes netfilter, is DNATed, routed to a pod, and the app answers.

Mirrors the kernel path a new connection takes on a Linux node running
kube-proxy in iptables mode: the ``nat`` table first (``PREROUTING`` for a
packet arriving from a pod or from the wire, ``OUTPUT`` for one a process on
the node sends), where kube-proxy's ``KUBE-SERVICES`` rules may DNAT it to one
endpoint; then the ``filter`` table (``FORWARD``, ``INPUT`` or ``OUTPUT``),
where kube-proxy REJECTs Services without endpoints and DROPs traffic for
``externalTrafficPolicy: Local`` Services without a local endpoint. The
pod network (CNI) then routes the packet to the node whose ``podCIDR`` holds
the destination and on to the pod, or out of the cluster (egress, masqueraded
to the node's IP). Last, the container either listens on the port and
answers, or the kernel refuses the connection.

Not every destination is a pod: a node's own addresses (a NodePort, a
hostPort, the API server on the control plane's 6443, ``localhost`` on the
node), another node's address (the packet crosses to that node and meets its
rules there) and the managed API endpoint of a cloud are real destinations;
``hosts`` knows what listens there and which source address the packet
carries (a masquerade writes the address of the interface it leaves by).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import TYPE_CHECKING, Optional

from k8sedu import coredns, images, kindnet, load_balancers
from k8sedu.kube_proxy.names import KUBE_EXTERNAL_SERVICES, KUBE_SERVICES
from k8sedu.netfilter import Flow, Packet, Verdict, connection_distribution, trace_chain, trace_connection
from k8sedu.network import hosts, ingress
from k8sedu.network.trace import CONNECTION_REFUSED, EMPTY_REPLY, TIMED_OUT, Request, Trace

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cloud import LoadBalancer
    from k8sedu.protocols import DataPlane
    from k8sedu.objects import Pod


def on_node(core: "DataPlane", req: Request, node: str, dst_ip: str, dport: int,
            dst_local: Optional[bool] = None, src: str = "") -> Trace:
    """Carry the request's connection from ``node``'s netfilter to whatever answers ``dst_ip:dport``.

    ``dst_local`` says the packet is addressed to one of the node's own
    addresses (a NodePort, a hostPort, the API server), which decides the
    filter chain it passes; left out, it is worked out from the node's
    addresses. ``src`` is the packet's source if it is not the client's own
    address (loopback, or a source a hop before rewrote).
    """
    if not core.node_is_up(node):
        return req.fail(f"node/{node}", "down", f"node {node} is down: nothing answers there", TIMED_OUT)
    src = src or req.client.ip
    local = dst_ip in hosts.local_addresses(core, node) if dst_local is None else dst_local
    from_here = req.client.kind == "node" and req.client.node == node  # a process on this node sends it
    packet = Packet(src, dst_ip, dport, dst_local=local, src_local=from_here)
    flow = through_rules(core, node, packet)
    where = f"kube-proxy rules ({node})"
    if flow.target not in ("REJECT", "DROP", "DNAT") and from_here and local:
        flow = _back_in_through_input(core, node, flow)  # sent to itself: the packet comes back in by INPUT
    if flow.target in ("REJECT", "DROP"):
        # a REJECT answers at once (connection refused); a DROP leaves curl waiting until it times out
        code = CONNECTION_REFUSED if flow.target == "REJECT" else TIMED_OUT
        why = filter_reason(flow.verdict, f"{dst_ip}:{dport}")
        return req.fail(where, flow.target, why, code, matched_rules(flow))
    if flow.target != "DNAT":
        return _no_dnat(core, req, node, dst_ip, dport, local, src)
    if flow.nat.rule is not None and flow.nat.rule.chain.startswith("CNI-DN-"):
        return _through_portmap(core, req, node, f"{dst_ip}:{dport}", flow, src)
    # KUBE-MARK-MASQ only marks; KUBE-POSTROUTING then SNATs to the address of the interface the packet
    # leaves by. Pods reaching a ClusterIP are not marked (`! -s <clusterCIDR>`), but hairpin traffic,
    # nodes and NodePort traffic are.
    masquerade = flow.masquerade
    req.record(where, "DNAT", f"{dst_ip}:{dport} -> {flow.endpoint} via {_chains(flow.nat)}"
               + (" (masquerade: the server will see this node's address as the source)" if masquerade else ""),
               matched_rules(flow))
    final_ip, port = flow.endpoint.rsplit(":", 1)
    return to_pod(core, req, node, final_ip, int(port), src, masquerade)


def _back_in_through_input(core: "DataPlane", node: str, flow: Flow) -> Flow:
    """A packet a node sends to its own address leaves by OUTPUT and comes back by INPUT (over ``lo``).

    So filter INPUT's rules apply too: kube-proxy's REJECT for a NodePort
    without endpoints sits in KUBE-EXTERNAL-SERVICES, reached from INPUT only.
    """
    proxy = core.kube_proxy(node)
    verdict = trace_chain(proxy.filter, "INPUT", flow.packet, core.random, proxy.recent, core.now)
    if verdict.target in ("REJECT", "DROP"):
        return dataclasses.replace(flow, filter=verdict, filter_chain="INPUT")
    return flow


def through_rules(core: "DataPlane", node: str, packet: Packet) -> Flow:
    """Run one new connection through ``node``'s netfilter hooks: nat, then filter.

    The ``statistic`` matches draw from ``core.random``, so every call
    consumes random numbers in the order the rules are walked, and ClientIP
    affinity records the client in the node's ``recent`` lists.
    """
    proxy = core.kube_proxy(node)
    return trace_connection(kindnet.node_nat(core, node), proxy.filter, packet, core.random, proxy.recent, core.now,
                            (proxy.node_ip,))


def rules_distribution(core: "DataPlane", node: str, packet: Packet) -> dict[Flow, float]:
    """Where one new connection through ``node``'s rules goes, each ``Flow`` with its exact probability.

    The same walk as ``through_rules``, over the same tables and ``recent``
    lists, but it follows every ``statistic`` branch instead of drawing, and
    changes nothing: the traffic graph reads its shares here.
    """
    proxy = core.kube_proxy(node)
    return connection_distribution(kindnet.node_nat(core, node), proxy.filter, packet, proxy.recent, core.now,
                                   (proxy.node_ip,))


def _through_portmap(core: "DataPlane", req: Request, node: str, dest: str, flow: Flow, src: str) -> Trace:
    """A hostPort: the CNI portmap plugin's ``CNI-DN-`` chain DNATed it to the pod; POSTROUTING decides the source.

    Portmap marks connections from the pod's own subnet (hairpin) and from
    127.0.0.1 (CNI-HOSTPORT-SETMARK), and CNI-HOSTPORT-MASQ masquerades what
    carries the mark; anything else keeps its source.
    """
    pod_ip, target = flow.endpoint.rsplit(":", 1)
    pod = pod_at(core, pod_ip)
    post = kindnet.postrouting(kindnet.node_nat(core, node), flow.packet, flow.nat.mark)
    seen = hosts.source_toward(core, node, pod_ip) if post.target == "MASQUERADE" else src
    port = next(p.host_port for c in pod.spec.containers for p in c.ports if p.container_port == int(target))
    masq = f" (masqueraded by {post.rule.chain}: the pod sees {seen})" if seen != src else ""
    req.record(f"portmap ({node})", "DNAT",
               f"{dest} -> {flow.endpoint}: hostPort {port} of pod {pod.metadata.name} (the CNI portmap "
               f"plugin's CNI-HOSTPORT-DNAT -> {flow.nat.rule.chain} rules){masq}",
               matched_rules(flow) + tuple(f"{c}: {r.to_text()}" for c, r in post.path))
    return deliver(core, req, pod, int(target), seen)


def to_pod(core: "DataPlane", req: Request, node: str, ip: str, port: int, source: str,
           masquerade: bool = False) -> Trace:
    """Route from ``node`` to the pod that has ``ip`` and deliver there (or to the node or API server at ``ip``).

    The server sees ``source``, or, when the node masqueraded, the address of
    the interface the packet left by (``hosts.source_toward``).
    """
    seen = hosts.source_toward(core, node, ip) if masquerade else source
    dest = pod_at(core, ip)
    if dest is None:
        return _to_address(core, req, node, ip, port, seen)
    req.record("network", "routed", _route(core, node, dest, ip))
    return deliver(core, req, dest, port, seen)


def _no_dnat(core: "DataPlane", req: Request, node: str, dst_ip: str, dport: int, dst_local: bool,
             src: str) -> Trace:
    """No kube-proxy rule took the connection: it goes to the node itself, a pod IP, or on out of the node."""
    if dst_local:
        return _on_this_node(core, req, node, dst_ip, dport, src)
    dest = pod_at(core, dst_ip)
    if dest is None:
        return _to_address(core, req, node, dst_ip, dport, src)
    routable = core.cloud is not None and core.cloud.provider.pods_vpc_routable
    if req.client.kind not in ("pod", "node") and not (routable and req.client.kind == "vpc"):
        why = f"{dst_ip} is a pod IP: pod IPs are not routed outside the cluster network"
        return req.fail("network", "no route", why, TIMED_OUT)
    req.record("network", "routed", _route(core, node, dest, dst_ip))
    return deliver(core, req, dest, dport, src)


def _on_this_node(core: "DataPlane", req: Request, node: str, ip: str, port: int, seen: str) -> Trace:
    """One of the node's own addresses: a hostPort (CNI portmap), the API server, or nothing listening.

    On kind a hostPort never gets here: the node's nat table holds portmap's
    rules and ``_through_portmap`` follows them. A cloud node's table is
    kube-proxy's alone, so its hostPorts are forwarded here.
    """
    pod = hosts.host_port_pod(core, node, port)
    if pod is not None:
        target = next(p.container_port for c in pod.spec.containers for p in c.ports if p.host_port == port)
        if hosts.is_loopback(seen):  # portmap masquerades localhost connections (CNI-HOSTPORT-MASQ)
            seen = hosts.source_toward(core, node, pod.status.pod_ip)
        req.record(f"portmap ({node})", "DNAT",
                   f"{ip}:{port} -> {pod.status.pod_ip}:{target}: hostPort {port} of pod {pod.metadata.name} "
                   "(the CNI portmap plugin's CNI-HOSTPORT-DNAT rule)")
        return deliver(core, req, pod, target, seen)
    if hosts.apiserver_port_on(core, node, ip) == port:
        return hosts.answer_apiserver(req, f"{hosts.APISERVER} ({node})", ip, port, seen)
    if hosts.kubelet_listens(core, node, ip, port):
        return hosts.answer_kubelet(req, f"kubelet ({node})", ip, port, seen)
    note = ingress.ingress_note(core, req.target.host_header) if port in (80, 443) else ""
    return hosts.nothing_listens(req, node, ip, port, note)


def _to_address(core: "DataPlane", req: Request, node: str, ip: str, port: int, src: str) -> Trace:
    """An address that is not a pod: this node, another node, the managed API server, or outside the core."""
    if ip in hosts.local_addresses(core, node):
        return _on_this_node(core, req, node, ip, port, src)
    leaving, masq_rules = _leaving(core, node, src, ip, port)
    other = hosts.node_with_address(core, ip)
    if other is not None:
        name = other.metadata.name
        req.record("network", "routed", f"{ip} is node {name}'s address: sent from {node} over the nodes' "
                   "network" + hosts.masquerade_note(core, src, leaving), masq_rules)
        return on_node(core, req, name, ip, port, dst_local=True, src=leaving)
    api_port = hosts.apiserver_endpoints(core).get(ip)
    if api_port is not None and core.cloud is not None:
        provider = core.cloud.provider.name
        req.record("network", "routed", f"{ip} is {provider}'s API server endpoint (the managed control plane, "
                   "outside the nodes)" + hosts.masquerade_note(core, src, leaving))
        if api_port != port:
            why = f"the API server endpoint {ip} listens on port {api_port}, not {port}"
            return req.fail(f"{hosts.APISERVER} ({provider})", "refused", why, CONNECTION_REFUSED)
        return hosts.answer_apiserver(req, f"{hosts.APISERVER} ({provider} control plane)", ip, port, leaving)
    lb = _public_load_balancer(core, ip)
    if lb is not None and not _through(req, lb):  # an ELB's address (no kube-proxy rule for a hostname): out and back in
        req.record("network", "egress", f"{ip} is the public address of the load balancer {lb.name}: the packet "
                   f"leaves through node {node}" + hosts.masquerade_note(core, src, leaving), masq_rules)
        return via_load_balancer(core, req, lb, src=leaving)
    if ip in _external_hosts():
        return _egress(core, req, node, ip, src)
    return req.fail("network", "dropped", why_unreachable(core, ip), TIMED_OUT)


def _through(req: Request, lb: "LoadBalancer") -> bool:
    """Whether the request already came through ``lb`` (it must not loop back into it)."""
    return any(h.component == lb.kind and lb.name in h.detail for h in req.hops)


def _public_load_balancer(core: "DataPlane", ip: str) -> Optional["LoadBalancer"]:
    """The ready cloud load balancer reachable from the internet at ``ip``, if any."""
    for lb in core.addons.load_balancers():
        if lb.address == ip and lb.internet_reachable and core.now >= lb.ready_at:
            return lb
    return None


def _leaving(core: "DataPlane", node: str, src: str, dst_ip: str, port: int) -> tuple[str, tuple[str, ...]]:
    """The source a packet carries when it leaves ``node`` for ``dst_ip`` (no pod's address), and the rules
    that rewrote it.

    On kind, nat POSTROUTING decides (kindnetd's KIND-MASQ-AGENT masquerades
    everything not bound for the node itself or the pod subnet); on a cloud
    its CNI does what ``hosts.leaves_pod_network`` says.
    """
    if core.cloud is not None:
        return hosts.leaves_pod_network(core, node, src, dst_ip), ()
    local = dst_ip in hosts.local_addresses(core, node)
    post = kindnet.postrouting(kindnet.node_nat(core, node), Packet(src, dst_ip, port, dst_local=local))
    if post.target != "MASQUERADE":
        return src, ()
    after = hosts.source_toward(core, node, dst_ip)
    return after, (tuple(f"{c}: {r.to_text()}" for c, r in post.path) if after != src else ())


def _egress(core: "DataPlane", req: Request, node: str, dst_ip: str, src: str) -> Trace:
    """The request leaves the core, e.g. after an ExternalName CNAME, to a server outside.

    On kind, the node's nat POSTROUTING masquerades it (KIND-MASQ-AGENT's
    last rule); a cloud's CNI masquerades egress to the node's IP too.
    """
    host = _external_hosts()[dst_ip]
    ip, rules, who = node_ip(core, node), (), "the node"
    if core.cloud is None:
        post = kindnet.postrouting(kindnet.node_nat(core, node), Packet(src, dst_ip, req.target.port))
        ip = hosts.source_toward(core, node, dst_ip) if post.target == "MASQUERADE" else src
        rules, who = tuple(f"{c}: {r.to_text()}" for c, r in post.path), "kindnet's KIND-MASQ-AGENT"
    how = f"masqueraded to the node's IP {ip} by {who}" if ip != src else f"with its source {src}"
    if ip == src and rules and rules[-1].endswith("-j MASQUERADE"):
        how = f"from the node's own IP {ip} ({who} masquerades it to that same address)"
    req.record("network", "egress", f"{dst_ip} is outside the cluster: the packet leaves through "
               f"node {node}, {how}", rules)
    req.record(host, "answered", f"HTTP 200 from {dst_ip}:{req.target.port}, a server outside the cluster")
    return req.answered(200, host, f"<!doctype html><html><head><title>{host}</title>", client_ip_seen=ip)


def via_load_balancer(core: "DataPlane", req: Request, lb: "LoadBalancer", src: str = "") -> Trace:
    """The load balancer checks its listener, then hands the connection to one healthy node.

    ``src`` is the source address it sees when that is not the client's own
    (a pod's connection leaves through its node's SNAT).
    """
    svc = core.api.try_get("Service", *lb.service)
    port = next((p for p in svc.spec.ports if p.port == req.target.port and p.protocol == "TCP"), None) if svc else None
    if port is None:  # an HTTP request is TCP: a UDP port of the same number is another listener
        why = f"the load balancer {lb.name} has no TCP listener on port {req.target.port}"
        return req.fail("cloud load balancer", "refused", why, CONNECTION_REFUSED)
    if not lb.internet_reachable and req.client.kind in ("internet", "pod", "node"):
        why = f"{lb.address} is a private address (an L2 pool on the nodes' network): not reachable from the internet"
        return req.fail("network", "no route", why, TIMED_OUT)
    backends = load_balancers.backends(core, svc, lb)
    if not backends:
        why = f"the load balancer {lb.name} has no healthy backend node (health checks fail on every node)"
        return req.fail("cloud load balancer", "no backend", why, EMPTY_REPLY)
    node = core.random.choice(backends)  # one draw per connection, after the checks above
    if lb.forwards_to_node_port:
        ip = node_ip(core, node)
        req.record("cloud load balancer", "forwarded",
                   f"{lb.name} picked healthy node {node} ({len(backends)} healthy) and sent the "
                   f"connection to its NodePort {ip}:{port.node_port}")
        return on_node(core, req, node, ip, port.node_port, dst_local=True, src=src)
    req.record(lb.kind, "forwarded", f"{lb.name} picked node {node} ({len(backends)} eligible) and delivered the "
               f"packet still addressed to {lb.address}:{req.target.port}")
    return on_node(core, req, node, lb.address, req.target.port, src=src)


def deliver(core: "DataPlane", req: Request, dest: "Pod", port: int, seen_source: str) -> Trace:
    """Hand the connection to pod ``dest``: its app answers, nginx routes it, or nothing listens."""
    name = dest.metadata.name
    if not core.node_is_up(dest.spec.node_name):
        why = f"pod {name} is on node {dest.spec.node_name}, which is down: nothing answers"
        return req.fail(f"pod/{name}", "no answer", why, TIMED_OUT)
    controller = core.addons.serving(dest, port)  # an add-on's own program (ingress-nginx's nginx) answers there
    if controller is not None:
        return _through_ingress_nginx(core, req, controller, dest, seen_source)
    app = images.listener(dest, port) if dest.status.phase == "Running" else None
    if app is None:
        return req.fail(f"pod/{name}", "refused", f"nothing listens on port {port} in pod {name}", CONNECTION_REFUSED)
    body = app.answer(dest, req.target.path)
    status = 404 if body.startswith("404") else 200
    req.record(f"pod/{name}", "answered",
               f"HTTP {status} from {dest.status.pod_ip}:{port} (it sees the request coming from {seen_source})")
    core.logs.access(dest, port, seen_source, core.now, req.target.path, status, body,
                     req.target.user_agent)  # for `kubectl logs`
    return req.answered(status, f"pod/{name}", body, pod=name, client_ip_seen=seen_source)


def _through_ingress_nginx(core: "DataPlane", req: Request, controller, nginx_pod: "Pod",
                           seen_source: str) -> Trace:
    """nginx answers itself, or proxies from its own pod to one pod endpoint (not via a ClusterIP)."""
    answer = ingress.through_ingress_nginx(req, controller, nginx_pod, seen_source)
    if isinstance(answer, Trace):
        return answer
    return to_pod(core, req, nginx_pod.spec.node_name, answer.address, answer.port, nginx_pod.status.pod_ip)


def pod_at(core: "DataPlane", ip: str) -> Optional["Pod"]:
    """The pod that has ``ip``, if any."""
    pods = core.api.store.by_index("Pod", "ip", ip)
    return pods[0] if pods else None


def node_ip(core: "DataPlane", node: str) -> str:
    """``node``'s InternalIP."""
    return core.node_ip(node)


def why_unreachable(core: "DataPlane", ip: str) -> str:
    """Why a packet for ``ip`` found no pod inside the core."""
    if ip in core.api.service_ips:
        return (f"{ip} is in the Service range but no rule matched it on this port: "
                "a ClusterIP is virtual, nothing answers without a kube-proxy rule")
    if ipaddress.ip_address(ip) in ipaddress.ip_network(core.cluster_cidr):
        return f"no pod has IP {ip} (pods are ephemeral: a replaced pod gets a new IP)"
    return (f"nothing answers at {ip}: it is not a pod, node, Service or API server address of this cluster, "
            "nor a public server the model knows")


def _route(core: "DataPlane", node: str, dest: "Pod", ip: str) -> str:
    """How the pod network carries a packet from ``node`` to ``dest``."""
    there = dest.spec.node_name
    if there == node:
        return f"{ip} is pod {dest.metadata.name} on the same node ({node})"
    cidr = core.api.get("Node", "", there).spec.pod_cidr
    return f"{ip} is in {there}'s podCIDR {cidr}: sent from {node} to {there}, then to pod {dest.metadata.name}"


def _external_hosts() -> dict[str, str]:
    """Public servers the model knows, by IP (the upstream DNS answers for them)."""
    hosts: dict[str, str] = {}
    for name, ip in sorted(coredns.UPSTREAM.items()):
        hosts.setdefault(ip, name.rstrip("."))
    return hosts


LOCAL_POLICY = {  # the filter chains where kube-proxy stops Service traffic, and what Local means there
    KUBE_SERVICES: "internalTrafficPolicy: Local sends cluster-IP traffic only to endpoints on the client's node",
    KUBE_EXTERNAL_SERVICES: "externalTrafficPolicy: Local keeps traffic on the node it reached",
}


def filter_reason(verdict: Verdict, dest: str) -> str:
    """Explain a REJECT or DROP by the rule that matched: its target, its chain, the Service its comment names.

    In filter KUBE-SERVICES (cluster IPs) and KUBE-EXTERNAL-SERVICES (node
    ports, external and LB IPs) kube-proxy REJECTs a Service with no
    endpoints at all, and DROPs one whose endpoints are all on other nodes
    when that traffic's policy is Local.
    """
    rule = verdict.rule
    if rule is None:
        return f"{dest}: the filter table's policy -> {verdict.target}"
    said = rule.comment or "a filter rule"
    if rule.chain not in LOCAL_POLICY or rule.target not in ("REJECT", "DROP"):
        return f"{dest}: {said} -> {rule.target}"
    if rule.target == "REJECT":
        return f"{dest}: {said}, so the filter table rejects it (connection refused)"
    return f"{dest}: {said} ({LOCAL_POLICY[rule.chain]}), so the filter table drops it"


def matched_rules(flow: Flow) -> tuple[str, ...]:
    """Every rule the deciding table matched, as ``chain: rule`` (printed as iptables-save prints it)."""
    return tuple(f"{chain}: {rule.to_text()}" for chain, rule in flow.verdict.path)


def _chains(verdict: Verdict) -> str:
    """The kube-proxy chains the packet walked, in order (the built-in entry chain left out)."""
    chains = []
    for chain, _ in verdict.path:
        if chain not in chains and chain not in ("PREROUTING", "OUTPUT"):
            chains.append(chain)
    return " -> ".join(chains)
