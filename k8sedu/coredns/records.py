"""What a DNS answer is made of: resource records and the response that carries them.

A ``Response`` is what one CoreDNS query returns: an rcode, the answer
records, and the AA (authoritative answer) bit. Two answers that real tools
tell apart and this module names:

- **NXDOMAIN** (rcode 3): the name does not exist;
- **NODATA**: rcode NOERROR with no answer records: the name exists, but has
  no record of the asked type (or, in CoreDNS's kubernetes plugin, it is a
  namespace or a sub-name of the zone: ``default.svc.cluster.local``).
"""

from __future__ import annotations

from dataclasses import dataclass

ZONE = "cluster.local"
TTL = 30  # kubeadm's and kind's Corefile: `kubernetes ... { ttl 30 }`


@dataclass(frozen=True)
class Record:
    """One resource record of an answer, printed as in a zone file (``dig`` prints it so).

    Examples
    --------
    >>> str(Record("web.default.svc.cluster.local.", "A", "10.96.0.50"))
    'web.default.svc.cluster.local.\\t30\\tIN\\tA\\t10.96.0.50'
    """

    name: str
    type: str
    data: str
    ttl: int = TTL

    def __str__(self) -> str:
        return f"{self.name}\t{self.ttl}\tIN\t{self.type}\t{self.data}"


@dataclass(frozen=True)
class Response:
    """A DNS response: ``NOERROR`` with records (or none: NODATA), or ``NXDOMAIN``.

    ``authoritative`` is the AA bit: CoreDNS sets it on what its kubernetes
    plugin answers and on every answer it serves from its cache; an answer
    forwarded from upstream keeps the upstream's (clear), which is why
    nslookup prints ``Non-authoritative answer:`` for it.
    """

    rcode: str
    answers: tuple[Record, ...] = ()
    authoritative: bool = True

    @property
    def nodata(self) -> bool:
        """NOERROR without an answer: the name exists, not with this type."""
        return self.rcode == "NOERROR" and not self.answers


NXDOMAIN = Response("NXDOMAIN")
NODATA = Response("NOERROR")


def fqdn(name: str) -> str:
    """``name`` with exactly one trailing dot.

    >>> fqdn("web.default"), fqdn("web.")
    ('web.default.', 'web.')
    """
    return name.rstrip(".") + "."


def in_zone(name: str, zone: str) -> bool:
    """Whether ``name`` is ``zone`` or below it, label by label, ignoring case.

    >>> in_zone("web.default.svc.cluster.local.", "cluster.local"), in_zone("notcluster.local.", "cluster.local")
    (True, False)
    """
    name, zone = fqdn(name).lower(), fqdn(zone).lower()
    return name == zone or name.endswith("." + zone)
