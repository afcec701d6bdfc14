"""CoreDNS 1.11.3's kubernetes plugin: answers from the Services and EndpointSlices in the API.

Mirrors ``plugin/kubernetes`` at tag v1.11.3 (``handler.go`` ``ServeDNS``,
``kubernetes.go`` ``Records`` / ``findServices`` / ``findPods``, ``reverse.go``)
and the record builders of ``plugin/backend_lookup.go``, configured as kind's
Corefile configures it (``pods insecure``, ``fallthrough in-addr.arpa
ip6.arpa``, ``ttl 30``). What follows from that code:

- a ClusterIP Service answers its ClusterIP, endpoints or not;
- a headless Service answers the IPs of its ready endpoints (NXDOMAIN if none);
- ``<hostname or dashed IP>.<svc>.<ns>.svc.cluster.local`` answers one ready
  endpoint, for **every** Service with endpoints, headless or not
  (``if svc.Headless() || r.endpoint != ""``);
- SRV on ``_port._proto.<svc>...`` answers the named port; SRV on the bare
  ``<svc>.<ns>.svc.cluster.local`` answers every port, named or not (an empty
  request port matches any port), weight ``floor(100 / N)``;
- an existing namespace (``default.svc.cluster.local``), ``svc.cluster.local``
  and ``cluster.local`` itself are NODATA; a missing namespace or Service is
  NXDOMAIN, and so is a name of the wrong shape (``web.cluster.local``);
- ``a-b-c-d.<ns>.pod.cluster.local`` answers ``a.b.c.d`` unchecked if the
  namespace exists (``pods insecure``);
- PTR: see ``k8sedu.coredns.reverse``; a reverse name the plugin cannot
  answer falls through to upstream.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

from k8sedu.apiserver.store import Store
from k8sedu.coredns.parse import RecordRequest, parse_query
from k8sedu.coredns.records import NODATA, NXDOMAIN, ZONE, Record, Response, fqdn, in_zone
from k8sedu.coredns.reverse import address_from_reverse, endpoint_hostname, ptr_records
from k8sedu.coredns.upstream import forward
from k8sedu.objects import Service

REVERSE_ZONES = ("in-addr.arpa", "ip6.arpa")
DNS_SCHEMA_VERSION = "1.1.0"
Lookup = Callable[[str, str], Response]


@dataclass(frozen=True)
class Entry:
    """One ``msg.Service`` the plugin found: an address (or an ExternalName) and a port.

    ``target`` is the name an SRV record points at: ``<svc>.<ns>.svc.<zone>.``
    for a ClusterIP, ``<endpoint>.<svc>.<ns>.svc.<zone>.`` for an endpoint.
    ``port`` is -1 when there is no port (CoreDNS's sentinel).
    """

    host: str
    port: int = -1
    target: str = ""


class NxDomain(Exception):
    """The plugin's ``errNoItems`` / ``errNsNotExposed`` / ``errInvalidRequest``: NXDOMAIN."""


def resolve(qname: str, store: Store, zone: str = ZONE, qtype: str = "A",
            lookup: Optional[Lookup] = None, upstream: Optional[Mapping[str, str]] = None) -> Response:
    """Answer a query as CoreDNS's kubernetes plugin, then ``forward``, would.

    Names outside ``zone`` and the reverse zones go to ``forward``; so does a
    reverse name the plugin has no answer for (``fallthrough``). ``lookup``
    is how the plugin resolves an ExternalName's target (``Upstream.Lookup``:
    the server's whole plugin chain again); by default, this function.
    """
    qname = fqdn(qname)
    if not in_zone(qname, zone) and not any(in_zone(qname, z) for z in REVERSE_ZONES):
        return forward(qname, qtype, upstream)
    plugin_zone = zone if in_zone(qname, zone) else next(z for z in REVERSE_ZONES if in_zone(qname, z))
    chase = lookup or (lambda name, kind: resolve(name, store, zone, kind, upstream=upstream))
    try:
        records = _records_of_type(qname, plugin_zone, zone, qtype.upper(), store, chase)
    except NxDomain:
        return forward(qname, qtype, upstream) if plugin_zone in REVERSE_ZONES else NXDOMAIN
    return Response("NOERROR", tuple(records)) if records else NODATA


def _records_of_type(qname: str, plugin_zone: str, zone: str, qtype: str, store: Store,
                     chase: Lookup) -> list[Record]:
    """``ServeDNS``'s switch on the query type."""
    if qtype in ("A", "AAAA"):
        return _addresses(qname, plugin_zone, zone, qtype, store, chase)
    if qtype == "SRV":
        return _srv(qname, [e for e in _services(qname, plugin_zone, zone, store) if _is_ip(e.host)])
    if qtype == "PTR":
        return _ptr(qname, plugin_zone, zone, store)
    if qtype == "TXT":
        return _txt(qname, plugin_zone, zone, store)
    if qtype == "CNAME":
        return [Record(qname, "CNAME", fqdn(e.host)) for e in _services(qname, plugin_zone, zone, store)
                if not _is_ip(e.host)]
    _addresses(qname, plugin_zone, zone, "A", store, chase)  # "a fake A lookup" tells NODATA from NXDOMAIN
    return []


# ---------------------------------------------------------------- Records: the names the plugin knows

def _services(qname: str, plugin_zone: str, zone: str, store: Store, default_ns: bool = True) -> list[Entry]:
    """``Services`` (``default_ns``) or ``Records``: what the name stands for; raises ``NxDomain`` for NXDOMAIN."""
    if default_ns and plugin_zone == zone and fqdn(qname).lower() == f"ns.dns.{zone}.":
        return _name_server(store)  # isDefaultNS: Services asks it before Records
    request = parse_query(qname, plugin_zone)
    if request is None:
        raise NxDomain("invalid query name")
    if not request.pod_or_svc:
        return []  # NODATA for the zone and its svc / pod sub-names
    if plugin_zone != zone or store.try_get("Namespace", "", request.namespace) is None:
        raise NxDomain("namespace is not exposed")
    if request.pod_or_svc == "pod":
        return _pods(request)
    return _find_services(request, store, zone)


def _name_server(store: Store) -> list[Entry]:
    """``ns.dns.<zone>``: the Service in front of CoreDNS (``nsAddrs``, simplified to kube-dns)."""
    svc = store.try_get("Service", "kube-system", "kube-dns")
    return [Entry(ip) for ip in _cluster_ips(svc)] if svc else []


def _pods(request: RecordRequest) -> list[Entry]:
    """``findPods`` with ``pods insecure``: any dashed IP answers itself, unchecked."""
    name = request.service
    if not name:
        return []  # NODATA
    dashed = name.count("-") == 3 and "--" not in name
    text = name.replace("-", ".") if dashed else name.replace("-", ":")
    try:
        return [Entry(str(ipaddress.ip_address(text)))]
    except ValueError:
        raise NxDomain("not an IP") from None


def _find_services(request: RecordRequest, store: Store, zone: str) -> list[Entry]:
    """``findServices``: the Service's ClusterIP(s), its ExternalName, or its ready endpoints."""
    if not request.service:
        return []  # NODATA: the namespace exists
    svc = store.try_get("Service", request.namespace, request.service)
    if svc is None:
        raise NxDomain("no items found")
    if svc.spec.type == "ExternalName":
        external = svc.spec.external_name
        found = [] if request.endpoint or request.port or request.protocol or _is_ip(external) else [Entry(external)]
    elif svc.headless or request.endpoint:
        found = _endpoint_entries(request, svc, store, zone)
    else:
        found = _cluster_ip_entries(request, svc, zone)
    if not found:
        raise NxDomain("no items found")
    return found


def _cluster_ips(svc: Service) -> tuple[str, ...]:
    return svc.spec.cluster_ips or (svc.spec.cluster_ip,)


def _ports_matching(request: RecordRequest, ports) -> list:
    """``matchPortAndProtocol``: an empty requested port or protocol matches anything."""
    return [p for p in ports if (not request.port or request.port == p.name.lower())
            and (not request.protocol or request.protocol == p.protocol.lower())]


@dataclass(frozen=True)
class _Port:
    port: int = -1
    name: str = ""
    protocol: str = ""


_NO_PORT = _Port()  # CoreDNS's sentinel for a Service or slice without ports


def _cluster_ip_entries(request: RecordRequest, svc: Service, zone: str) -> list[Entry]:
    target = f"{svc.metadata.name}.{svc.metadata.namespace}.svc.{zone}."
    return [Entry(ip, p.port, target) for p in _ports_matching(request, svc.spec.ports or (_NO_PORT,))
            for ip in _cluster_ips(svc)]


def _endpoint_entries(request: RecordRequest, svc: Service, store: Store, zone: str) -> list[Entry]:
    """One entry per ready endpoint address and matching port, in slice order."""
    base = f"{svc.metadata.name}.{svc.metadata.namespace}.svc.{zone}."
    found = []
    for piece in _slices(svc, store):
        ports = _ports_matching(request, piece.ports or (_NO_PORT,))
        for ep in piece.endpoints:
            if ep.conditions.ready is False:
                continue
            for ip in ep.addresses:
                label = endpoint_hostname(ip, ep.hostname)
                if request.endpoint and request.endpoint != label.lower():
                    continue
                found += [Entry(ip, p.port, f"{label}.{base}") for p in ports]
    return found


def _slices(svc: Service, store: Store) -> list:
    return store.select("EndpointSlice", svc.metadata.namespace, {"kubernetes.io/service-name": svc.metadata.name})


def ready_endpoints(svc: Service, store: Store) -> list[tuple[str, str]]:
    """(hostname or dashed IP, IP) of the service's ready endpoints, in slice order, each IP once."""
    found: dict[str, str] = {}
    for piece in _slices(svc, store):
        for ep in piece.endpoints:
            if ep.conditions.ready is not False:
                for ip in ep.addresses:
                    found.setdefault(ip, endpoint_hostname(ip, ep.hostname))
    return [(label, ip) for ip, label in found.items()]


# ---------------------------------------------------------------- backend_lookup.go: entries to records

def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _addresses(qname: str, plugin_zone: str, zone: str, qtype: str, store: Store,
               chase: Lookup, seen: int = 0) -> list[Record]:
    """``plugin.A`` / ``plugin.AAAA``: one record per distinct IP; an ExternalName's CNAME, then its target's."""
    version = 4 if qtype == "A" else 6
    records: list[Record] = []
    for entry in _services(qname, plugin_zone, zone, store):
        if _is_ip(entry.host):
            if ipaddress.ip_address(entry.host).version == version and entry.host not in [r.data for r in records]:
                records.append(Record(qname, qtype, entry.host))
            continue
        target = fqdn(entry.host)
        if target.lower() == fqdn(qname).lower() or seen > 7:
            continue  # "x CNAME x is a direct loop"
        cname = Record(qname, "CNAME", target)
        if in_zone(target, zone):
            try:
                chased = _addresses(target, zone, zone, qtype, store, chase, seen + 1)
            except NxDomain:
                chased = []
            records += [cname, *chased] if chased else []
        else:
            records += [cname, *chase(target, qtype).answers]
    return records


def _srv(qname: str, entries: list[Entry]) -> list[Record]:
    """``plugin.SRV``: priority 0, weight ``floor(100 * 100 / (100 * N))`` over all N entries; no port, no record."""
    weight = max(1, int(100 / (100 * len(entries)) * 100)) if entries else 0
    records: list[Record] = []
    seen: set[tuple[str, int]] = set()
    for entry in entries:
        if entry.port == -1 or (entry.target, entry.port) in seen:
            continue
        seen.add((entry.target, entry.port))
        records.append(Record(qname, "SRV", f"0 {weight} {entry.port} {entry.target}"))
    return records


def _ptr(qname: str, plugin_zone: str, zone: str, store: Store) -> list[Record]:
    """``Reverse``: a full reverse name asks ``serviceRecordForIP``; any other name is looked up as itself."""
    ip = address_from_reverse(qname)
    if not ip:
        _services(qname, plugin_zone, zone, store, default_ns=False)  # Records: NXDOMAIN, or NODATA
        return []
    records = ptr_records(qname, ip, store, zone)
    if not records:
        raise NxDomain("no items found")
    return list(records)


def _txt(qname: str, plugin_zone: str, zone: str, store: Store) -> list[Record]:
    """``dns-version.<zone>`` answers the schema version; any other existing name is NODATA."""
    if plugin_zone == zone and fqdn(qname).lower() == f"dns-version.{zone}.":
        return [Record(qname, "TXT", f'"{DNS_SCHEMA_VERSION}"', 28800)]
    if not _services(qname, plugin_zone, zone, store, default_ns=False):
        raise NxDomain("no items found")  # Services' TXT case: "Return NXDOMAIN for no match"
    return []

