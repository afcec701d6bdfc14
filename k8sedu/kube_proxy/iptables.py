"""kube-proxy's iptables backend: rendering the service and endpoints maps as rules.

Mirrors k/k ``pkg/proxy/iptables/proxier.go`` (the 1.30-1.32 proxier). The
mental model: every Service port becomes a small decision tree in the ``nat``
table. A packet enters ``KUBE-SERVICES`` (from PREROUTING for traffic that
arrives, from OUTPUT for the node's own), one rule per destination matches:

* the cluster IP and port jump to ``KUBE-SVC-<hash>``, which marks traffic
  from outside the pod network for masquerade and picks one endpoint with a
  ladder of random matches (1/n, 1/(n-1), ..., 1), jumping to that
  endpoint's ``KUBE-SEP-<hash>``, which DNATs to ``pod-ip:target-port``;
* external IPs, load-balancer IPs and (through ``KUBE-NODEPORTS``) node
  ports jump to ``KUBE-EXT-<hash>``, which applies externalTrafficPolicy.

A destination with nowhere to go gets no nat rule at all but a REJECT (no
endpoints anywhere: "connection refused") or DROP (endpoints only on other
nodes, Local policy) in the ``filter`` table.

The code is split the way ``syncProxyRules`` is organised, by concept:
``names.py`` (chain names), ``matches.py`` and ``tables.py`` (rules as
data, printed as iptables-save prints them), ``topology.py`` (which endpoints each policy
may use), ``rules.py`` (the per-port plan and the internal-traffic rule
families), ``external.py`` (NodePort, LB and externalIP families), and this
module: the fixed chains every node has, ``render_service_port`` composing
one port's families, and the assembly of whole tables. Each family is one
small function returning a ``ServicePortRules`` fragment, so a sync can
re-render a single service port.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence

from k8sedu.kube_proxy.changes import (
    EndpointInfo, ServicePortInfo, ServicePortName, count_endpoints,
)
from k8sedu.kube_proxy.external import (
    external_chain, external_ip_rules, health_check_rule, load_balancer_firewall_chain, load_balancer_rules,
    node_port_rules,
)
from k8sedu.kube_proxy.names import (
    KUBE_EXTERNAL_SERVICES, KUBE_FIREWALL, KUBE_FORWARD, KUBE_IPTABLES_HINT, KUBE_KUBELET_CANARY,
    KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_PROXY_CANARY, KUBE_PROXY_FIREWALL, KUBE_SERVICES,
    LARGE_CLUSTER_ENDPOINTS_THRESHOLD, MASQUERADE_MARK, endpoint_chain_name, external_chain_name,
    firewall_chain_name, local_chain_name, port_proto_hash, service_chain_name,
)
from k8sedu.kube_proxy.rules import (
    PortPlan, ServicePortRules, affinity_rules, cluster_ip_filter_rule, cluster_ip_rule,
    cluster_masquerade_rule, combine, compute_probability, endpoint_chain, endpoint_chains,
    internal_traffic_rules, no_endpoints_rule, plan_service_port, policy_chains,
    service_to_endpoint_rules,
)
from k8sedu.kube_proxy.matches import (
    AddrType, Comment, Conntrack, MarkMatch, Match, PortMatch, Recent, RecentTable, Statistic,
    kernel_probability, quote, saved_probability,
)
from k8sedu.kube_proxy.tables import (
    BUILTIN_CHAINS, IPTABLES_VERSION, Chain, Rule, Table, iptables_save, or_mark, save_date, xor_mark,
)

__all__ = [
    # the backend
    "render_service_port", "render_tables", "assemble_nat_table", "assemble_filter_table",
    "assemble_mangle_table", "canary_chains", "frame_chains", "shared_chain", "sort_key",
    "builtin_jump_rules", "JUMP_CHAINS", "JumpChain",
    # re-exported so ``from k8sedu.kube_proxy.iptables import ...`` keeps working
    "ServicePortRules", "PortPlan", "plan_service_port", "combine", "compute_probability",
    "cluster_ip_rule", "cluster_masquerade_rule", "cluster_ip_filter_rule", "no_endpoints_rule",
    "internal_traffic_rules", "affinity_rules", "service_to_endpoint_rules", "endpoint_chain",
    "policy_chains", "endpoint_chains", "external_ip_rules", "load_balancer_rules", "node_port_rules",
    "health_check_rule", "external_chain", "load_balancer_firewall_chain",
    "port_proto_hash", "service_chain_name", "local_chain_name", "external_chain_name",
    "firewall_chain_name", "endpoint_chain_name",
    "KUBE_SERVICES", "KUBE_EXTERNAL_SERVICES", "KUBE_NODEPORTS", "KUBE_POSTROUTING", "KUBE_MARK_MASQ",
    "KUBE_FORWARD", "KUBE_PROXY_FIREWALL", "KUBE_PROXY_CANARY", "KUBE_FIREWALL", "MASQUERADE_MARK",
    "KUBE_KUBELET_CANARY", "KUBE_IPTABLES_HINT",
    "LARGE_CLUSTER_ENDPOINTS_THRESHOLD",
    "BUILTIN_CHAINS", "IPTABLES_VERSION", "AddrType", "Chain", "Comment", "Conntrack", "MarkMatch",
    "Match", "PortMatch", "Recent", "RecentTable", "Rule", "Statistic", "Table", "iptables_save",
    "kernel_probability", "or_mark", "quote", "save_date", "saved_probability", "xor_mark",
]


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

    Examples
    --------
    >>> [r.to_text() for r in builtin_jump_rules("nat")][0]
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'
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
    (Not to be confused with a service's KUBE-FW chain, ``load_balancer_firewall_chain``.)
    """
    return Chain(KUBE_FIREWALL, (Rule(
        KUBE_FIREWALL, "DROP", source="127.0.0.0/8", not_source=True, destination="127.0.0.0/8",
        matches=(Comment("block incoming localnet connections"),
                 Conntrack(("RELATED", "ESTABLISHED", "DNAT"), negate=True)),
    ),))


# ---------------------------------------------------------------- one service port

SERVICE_PORT_FAMILIES = (
    # In syncProxyRules order: the order of a port's rules within a shared chain.
    internal_traffic_rules, external_ip_rules, load_balancer_rules, node_port_rules, health_check_rule,
    external_chain, load_balancer_firewall_chain, policy_chains, endpoint_chains,
)
"""The rule families, each ``PortPlan -> ServicePortRules``, composed by ``render_service_port``."""


def render_service_port(name: ServicePortName, svc: ServicePortInfo, endpoints: Iterable[EndpointInfo],
                        cluster_cidr: str = "10.244.0.0/16", comments: bool = True,
                        node_ip: str = "", renders: Optional[dict] = None) -> ServicePortRules:
    """Return every rule of one service port, of any type, on one node.

    ``endpoints`` carry ``is_local`` for this node. With no usable endpoint
    anywhere the port gets no nat chain at all, only REJECTs in filter. An
    empty ``cluster_cidr`` means no local-traffic detector (no masquerade
    rule, no pod short-circuit). ``comments=False`` is large-cluster mode.
    ``node_ip`` only matters for loadBalancerSourceRanges that contain it.
    ``renders``, one dict for all the nodes of a cluster, remembers renderings
    by plan: every node whose plan for a port is the same (a Cluster-policy
    Service is planned alike on every node) shares one, so the first sync on
    a node of a 10,000-Service cluster looks the rules up.

    Examples
    --------
    >>> name = ServicePortName("default", "web")
    >>> rules = render_service_port(name, ServicePortInfo("10.96.0.10", 80, node_port=30080, type="NodePort"),
    ...                             [EndpointInfo("10.244.1.2", 8080)])
    >>> sorted(c.name for c in rules.nat_chains)
    ['KUBE-EXT-LOLE4ISW44XBNF3G', 'KUBE-SEP-PXJ2U7QYT2QW5545', 'KUBE-SVC-LOLE4ISW44XBNF3G']
    >>> [r.chain for r in rules.nat_rules]
    ['KUBE-SERVICES', 'KUBE-NODEPORTS']
    """
    plan = plan_service_port(name, svc, endpoints, cluster_cidr, node_ip, comments)
    if renders is None:
        return _render_plan(plan)
    shared = _node_free(plan)
    rules = renders.get(shared)
    if rules is None:
        if len(renders) > MAX_SHARED_RENDERS:
            renders.clear()
        rules = renders[shared] = _render_plan(shared)
    return rules


MAX_SHARED_RENDERS = 50_000  # plans a cluster's renderings cache holds before it starts again


def _render_plan(plan: PortPlan) -> ServicePortRules:
    return combine(family(plan) for family in SERVICE_PORT_FAMILIES)


def _node_free(plan: PortPlan) -> PortPlan:
    """The plan without what no rule reads: which endpoints are this node's (the rules read the plan's local
    list, not the flag) and the node's IP unless loadBalancerSourceRanges may contain it."""
    def shared(endpoints: tuple[EndpointInfo, ...]) -> tuple[EndpointInfo, ...]:
        return tuple(dataclasses.replace(ep, is_local=False) if ep.is_local else ep for ep in endpoints)
    return dataclasses.replace(plan, cluster_endpoints=shared(plan.cluster_endpoints),
                               local_endpoints=shared(plan.local_endpoints),
                               reachable_endpoints=shared(plan.reachable_endpoints),
                               node_ip=plan.node_ip if plan.svc.load_balancer_source_ranges else "")


# ---------------------------------------------------------------- whole tables

SHARED_NAT_CHAINS = (KUBE_SERVICES, KUBE_NODEPORTS)
SHARED_FILTER_CHAINS = (KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL)


def _collect(rules_per_port: Iterable[tuple[Rule, ...]], chains: Sequence[str]) -> dict[str, list[Rule]]:
    shared: dict[str, list[Rule]] = {c: [] for c in chains}
    for rules in rules_per_port:
        for rule in rules:
            shared[rule.chain].append(rule)
    return shared


def shared_chain(table: str, name: str, rules: tuple[Rule, ...]) -> Chain:
    """One chain every service port writes into: the ports' rules in listing order (nat KUBE-SERVICES then
    ends with the jump to KUBE-NODEPORTS)."""
    return Chain(name, rules + ((nodeports_jump_rule(),) if (table, name) == ("nat", KUBE_SERVICES) else ()))


def frame_chains(table: str, shared: Iterable[Chain]) -> list[Chain]:
    """Every chain of ``table`` that no one port owns: the built-ins with kube-proxy's jumps, the ``shared``
    chains, and kube-proxy's fixed ones (nat: KUBE-MARK-MASQ, KUBE-POSTROUTING; filter: KUBE-FORWARD,
    KUBE-FIREWALL; both: the canaries)."""
    jumps = builtin_jump_rules(table)
    chains = [Chain(b, tuple(r for r in jumps if r.chain == b), "ACCEPT") for b in BUILTIN_CHAINS[table]]
    chains += shared
    fixed = [mark_masq_chain(), postrouting_chain()] if table == "nat" else [forward_chain(), firewall_chain()]
    return chains + fixed + list(canary_chains())


def assemble_nat_table(ports: Sequence[ServicePortRules]) -> Table:
    """Return the nat table: the fixed chains plus every port's rules, in the given order."""
    shared = _collect((p.nat_rules for p in ports), SHARED_NAT_CHAINS)
    chains = frame_chains("nat", (shared_chain("nat", c, tuple(rules)) for c, rules in shared.items()))
    chains += [chain for p in ports for chain in p.nat_chains]
    return Table.build("nat", chains)


def assemble_filter_table(ports: Sequence[ServicePortRules]) -> Table:
    """Return the filter table: the fixed chains plus every port's REJECT/DROP/ACCEPT rules."""
    shared = _collect((p.filter_rules for p in ports), SHARED_FILTER_CHAINS)
    return Table.build("filter", frame_chains("filter", (shared_chain("filter", c, tuple(rules))
                                                         for c, rules in shared.items())))


def canary_chains() -> tuple[Chain, Chain]:
    """The empty canary chains kube-proxy and the kubelet keep in each of mangle, nat and filter.

    Each watches its own (``iptables.Monitor``, k/k ``pkg/util/iptables``): if
    someone flushes the tables, the canary is gone and its owner re-creates
    its rules (kube-proxy: ``forceSyncProxyRules``; the kubelet: ``syncIPTablesRules``).
    """
    return Chain(KUBE_KUBELET_CANARY), Chain(KUBE_PROXY_CANARY)


def assemble_mangle_table() -> Table:
    """Return the mangle table of a kube-proxy node: no rules, only chains.

    The kubelet's ``KUBE-IPTABLES-HINT`` (its existence tells which iptables
    backend the node uses) and the two canaries; kube-proxy writes no mangle rule.

    Examples
    --------
    >>> list(assemble_mangle_table().chains)[5:]
    ['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY', 'KUBE-PROXY-CANARY']
    """
    return Table.build("mangle", [Chain(KUBE_IPTABLES_HINT), *canary_chains()])


def sort_key(name: ServicePortName) -> tuple[str, str]:
    """Order service ports by their string, then protocol: the model's deterministic listing order."""
    return (str(name), name.protocol)


def render_tables(svc_map: Mapping[ServicePortName, ServicePortInfo],
                  ep_map: Mapping[ServicePortName, Sequence[EndpointInfo]],
                  cluster_cidr: str = "10.244.0.0/16", node_ip: str = "") -> tuple[Table, Table]:
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
    ports = [render_service_port(n, svc_map[n], ep_map.get(n, ()), cluster_cidr, comments, node_ip)
             for n in sorted(svc_map, key=sort_key)]
    return assemble_nat_table(ports), assemble_filter_table(ports)
