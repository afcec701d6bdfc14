"""A pod's stub resolver: ``/etc/resolv.conf`` and the search-list walk (glibc, ``resolv.conf(5)``).

``search_candidates(name, resolv)`` turns a name into the fully qualified
names to try, from the ``search`` list and ``options ndots:5`` the kubelet
wrote; ``lookup`` asks CoreDNS for each in turn until one has an address,
as ``getaddrinfo`` in a glibc image (nginx, curl) does. glibc goes on after
an empty answer (NODATA) as after NXDOMAIN (``__res_context_search``: a
``NO_DATA`` reply is remembered and the search continues), so ``lookup``
does too; the tools with their own walks (bind9's nslookup stops at NODATA)
live with the tools.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Mapping, Optional

from k8sedu.apiserver.store import Store
from k8sedu.coredns.records import ZONE, Record
from k8sedu.coredns.server import Caches, query
from k8sedu.objects import Pod


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


@dataclass(frozen=True)
class DnsAnswer:
    """What a pod's resolver finally got for a name, and every query on the way.

    ``queries`` pairs each name tried with what CoreDNS said: ``NOERROR``
    (addresses), ``NODATA`` (the name exists, no address) or ``NXDOMAIN``.
    ``rcode`` is ``NOERROR`` with addresses, ``NODATA`` if the walk ended
    without one but some name existed (glibc's ``NO_DATA``), ``NXDOMAIN``
    otherwise, or ``TIMEOUT`` when no CoreDNS pod answered.
    """

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


def lookup(name: str, resolv: ResolvConf, store: Store, zone: str = ZONE, *, server: str = "", now: float = 0.0,
           rng: Optional[random.Random] = None, caches: Optional[Caches] = None,
           upstream: Optional[Mapping[str, str]] = None) -> DnsAnswer:
    """Walk the search list, asking the CoreDNS pod ``server`` for each candidate, until one has an address."""
    queries = []
    for candidate in search_candidates(name, resolv):
        response = query(store, candidate, "A", server=server, now=now, rng=rng, caches=caches, zone=zone,
                         upstream=upstream)
        if response.rcode == "NOERROR" and any(r.type == "A" for r in response.answers):
            queries.append((candidate, "NOERROR"))
            return _answer(name, response.answers, tuple(queries))
        queries.append((candidate, "NODATA" if response.rcode == "NOERROR" else response.rcode))
    rcode = "NODATA" if any(rcode == "NODATA" for _, rcode in queries) else "NXDOMAIN"
    return DnsAnswer(name, rcode, queries=tuple(queries))


def _answer(name: str, records: tuple[Record, ...], queries: tuple[tuple[str, str], ...]) -> DnsAnswer:
    """CoreDNS already followed an ExternalName's CNAME: the answer holds it and the target's addresses."""
    cname = next((r.data for r in records if r.type == "CNAME"), None)
    addresses = tuple(r.data for r in records if r.type == "A")
    return DnsAnswer(name, "NOERROR", addresses, cname, queries, records)
