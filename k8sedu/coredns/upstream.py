"""Upstream DNS: where ``forward . /etc/resolv.conf`` sends what the cluster zone does not answer.

On kind, CoreDNS's pods use the node's resolver (``dnsPolicy: Default``),
which is Docker's, which asks the host's. The model's upstream knows only the
names in ``UPSTREAM`` (IPv4 only: an AAAA query for them is NODATA), plus
the public names the cluster's cloud gives its load balancers (an AWS ELB's
hostname), which the caller passes as ``upstream``; every other name, and
every reverse name, is NXDOMAIN. Its answers are not
authoritative (the AA bit is clear), as a recursive resolver's are.
"""

from __future__ import annotations

from typing import Mapping, Optional

from k8sedu.coredns.records import Record, Response, fqdn

UPSTREAM = {"example.com.": "93.184.215.14", "www.example.com.": "93.184.215.14"}
UPSTREAM_TTL = 300


def forward(qname: str, qtype: str = "A", upstream: Optional[Mapping[str, str]] = None) -> Response:
    """Ask the upstream resolver.

    >>> forward("example.com.").answers[0].data, forward("nope.invalid.").rcode
    ('93.184.215.14', 'NXDOMAIN')
    """
    ip = (UPSTREAM if upstream is None else upstream).get(fqdn(qname).lower())
    if ip is None:
        return Response("NXDOMAIN", authoritative=False)
    if qtype != "A":
        return Response("NOERROR", authoritative=False)
    return Response("NOERROR", (Record(qname, "A", ip, UPSTREAM_TTL),), authoritative=False)
