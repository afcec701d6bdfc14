"""CoreDNS and a pod's resolver: how a name becomes an IP inside the cluster.

Three small steps, so a notebook can show each one:

1. ``search_candidates(name, resolv)``: the pod's stub resolver (glibc,
   ``resolv.conf(5)``) turns a name into the list of fully qualified names to
   try, from the ``search`` list and ``options ndots:5`` the kubelet wrote.
2. ``parse_query(qname, zone)``: CoreDNS's kubernetes plugin parses a query
   name into a ``RecordRequest``, like its ``parse.go``.
3. ``resolve(request, store)``: answers from the Services and EndpointSlices
   in the API, following the Kubernetes DNS specification (schema 1.1.0).

``Resolver.lookup`` runs them in order and records every query and its rcode.
Names outside the cluster zone go "upstream" (``forward . /etc/resolv.conf``):
the model's upstream knows only the names in ``UPSTREAM``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional

from k8sedu.apiserver.store import Store
from k8sedu.objects import Pod, Service

ZONE = "cluster.local"
TTL = 30  # kubeadm's and kind's Corefile: `kubernetes ... { ttl 30 }`
UPSTREAM = {"example.com.": "93.184.215.14", "www.example.com.": "93.184.215.14"}


# ---------------------------------------------------------------- resolv.conf

@dataclass(frozen=True)
class ResolvConf:
    """A pod's ``/etc/resolv.conf``."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    ndots: int = 5

    def __str__(self) -> str:
        lines = [f"search {' '.join(self.search)}"] if self.search else []
        lines += [f"nameserver {ns}" for ns in self.nameservers]
        lines.append(f"options ndots:{self.ndots}")
        return "\n".join(lines) + "\n"


def resolv_conf_for(pod: Pod, dns_ip: str, zone: str = ZONE) -> ResolvConf:
    """Write what the kubelet writes for a ``dnsPolicy: ClusterFirst`` pod.

    Examples
    --------
    >>> from k8sedu.objects import ObjectMeta
    >>> print(resolv_conf_for(Pod(ObjectMeta(name="p", namespace="default")), "10.96.0.10"), end="")
    search default.svc.cluster.local svc.cluster.local cluster.local
    nameserver 10.96.0.10
    options ndots:5
    """
    ns = pod.metadata.namespace
    return ResolvConf((dns_ip,), (f"{ns}.svc.{zone}", f"svc.{zone}", zone), ndots=5)


def search_candidates(name: str, resolv: ResolvConf) -> list[str]:
    """Return the absolute names the resolver tries for ``name``, in order.

    A trailing dot means fully qualified: one query. A name with at least
    ``ndots`` dots is tried as-is first; otherwise the search suffixes come
    first and the name as-is last.

    Examples
    --------
    >>> rc = ResolvConf(("10.96.0.10",), ("default.svc.cluster.local", "svc.cluster.local", "cluster.local"))
    >>> search_candidates("web", rc)
    ['web.default.svc.cluster.local.', 'web.svc.cluster.local.', 'web.cluster.local.', 'web.']
    >>> search_candidates("web.default.svc.cluster.local.", rc)
    ['web.default.svc.cluster.local.']
    """
    if name.endswith("."):
        return [name]
    searched = [f"{name}.{suffix}." for suffix in resolv.search]
    if name.count(".") >= resolv.ndots:
        return [f"{name}."] + searched
    return searched + [f"{name}."]


# ---------------------------------------------------------------- CoreDNS

@dataclass(frozen=True)
class RecordRequest:
    """A parsed query, with the field names of CoreDNS's ``recordRequest``."""

    port: str = ""
    protocol: str = ""
    endpoint: str = ""
    service: str = ""
    namespace: str = ""
    pod_or_svc: str = ""  # "svc" or "pod"


def parse_query(qname: str, zone: str = ZONE) -> Optional[RecordRequest]:
    """Parse a query name inside ``zone``; None if it is outside the zone or malformed.

    The accepted shapes, as in CoreDNS ``plugin/kubernetes/parse.go``:

    1. ``_port._protocol.service.namespace.svc.zone``  (SRV)
    2. ``endpoint.service.namespace.svc.zone``          (a headless service's pod)
    3. ``service.namespace.svc.zone``                   (the service)
    4. ``a-b-c-d.namespace.pod.zone``                   (a pod by dashed IP)

    Examples
    --------
    >>> parse_query("web.default.svc.cluster.local.")
    RecordRequest(port='', protocol='', endpoint='', service='web', namespace='default', pod_or_svc='svc')
    >>> parse_query("example.com.") is None
    True
    """
    name = qname.lower().rstrip(".")
    if not name.endswith("." + zone):
        return None
    labels = name[: -len(zone) - 1].split(".")
    if len(labels) < 2 or labels[-1] not in ("svc", "pod"):
        return None
    kind, rest = labels[-1], labels[:-1]
    if kind == "pod":
        return RecordRequest(endpoint=rest[0], namespace=rest[1], pod_or_svc="pod") if len(rest) == 2 else None
    if len(rest) == 4 and rest[0].startswith("_") and rest[1].startswith("_"):
        return RecordRequest(port=rest[0][1:], protocol=rest[1][1:], service=rest[2], namespace=rest[3],
                             pod_or_svc="svc")
    if len(rest) == 3:
        return RecordRequest(endpoint=rest[0], service=rest[1], namespace=rest[2], pod_or_svc="svc")
    if len(rest) == 2:
        return RecordRequest(service=rest[0], namespace=rest[1], pod_or_svc="svc")
    return None


@dataclass(frozen=True)
class Record:
    """One resource record of an answer, printed as in a zone file."""

    name: str
    type: str
    data: str
    ttl: int = TTL

    def __str__(self) -> str:
        return f"{self.name}\t{self.ttl}\tIN\t{self.type}\t{self.data}"


@dataclass(frozen=True)
class Response:
    """A DNS response: ``NOERROR`` with records, or ``NXDOMAIN``."""

    rcode: str
    answers: tuple[Record, ...] = ()


NXDOMAIN = Response("NXDOMAIN")


def resolve(qname: str, store: Store, zone: str = ZONE, qtype: str = "A") -> Response:
    """Answer an A (or SRV) query for ``qname`` as CoreDNS's kubernetes plugin would.

    An existing name asked for a type it does not have answers NOERROR with
    no records (NODATA), as CoreDNS does.
    """
    request = parse_query(qname, zone)
    if request is None:
        return _upstream(qname, zone) if qtype == "A" else NXDOMAIN
    if request.pod_or_svc == "pod":
        return _pod_record(qname, request)
    svc = store.try_get("Service", request.namespace, request.service)
    if svc is None:
        return NXDOMAIN
    if request.port:
        return _srv_records(qname, request, svc, store) if qtype == "SRV" else Response("NOERROR")
    if request.endpoint:
        return _endpoint_record(qname, request, svc, store)
    if qtype == "SRV":
        return _srv_records(qname, request, svc, store)
    return _service_records(qname, svc, store)


def _srv_records(qname: str, request: RecordRequest, svc: Service, store: Store) -> Response:
    """SRV records for named ports: one per port (ClusterIP) or per port and ready endpoint (headless).

    Priority 0, weight ``floor(100 / N)`` with N the number of records
    (CoreDNS ``backend_lookup.go``); unnamed ports get no SRV record.
    """
    base = f"{svc.metadata.name}.{svc.metadata.namespace}.svc.{ZONE}."
    ports = [p for p in svc.spec.ports if p.name and (not request.port or p.name == request.port)
             and (not request.protocol or p.protocol.lower() == request.protocol)]
    if svc.spec.type == "ExternalName" or not ports:
        return NXDOMAIN if request.port else Response("NOERROR")
    targets = [base] if not svc.headless else [f"{host}.{base}" for host, _ in ready_endpoints(svc, store)]
    count = len(ports) * len(targets)
    if not count:
        return NXDOMAIN
    weight = max(1, 100 // count)
    return Response("NOERROR", tuple(Record(qname, "SRV", f"0 {weight} {p.port} {t}") for p in ports
                                     for t in targets))


def _upstream(qname: str, zone: str) -> Response:
    if qname.rstrip(".").endswith(zone):
        return NXDOMAIN
    ip = UPSTREAM.get(qname.lower())
    return Response("NOERROR", (Record(qname, "A", ip, 300),)) if ip else NXDOMAIN


def _pod_record(qname: str, request: RecordRequest) -> Response:
    """``pods insecure``: any dashed IPv4 answers with that IP, unchecked."""
    try:
        ip = str(ipaddress.IPv4Address(request.endpoint.replace("-", ".")))
    except ValueError:
        return NXDOMAIN
    return Response("NOERROR", (Record(qname, "A", ip),))


def ready_endpoints(svc: Service, store: Store) -> list[tuple[str, str]]:
    """(hostname or dashed IP, IP) of the service's ready endpoints, sorted by IP."""
    found = {}
    for s in store.select("EndpointSlice", svc.metadata.namespace, {"kubernetes.io/service-name": svc.metadata.name}):
        for ep in s.endpoints:
            if ep.conditions.ready is not False or svc.spec.publish_not_ready_addresses:
                for ip in ep.addresses:
                    found[ip] = ep.hostname or ip.replace(".", "-")
    return sorted(((found[ip], ip) for ip in found), key=lambda pair: ipaddress.ip_address(pair[1]))


def _service_records(qname: str, svc: Service, store: Store) -> Response:
    if svc.spec.type == "ExternalName":
        target = svc.spec.external_name.rstrip(".") + "."
        return Response("NOERROR", (Record(qname, "CNAME", target),))
    if not svc.headless:
        return Response("NOERROR", (Record(qname, "A", svc.spec.cluster_ip),))
    endpoints = ready_endpoints(svc, store)
    if not endpoints:
        return NXDOMAIN
    return Response("NOERROR", tuple(Record(qname, "A", ip) for _, ip in endpoints))


def _endpoint_record(qname: str, request: RecordRequest, svc: Service, store: Store) -> Response:
    if not svc.headless:
        return NXDOMAIN
    for hostname, ip in ready_endpoints(svc, store):
        if hostname == request.endpoint:
            return Response("NOERROR", (Record(qname, "A", ip),))
    return NXDOMAIN


# ---------------------------------------------------------------- the pod's view

@dataclass(frozen=True)
class DnsAnswer:
    """What a pod's resolver finally got for a name, and every query on the way."""

    name: str
    rcode: str
    addresses: tuple[str, ...] = ()
    cname: Optional[str] = None
    queries: tuple[tuple[str, str], ...] = ()
    records: tuple[Record, ...] = ()
    server: str = ""

    @property
    def fqdn(self) -> Optional[str]:
        """The name that answered, or None."""
        return next((q for q, rcode in self.queries if rcode == "NOERROR"), None)


def lookup(name: str, resolv: ResolvConf, store: Store, zone: str = ZONE) -> DnsAnswer:
    """Walk the search list, asking CoreDNS for each candidate, until one answers."""
    queries = []
    for candidate in search_candidates(name, resolv):
        response = resolve(candidate, store, zone)
        queries.append((candidate, response.rcode))
        if response.rcode == "NOERROR" and response.answers:
            return _answer(name, response, tuple(queries), store, zone)
    return DnsAnswer(name, "NXDOMAIN", queries=tuple(queries))


def _answer(name: str, response: Response, queries, store: Store, zone: str) -> DnsAnswer:
    records = response.answers
    cname = next((r.data for r in records if r.type == "CNAME"), None)
    if cname:  # the resolver chases the CNAME, as CoreDNS's answer would include it
        target = resolve(cname, store, zone)
        records = records + target.answers
        if target.rcode != "NOERROR":
            return DnsAnswer(name, target.rcode, cname=cname, queries=queries, records=records)
    addresses = tuple(r.data for r in records if r.type == "A")
    return DnsAnswer(name, "NOERROR", addresses, cname, queries, records)
