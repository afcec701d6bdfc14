"""``nslookup`` and ``dig`` inside a pod, in the flavour the image carries, printing what each really prints.

Every query goes to the CoreDNS pod that kube-dns's ClusterIP led the pod to
(``coredns.query``: kind's plugin chain). What differs is the client:

- **bind9 nslookup** (``bind9``: 9.11 and later, checked against 9.18.0
  ``bin/dig/nslookup.c`` and ``dighost.c``, as in agnhost's alpine
  ``bind-tools``; ``bind9-9.9``: 9.9.5, Debian jessie's, as in
  ``jessie-dnsutils``). It walks the search list (all of it when the name has
  fewer than ``ndots`` dots, then the name as it is; a name with ``ndots``
  dots or more only as it is) and goes on **only after NXDOMAIN**
  (``next_origin`` is called for ``dns_rcode_nxdomain`` alone): an empty
  answer (NODATA) ends the walk. 9.11+ asks A, then AAAA for the name the A
  answer ended on, and says ``*** Can't find NAME: No answer`` when neither
  had a record; the Server/Address header is printed for the A query only,
  so a reverse lookup (``nslookup 10.96.0.10``) has none. 9.9 asks A only and
  prints the header on every answer. A failure prints
  ``** server can't find NAME: NXDOMAIN`` and exits 1; "No answer" exits 0.
- **busybox nslookup 1.36** (``networking/nslookup.c``, rewritten in 1.29;
  ``busybox-1.29`` is 1.29 to 1.33, which also print ``*** Can't find NAME:
  No answer`` for an empty reply):
  sends every query at once: for a name with no dot, A then AAAA for each
  search domain (never the bare name); with a dot, for the name alone. It
  prints each reply in turn (the model: in the order sent), an NXDOMAIN as
  ``** server can't find NAME: NXDOMAIN`` (exit 1), an empty answer as just
  its blank line; ``Address:	10.96.0.10:53``; names without the final dot.
  An IP is looked up as PTR.
- **busybox nslookup 1.28**: ``getaddrinfo`` (the libc resolver's search walk)
  and ``getnameinfo`` for every address (a PTR query; the first name it gets),
  in its ``Server:    ...`` / ``Address 1: IP NAME`` format;
  ``nslookup: can't resolve 'NAME'`` on stderr and exit 1 on failure.
  The walk is the one ``coredns.lookup`` does (glibc's); busybox:1.28 images
  link uClibc, whose walk the model takes to be the same.
- **dig** (bind9): ``+short`` output only; no search list unless ``+search``
  (then the same walk as nslookup's); ``-x IP`` asks PTR for the IP's reverse
  name; exit 0 whatever the answer.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Optional, Sequence

from k8sedu import coredns
from k8sedu.coredns import Record, Response
from k8sedu.errors import KubectlError
from k8sedu.kubectl.streams import Result
from k8sedu.network.dns import upstream_names

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

TIMED_OUT = ";; connection timed out; no servers could be reached\n"
NSLOOKUP_TYPES = ("A", "AAAA", "SRV", "PTR", "TXT", "CNAME")
# nslookup's rtypetext: how each non-address record is introduced
RTYPE_TEXT = {"CNAME": "canonical name = ", "PTR": "name = ", "SRV": "service = ", "TXT": "text = "}


class Resolver:
    """The pod's view of DNS: its resolv.conf, and the CoreDNS pod its queries reach (None: no answer)."""

    def __init__(self, cluster: "Model", pod: Any):
        self.cluster, self.pod = cluster, pod
        self.resolv = cluster.resolv_conf(pod)
        answer, _ = cluster.network.lookup(f"kubernetes.default.svc.{coredns.ZONE}.", pod)
        self.server: Optional[str] = None if answer.rcode == "TIMEOUT" else answer.server
        self.caches: Optional[coredns.Caches] = cluster.dns_caches  # the CoreDNS pods' caches

    @property
    def nameserver(self) -> str:
        return self.resolv.nameservers[0]

    def ask(self, qname: str, qtype: str) -> Response:
        """One query to the CoreDNS pod, through its whole plugin chain."""
        cluster = self.cluster
        return coredns.query(cluster.api.store, coredns.fqdn(qname), qtype, server=self.server or "",
                             now=cluster.now, rng=cluster.random, caches=self.caches,
                             upstream=upstream_names(cluster))

    def lookup(self, name: str) -> coredns.DnsAnswer:
        """The libc resolver's walk (``getaddrinfo``), through the same CoreDNS pod."""
        cluster = self.cluster
        return coredns.lookup(name, self.resolv, cluster.api.store, server=self.server or "", now=cluster.now,
                              rng=cluster.random, caches=self.caches, upstream=upstream_names(cluster))

    def bind9_candidates(self, name: str) -> list[str]:
        """dighost's walk: search domains then the name, or the name alone (trailing dot, or >= ndots dots)."""
        if name.endswith(".") or name.count(".") >= self.resolv.ndots:
            return [coredns.fqdn(name)]
        return [f"{name}.{suffix}." for suffix in self.resolv.search] + [coredns.fqdn(name)]

    def bind9_walk(self, name: str, qtype: str, search: bool = True) -> tuple[str, Response]:
        """Ask each candidate until an answer that is not NXDOMAIN; (the name last asked, its response)."""
        candidates = self.bind9_candidates(name) if search else [coredns.fqdn(name)]
        for candidate in candidates:
            response = self.ask(candidate, qtype)
            if response.rcode != "NXDOMAIN":
                break
        return candidate, response


def _check_server(argv: Sequence[str], cluster: "Model", pod: Any) -> None:
    """``nslookup NAME SERVER``: the model's pods reach only their own nameserver (kube-dns's ClusterIP)."""
    names = [a for a in argv[1:] if not a.startswith("-")]
    own = cluster.resolv_conf(pod).nameservers[0]
    if len(names) == 2 and names[1] != own:
        raise KubectlError(f"error: k8sedu models nslookup with the pod's own nameserver ({own}) only, "
                           f"not {names[1]}")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _parse_nslookup(argv: Sequence[str], usage: str) -> tuple[str, Optional[str]]:
    """``nslookup [-type=T] NAME``: (name, type or None when none was given)."""
    qtype: Optional[str] = None
    names = []
    for arg in argv[1:]:
        key, _, value = arg.lstrip("-").partition("=")
        if arg.startswith("-") and key.lower() in ("type", "q", "query", "querytype") \
                and value.upper() in NSLOOKUP_TYPES:
            qtype = value.upper()
        elif arg.startswith("-"):
            raise KubectlError(f'error: k8sedu models "{usage}" only (not {arg})')
        else:
            names.append(arg)
    if len(names) not in (1, 2):
        raise KubectlError(f'error: k8sedu models "{usage} [SERVER]" only (one name)')
    return names[0], qtype


# ---------------------------------------------------------------- bind9's nslookup

def nslookup_bind9(cluster: "Model", pod: Any, argv: Sequence[str], old: bool = False) -> Result:
    """bind9's ``nslookup [-type=T] NAME|IP``: 9.11+ (``old=False``) or 9.9 (``old=True``)."""
    name, qtype = _parse_nslookup(argv, "nslookup [-type=A|AAAA|SRV|PTR|TXT|CNAME] NAME")
    _check_server(argv, cluster, pod)
    resolver = Resolver(cluster, pod)
    if resolver.server is None:
        return Result(TIMED_OUT + "\n", exit_code=1)
    default = qtype is None
    rdtype = qtype or "A"
    if _is_ip(name):  # addlookup: get_reverse turns an address into its PTR name
        name, rdtype = coredns.reverse_name(name).rstrip("."), "PTR"
    asked, response = resolver.bind9_walk(name, rdtype)
    lines: list[str] = []
    if old or not default or rdtype == "A":
        lines += [f"Server:\t\t{resolver.nameserver}", f"Address:\t{resolver.nameserver}#53", ""]
    if response.rcode != "NOERROR":
        lines.append(f"** server can't find {asked.rstrip('.')}: {response.rcode}")
        return Result("\n".join(lines) + "\n\n", exit_code=1)
    if not response.authoritative and (old or not default or rdtype == "A"):
        lines.append("Non-authoritative answer:")
    lines += _bind9_section(response.answers)
    exit_code = 0
    if old or not default:
        if not response.answers:
            lines.append(f"*** Can't find {name}: No answer")
    elif rdtype == "A":  # "Add AAAA lookup" for the name the A answer's CNAMEs lead to
        chased = _chase_cnames(asked, response.answers)
        aaaa = resolver.ask(chased, "AAAA")
        if aaaa.rcode != "NOERROR":
            lines.append(f"** server can't find {chased.rstrip('.')}: {aaaa.rcode}")
            exit_code = 1
        elif aaaa.answers:
            lines += _bind9_section(aaaa.answers)
        elif not response.answers:
            lines.append(f"*** Can't find {chased.rstrip('.')}: No answer")
    if not response.authoritative and (rdtype != "A" if old else rdtype not in ("A", "AAAA")):
        lines += ["", "Authoritative answers can be found from:"]
    return Result("\n".join(lines) + "\n\n", exit_code=exit_code)


def _bind9_section(records: Sequence[Record]) -> list[str]:
    """``printsection``: addresses as Name/Address pairs, the rest as ``owner<TAB>type text = data``."""
    lines = []
    for record in records:
        owner = record.name.rstrip(".")
        if record.type in ("A", "AAAA"):
            lines += [f"Name:\t{owner}", f"Address: {record.data}"]
        else:
            lines.append(f"{owner}\t{RTYPE_TEXT.get(record.type, '')}{record.data}")
    return lines


def _chase_cnames(name: str, records: Sequence[Record]) -> str:
    """``chase_cnamechain``: follow the answer's CNAMEs from ``name``."""
    for _ in records:
        target = next((r.data for r in records if r.type == "CNAME" and r.name.lower() == name.lower()), None)
        if target is None:
            break
        name = target
    return name


# ---------------------------------------------------------------- busybox's nslookup

def nslookup_busybox(cluster: "Model", pod: Any, argv: Sequence[str], says_no_answer: bool = False) -> Result:
    """busybox 1.29+'s ``nslookup [-type=T] NAME``: every query at once, every reply printed.

    ``says_no_answer``: busybox 1.29 to 1.33 print ``*** Can't find NAME: No
    answer`` for an empty reply (``parse_reply`` returned 0); 1.34 dropped it
    (commit 49fd1d69, "do not print "No answer" for NODATA replies").
    """
    name, qtype = _parse_nslookup(argv, "nslookup [-type=A|AAAA|SRV|PTR|TXT|CNAME] NAME")
    _check_server(argv, cluster, pod)
    resolver = Resolver(cluster, pod)
    if resolver.server is None:
        return Result(TIMED_OUT + "\n", exit_code=1)
    if qtype is None and _is_ip(name):
        queries = [(coredns.reverse_name(name).rstrip("."), "PTR")]
    else:
        queries = [(q, t) for t in ((qtype,) if qtype else ("A", "AAAA")) for q in _busybox_names(name, t, resolver)]
    lines = [f"Server:\t\t{resolver.nameserver}", f"Address:\t{resolver.nameserver}:53", ""]
    exit_code = 0
    for qname, kind in queries:
        response = resolver.ask(qname, kind)
        if response.rcode != "NOERROR":
            lines.append(f"** server can't find {qname}: {response.rcode}")
            exit_code = 1
        else:
            lines += [] if response.authoritative else ["Non-authoritative answer:"]
            lines += _busybox_records(response.answers)
            if says_no_answer and not response.answers:
                lines.append(f"*** Can't find {qname}: No answer")
        lines.append("")
    return Result("\n".join(lines) + "\n", exit_code=exit_code)


def _busybox_names(name: str, qtype: str, resolver: Resolver) -> list[str]:
    """``add_query_with_search``: a dotless name with each search domain, never alone; else the name."""
    if qtype == "PTR" or "." in name or not resolver.resolv.search:
        return [name]
    return [f"{name}.{suffix}" for suffix in resolver.resolv.search]


def _busybox_records(records: Sequence[Record]) -> list[str]:
    """``parse_reply``: names as ``ns_rr_name`` gives them, targets uncompressed (no final dot)."""
    lines = []
    for record in records:
        owner = record.name.rstrip(".")
        if record.type in ("A", "AAAA"):
            lines += [f"Name:\t{owner}", f"Address: {record.data}"]
        elif record.type == "SRV":
            *numbers, target = record.data.split()
            lines.append(f"{owner}\tservice = {' '.join(numbers)} {target.rstrip('.')}")
        elif record.type == "TXT":
            lines.append(f"{owner}\ttext = {record.data}")
        else:
            lines.append(f"{owner}\t{RTYPE_TEXT.get(record.type, '')}{record.data.rstrip('.')}")
    return lines


def nslookup_busybox_old(cluster: "Model", pod: Any, argv: Sequence[str]) -> Result:
    """busybox 1.28's ``nslookup NAME``: getaddrinfo, then getnameinfo for the server and every address."""
    if len(argv) not in (2, 3) or any(a.startswith("-") for a in argv[1:]):
        raise KubectlError('error: k8sedu models busybox 1.28\'s "nslookup NAME [SERVER]" only (it takes no options)')
    name = argv[1]
    _check_server(argv, cluster, pod)
    resolver = Resolver(cluster, pod)
    lines = _busybox_old_host(resolver, resolver.nameserver, "Server:", [resolver.nameserver]) + [""]
    if _is_ip(name):
        addresses = [name]
    elif resolver.server is None:
        addresses = []
    else:
        addresses = list(resolver.lookup(name).addresses)
    if not addresses:
        return Result("\n".join(lines) + "\n", f"nslookup: can't resolve '{name}'\n", exit_code=1)
    lines += _busybox_old_host(resolver, name, "Name:", addresses)
    return Result("\n".join(lines) + "\n")


def _busybox_old_host(resolver: Resolver, host: str, header: str, addresses: list[str]) -> list[str]:
    """``print_host``: ``%-10s %s`` then ``Address N: IP NAME`` (NAME from a PTR query, if any)."""
    lines = [f"{header:<10} {host}"]
    for n, ip in enumerate(addresses, 1):
        ptr = resolver.ask(coredns.reverse_name(ip), "PTR") if resolver.server else None
        names = [r.data for r in ptr.answers if r.type == "PTR"] if ptr and ptr.rcode == "NOERROR" else []
        lines.append(f"Address {n}: {ip} {names[0].rstrip('.')}" if names else f"Address {n}: {ip}")
    return lines


# ---------------------------------------------------------------- dig

DIG_USAGE = 'dig +short [+search] [-t TYPE | TYPE] NAME, or dig +short -x IP'
DIG_TYPES = ("A", "AAAA", "SRV", "PTR", "TXT", "CNAME")


def dig(cluster: "Model", pod: Any, argv: Sequence[str]) -> Result:
    """``dig +short [+search] [-t TYPE | TYPE] NAME`` and ``dig +short -x IP``."""
    short, search, qtype, names = _parse_dig(argv)
    if not short:
        raise KubectlError('error: k8sedu\'s dig prints +short answers only: use "dig +short NAME"')
    if len(names) != 1:
        raise KubectlError(f'error: k8sedu\'s dig models "{DIG_USAGE}"')
    resolver = Resolver(cluster, pod)
    if resolver.server is None:
        return Result(TIMED_OUT, exit_code=9)
    _, response = resolver.bind9_walk(names[0], qtype, search)
    return Result("".join(f"{r.data}\n" for r in response.answers))


def _parse_dig(argv: Sequence[str]) -> tuple[bool, bool, str, list[str]]:
    short = search = False
    qtype, names, args = "A", [], list(argv[1:])
    while args:
        arg = args.pop(0)
        if arg in ("+short", "+search", "+nosearch"):
            short, search = short or arg == "+short", (search or arg == "+search") and arg != "+nosearch"
        elif arg == "-t" and args and args[0].upper() in DIG_TYPES:
            qtype = args.pop(0).upper()
        elif arg == "-x" and args and _is_ip(args[0]):
            qtype = "PTR"
            names.append(coredns.reverse_name(args.pop(0)))
        elif arg.upper() in DIG_TYPES:
            qtype = arg.upper()
        elif arg.startswith(("+", "-", "@")):
            raise KubectlError(f'error: k8sedu\'s dig models "{DIG_USAGE}" (not {arg})')
        else:
            names.append(arg)
    return short, search, qtype, names
