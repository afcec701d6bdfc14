"""kube-proxy's iptables backend: rendering the service and endpoints maps as rules.

Mirrors k/k ``pkg/proxy/iptables/proxier.go`` (the 1.30-1.32 proxier). The
mental model: every Service port becomes a small decision tree in the ``nat``
table. A packet enters ``KUBE-SERVICES`` (from PREROUTING for pod traffic,
from OUTPUT for the node's own), one rule per service port matches its
cluster IP and port and jumps to ``KUBE-SVC-<hash>``. That chain first marks
traffic from outside the pod network for masquerade, then picks one endpoint
with a ladder of random matches (probability 1/n, 1/(n-1), ..., 1) and jumps
to that endpoint's ``KUBE-SEP-<hash>``, which DNATs the packet to
``pod-ip:target-port``. A service port with no usable endpoint gets no nat
chains at all, only a REJECT in the ``filter`` table, so clients see
"connection refused" rather than a timeout.

The code is split the way ``syncProxyRules`` is organised, one small function
per rule family (the cluster IP capture, the masquerade rule,
``writeServiceToEndpointRules``, the endpoint chain, the no-endpoints REJECT),
composed per service port by ``render_service_port`` so that a sync can
re-render a single service port. NodePort, LoadBalancer and externalIP
families slot in as further functions feeding the same ``ServicePortRules``.

Rules are data (``Rule``, ``Chain``, ``Table``) so ``k8sedu.netfilter`` can
interpret them; ``Rule.to_text()`` prints a rule exactly as a real
``iptables-save`` (v1.8.9) prints it after the kernel has normalised it:
``-s``/``-d`` first with a prefix length, then ``-p``, then the matches,
``--or-mark`` as ``--set-xmark``, probabilities with 11 decimals.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Mapping, Optional, Sequence, Union

from k8sedu.kube_proxy.changes import (
    EndpointInfo, ServicePortInfo, ServicePortName, count_endpoints, usable_endpoints,
)

# ---------------------------------------------------------------- names and constants

KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
KUBE_PROXY_CANARY = "KUBE-PROXY-CANARY"
KUBE_FIREWALL = "KUBE-FIREWALL"

MASQUERADE_MARK = 0x4000
"""``1 << masqueradeBit`` with the default bit 14."""

LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000
"""Above this many endpoints kube-proxy drops the comments from KUBE-SVC endpoint
rules and KUBE-SEP rules to keep iptables-restore fast (``largeClusterMode``)."""

BUILTIN_CHAINS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
})

IPTABLES_VERSION = "v1.8.9 (nf_tables)"


def port_proto_hash(service_port_name: str, protocol: str) -> str:
    """Return the 16-character chain suffix for a service port (``portProtoHash``).

    iptables chain names must be at most 28 characters, so kube-proxy hashes:
    ``base32(sha256(servicePortName + protocol))[:16]``, no separator.

    Examples
    --------
    >>> port_proto_hash("ns1/svc1:p80", "tcp")
    'XPGD46QRK7WJZT7O'
    """
    digest = hashlib.sha256((service_port_name + protocol).encode()).digest()
    # base32 turns each 5 bytes into 8 characters, so the first 10 bytes give
    # exactly the first 16 characters: encoding the rest would be thrown away.
    return base64.b32encode(digest[:10]).decode()


def service_chain_name(name: ServicePortName) -> str:
    """Return the ``KUBE-SVC-`` chain of a service port (``servicePortPolicyClusterChain``).

    Examples
    --------
    >>> service_chain_name(ServicePortName("default", "kubernetes", "https", "TCP"))
    'KUBE-SVC-NPX46M4PTMTKRN6Y'
    """
    return "KUBE-SVC-" + port_proto_hash(str(name), name.protocol.lower())


def endpoint_chain_name(name: ServicePortName, endpoint: str) -> str:
    """Return the ``KUBE-SEP-`` chain of one endpoint ``"ip:port"`` (``servicePortEndpointChainName``).

    Examples
    --------
    >>> endpoint_chain_name(ServicePortName("ns1", "svc1", "p80", "TCP"), "10.180.0.1:80")
    'KUBE-SEP-SXIVWICOYRO3J4NJ'
    """
    return "KUBE-SEP-" + port_proto_hash(str(name), name.protocol.lower() + endpoint)


def compute_probability(n: int) -> float:
    """Return the probability kube-proxy writes for the i-th of n remaining endpoints.

    kube-proxy formats ``1/n`` with ``%0.10f`` (``computeProbability``); this
    returns that rounded value.

    Examples
    --------
    >>> compute_probability(3)
    0.3333333333
    """
    return float(f"{1.0 / n:0.10f}")


def kernel_probability(p: float) -> float:
    """Return the probability the kernel really applies for ``--probability p``.

    The statistic match keeps a 31-bit integer, ``lround(0x80000000 * p)``,
    and compares it with a random 31-bit number (netfilter ``libxt_statistic.c``).

    Examples
    --------
    >>> kernel_probability(0.3333333333)
    0.33333333348855376
    """
    return math.floor(0x80000000 * p + 0.5) / 0x80000000


def saved_probability(p: float) -> str:
    """Return ``p`` as ``iptables-save`` prints it: the kernel's value with ``%.11f``.

    Examples
    --------
    >>> [saved_probability(compute_probability(n)) for n in (2, 3, 5)]
    ['0.50000000000', '0.33333333349', '0.20000000019']
    """
    return f"{kernel_probability(p):.11f}"


def save_date(seconds: float = 0.0) -> str:
    """Return ``seconds`` since the epoch (UTC) in the ``ctime`` form iptables-save prints.

    Examples
    --------
    >>> save_date(0)
    'Thu Jan  1 00:00:00 1970'
    """
    t = time.gmtime(seconds)
    return time.strftime("%a %b ", t) + f"{t.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", t)


# ---------------------------------------------------------------- matches

_NO_QUOTE = frozenset("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def quote(value: str) -> str:
    """Quote a string argument the way iptables-save does (``xtables_save_string``).

    Only a non-empty run of letters, digits, ``_`` and ``-`` stays bare;
    anything else, including ``/`` and ``:``, is double-quoted.

    Examples
    --------
    >>> quote("plain_word"), quote("ns1/svc1:p80"), quote("a b")
    ('plain_word', '"ns1/svc1:p80"', '"a b"')
    """
    if value and all(c in _NO_QUOTE for c in value):
        return value
    escaped = "".join("\\" + c if c in "\"\\'" else c for c in value)
    return f'"{escaped}"'


@dataclass(frozen=True)
class Comment:
    """``-m comment --comment TEXT``: matches everything; documents the rule."""

    text: str

    def args(self) -> str:
        return f"-m comment --comment {quote(self.text)}"


@dataclass(frozen=True)
class PortMatch:
    """``-m tcp [--dport N]`` (or udp/sctp); the rule also carries ``-p``."""

    protocol: str
    dport: int = 0

    def args(self) -> str:
        return f"-m {self.protocol} --dport {self.dport}" if self.dport else f"-m {self.protocol}"


@dataclass(frozen=True)
class Statistic:
    """``-m statistic --mode random --probability P``: matches with chance P."""

    probability: float

    def args(self) -> str:
        return f"-m statistic --mode random --probability {saved_probability(self.probability)}"


@dataclass(frozen=True)
class AddrType:
    """``-m addrtype --dst-type LOCAL``: the destination is one of this host's addresses."""

    dst_type: str = "LOCAL"

    def args(self) -> str:
        return f"-m addrtype --dst-type {self.dst_type}"


@dataclass(frozen=True)
class MarkMatch:
    """``-m mark [!] --mark VALUE/MASK``: ``(packet mark & MASK) == VALUE``."""

    value: int
    mask: int
    negate: bool = False

    def args(self) -> str:
        bang = "! " if self.negate else ""
        return f"-m mark {bang}--mark {self.value:#x}/{self.mask:#x}"


@dataclass(frozen=True)
class Conntrack:
    """``-m conntrack [!] --ctstate S1,S2``: the connection-tracking state is one of them."""

    states: tuple[str, ...]
    negate: bool = False

    def args(self) -> str:
        bang = "! " if self.negate else ""
        return f"-m conntrack {bang}--ctstate {','.join(self.states)}"


Match = Union[Comment, PortMatch, Statistic, AddrType, MarkMatch, Conntrack]


# ---------------------------------------------------------------- rules, chains, tables

def _cidr(address: str) -> str:
    if "/" not in address:
        return address + "/32"
    return str(ipaddress.ip_network(address, strict=False))


def or_mark(bits: int) -> str:
    """Return ``--or-mark bits`` in iptables-save's ``--set-xmark value/mask`` form."""
    return f"{bits:#x}/{bits:#x}"


def xor_mark(bits: int) -> str:
    """Return ``--xor-mark bits`` in iptables-save's ``--set-xmark value/mask`` form."""
    return f"{bits:#x}/0x0"


@dataclass(frozen=True)
class Rule:
    """One ``-A CHAIN ... -j TARGET`` line, as structured fields.

    ``target`` is a chain name or one of ACCEPT, DROP, REJECT, RETURN, DNAT,
    MARK, MASQUERADE. The target options are ``to_destination`` (DNAT),
    ``set_xmark`` (MARK, already in ``value/mask`` form) and ``random_fully``
    (MASQUERADE); a REJECT prints its default ``--reject-with``.

    Examples
    --------
    >>> print(Rule("KUBE-SEP-X", "KUBE-MARK-MASQ", source="10.244.1.2",
    ...            matches=(Comment("default/web"),)))
    -A KUBE-SEP-X -s 10.244.1.2/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ
    """

    chain: str
    target: str
    source: str = ""
    not_source: bool = False
    destination: str = ""
    not_destination: bool = False
    protocol: str = ""
    matches: tuple[Match, ...] = ()
    to_destination: str = ""
    set_xmark: str = ""
    random_fully: bool = False

    def to_text(self) -> str:
        """Return the rule as iptables-save prints it."""
        parts = ["-A", self.chain]
        if self.source:
            parts += ["! -s" if self.not_source else "-s", _cidr(self.source)]
        if self.destination:
            parts += ["! -d" if self.not_destination else "-d", _cidr(self.destination)]
        if self.protocol:
            parts += ["-p", self.protocol]
        parts += [m.args() for m in self.matches]
        parts += ["-j", self.target]
        parts += self._target_args()
        return " ".join(parts)

    def _target_args(self) -> list[str]:
        if self.target == "DNAT":
            return ["--to-destination", self.to_destination]
        if self.target == "MARK":
            return ["--set-xmark", self.set_xmark]
        if self.target == "MASQUERADE" and self.random_fully:
            return ["--random-fully"]
        if self.target == "REJECT":
            return ["--reject-with", "icmp-port-unreachable"]
        return []

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class Chain:
    """A chain: its rules in order, and a policy (built-in chains only; ``-`` otherwise)."""

    name: str
    rules: tuple[Rule, ...] = ()
    policy: str = "-"


@dataclass(frozen=True)
class Table:
    """One netfilter table (``nat`` or ``filter``): chains by name, in iptables-save order.

    Build one with ``Table.build``: built-in chains come first in hook order,
    then user chains sorted by name, as iptables-save lists them.
    """

    name: str
    chains: Mapping[str, Chain]

    @classmethod
    def build(cls, name: str, chains: Iterable[Chain]) -> "Table":
        """Return a table holding ``chains``, adding any missing built-in chain."""
        by_name = {c.name: c for c in chains}
        builtins = BUILTIN_CHAINS[name]
        ordered = {b: by_name.pop(b, Chain(b, policy="ACCEPT")) for b in builtins}
        ordered.update((n, by_name[n]) for n in sorted(by_name))
        return cls(name, MappingProxyType(ordered))

    def chain(self, name: str) -> Chain:
        """Return the chain called ``name``; raise KeyError naming the table if missing."""
        try:
            return self.chains[name]
        except KeyError:
            raise KeyError(f"iptables: chain {name!r} does not exist in table {self.name!r}") from None

    def rules(self) -> Iterable[Rule]:
        """Yield every rule, chain by chain."""
        for chain in self.chains.values():
            yield from chain.rules

    def to_iptables_save(self, date: Optional[str] = None) -> str:
        """Return the table as ``iptables-save -t <name>`` prints it.

        With ``date`` the ``# Generated by`` / ``# Completed on`` lines are included.

        Examples
        --------
        >>> print(Table.build("filter", [Chain("KUBE-FORWARD")]).to_iptables_save(), end="")
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :KUBE-FORWARD - [0:0]
        COMMIT
        """
        lines = [f"# Generated by iptables-save {IPTABLES_VERSION} on {date}"] if date else []
        lines.append(f"*{self.name}")
        lines += [f":{c.name} {c.policy} [0:0]" for c in self.chains.values()]
        lines += [rule.to_text() for rule in self.rules()]
        lines.append("COMMIT")
        if date:
            lines.append(f"# Completed on {date}")
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the fixed chains

@dataclass(frozen=True)
class JumpChain:
    """A jump kube-proxy ensures in a built-in chain (``iptablesJumpChain``)."""

    table: str
    dst_chain: str
    src_chain: str
    comment: str
    new_only: bool = False  # "-m conntrack --ctstate NEW"


# In k/k order. kube-proxy *prepends* each jump (EnsureRule(Prepend)), so in
# a built-in chain they end up in reverse order of this list.
JUMP_CHAINS: tuple[JumpChain, ...] = (
    JumpChain("filter", KUBE_EXTERNAL_SERVICES, "INPUT", "kubernetes externally-visible service portals", True),
    JumpChain("filter", KUBE_EXTERNAL_SERVICES, "FORWARD", "kubernetes externally-visible service portals", True),
    JumpChain("filter", KUBE_NODEPORTS, "INPUT", "kubernetes health check service ports"),
    JumpChain("filter", KUBE_SERVICES, "FORWARD", "kubernetes service portals", True),
    JumpChain("filter", KUBE_SERVICES, "OUTPUT", "kubernetes service portals", True),
    JumpChain("filter", KUBE_FORWARD, "FORWARD", "kubernetes forwarding rules"),
    JumpChain("filter", KUBE_PROXY_FIREWALL, "INPUT", "kubernetes load balancer firewall", True),
    JumpChain("filter", KUBE_PROXY_FIREWALL, "OUTPUT", "kubernetes load balancer firewall", True),
    JumpChain("filter", KUBE_PROXY_FIREWALL, "FORWARD", "kubernetes load balancer firewall", True),
    JumpChain("nat", KUBE_SERVICES, "OUTPUT", "kubernetes service portals"),
    JumpChain("nat", KUBE_SERVICES, "PREROUTING", "kubernetes service portals"),
    JumpChain("nat", KUBE_POSTROUTING, "POSTROUTING", "kubernetes postrouting rules"),
)


def builtin_jump_rules(table: str) -> tuple[Rule, ...]:
    """Return kube-proxy's jumps from the built-in chains of ``table``, in chain order.

    In filter, kubelet's own ``-j KUBE-FIREWALL`` jumps (INPUT and OUTPUT)
    were there first, so they end up after kube-proxy's prepended ones.
    """
    rules = []
    for chain in BUILTIN_CHAINS[table]:
        for jump in reversed(JUMP_CHAINS):
            if jump.table == table and jump.src_chain == chain:
                ct = (Conntrack(("NEW",)),) if jump.new_only else ()
                rules.append(Rule(chain, jump.dst_chain, matches=ct + (Comment(jump.comment),)))
        if table == "filter" and chain in ("INPUT", "OUTPUT"):
            rules.append(Rule(chain, KUBE_FIREWALL))
    return tuple(rules)


def mark_masq_chain() -> Chain:
    """KUBE-MARK-MASQ: set the masquerade bit; KUBE-POSTROUTING acts on it later."""
    return Chain(KUBE_MARK_MASQ, (Rule(KUBE_MARK_MASQ, "MARK", set_xmark=or_mark(MASQUERADE_MARK)),))


def postrouting_chain() -> Chain:
    """KUBE-POSTROUTING: SNAT (masquerade) exactly the packets that carry the mark."""
    c = KUBE_POSTROUTING
    return Chain(c, (
        Rule(c, "RETURN", matches=(MarkMatch(MASQUERADE_MARK, MASQUERADE_MARK, negate=True),)),
        # Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
        Rule(c, "MARK", set_xmark=xor_mark(MASQUERADE_MARK)),
        Rule(c, "MASQUERADE", matches=(Comment("kubernetes service traffic requiring SNAT"),),
             random_fully=True),
    ))


def nodeports_jump_rule() -> Rule:
    """The last rule of nat KUBE-SERVICES: traffic to this node's own addresses goes to KUBE-NODEPORTS."""
    return Rule(KUBE_SERVICES, KUBE_NODEPORTS, matches=(
        Comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
        AddrType("LOCAL"),
    ))


def forward_chain() -> Chain:
    """filter KUBE-FORWARD: drop INVALID, accept marked service traffic and its replies."""
    c = KUBE_FORWARD
    return Chain(c, (
        Rule(c, "DROP", matches=(Conntrack(("INVALID",)),)),
        Rule(c, "ACCEPT", matches=(Comment("kubernetes forwarding rules"),
                                   MarkMatch(MASQUERADE_MARK, MASQUERADE_MARK))),
        Rule(c, "ACCEPT", matches=(Comment("kubernetes forwarding conntrack rule"),
                                   Conntrack(("RELATED", "ESTABLISHED")))),
    ))


def firewall_chain() -> Chain:
    """filter KUBE-FIREWALL: kubelet's anti-martian rule, which kube-proxy duplicates.

    route_localnet=1 (needed for NodePorts on 127.0.0.1) would otherwise let
    other hosts reach 127.0.0.0/8 services (https://issues.k8s.io/90259).
    """
    return Chain(KUBE_FIREWALL, (Rule(
        KUBE_FIREWALL, "DROP", source="127.0.0.0/8", not_source=True, destination="127.0.0.0/8",
        matches=(Comment("block incoming localnet connections"),
                 Conntrack(("RELATED", "ESTABLISHED", "DNAT"), negate=True)),
    ),))


# ---------------------------------------------------------------- per service port rule families

@dataclass(frozen=True)
class ServicePortRules:
    """Everything one service port contributes, so a sync can replace it as a unit.

    ``nat_rules``/``filter_rules`` are this port's rules in chains shared by
    all services (KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, ...; each Rule names
    its chain); ``nat_chains`` are the chains this port owns (KUBE-SVC-*, KUBE-SEP-*).
    """

    nat_rules: tuple[Rule, ...] = ()
    nat_chains: tuple[Chain, ...] = ()
    filter_rules: tuple[Rule, ...] = ()


def _service_match(svc: ServicePortInfo, comment: str) -> dict:
    proto = svc.protocol.lower()
    return dict(destination=svc.cluster_ip, protocol=proto,
                matches=(Comment(comment), PortMatch(proto, svc.port)))


def cluster_ip_rule(name: ServicePortName, svc: ServicePortInfo, svc_chain: str) -> Rule:
    """Capture the cluster IP: ``KUBE-SERVICES ... -d clusterIP --dport port -j KUBE-SVC-X``."""
    return Rule(KUBE_SERVICES, svc_chain, **_service_match(svc, f"{name} cluster IP"))


def cluster_masquerade_rule(name: ServicePortName, svc: ServicePortInfo, svc_chain: str,
                            cluster_cidr: str) -> Rule:
    """Mark cluster-IP traffic from outside the pod network for masquerade.

    k/k: "This masquerades off-cluster traffic to a service VIP ... Since that
    might bounce off-node, we masquerade here." (``! -s <clusterCIDR>``, the
    local-traffic detector).
    """
    return Rule(svc_chain, KUBE_MARK_MASQ, source=cluster_cidr, not_source=True,
                **_service_match(svc, f"{name} cluster IP"))


def service_to_endpoint_rules(name: ServicePortName, svc_chain: str,
                              endpoints: Sequence[EndpointInfo], comments: bool = True) -> tuple[Rule, ...]:
    """Pick one endpoint at random (``writeServiceToEndpointRules``).

    Rule i of n matches with probability 1/(n-i): the first takes 1/n of all
    packets, the second half of what is left when n=3, and the last always
    matches. Every endpoint ends up with exactly 1/n.

    Examples
    --------
    >>> eps = [EndpointInfo("10.244.1.2", 80), EndpointInfo("10.244.2.2", 80)]
    >>> for rule in service_to_endpoint_rules(ServicePortName("default", "web"), "KUBE-SVC-X", eps):
    ...     print(rule)  # doctest: +NORMALIZE_WHITESPACE
    -A KUBE-SVC-X -m comment --comment "default/web -> 10.244.1.2:80" -m statistic --mode random
       --probability 0.50000000000 -j KUBE-SEP-MQ4W7Q2CV67URU6Q
    -A KUBE-SVC-X -m comment --comment "default/web -> 10.244.2.2:80" -j KUBE-SEP-QHWUG6SOC7OJ2BZK
    """
    n = len(endpoints)
    rules = []
    for i, ep in enumerate(endpoints):
        matches: tuple[Match, ...] = (Comment(f"{name} -> {ep}"),) if comments else ()
        if i < n - 1:
            matches += (Statistic(compute_probability(n - i)),)
        rules.append(Rule(svc_chain, endpoint_chain_name(name, str(ep)), matches=matches))
    return tuple(rules)


def endpoint_chain(name: ServicePortName, protocol: str, ep: EndpointInfo, comments: bool = True) -> Chain:
    """Return one endpoint's KUBE-SEP chain: hairpin masquerade, then DNAT.

    The first rule catches a pod reaching itself through its own Service:
    without SNAT the reply would go straight back to itself, not through the
    conntrack entry that undoes the DNAT.
    """
    chain = endpoint_chain_name(name, str(ep))
    comment: tuple[Match, ...] = (Comment(str(name)),) if comments else ()
    proto = protocol.lower()
    return Chain(chain, (
        Rule(chain, KUBE_MARK_MASQ, source=ep.ip, matches=comment),
        Rule(chain, "DNAT", protocol=proto, matches=comment + (PortMatch(proto),), to_destination=str(ep)),
    ))


def no_endpoints_rule(name: ServicePortName, svc: ServicePortInfo) -> Rule:
    """REJECT cluster-IP traffic for a service port with no usable endpoint (filter KUBE-SERVICES)."""
    return Rule(KUBE_SERVICES, "REJECT", **_service_match(svc, f"{name} has no endpoints"))


def render_service_port(name: ServicePortName, svc: ServicePortInfo, endpoints: Iterable[EndpointInfo],
                        cluster_cidr: str = "10.244.0.0/16", comments: bool = True) -> ServicePortRules:
    """Return every rule of one ClusterIP service port.

    With no usable endpoint (see ``usable_endpoints``), the port gets no nat
    chain at all, only a REJECT in filter KUBE-SERVICES. An empty
    ``cluster_cidr`` means no local-traffic detector, hence no masquerade rule.
    ``comments=False`` is large-cluster mode.
    """
    usable = usable_endpoints(endpoints)
    if not usable:
        return ServicePortRules(filter_rules=(no_endpoints_rule(name, svc),))
    svc_chain = service_chain_name(name)
    head = (cluster_masquerade_rule(name, svc, svc_chain, cluster_cidr),) if cluster_cidr else ()
    svc_rules = head + service_to_endpoint_rules(name, svc_chain, usable, comments)
    return ServicePortRules(
        nat_rules=(cluster_ip_rule(name, svc, svc_chain),),
        nat_chains=(Chain(svc_chain, svc_rules),)
        + tuple(endpoint_chain(name, svc.protocol, ep, comments) for ep in usable),
    )


# ---------------------------------------------------------------- whole tables

SHARED_NAT_CHAINS = (KUBE_SERVICES, KUBE_NODEPORTS)
SHARED_FILTER_CHAINS = (KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL)


def _collect(rules_per_port: Iterable[tuple[Rule, ...]], chains: Sequence[str]) -> dict[str, list[Rule]]:
    shared: dict[str, list[Rule]] = {c: [] for c in chains}
    for rules in rules_per_port:
        for rule in rules:
            shared[rule.chain].append(rule)
    return shared


def assemble_nat_table(ports: Sequence[ServicePortRules]) -> Table:
    """Return the nat table: the fixed chains plus every port's rules, in the given order."""
    shared = _collect((p.nat_rules for p in ports), SHARED_NAT_CHAINS)
    shared[KUBE_SERVICES].append(nodeports_jump_rule())
    jumps = builtin_jump_rules("nat")
    chains = [Chain(b, tuple(r for r in jumps if r.chain == b), "ACCEPT") for b in BUILTIN_CHAINS["nat"]]
    chains += [Chain(c, tuple(rules)) for c, rules in shared.items()]
    chains += [mark_masq_chain(), postrouting_chain(), Chain(KUBE_PROXY_CANARY)]
    chains += [chain for p in ports for chain in p.nat_chains]
    return Table.build("nat", chains)


def assemble_filter_table(ports: Sequence[ServicePortRules]) -> Table:
    """Return the filter table: the fixed chains plus every port's REJECT/DROP rules."""
    shared = _collect((p.filter_rules for p in ports), SHARED_FILTER_CHAINS)
    jumps = builtin_jump_rules("filter")
    chains = [Chain(b, tuple(r for r in jumps if r.chain == b), "ACCEPT") for b in BUILTIN_CHAINS["filter"]]
    chains += [Chain(c, tuple(rules)) for c, rules in shared.items()]
    chains += [forward_chain(), firewall_chain(), Chain(KUBE_PROXY_CANARY)]
    return Table.build("filter", chains)


def sort_key(name: ServicePortName) -> tuple[str, str]:
    """Order service ports by their string, then protocol: the model's deterministic listing order."""
    return (str(name), name.protocol)


def render_tables(svc_map: Mapping[ServicePortName, ServicePortInfo],
                  ep_map: Mapping[ServicePortName, Sequence[EndpointInfo]],
                  cluster_cidr: str = "10.244.0.0/16") -> tuple[Table, Table]:
    """Render ``(nat, filter)`` from scratch: a full ``syncProxyRules``.

    Examples
    --------
    >>> name = ServicePortName("default", "web")
    >>> nat, filt = render_tables({name: ServicePortInfo("10.96.0.10", 80)},
    ...                           {name: (EndpointInfo("10.244.1.2", 8080),)})
    >>> [r.to_text() for r in nat.chain("KUBE-SERVICES").rules][0]  # doctest: +NORMALIZE_WHITESPACE
    '-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web cluster IP"
      -m tcp --dport 80 -j KUBE-SVC-LOLE4ISW44XBNF3G'
    """
    comments = count_endpoints(ep_map, svc_map) <= LARGE_CLUSTER_ENDPOINTS_THRESHOLD
    ports = [render_service_port(n, svc_map[n], ep_map.get(n, ()), cluster_cidr, comments)
             for n in sorted(svc_map, key=sort_key)]
    return assemble_nat_table(ports), assemble_filter_table(ports)


def iptables_save(nat: Table, filter_: Table, date: Optional[str] = None) -> str:
    """Return both tables as ``iptables-save`` prints them: filter first, then nat."""
    return filter_.to_iptables_save(date) + nat.to_iptables_save(date)
