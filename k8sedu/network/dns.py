"""The DNS step: a pod asks CoreDNS through kube-dns's ClusterIP; outside, public DNS answers.

Mirrors how a name is looked up before curl connects. In a pod, the resolver
reads ``/etc/resolv.conf`` (written by the kubelet): its ``nameserver`` is the
``kube-dns`` Service's ClusterIP, so each query is a UDP packet that
kube-proxy's rules on the pod's node DNAT to one CoreDNS pod, and the search
list turns ``web`` into ``web.default.svc.cluster.local`` and friends. No
CoreDNS endpoint means the lookup times out. Outside the cluster only public
DNS answers: cluster names mean nothing there, a cloud load balancer's
hostname does, and a LoadBalancer Service that is still ``<pending>`` or an
Ingress host nobody published explains why a name is missing.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Optional

from k8sedu import coredns, load_balancers
from k8sedu.netfilter import Flow, Packet
from k8sedu.network import hosts
from k8sedu.network.ingress import ingress_note
from k8sedu.network.node import matched_rules, pod_at, through_rules
from k8sedu.network.trace import COULD_NOT_RESOLVE, Hop, Request, Trace

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import DataPlane
    from k8sedu.objects import Pod


def from_hosts_file(req: Request) -> Optional[str]:
    """The address ``/etc/hosts`` has for the URL's host (``localhost`` everywhere), recorded as a hop; else None.

    glibc's resolver reads the hosts file before it asks any DNS server
    (``hosts: files dns`` in ``/etc/nsswitch.conf``), so these names never
    reach CoreDNS, and no search list is walked for them.
    """
    name = req.target.host
    ip = hosts.etc_hosts(req.client, name)
    if ip is None:
        return None
    req.dns = coredns.DnsAnswer(name, "NOERROR", (ip,), server="/etc/hosts")
    req.record("/etc/hosts", "resolved", f"{name} -> {ip} (from the client's /etc/hosts: no DNS query, "
               "CoreDNS never sees this name)")
    return ip


def resolve(core: "DataPlane", req: Request) -> None:
    """Look the URL's host up as the client would, keeping the answer and its hop on ``req``."""
    if req.client.kind == "pod":
        req.dns, hops = lookup(core, req.target.host, req.client.pod)
    else:
        req.dns, hops = outside_lookup(core, req.target.host)
    req.hops += hops


def not_found(core: "DataPlane", req: Request) -> Trace:
    """End a request whose host did not resolve: curl's exit 6, with what is missing if an Ingress names it."""
    host, outside = req.target.host, req.client.kind != "pod"
    last = req.hops[-1]
    reason = f"DNS: {last.detail}" if outside else f"DNS: {host} not found ({req.dns.rcode})"
    note = ingress_note(core, host)
    if note:  # a name only an Ingress knows: say what is missing
        detail = f"{host} has no public DNS record; {note}" if outside else f"{last.detail}; {note}"
        req.hops[-1] = dataclasses.replace(last, detail=detail)
        reason = f"DNS: {detail}"
    return req.failed(reason, COULD_NOT_RESOLVE)


def upstream_names(core: "DataPlane") -> dict[str, str]:
    """What CoreDNS's ``forward`` upstream knows: the public names, and the cloud's load balancer hostnames
    (an AWS ELB is reached by its DNS name, which public DNS answers with its address)."""
    names = dict(coredns.UPSTREAM)
    for lb in core.addons.load_balancers():
        if lb.hostname and core.now >= lb.ready_at:
            names[coredns.fqdn(lb.hostname).lower()] = lb.address
    return names


def lookup(core: "DataPlane", name: str, pod: "Pod") -> tuple[coredns.DnsAnswer, tuple[Hop, ...]]:
    """Resolve ``name`` as ``pod`` would: through kube-dns's ClusterIP to a CoreDNS pod."""
    resolv = core.resolv_conf(pod)
    server = resolv.nameservers[0]
    flow = through_rules(core, pod.spec.node_name, Packet(pod.status.pod_ip, server, 53, "udp"))
    coredns_pod = pod_at(core, flow.endpoint.rsplit(":", 1)[0]) if flow.endpoint else None
    if coredns_pod is None or not core.node_is_up(coredns_pod.spec.node_name):
        answer = coredns.DnsAnswer(name, "TIMEOUT", server=server)
        return answer, (Hop("dns", "failed", _no_answer(flow, server, coredns_pod), matched_rules(flow)),)
    answer = coredns.lookup(name, resolv, core.api.store, server=coredns_pod.metadata.name,
                            now=core.now, rng=core.random, caches=core.dns_caches, upstream=upstream_names(core))
    tried = ", ".join(f"{q} {rcode}" for q, rcode in answer.queries)
    result = ", ".join(answer.addresses) if answer.rcode == "NOERROR" else answer.rcode
    if answer.cname:
        result = f"CNAME {answer.cname} -> {result}"
    detail = (f"{name} -> {result} (asked {coredns_pod.metadata.name} via {server}; "
              f"{len(answer.queries)} quer{'y' if len(answer.queries) == 1 else 'ies'}: {tried})")
    answer = dataclasses.replace(answer, server=coredns_pod.metadata.name)
    return answer, (Hop("dns", "resolved" if answer.addresses else "NXDOMAIN", detail, matched_rules(flow)),)


def _no_answer(flow: Flow, server: str, coredns_pod) -> str:
    """Why a DNS query got no answer (the resolver times out: ``;; connection timed out``)."""
    if coredns_pod is not None:
        return (f"the query went to {coredns_pod.metadata.name} behind {server}:53, on node "
                f"{coredns_pod.spec.node_name}, which is down")
    if flow.target == "REJECT":
        return f"no CoreDNS pod answers behind {server}:53 (the kube-dns Service has no ready endpoints)"
    return f"no CoreDNS pod answers behind {server}:53 (a {flow.target or 'missing'} rule)"


def outside_lookup(core: "DataPlane", name: str) -> tuple[coredns.DnsAnswer, tuple[Hop, ...]]:
    """Resolve with public DNS: cluster names mean nothing outside the core."""
    cloud = core.cloud
    lb = cloud.lb_by_address(name) if cloud is not None else None
    if lb is not None and core.now >= lb.ready_at:
        answer = coredns.DnsAnswer(name, "NOERROR", (lb.address,), queries=((f"{name}.", "NOERROR"),))
        return answer, (Hop("dns", "resolved", f"{name} -> {lb.address} (public DNS for the load balancer)"),)
    public = coredns.UPSTREAM.get(name.rstrip(".") + ".")
    if public:
        answer = coredns.DnsAnswer(name, "NOERROR", (public,), queries=((f"{name}.", "NOERROR"),))
        return answer, (Hop("dns", "resolved", f"{name} -> {public} (public DNS)"),)
    why = f"{name} is not a public name: cluster DNS names (like *.svc.cluster.local) only resolve inside the cluster"
    pending = _pending_load_balancer(core, name)
    if pending:
        why += f"; {pending}"
    return coredns.DnsAnswer(name, "NXDOMAIN", queries=((f"{name}.", "NXDOMAIN"),)), (Hop("dns", "NXDOMAIN", why),)


def _pending_load_balancer(core: "DataPlane", name: str) -> str:
    """If ``name`` is a LoadBalancer Service still ``<pending>``, say why it has no address."""
    svc_name = name.split(".")[0]
    for svc in core.api.store.by_index("Service", "name", svc_name):
        if svc.spec.type == "LoadBalancer" and not svc.status.load_balancer.ingress:
            return (f"the LoadBalancer Service {svc.metadata.namespace}/{svc_name} has no external address yet: "
                    f"EXTERNAL-IP is <pending> because {load_balancers.why_pending(core, svc)}")
    return ""
