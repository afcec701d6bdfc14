"""The network: carries a request hop by hop and records why each hop decided what it did.

A request from a pod goes where a real packet would:

1. **DNS**: the pod's resolver walks its search list; each query is a UDP
   packet to the ``kube-dns`` ClusterIP, which kube-proxy's rules on the pod's
   node DNAT to one CoreDNS pod.
2. **kube-proxy's rules**: the TCP connection leaves the pod and enters its
   node's netfilter: the ``nat`` table's ``KUBE-SERVICES`` chain (and the
   ``filter`` table) decide: DNAT to one endpoint, REJECT (no endpoints), or
   no match (the packet goes on to its original address).
3. **Routing**: the pod network (CNI) routes the packet to the node whose
   ``podCIDR`` holds the destination IP, and on to the pod.
4. **The app**: if a container of that pod listens on the port, it answers.

The rules are not shortcut: step 2 runs ``netfilter.trace_chain`` over the
very tables that ``iptables_save`` prints, including the random
``statistic`` matches, driven by the cluster's seeded random source.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional
from urllib.parse import urlsplit

from k8sedu import coredns, images
from k8sedu.errors import KubectlError
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
        return f"{self.component:<28} {self.action:<10} {self.detail}"


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

    def __str__(self) -> str:
        head = f"{self.source} -> {self.url}"
        tail = f"=> {self.status} from pod {self.pod}" if self.ok else f"=> failed: {self.reason}"
        return "\n".join([head] + [f"  {i}. {hop}" for i, hop in enumerate(self.hops, 1)] + [tail])


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    path: str


def _parse_url(url: str) -> _Target:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise KubectlError(f"curl: (3) URL rejected: Malformed input to a URL function")
    default = 443 if parts.scheme == "https" else 80
    return _Target(parts.hostname, parts.port or default, parts.path or "/")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        return False


class Network:
    """Sends requests through the model of one cluster."""

    def __init__(self, cluster: "Cluster"):
        self.cluster = cluster

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
        detail = (f"{name} -> {result} (asked {coredns_pod.metadata.name} via {server}; "
                  f"{len(answer.queries)} quer{'y' if len(answer.queries) == 1 else 'ies'}: {tried})")
        answer = coredns.DnsAnswer(answer.name, answer.rcode, answer.addresses, answer.cname, answer.queries,
                                   answer.records, server=coredns_pod.metadata.name)
        return answer, (Hop("dns", "resolved" if answer.addresses else "NXDOMAIN", detail, _rules(verdict)),)

    # ------------------------------------------------------------ HTTP

    def request(self, url: str, pod: "Pod") -> Trace:
        """Send one HTTP request from ``pod`` and trace it."""
        target = _parse_url(url)
        source = f"pod/{pod.metadata.name}"
        hops: list[Hop] = []
        dns = None
        dst_ip = target.host
        if not _is_ip(target.host):
            dns, dns_hops = self.lookup(target.host, pod)
            hops += dns_hops
            if not dns.addresses:
                return Trace(url, source, False, tuple(hops), reason=f"DNS: {target.host} not found ({dns.rcode})",
                             error=f"curl: (6) Could not resolve host: {target.host}", dns=dns, exit_code=6)
            dst_ip = dns.addresses[0]
        return self._connect(url, source, target, pod.spec.node_name, pod.status.pod_ip, dst_ip, hops, dns)

    def _connect(self, url, source, target, node, src_ip, dst_ip, hops, dns) -> Trace:
        verdict = self._through_rules(node, src_ip, dst_ip, target.port, "tcp")
        if verdict.target == "REJECT":
            hops.append(Hop(f"kube-proxy rules ({node})", "REJECT",
                            f"{dst_ip}:{target.port} has no ready endpoints, so the filter table rejects it",
                            _rules(verdict)))
            return self._fail(url, source, hops, dns, target, "connection refused: the Service has no endpoints", 7)
        final_ip, final_port = dst_ip, target.port
        if verdict.target == "DNAT":
            final_ip, port = verdict.to_destination.rsplit(":", 1)
            final_port = int(port)
            hops.append(Hop(f"kube-proxy rules ({node})", "DNAT",
                            f"{dst_ip}:{target.port} -> {verdict.to_destination} via {_chains(verdict)}",
                            _rules(verdict)))
        dest = self._pod_at(final_ip)
        if dest is None:
            why = self._why_unreachable(final_ip)
            hops.append(Hop("network", "dropped", why))
            return self._fail(url, source, hops, dns, target, why, 28, timeout=True)
        hops.append(Hop("network", "routed", self._route(node, dest, final_ip)))
        return self._deliver(url, source, target, dest, final_port, hops, dns)

    def _deliver(self, url, source, target, dest, port, hops, dns) -> Trace:
        app = images.listener(dest, port) if dest.status.phase == "Running" else None
        name = dest.metadata.name
        if app is None:
            why = f"nothing listens on port {port} in pod {name}"
            hops.append(Hop(f"pod/{name}", "refused", why))
            return self._fail(url, source, hops, dns, target, why, 7)
        body = app.answer(dest, target.path)
        status = 404 if body.startswith("404") else 200
        hops.append(Hop(f"pod/{name}", "answered", f"HTTP {status} from {dest.status.pod_ip}:{port}"))
        return Trace(url, source, True, tuple(hops), status=status, pod=name, body=body, dns=dns)

    def _fail(self, url, source, hops, dns, target, reason, code, timeout=False) -> Trace:
        if timeout:
            error = f"curl: (28) Failed to connect to {target.host} port {target.port} after 130000 ms: Connection timed out"
        else:
            error = f"curl: (7) Failed to connect to {target.host} port {target.port} after 0 ms: Couldn't connect to server"
        return Trace(url, source, False, tuple(hops), reason=reason, error=error, dns=dns, exit_code=code)

    # ------------------------------------------------------------ helpers

    def _through_rules(self, node: str, src: str, dst: str, port: int, protocol: str):
        """Run a new connection through ``node``'s nat, then filter, tables."""
        proxy = self.cluster.kube_proxy(node)
        packet = Packet(src=src, dst=dst, dport=port, protocol=protocol)
        verdict = trace_chain(proxy.nat, "PREROUTING", packet, self.cluster.random)
        if verdict.target == "DNAT":
            return verdict
        filtered = trace_chain(proxy.filter, "FORWARD", packet, self.cluster.random)
        return filtered if filtered.target in ("REJECT", "DROP") else verdict

    def _pod_at(self, ip: str):
        pods = self.cluster.api.store.by_index("Pod", "ip", ip)
        return pods[0] if pods else None

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


def _rules(verdict) -> tuple[str, ...]:
    return tuple(f"{chain}: {rule}" for chain, rule in verdict.path)


def _chains(verdict) -> str:
    chains = []
    for chain, _ in verdict.path:
        if chain not in chains and chain not in ("PREROUTING", "OUTPUT"):
            chains.append(chain)
    return " -> ".join(chains)
