"""Per service port: the plan, and the rule families for cluster-IP ("internal") traffic.

Mirrors the per-service loop of ``syncProxyRules`` in k/k
``pkg/proxy/iptables/proxier.go``. For each service port, kube-proxy first
decides (``PortPlan``): which endpoints Cluster and Local traffic may use
(``topology.categorize_endpoints``), which chain internal traffic goes to
(KUBE-SVC, or KUBE-SVL with ``internalTrafficPolicy: Local``), and whether
to write DROP/REJECT rules instead. Then each rule family is one small
function here (internal traffic) or in ``external.py`` (NodePort, LB,
external IPs), each returning a ``ServicePortRules`` fragment.

Internal traffic: ``KUBE-SERVICES -d clusterIP --dport port -> KUBE-SVC``;
KUBE-SVC first marks off-cluster sources for masquerade, then (with
``sessionAffinity: ClientIP``) sends a client back to the endpoint it used
last, then picks one at random (``writeServiceToEndpointRules``); each
KUBE-SEP masquerades hairpin traffic and DNATs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from k8sedu.kube_proxy.changes import EndpointInfo, ServicePortInfo, ServicePortName
from k8sedu.kube_proxy.names import (
    KUBE_MARK_MASQ, KUBE_SERVICES, endpoint_chain_name, external_chain_name, firewall_chain_name,
    local_chain_name, service_chain_name,
)
from k8sedu.kube_proxy.matches import Comment, Match, PortMatch, Recent, Statistic
from k8sedu.kube_proxy.tables import Chain, Rule
from k8sedu.kube_proxy.topology import categorize_endpoints


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


@dataclass(frozen=True)
class ServicePortRules:
    """Everything one service port contributes, so a sync can replace it as a unit.

    ``nat_rules``/``filter_rules`` are this port's rules in chains shared by
    all services (KUBE-SERVICES, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES,
    KUBE-PROXY-FIREWALL; each Rule names its chain); ``nat_chains`` are the
    chains this port owns (KUBE-SVC/SVL/EXT/FW/SEP-*).
    """

    nat_rules: tuple[Rule, ...] = ()
    nat_chains: tuple[Chain, ...] = ()
    filter_rules: tuple[Rule, ...] = ()


def combine(parts: Iterable[ServicePortRules]) -> ServicePortRules:
    """Concatenate fragments, keeping their order (rule order within a chain matters)."""
    parts = tuple(parts)
    return ServicePortRules(
        nat_rules=tuple(r for p in parts for r in p.nat_rules),
        nat_chains=tuple(c for p in parts for c in p.nat_chains),
        filter_rules=tuple(r for p in parts for r in p.filter_rules),
    )


# ---------------------------------------------------------------- the plan

@dataclass(frozen=True)
class PortPlan:
    """What ``syncProxyRules`` decides about one service port before writing a rule.

    The fields are the facts (the port, its endpoint lists, the node's
    settings); the properties are Go's local variables of the same names
    (``hasInternalEndpoints``, ``usesFWChain``, ...), made explicit.
    """

    name: ServicePortName
    svc: ServicePortInfo
    cluster_endpoints: tuple[EndpointInfo, ...] = ()
    local_endpoints: tuple[EndpointInfo, ...] = ()
    reachable_endpoints: tuple[EndpointInfo, ...] = ()
    has_endpoints: bool = False
    cluster_cidr: str = "10.244.0.0/16"
    node_ip: str = ""
    comments: bool = True

    @property
    def proto(self) -> str:
        return self.svc.protocol.lower()

    @property
    def cluster_chain(self) -> str:
        return service_chain_name(self.name)

    @property
    def local_chain(self) -> str:
        return local_chain_name(self.name)

    @property
    def external_chain(self) -> str:
        return external_chain_name(self.name)

    @property
    def firewall_chain(self) -> str:
        return firewall_chain_name(self.name)

    @property
    def has_internal_endpoints(self) -> bool:
        return self.has_endpoints and (not self.svc.internal_policy_local or bool(self.local_endpoints))

    @property
    def has_external_endpoints(self) -> bool:
        return self.has_endpoints and (not self.svc.external_policy_local or bool(self.local_endpoints))

    @property
    def internal_chain(self) -> str:
        return self.local_chain if self.svc.internal_policy_local else self.cluster_chain

    @property
    def external_policy_chain(self) -> str:
        return self.local_chain if self.svc.external_policy_local else self.cluster_chain

    @property
    def uses_cluster_chain(self) -> bool:
        return bool(self.cluster_endpoints) and self.svc.uses_cluster_endpoints

    @property
    def uses_local_chain(self) -> bool:
        return bool(self.local_endpoints) and self.svc.uses_local_endpoints

    @property
    def uses_external_chain(self) -> bool:
        # On has_endpoints, not has_external_endpoints: the short-circuit rules
        # for pods and the node itself are needed even with no local endpoint.
        return self.has_endpoints and self.svc.externally_accessible

    @property
    def uses_firewall_chain(self) -> bool:
        return self.has_endpoints and bool(self.svc.load_balancer_ips) and bool(self.svc.load_balancer_source_ranges)

    @property
    def load_balancer_chain(self) -> str:
        return self.firewall_chain if self.uses_firewall_chain else self.external_chain

    def traffic_filter(self, external: bool) -> Optional[tuple[str, str]]:
        """Return ``(target, comment)`` for traffic that has nowhere to go, or None.

        No endpoints anywhere: REJECT ("connection refused"). Endpoints
        elsewhere but none here under a Local policy: DROP.
        """
        if not self.has_endpoints:
            return "REJECT", f"{self.name} has no endpoints"
        has = self.has_external_endpoints if external else self.has_internal_endpoints
        return None if has else ("DROP", f"{self.name} has no local endpoints")


def plan_service_port(name: ServicePortName, svc: ServicePortInfo, endpoints: Iterable[EndpointInfo],
                      cluster_cidr: str = "10.244.0.0/16", node_ip: str = "", comments: bool = True) -> PortPlan:
    """Categorize the endpoints and return the port's ``PortPlan``.

    Examples
    --------
    >>> name = ServicePortName("default", "web")
    >>> plan = plan_service_port(name, ServicePortInfo("10.96.0.10", 80, internal_traffic_policy="Local"),
    ...                          [EndpointInfo("10.244.2.2", 8080)])
    >>> plan.has_endpoints, plan.has_internal_endpoints, plan.traffic_filter(external=False)
    (True, False, ('DROP', 'default/web has no local endpoints'))
    """
    cats = categorize_endpoints(endpoints, svc)
    return PortPlan(name, svc, cats.cluster, cats.local, cats.reachable, cats.has_any,
                    cluster_cidr, node_ip, comments)


# ---------------------------------------------------------------- internal traffic families

def _service_match(svc: ServicePortInfo, comment: str, destination: str = "") -> dict:
    proto = svc.protocol.lower()
    return dict(destination=destination or svc.cluster_ip, protocol=proto,
                matches=(Comment(comment), PortMatch(proto, svc.port)))


def cluster_ip_rule(name: ServicePortName, svc: ServicePortInfo, svc_chain: str) -> Rule:
    """Capture the cluster IP: ``KUBE-SERVICES ... -d clusterIP --dport port -j KUBE-SVC-X`` (or KUBE-SVL-X)."""
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


def cluster_ip_filter_rule(name: ServicePortName, svc: ServicePortInfo, target: str, comment: str) -> Rule:
    """Stop cluster-IP traffic with nowhere to go: filter ``KUBE-SERVICES ... -j REJECT`` or ``DROP``."""
    return Rule(KUBE_SERVICES, target, **_service_match(svc, comment))


def no_endpoints_rule(name: ServicePortName, svc: ServicePortInfo) -> Rule:
    """REJECT cluster-IP traffic for a service port with no usable endpoint (filter KUBE-SERVICES)."""
    return cluster_ip_filter_rule(name, svc, "REJECT", f"{name} has no endpoints")


def internal_traffic_rules(plan: PortPlan) -> ServicePortRules:
    """The cluster IP: jump to the internal chain, or REJECT/DROP in filter if it has no endpoint."""
    if plan.has_internal_endpoints:
        return ServicePortRules(nat_rules=(cluster_ip_rule(plan.name, plan.svc, plan.internal_chain),))
    target, comment = plan.traffic_filter(external=False)
    return ServicePortRules(filter_rules=(cluster_ip_filter_rule(plan.name, plan.svc, target, comment),))


def affinity_rules(name: ServicePortName, svc_chain: str, endpoints: Sequence[EndpointInfo],
                   seconds: int, comments: bool = True) -> tuple[Rule, ...]:
    """Send a returning client to the endpoint it used last (``sessionAffinity: ClientIP``).

    One rule per endpoint, before the random ladder: if this client's source
    IP is in the endpoint's ``recent`` list (its KUBE-SEP chain name), set
    less than ``seconds`` ago, jump straight to that endpoint.

    Examples
    --------
    >>> (rule,) = affinity_rules(ServicePortName("ns5", "svc5", "p80"), "KUBE-SVC-NUKIZ6OKUXPJNT4C",
    ...                          [EndpointInfo("10.180.0.3", 80)], 10800)
    >>> print(rule)  # doctest: +NORMALIZE_WHITESPACE
    -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --rcheck
       --seconds 10800 --reap --name KUBE-SEP-I77PXRDZVX7PMWMN --mask 255.255.255.255 --rsource
       -j KUBE-SEP-I77PXRDZVX7PMWMN
    """
    rules = []
    for ep in endpoints:
        sep = endpoint_chain_name(name, str(ep))
        comment: tuple[Match, ...] = (Comment(f"{name} -> {ep}"),) if comments else ()
        rules.append(Rule(svc_chain, sep, matches=comment + (Recent(sep, "rcheck", seconds, reap=True),)))
    return tuple(rules)


def service_to_endpoint_rules(name: ServicePortName, svc_chain: str, endpoints: Sequence[EndpointInfo],
                              comments: bool = True, affinity_seconds: int = 0) -> tuple[Rule, ...]:
    """Pick one endpoint at random (``writeServiceToEndpointRules``), after any affinity rules.

    Rule i of n matches with probability 1/(n-i): the first takes 1/n of all
    packets, the second half of what is left when n=3, and the last always
    matches. Every endpoint ends up with exactly 1/n. ``affinity_seconds``
    (ClientIP affinity) puts ``affinity_rules`` first.

    Examples
    --------
    >>> eps = [EndpointInfo("10.244.1.2", 80), EndpointInfo("10.244.2.2", 80)]
    >>> for rule in service_to_endpoint_rules(ServicePortName("default", "web"), "KUBE-SVC-X", eps):
    ...     print(rule)  # doctest: +NORMALIZE_WHITESPACE
    -A KUBE-SVC-X -m comment --comment "default/web -> 10.244.1.2:80" -m statistic --mode random
       --probability 0.50000000000 -j KUBE-SEP-MQ4W7Q2CV67URU6Q
    -A KUBE-SVC-X -m comment --comment "default/web -> 10.244.2.2:80" -j KUBE-SEP-QHWUG6SOC7OJ2BZK
    """
    rules = list(affinity_rules(name, svc_chain, endpoints, affinity_seconds, comments)) if affinity_seconds else []
    n = len(endpoints)
    for i, ep in enumerate(endpoints):
        matches: tuple[Match, ...] = (Comment(f"{name} -> {ep}"),) if comments else ()
        if i < n - 1:
            matches += (Statistic(compute_probability(n - i)),)
        rules.append(Rule(svc_chain, endpoint_chain_name(name, str(ep)), matches=matches))
    return tuple(rules)


def endpoint_chain(name: ServicePortName, protocol: str, ep: EndpointInfo, comments: bool = True,
                   affinity: bool = False) -> Chain:
    """Return one endpoint's KUBE-SEP chain: hairpin masquerade, then DNAT.

    The first rule catches a pod reaching itself through its own Service:
    without SNAT the reply would go straight back to itself, not through the
    conntrack entry that undoes the DNAT. With ``affinity`` the DNAT rule
    also records the client in the endpoint's ``recent`` list (``--set``).
    """
    chain = endpoint_chain_name(name, str(ep))
    comment: tuple[Match, ...] = (Comment(str(name)),) if comments else ()
    remember: tuple[Match, ...] = (Recent(chain, "set"),) if affinity else ()
    proto = protocol.lower()
    return Chain(chain, (
        Rule(chain, KUBE_MARK_MASQ, source=ep.ip, matches=comment),
        Rule(chain, "DNAT", protocol=proto, matches=comment + remember + (PortMatch(proto),),
             to_destination=str(ep)),
    ))


def policy_chains(plan: PortPlan) -> ServicePortRules:
    """The KUBE-SVC (Cluster) and KUBE-SVL (Local) chains, each only if used and non-empty.

    The cluster-IP masquerade rule goes first in whichever of them internal
    traffic uses. An empty ``cluster_cidr`` means no local-traffic detector,
    hence no masquerade rule.
    """
    affinity = plan.svc.sticky_max_age_seconds if plan.svc.session_affinity_client_ip else 0
    chains = []
    for used, chain, eps in ((plan.uses_cluster_chain, plan.cluster_chain, plan.cluster_endpoints),
                             (plan.uses_local_chain, plan.local_chain, plan.local_endpoints)):
        if not used:
            continue
        head: tuple[Rule, ...] = ()
        if plan.has_internal_endpoints and chain == plan.internal_chain and plan.cluster_cidr:
            head = (cluster_masquerade_rule(plan.name, plan.svc, chain, plan.cluster_cidr),)
        chains.append(Chain(chain, head + service_to_endpoint_rules(plan.name, chain, eps, plan.comments, affinity)))
    return ServicePortRules(nat_chains=tuple(chains))


def endpoint_chains(plan: PortPlan) -> ServicePortRules:
    """One KUBE-SEP chain per endpoint some rule on this node may DNAT to."""
    affinity = plan.svc.session_affinity_client_ip
    return ServicePortRules(nat_chains=tuple(
        endpoint_chain(plan.name, plan.svc.protocol, ep, plan.comments, affinity)
        for ep in plan.reachable_endpoints))
