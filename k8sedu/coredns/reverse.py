"""Reverse lookups (PTR) as CoreDNS 1.11.3 answers them (``plugin/kubernetes/reverse.go``).

kind's Corefile gives the kubernetes plugin the reverse zones too
(``kubernetes cluster.local in-addr.arpa ip6.arpa``), so ``nslookup 10.96.0.10``
asks CoreDNS for ``10.0.96.10.in-addr.arpa`` PTR and ``serviceRecordForIP``
answers:

1. an IP that is a Service's ClusterIP: one PTR, ``<svc>.<ns>.svc.cluster.local.``;
2. otherwise every ready endpoint with that IP, one PTR per Service it backs:
   ``<hostname or dashed IP>.<svc>.<ns>.svc.cluster.local.`` (endpoints that
   are not ready are not indexed, ``EndpointSliceToEndpoints``);
3. nothing: the plugin says NXDOMAIN and, because of
   ``fallthrough in-addr.arpa ip6.arpa``, the query goes on to ``forward``
   (the node's resolver), which knows nothing of pod IPs either.

CoreDNS 1.11.4 and 1.12.0 changed step 2; 1.12.1 reverted it. This is 1.11.3,
the version kind's Kubernetes 1.32 image runs.
"""

from __future__ import annotations

import ipaddress

from k8sedu.apiserver.store import Store
from k8sedu.coredns.records import ZONE, TTL, Record, fqdn

IP4_ARPA = ".in-addr.arpa."
IP6_ARPA = ".ip6.arpa."


def reverse_name(ip: str) -> str:
    """The PTR query name for ``ip`` (what ``nslookup IP`` and ``dig -x IP`` ask).

    >>> reverse_name("10.96.0.10")
    '10.0.96.10.in-addr.arpa.'
    """
    return ipaddress.ip_address(ip).reverse_pointer + "."


def address_from_reverse(name: str) -> str:
    """The IP a full reverse name stands for, or "" (``dnsutil.ExtractAddressFromReverse``).

    >>> address_from_reverse("10.0.96.10.in-addr.arpa."), address_from_reverse("96.10.in-addr.arpa.")
    ('10.96.0.10', '')
    """
    name = fqdn(name).lower()
    try:
        if name.endswith(IP4_ARPA):
            labels = name[: -len(IP4_ARPA)].split(".")
            return str(ipaddress.IPv4Address(".".join(reversed(labels))))
        if name.endswith(IP6_ARPA):
            nibbles = "".join(reversed(name[: -len(IP6_ARPA)].split(".")))
            if len(nibbles) != 32:
                return ""
            return str(ipaddress.IPv6Address(int(nibbles, 16)))
    except ValueError:
        return ""
    return ""


def endpoint_hostname(ip: str, hostname: str) -> str:
    """The endpoint's label in DNS: its ``hostname``, else its IP with dashes (``endpointHostname``).

    >>> endpoint_hostname("10.244.1.5", ""), endpoint_hostname("10.244.1.5", "web-0")
    ('10-244-1-5', 'web-0')
    """
    if hostname:
        return hostname
    return ip.replace(".", "-") if "." in ip else ip.replace(":", "-")


def ptr_records(qname: str, ip: str, store: Store, zone: str = ZONE) -> tuple[Record, ...]:
    """The PTR records CoreDNS 1.11.3 answers for ``ip`` (``serviceRecordForIP``), deduplicated."""
    for svc in store.list("Service"):
        if ip in (svc.spec.cluster_ips or (svc.spec.cluster_ip,)):
            return (Record(qname, "PTR", f"{svc.metadata.name}.{svc.metadata.namespace}.svc.{zone}.", TTL),)
    targets: list[str] = []
    for piece in _slices_with(ip, store):
        service = piece.metadata.labels.get("kubernetes.io/service-name", "")
        for ep in piece.endpoints:
            if ep.conditions.ready is not False and ip in ep.addresses:
                target = f"{endpoint_hostname(ip, ep.hostname)}.{service}.{piece.metadata.namespace}.svc.{zone}."
                if target not in targets:
                    targets.append(target)
    return tuple(Record(qname, "PTR", t, TTL) for t in targets)


def _slices_with(ip: str, store: Store) -> list:
    """EndpointSlices listing ``ip``, in namespace/name order (CoreDNS's index has no order)."""
    return [s for s in store.list("EndpointSlice") if any(ip in ep.addresses for ep in s.endpoints)]
