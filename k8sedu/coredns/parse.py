"""Parse a query name the way CoreDNS 1.11.3's kubernetes plugin does (``plugin/kubernetes/parse.go``).

The plugin reads a name inside its zone from the right: ``svc`` or ``pod``,
then the namespace, then the service, then either one more label (an
endpoint) or two (``_port._protocol``). Anything longer is invalid (NXDOMAIN);
anything shorter is a real but empty name (NODATA). So ``default.svc.cluster.local``
parses to "namespace default, no service" and answers NOERROR with no records,
while ``a.b.c.web.default.svc.cluster.local`` is invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from k8sedu.coredns.records import ZONE, fqdn, in_zone


@dataclass(frozen=True)
class RecordRequest:
    """A parsed query, with the field names of CoreDNS's ``recordRequest``.

    ``pod_or_svc`` is ``"svc"``, ``"pod"``, or ``""`` for the zone itself and
    its ``svc`` / ``pod`` sub-names. For a ``pod`` name the dashed IP is in
    ``service`` (``10-244-1-2.default.pod.cluster.local``), as in ``parse.go``.
    """

    port: str = ""
    protocol: str = ""
    endpoint: str = ""
    service: str = ""
    namespace: str = ""
    pod_or_svc: str = ""


def parse_query(qname: str, zone: str = ZONE) -> Optional[RecordRequest]:
    """Parse a query name inside ``zone``; None if it is outside the zone or invalid.

    The shapes ``parseRequest`` accepts:

    1. ``_port._protocol.service.namespace.svc.zone``   (SRV)
    2. ``endpoint.service.namespace.svc.zone``           (one endpoint of a service)
    3. ``service.namespace.svc.zone``                    (the service)
    4. ``namespace.svc.zone``, ``svc.zone``, ``zone``    (NODATA: they exist, empty)
    5. ``a-b-c-d.namespace.pod.zone``                    (a pod by dashed IP)

    Examples
    --------
    >>> parse_query("web.default.svc.cluster.local.")
    RecordRequest(port='', protocol='', endpoint='', service='web', namespace='default', pod_or_svc='svc')
    >>> parse_query("default.svc.cluster.local.")
    RecordRequest(port='', protocol='', endpoint='', service='', namespace='default', pod_or_svc='svc')
    >>> parse_query("web.cluster.local.") is None, parse_query("example.com.") is None
    (True, True)
    """
    if not in_zone(qname, zone):
        return None
    name, zone_name = fqdn(qname).lower(), fqdn(zone).lower()
    base = name[: -len(zone_name)].rstrip(".")
    if base in ("", "svc", "pod"):
        return RecordRequest()  # "return NODATA for apex queries"
    labels = base.split(".")
    if labels[-1] not in ("svc", "pod"):
        return None  # errInvalidRequest
    fields = {"pod_or_svc": labels[-1]}
    rest = labels[:-1]
    for key in ("namespace", "service"):
        if rest:
            fields[key] = rest.pop()
    if len(rest) == 1:
        fields["endpoint"] = rest[0]
    elif len(rest) == 2:
        fields["port"], fields["protocol"] = _strip_underscore(rest[0]), _strip_underscore(rest[1])
    elif rest:
        return None  # too long: errInvalidRequest
    return RecordRequest(**fields)


def _strip_underscore(label: str) -> str:
    return label[1:] if label.startswith("_") else label
