"""The network: carries a request hop by hop and records why each hop decided what it did.

A request goes where a real packet would. From a pod:

1. **DNS**: the pod's resolver walks its search list; each query is a UDP
   packet to the ``kube-dns`` ClusterIP, which kube-proxy's rules on the pod's
   node DNAT to one CoreDNS pod.
2. **kube-proxy's rules**: the connection enters its node's netfilter: the
   ``nat`` table (``KUBE-SERVICES`` ...) and the ``filter`` table decide: DNAT to
   one endpoint, REJECT (no endpoints), DROP (no local endpoints), or no match.
3. **Routing**: the pod network (CNI) routes the packet to the node whose
   ``podCIDR`` holds the destination IP, and on to the pod.
4. **The app**: if a container of that pod listens on the port, it answers.
   If that pod is an **ingress-nginx** controller pod (port 80/443), nginx
   picks a rule by the ``Host`` header and the path and proxies to one pod
   endpoint of the matched Service itself (not via its ClusterIP), or answers
   its own 404 / 503 / 301.

From outside the cluster (``source="vpc"``: a machine on the nodes' own
network, like your laptop next to a kind cluster; ``source="internet"``;
``source="node/<name>"``: a process on a node), the request first has to
*reach* a node: a cloud load balancer picks a healthy node; a node's public
IP is behind the cloud firewall; a private node IP is unreachable from the
internet; a ClusterIP is reachable from nowhere outside the cluster (unless
``minikube tunnel`` added a route). Then steps 2-4 run on that node.

The rules are not shortcut: step 2 runs ``netfilter.trace_chain`` over the
very tables that ``iptables_save`` prints, including the random
``statistic`` matches, driven by the cluster's seeded random source.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional
from urllib.parse import urlsplit

from k8sedu import coredns, images, ingress_nginx
from k8sedu.cloud import INTERNET_CLIENT_IP
from k8sedu.errors import KubectlError
from k8sedu.events import Recorder
from k8sedu.ingress_nginx import notes as ingress_notes
from k8sedu.netfilter import Packet, trace_chain

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster
    from k8sedu.objects import Pod


@dataclass(frozen=True)
class Hop:
    """One component's decision about the request."""

    component: str
    action: str
    detail: str
    rules: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"[{self.component}] {self.action}: {self.detail}"


@dataclass(frozen=True)
class Trace:
    """The whole story of one request: where it went, who answered, or why not."""

    url: str
    source: str
    ok: bool
    hops: tuple[Hop, ...]
    status: Optional[int] = None
    pod: Optional[str] = None
    body: str = ""
    reason: str = ""
    error: str = ""
    dns: Optional[coredns.DnsAnswer] = None
    exit_code: int = 0
    client_ip_seen: str = ""
    server: str = ""  # who answered: "pod/<name>", or a host outside the cluster

    def __str__(self) -> str:
        head = f"{self.source} -> {self.url}"
        tail = f"=> {self.status} from {self.server}" if self.ok else f"=> failed: {self.reason}"
        return "\n".join([head] + [f"  {i}. {hop}" for i, hop in enumerate(self.hops, 1)] + [tail])


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    path: str
    host_header: str = ""  # what the client sends as ``Host:`` (an ingress controller routes by it)


def _parse_url(url: str, headers: Optional[dict] = None) -> _Target:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise KubectlError(f"curl: (3) URL rejected: Malformed input to a URL function")
    default = 443 if parts.scheme == "https" else 80
    host_header = next((v for k, v in (headers or {}).items() if k.lower() == "host"), parts.hostname)
    return _Target(parts.hostname, parts.port or default, parts.path or "/", host_header)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class Client:
    """Who sends: a pod, a node, a machine on the VPC, or someone on the internet."""

    name: str
    ip: str
    kind: str  # "pod", "node", "vpc" or "internet"
    node: str = ""  # the node whose netfilter the client's packets enter first (pods and nodes)
    pod: Optional["Pod"] = None


class Network:
    """Sends requests through the model of one cluster."""

    def __init__(self, cluster: "Cluster"):
        self.cluster = cluster

    # ------------------------------------------------------------ clients

    def pod_client(self, pod: "Pod") -> Client:
        return Client(f"pod/{pod.metadata.name}", pod.status.pod_ip, "pod", pod.spec.node_name, pod)

    def outside_client(self, source: str) -> Client:
        """Parse ``source=`` (``"vpc"``, ``"internet"`` or ``"node/<name>"``)."""
        if source == "internet":
            return Client("internet", INTERNET_CLIENT_IP, "internet")
        if source == "vpc":
            return Client("vpc", self.cluster.vpc_client_ip, "vpc")
        if source.startswith("node/"):
            node = self.cluster.get("Node", source[5:])
            return Client(source, node.address("InternalIP"), "node", node.metadata.name)
        raise KubectlError(f'error: unknown source "{source}": use from_pod=..., source="node/<name>", '
                           'source="vpc" or source="internet"')

    # ------------------------------------------------------------ DNS

    def lookup(self, name: str, pod: "Pod") -> tuple[coredns.DnsAnswer, tuple[Hop, ...]]:
        """Resolve ``name`` as ``pod`` would: through kube-dns's ClusterIP to a CoreDNS pod."""
        resolv = self.cluster.resolv_conf(pod)
        server = resolv.nameservers[0]
        verdict = self._through_rules(pod.spec.node_name, pod.status.pod_ip, server, 53, "udp")
        coredns_pod = self._pod_at(verdict.to_destination.rsplit(":", 1)[0]) if verdict.target == "DNAT" else None
        if coredns_pod is None:
            answer = coredns.DnsAnswer(name, "TIMEOUT", server=server)
            why = (f"no CoreDNS pod answers behind {server}:53 "
                   f"({'the kube-dns Service has no ready endpoints' if verdict.target == 'REJECT' else 'no rule'})")
            return answer, (Hop("dns", "failed", why, _rules(verdict)),)
        answer = coredns.lookup(name, resolv, self.cluster.api.store)
        tried = ", ".join(f"{q} {rcode}" for q, rcode in answer.queries)
        result = ", ".join(answer.addresses) if answer.rcode == "NOERROR" else answer.rcode
        if answer.cname:
            result = f"CNAME {answer.cname} -> {result}"
        detail = (f"{name} -> {result} (asked {coredns_pod.metadata.name} via {server}; "
                  f"{len(answer.queries)} quer{'y' if len(answer.queries) == 1 else 'ies'}: {tried})")
        answer = dataclasses.replace(answer, server=coredns_pod.metadata.name)
        return answer, (Hop("dns", "resolved" if answer.addresses else "NXDOMAIN", detail, _rules(verdict)),)

    def outside_lookup(self, name: str) -> tuple[coredns.DnsAnswer, tuple[Hop, ...]]:
        """Resolve with public DNS: cluster names mean nothing outside the cluster."""
        cloud = self.cluster.cloud
        lb = cloud.lb_by_address(name) if cloud is not None else None
        if lb is not None and self.cluster.now >= lb.ready_at:
            answer = coredns.DnsAnswer(name, "NOERROR", (lb.address,), queries=((f"{name}.", "NOERROR"),))
            return answer, (Hop("dns", "resolved", f"{name} -> {lb.address} (public DNS for the load balancer)"),)
        public = coredns.UPSTREAM.get(name.rstrip(".") + ".")
        if public:
            answer = coredns.DnsAnswer(name, "NOERROR", (public,), queries=((f"{name}.", "NOERROR"),))
            return answer, (Hop("dns", "resolved", f"{name} -> {public} (public DNS)"),)
        why = f"{name} is not a public name: cluster DNS names (like *.svc.cluster.local) only resolve inside the cluster"
        pending = self._pending_load_balancer(name)
        if pending:
            why += f"; {pending}"
        return coredns.DnsAnswer(name, "NXDOMAIN", queries=((f"{name}.", "NXDOMAIN"),)), (Hop("dns", "NXDOMAIN", why),)

    def _pending_load_balancer(self, name: str) -> str:
        """If ``name`` is a LoadBalancer Service still ``<pending>``, say why it has no address."""
        svc_name = name.split(".")[0]
        for svc in self.cluster.api.store.by_index("Service", "name", svc_name):
            if svc.spec.type == "LoadBalancer" and not svc.status.load_balancer.ingress:
                return (f"the LoadBalancer Service {svc.metadata.namespace}/{svc_name} has no external address yet: "
                        f"EXTERNAL-IP is <pending> because {self.cluster.why_pending(svc)}")
        return ""

    # ------------------------------------------------------------ HTTP

    def request(self, url: str, client: Client, headers: Optional[dict] = None) -> Trace:
        """Send one HTTP request from ``client`` and trace it (``headers={"Host": ...}`` sets the Host header)."""
        target = _parse_url(url, headers)
        hops: list[Hop] = []
        dns = None
        dst_ip = target.host
        if not _is_ip(target.host):
            if client.kind == "pod":
                dns, dns_hops = self.lookup(target.host, client.pod)
            else:
                dns, dns_hops = self.outside_lookup(target.host)
            hops += dns_hops
            if not dns.addresses:
                reason = f"DNS: {target.host} not found ({dns.rcode})"
                if client.kind != "pod":
                    reason = f"DNS: {dns_hops[-1].detail}"
                note = self._ingress_note(target.host)
                if note:  # a name only an Ingress knows: say what is missing
                    detail = f"{target.host} has no public DNS record; {note}" if client.kind != "pod" \
                        else f"{hops[-1].detail}; {note}"
                    hops[-1] = dataclasses.replace(hops[-1], detail=detail)
                    reason = f"DNS: {detail}"
                return Trace(url, client.name, False, tuple(hops), reason=reason,
                             error=f"curl: (6) Could not resolve host: {target.host}", dns=dns, exit_code=6)
            dst_ip = dns.addresses[0]
        if client.kind in ("pod", "node"):
            return self._on_node(url, client, target, client.node, client.ip, dst_ip, target.port, hops, dns,
                                 dst_local=client.kind == "node" and dst_ip == client.ip)
        return self._from_outside(url, client, target, dst_ip, hops, dns)

    # ------------------------------------------------------------ reaching a node from outside

    def _from_outside(self, url, client, target, dst_ip, hops, dns) -> Trace:
        """Find the way in: a load balancer, a node address, a tunnel route, or nothing."""
        lb = self._load_balancer_at(dst_ip)
        if lb is not None:
            return self._via_load_balancer(url, client, target, lb, hops, dns)
        node = self._node_with_address(dst_ip)
        if node is not None:
            return self._to_node_address(url, client, target, node, dst_ip, hops, dns)
        if dst_ip in self.cluster.api.service_ips:
            tunnel = self.cluster.tunnel_node() if client.kind == "vpc" else None
            if tunnel is not None:
                hops.append(Hop("minikube tunnel", "routed",
                                f"the host's route {self.cluster.api.service_ips.network} -> "
                                f"{self._node_ip(tunnel)} sends {dst_ip} to node {tunnel}"))
                return self._on_node(url, client, target, tunnel, client.ip, dst_ip, target.port, hops, dns)
            why = (f"{dst_ip} is a ClusterIP: it is only reachable inside the cluster (no route to the "
                   "service CIDR from outside; use a NodePort, a LoadBalancer or an Ingress)")
            hops.append(Hop("network", "no route", why))
            return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
        why = self._why_unreachable_from_outside(dst_ip)
        hops.append(Hop("network", "no route", why))
        return self._fail(url, client, hops, dns, target, why, 28, timeout=True)

    def _to_node_address(self, url, client, target, node, dst_ip, hops, dns) -> Trace:
        name = node.metadata.name
        private = dst_ip == node.address("InternalIP")
        if client.kind == "internet" and private:
            why = (f"{dst_ip} is {name}'s private (InternalIP) address: it is not reachable from the internet"
                   + ("" if node.address("ExternalIP") else "; this node has no public IP"))
            hops.append(Hop("network", "no route", why))
            return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
        cloud = self.cluster.cloud
        if cloud is not None and not private:
            rule = cloud.firewall.decide("tcp", target.port, client.ip)
            if rule is None:
                why = (f"port {target.port} blocked by the cloud firewall: no rule allows tcp:{target.port} "
                       f"from {client.ip} to {name} ({dst_ip})")
                hops.append(Hop("cloud firewall", "dropped", why))
                return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
            hops.append(Hop("cloud firewall", "allowed", f"tcp:{target.port} from {client.ip} by rule {rule}"))
        hops.append(Hop(f"node/{name}", "received", f"{dst_ip}:{target.port} is one of {name}'s own addresses"))
        return self._on_node(url, client, target, name, client.ip, dst_ip, target.port, hops, dns, dst_local=True)

    def _via_load_balancer(self, url, client, target, lb, hops, dns) -> Trace:
        svc = self.cluster.api.try_get("Service", *lb.service)
        port = next((p for p in svc.spec.ports if p.port == target.port), None) if svc else None
        if port is None:
            why = f"the load balancer {lb.name} has no listener on port {target.port}"
            hops.append(Hop("cloud load balancer", "refused", why))
            return self._fail(url, client, hops, dns, target, why, 7)
        if not lb.internet_reachable and client.kind == "internet":
            why = f"{lb.address} is a private address (an L2 pool on the nodes' network): not reachable from the internet"
            hops.append(Hop("network", "no route", why))
            return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
        backends = self.cluster.lb_backends(svc, lb)
        if not backends:
            why = f"the load balancer {lb.name} has no healthy backend node (health checks fail on every node)"
            hops.append(Hop("cloud load balancer", "no backend", why))
            return self._fail(url, client, hops, dns, target, why, 52)
        node = self.cluster.random.choice(backends)
        node_ip = self._node_ip(node)
        if lb.forwards_to_node_port:
            hops.append(Hop("cloud load balancer", "forwarded",
                            f"{lb.name} picked healthy node {node} ({len(backends)} healthy) and sent the "
                            f"connection to its NodePort {node_ip}:{port.node_port}"))
            return self._on_node(url, client, target, node, client.ip, node_ip, port.node_port, hops, dns,
                                 dst_local=True)
        hops.append(Hop(lb.kind, "forwarded",
                        f"{lb.name} picked node {node} ({len(backends)} eligible) and delivered the packet "
                        f"still addressed to {lb.address}:{target.port}"))
        return self._on_node(url, client, target, node, client.ip, lb.address, target.port, hops, dns)

    # ------------------------------------------------------------ on a node

    def _on_node(self, url, client, target, node, src_ip, dst_ip, dport, hops, dns, dst_local=False) -> Trace:
        if not self.cluster.node_is_up(node):
            why = f"node {node} is down: nothing answers there"
            hops.append(Hop(f"node/{node}", "down", why))
            return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
        verdict = self._through_rules(node, src_ip, dst_ip, dport, "tcp", dst_local, client.kind == "node")
        where = f"kube-proxy rules ({node})"
        if verdict.target in ("REJECT", "DROP"):
            why = _filter_reason(verdict, f"{dst_ip}:{dport}")
            hops.append(Hop(where, verdict.target, why, _rules(verdict)))
            code, timeout = (7, False) if verdict.target == "REJECT" else (28, True)
            return self._fail(url, client, hops, dns, target, why, code, timeout=timeout)
        if verdict.target != "DNAT":
            return self._no_dnat(url, client, target, node, dst_ip, dport, hops, dns, dst_local)
        final_ip, port = verdict.to_destination.rsplit(":", 1)
        hops.append(Hop(where, "DNAT", f"{dst_ip}:{dport} -> {verdict.to_destination} via {_chains(verdict)}"
                        + (" (masquerade: the pod will see the node's IP as the source)" if verdict.masquerade
                           and client.kind not in ("pod",) else ""), _rules(verdict)))
        dest = self._pod_at(final_ip)
        if dest is None:
            why = self._why_unreachable(final_ip)
            hops.append(Hop("network", "dropped", why))
            return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
        hops.append(Hop("network", "routed", self._route(node, dest, final_ip)))
        seen = self._node_ip(node) if verdict.masquerade and client.kind != "pod" else src_ip
        return self._deliver(url, client, target, dest, int(port), hops, dns, seen)

    def _no_dnat(self, url, client, target, node, dst_ip, dport, hops, dns, dst_local) -> Trace:
        if dst_local:
            why = f"nothing listens on {dst_ip}:{dport} on node {node} and no kube-proxy rule matched"
            note = self._ingress_note(target.host_header) if dport in (80, 443) else ""
            why += f"; {note}" if note else ""
            hops.append(Hop(f"node/{node}", "refused", why))
            return self._fail(url, client, hops, dns, target, why, 7)
        dest = self._pod_at(dst_ip)
        if dest is None and dst_ip in _external_hosts():
            return self._egress(url, client, target, node, dst_ip, hops, dns)
        if dest is None:
            why = self._why_unreachable(dst_ip)
            hops.append(Hop("network", "dropped", why))
            return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
        if client.kind not in ("pod", "node"):
            why = f"{dst_ip} is a pod IP: pod IPs are not routed outside the cluster network"
            hops.append(Hop("network", "no route", why))
            return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
        hops.append(Hop("network", "routed", self._route(node, dest, dst_ip)))
        return self._deliver(url, client, target, dest, dport, hops, dns, client.ip)

    def _egress(self, url, client, target, node, dst_ip, hops, dns) -> Trace:
        """The request leaves the cluster, e.g. after an ExternalName CNAME, to a server outside."""
        host = _external_hosts()[dst_ip]
        node_ip = self._node_ip(node)
        hops.append(Hop("network", "egress", f"{dst_ip} is outside the cluster: the packet leaves through "
                        f"node {node}, masqueraded to the node's IP {node_ip}"))
        hops.append(Hop(host, "answered", f"HTTP 200 from {dst_ip}:{target.port}, a server outside the cluster"))
        return Trace(url, client.name, True, tuple(hops), status=200, pod=None, server=host,
                     body=f"<!doctype html><html><head><title>{host}</title>", dns=dns, client_ip_seen=node_ip)

    def _deliver(self, url, client, target, dest, port, hops, dns, seen_source) -> Trace:
        name = dest.metadata.name
        if not self.cluster.node_is_up(dest.spec.node_name):
            why = f"pod {name} is on node {dest.spec.node_name}, which is down: nothing answers"
            hops.append(Hop(f"pod/{name}", "no answer", why))
            return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
        controller = ingress_nginx.controller_of(self.cluster)
        if controller is not None and port in (80, 443) and dest.status.phase == "Running" and controller.owns(dest):
            return self._through_ingress_nginx(controller, url, client, target, dest, hops, dns, seen_source)
        app = images.listener(dest, port) if dest.status.phase == "Running" else None
        if app is None:
            why = f"nothing listens on port {port} in pod {name}"
            hops.append(Hop(f"pod/{name}", "refused", why))
            return self._fail(url, client, hops, dns, target, why, 7)
        body = app.answer(dest, target.path)
        status = 404 if body.startswith("404") else 200
        hops.append(Hop(f"pod/{name}", "answered",
                        f"HTTP {status} from {dest.status.pod_ip}:{port} (it sees the request coming from "
                        f"{seen_source})"))
        return Trace(url, client.name, True, tuple(hops), status=status, pod=name, body=body, dns=dns,
                     client_ip_seen=seen_source, server=f"pod/{name}")

    def _fail(self, url, client, hops, dns, target, reason, code, timeout=False) -> Trace:
        if timeout:
            error = f"curl: (28) Failed to connect to {target.host} port {target.port} after 130000 ms: Connection timed out"
        elif code == 52:
            error = "curl: (52) Empty reply from server"
        else:
            error = f"curl: (7) Failed to connect to {target.host} port {target.port} after 0 ms: Couldn't connect to server"
        return Trace(url, client.name, False, tuple(hops), reason=reason, error=error, dns=dns, exit_code=code)

    # ------------------------------------------------------------ through an ingress controller

    def _through_ingress_nginx(self, controller, url, client, target, nginx_pod, hops, dns, seen_source) -> Trace:
        """nginx in the controller pod picks a server (Host), a location (path), then one pod endpoint."""
        where = f"ingress-nginx ({nginx_pod.metadata.name})"
        decision = controller.route(target.host_header, target.path)
        loc = decision.location
        if decision.kind == "redirect":
            why = (f"host {decision.host}: no location equals {target.path}, but location {decision.redirect_to} "
                   f"exists, so nginx answers 301 Moved Permanently to {decision.redirect_to} (its automatic "
                   "redirect for a prefix location ending in '/'; a client that follows redirects then matches)")
            return self._nginx_answer(url, client, target, nginx_pod, hops, dns, where, "redirected", why, 301)
        if decision.kind == "not-found":
            why = (f"no Ingress rule matches host {decision.host}, path {target.path}: the request fell to "
                   f"location / of server {decision.server}, the default backend (upstream-default-backend), and "
                   "the controller answers 404 itself")
            return self._nginx_answer(url, client, target, nginx_pod, hops, dns, where, "no match", why, 404)
        rule = (f"host {decision.host}, path {loc.ingress_path} ({loc.path_type}) of ingress {loc.ingress} "
                f"-> service {loc.service}:{loc.service_port} (nginx: server {decision.server}, "
                f"location {loc.block})")
        hops.append(Hop(where, "matched", rule))
        backend = decision.backend
        if decision.kind == "unavailable":
            problem = backend.problem if backend else f"upstream {loc.backend} is unknown"
            why = f"upstream {loc.backend} has no endpoints ({problem}): nginx answers 503"
            return self._nginx_answer(url, client, target, nginx_pod, hops, dns, where, "unavailable", why, 503)
        endpoint = decision.endpoint
        hops.append(Hop(where, "proxied", f"upstream {backend.name} has {len(backend.endpoints)} endpoint(s) "
                        f"({', '.join(str(e) for e in backend.endpoints)}); round robin picked {endpoint}: "
                        "ingress-nginx sends to a pod endpoint itself, not to the Service's ClusterIP"))
        dest = self._pod_at(endpoint.address)
        if dest is None:
            why = self._why_unreachable(endpoint.address)
            hops.append(Hop("network", "dropped", why))
            return self._fail(url, client, hops, dns, target, why, 28, timeout=True)
        hops.append(Hop("network", "routed", self._route(nginx_pod.spec.node_name, dest, endpoint.address)))
        return self._deliver(url, client, target, dest, endpoint.port, hops, dns, nginx_pod.status.pod_ip)

    def _nginx_answer(self, url, client, target, nginx_pod, hops, dns, where, action, why, status) -> Trace:
        hops.append(Hop(where, action, why))
        name = nginx_pod.metadata.name
        return Trace(url, client.name, True, tuple(hops), status=status, pod=name, body=nginx_page(status),
                     reason=why, dns=dns, client_ip_seen=nginx_pod.status.pod_ip, server=f"pod/{name}")

    def _ingress_note(self, host: str) -> str:
        """If ``host`` belongs to an Ingress, why the request found nothing; record it when no controller runs."""
        note, ing = ingress_notes.why_nowhere(self.cluster, host)
        if ing is not None and ingress_nginx.controller_of(self.cluster) is None:
            Recorder(self.cluster.events, lambda: self.cluster.now, "k8sedu").event(
                ing, "NoIngressController", ingress_notes.NO_CONTROLLER, type="Warning")
        return note

    # ------------------------------------------------------------ helpers

    def _through_rules(self, node: str, src: str, dst: str, port: int, protocol: str,
                       dst_local: bool = False, from_node: bool = False):
        """Run a new connection through ``node``'s nat, then filter, tables."""
        proxy = self.cluster.kube_proxy(node)
        packet = Packet(src=src, dst=dst, dport=port, protocol=protocol, dst_local=dst_local, src_local=from_node)
        state = dict(rng=self.cluster.random, recent=proxy.recent, now=self.cluster.now)
        verdict = trace_chain(proxy.nat, "OUTPUT" if from_node else "PREROUTING", packet, **state)
        if verdict.target == "DNAT":
            return verdict
        chain = "OUTPUT" if from_node else ("INPUT" if dst_local else "FORWARD")
        filtered = trace_chain(proxy.filter, chain, packet, **state)
        return filtered if filtered.target in ("REJECT", "DROP") else verdict

    def _pod_at(self, ip: str):
        pods = self.cluster.api.store.by_index("Pod", "ip", ip)
        return pods[0] if pods else None

    def _node_ip(self, node: str) -> str:
        return self.cluster.api.get("Node", "", node).address("InternalIP")

    def _node_with_address(self, ip: str):
        for node in self.cluster.api.list("Node"):
            if ip in (a.address for a in node.status.addresses):
                return node
        return None

    def _load_balancer_at(self, ip: str):
        for lb in self.cluster.load_balancers():
            if lb.address == ip and self.cluster.now >= lb.ready_at:
                return lb
        return None

    def _route(self, node: str, dest, ip: str) -> str:
        there = dest.spec.node_name
        if there == node:
            return f"{ip} is pod {dest.metadata.name} on the same node ({node})"
        cidr = self.cluster.api.get("Node", "", there).spec.pod_cidr
        return f"{ip} is in {there}'s podCIDR {cidr}: sent from {node} to {there}, then to pod {dest.metadata.name}"

    def _why_unreachable(self, ip: str) -> str:
        svc_range = self.cluster.api.service_ips
        if ip in svc_range:
            return (f"{ip} is in the Service range but no rule matched it on this port: "
                    "a ClusterIP is virtual, nothing answers without a kube-proxy rule")
        return f"no pod has IP {ip} (pods are ephemeral: a replaced pod gets a new IP)"

    def _why_unreachable_from_outside(self, ip: str) -> str:
        if self._pod_at(ip) is not None or ipaddress.ip_address(ip) in ipaddress.ip_network("10.244.0.0/16"):
            return f"{ip} is a pod IP: pod IPs are not routed outside the cluster network"
        return f"nothing answers at {ip}: it is not a node, load balancer or public address of this cluster"


NGINX_REASONS = {301: "Moved Permanently", 404: "Not Found", 503: "Service Temporarily Unavailable"}


def nginx_page(status: int) -> str:
    """nginx's stock error page for ``status``.

    Examples
    --------
    >>> print(nginx_page(404))
    <html>
    <head><title>404 Not Found</title></head>
    <body>
    <center><h1>404 Not Found</h1></center>
    <hr><center>nginx</center>
    </body>
    </html>
    """
    title = f"{status} {NGINX_REASONS[status]}"
    return (f"<html>\n<head><title>{title}</title></head>\n<body>\n<center><h1>{title}</h1></center>\n"
            "<hr><center>nginx</center>\n</body>\n</html>")


def _external_hosts() -> dict[str, str]:
    """Public servers the model knows, by IP (the upstream DNS answers for them)."""
    hosts: dict[str, str] = {}
    for name, ip in sorted(coredns.UPSTREAM.items()):
        hosts.setdefault(ip, name.rstrip("."))
    return hosts


def _filter_reason(verdict, dest: str) -> str:
    comment = next((rule.split('--comment "', 1)[1].split('"', 1)[0] for _, rule in reversed(verdict.path)
                    if '--comment "' in rule), "")
    if "has no endpoints" in comment:
        return f"{dest}: {comment}, so the filter table rejects it (connection refused)"
    if "has no local endpoints" in comment:
        return (f"{dest}: {comment} (externalTrafficPolicy: Local keeps traffic on the node it reached), "
                "so the filter table drops it")
    return f"{dest}: {comment or 'a filter rule'} -> {verdict.target}"


def _rules(verdict) -> tuple[str, ...]:
    return tuple(f"{chain}: {rule}" for chain, rule in verdict.path)


def _chains(verdict) -> str:
    chains = []
    for chain, _ in verdict.path:
        if chain not in chains and chain not in ("PREROUTING", "OUTPUT"):
            chains.append(chain)
    return " -> ".join(chains)
