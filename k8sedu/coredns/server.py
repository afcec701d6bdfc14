"""One CoreDNS pod serving a query: ``loadbalance``, then ``cache``, then ``kubernetes``, then ``forward``.

CoreDNS chains its plugins in the order of its ``plugin.cfg`` (not of the
Corefile): ``loadbalance`` wraps ``cache``, which wraps ``kubernetes``, which
falls through to ``forward``. ``query`` runs that chain for one query at one
simulated time:

- **cache** (``plugin/cache``): each CoreDNS pod keeps its own cache, keyed
  by the lowercased name and the type; an answer stays for its smallest TTL,
  at least 5 s and at most 30 s (``cache 30``), positive and negative
  (NXDOMAIN, NODATA) alike, and is served with the TTL that is left and the AA
  bit set (``item.toMsg``). kind's Kubernetes 1.32 Corefile says ``disable
  success cluster.local`` and ``disable denial cluster.local`` (kubeadm since
  v1.32.0-beta.0, PR #128359), so names in the cluster zone are never cached:
  a new or deleted Service shows at once. What stays up to 30 s is the rest:
  upstream names and reverse (PTR) answers.
- **loadbalance** (``plugin/loadbalance``, ``round_robin``): every NOERROR
  answer has its CNAMEs first, then other records, then its A/AAAA records
  in a random order (``roundRobinShuffle``), drawn from the cluster's seeded
  random source instead of ``dns.Id()``.

``Caches`` holds every CoreDNS pod's cache; the caller keeps one per cluster
and passes it in (without it, nothing is cached).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Mapping, Optional

from k8sedu.apiserver.store import Store
from k8sedu.coredns.kubernetes import resolve
from k8sedu.coredns.records import ZONE, Record, Response, fqdn, in_zone

CACHE_MAX_TTL = 30  # `cache 30`: the most an answer (positive or negative) is kept
CACHE_MIN_TTL = 5   # the cache plugin's default minimum TTL
NEGATIVE_TTL = 60   # the SOA minimum the model's upstream sends with NXDOMAIN/NODATA (capped to 30)


CACHE_CAPACITY = 9984  # the cache plugin's default capacity (plugin/cache README: "default 9984")


@dataclass
class CacheItem:
    """One cached response and when it was stored."""

    response: Response
    stored: float
    duration: int

    def ttl(self, now: float) -> int:
        """Seconds left, as CoreDNS counts them (``int(origTTL) - int(elapsed)``)."""
        return self.duration - int(now - self.stored)


@dataclass
class Cache:
    """One CoreDNS pod's cache: (name, type) -> the response, with the zones it must not keep."""

    disabled_zones: tuple[str, ...] = (ZONE,)
    items: dict[tuple[str, str], CacheItem] = field(default_factory=dict)

    def get(self, qname: str, qtype: str, now: float) -> Optional[Response]:
        """The cached response with its TTLs counted down and AA set, or None if absent or expired."""
        item = self.items.get((fqdn(qname).lower(), qtype))
        if item is None or item.ttl(now) <= 0:
            return None
        return dataclasses.replace(with_ttl(item.response, item.ttl(now)), authoritative=True)

    def put(self, qname: str, qtype: str, response: Response, now: float) -> Response:
        """Keep ``response`` unless its zone is disabled; return it with its TTLs capped, as it goes out."""
        duration = cache_duration(response)
        if not any(in_zone(qname, z) for z in self.disabled_zones) and response.rcode in ("NOERROR", "NXDOMAIN"):
            key = (fqdn(qname).lower(), qtype)
            if key not in self.items and len(self.items) >= CACHE_CAPACITY:
                del self.items[next(iter(self.items))]  # full: the oldest entry goes (CoreDNS evicts at random)
            self.items[key] = CacheItem(response, now, duration)
        return with_ttl(response, duration)


def cache_duration(response: Response) -> int:
    """How long ``cache 30`` keeps an answer: its smallest TTL (the SOA's for a negative one), in [5, 30]."""
    ttl = min((r.ttl for r in response.answers), default=NEGATIVE_TTL)
    return min(max(ttl, CACHE_MIN_TTL), CACHE_MAX_TTL)


def with_ttl(response: Response, ttl: int) -> Response:
    """Every record with TTL ``ttl`` (``filterRRSlice``: "apply capped TTL to this reply")."""
    return dataclasses.replace(response, answers=tuple(dataclasses.replace(r, ttl=ttl) for r in response.answers))


@dataclass
class Caches:
    """The caches of a cluster's CoreDNS pods, by pod name."""

    by_server: dict[str, Cache] = field(default_factory=dict)

    def of(self, server: str) -> Cache:
        return self.by_server.setdefault(server, Cache())


def query(store: Store, qname: str, qtype: str = "A", *, server: str = "", now: float = 0.0,
          rng: Optional[random.Random] = None, caches: Optional[Caches] = None, zone: str = ZONE,
          upstream: Optional[Mapping[str, str]] = None) -> Response:
    """Ask the CoreDNS pod ``server`` for ``qname``/``qtype`` at simulated time ``now``.

    Examples
    --------
    >>> from k8sedu.apiserver.store import Store
    >>> query(Store(now=lambda: 0.0, new_uid=lambda: "u"), "example.com.").answers[0].data
    '93.184.215.14'
    """
    qtype = qtype.upper()
    cache = caches.of(server) if caches is not None else None
    response = cache.get(qname, qtype, now) if cache is not None else None
    if response is None:
        def chain(name: str, kind: str) -> Response:  # the plugin's Upstream.Lookup: the whole chain again
            return query(store, name, kind, server=server, now=now, rng=rng, caches=caches, zone=zone,
                         upstream=upstream)
        response = resolve(qname, store, zone, qtype, chain, upstream)
        if cache is not None:
            response = cache.put(qname, qtype, response, now)
    return load_balance(response, rng)


def load_balance(response: Response, rng: Optional[random.Random]) -> Response:
    """``loadbalance``: CNAMEs, then other records, then the shuffled addresses (NOERROR answers only)."""
    if response.rcode != "NOERROR" or rng is None:
        return response
    records = response.answers
    cnames = [r for r in records if r.type == "CNAME"]
    addresses = [r for r in records if r.type in ("A", "AAAA")]
    rest = [r for r in records if r.type not in ("CNAME", "A", "AAAA")]
    return dataclasses.replace(response, answers=tuple(cnames + rest + round_robin_shuffle(addresses, rng)))


def round_robin_shuffle(records: list[Record], rng: random.Random) -> list[Record]:
    """``roundRobinShuffle``: swap two with probability 1/2; otherwise one random swap per position.

    ``dns.Id()`` (a random 16-bit number) becomes ``rng.getrandbits(16)``.

    >>> round_robin_shuffle([1, 2, 3], random.Random(0))
    [3, 1, 2]
    """
    records = list(records)
    if len(records) == 2:
        if rng.getrandbits(16) % 2 == 0:
            records.reverse()
    elif len(records) > 2:
        for j in range(len(records)):
            p = j + rng.getrandbits(16) % (len(records) - j)
            records[j], records[p] = records[p], records[j]
    return records
