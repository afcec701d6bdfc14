"""Rule families for "external" traffic: NodePorts, load-balancer IPs and externalIPs.

Mirrors the external half of the per-service loop in k/k
``pkg/proxy/iptables/proxier.go``. Every external destination of a service
port is captured by one rule that jumps to the port's ``KUBE-EXT-<hash>``
chain:

* an externalIP: ``KUBE-SERVICES -d <externalIP> --dport <port>``;
* a load-balancer IP (``status.loadBalancer.ingress[].ip``; none while the
  LB is pending): ``KUBE-SERVICES -d <lbIP> --dport <port>``, through
  ``KUBE-FW-<hash>`` first when ``loadBalancerSourceRanges`` is set;
* a NodePort: ``KUBE-NODEPORTS --dport <nodePort>`` (reached from the last
  rule of KUBE-SERVICES for any of the node's own addresses). NodePorts
  ignore loadBalancerSourceRanges.

KUBE-EXT then applies ``externalTrafficPolicy``. ``Cluster``: masquerade
everything (the endpoint may be on another node, and its reply must come
back through this one) and go to KUBE-SVC. ``Local``: keep the client's
source IP and go to KUBE-SVL (this node's endpoints only), except that pods
and the node itself short-circuit to KUBE-SVC. Where there is nowhere to
go, the filter table answers: REJECT with no endpoints at all, DROP with
endpoints only on other nodes.
"""

from __future__ import annotations

import ipaddress

from k8sedu.kube_proxy.names import (
    KUBE_EXTERNAL_SERVICES, KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL, KUBE_SERVICES,
)
from k8sedu.kube_proxy.matches import AddrType, Comment, PortMatch
from k8sedu.kube_proxy.rules import PortPlan, ServicePortRules
from k8sedu.kube_proxy.tables import Chain, Rule

LOCAL_SOURCE = AddrType(dst_type="", src_type="LOCAL")
LOCAL_DESTINATION = AddrType(dst_type="LOCAL")


def _to(plan: PortPlan, chain: str, target: str, comment: str, destination: str) -> Rule:
    """``-A chain -d destination -p proto -m comment -m proto --dport port -j target``."""
    return Rule(chain, target, destination=destination, protocol=plan.proto,
                matches=(Comment(comment), PortMatch(plan.proto, plan.svc.port)))


def _external_filter(plan: PortPlan, destination: str) -> tuple[Rule, ...]:
    """REJECT/DROP in filter KUBE-EXTERNAL-SERVICES for an external IP or LB IP, if needed."""
    verdict = plan.traffic_filter(external=True)
    if verdict is None:
        return ()
    target, comment = verdict
    return (_to(plan, KUBE_EXTERNAL_SERVICES, target, comment, destination),)


def external_ip_rules(plan: PortPlan) -> ServicePortRules:
    """Capture each externalIP: nat ``"<svc> external IP"`` -> KUBE-EXT, or REJECT/DROP in filter.

    Examples
    --------
    >>> from k8sedu.kube_proxy.rules import plan_service_port
    >>> from k8sedu.kube_proxy.changes import EndpointInfo, ServicePortInfo, ServicePortName
    >>> plan = plan_service_port(ServicePortName("ns4", "svc4", "p80"),
    ...                          ServicePortInfo("172.30.0.44", 80, external_ips=("192.168.99.33",)),
    ...                          [EndpointInfo("10.180.0.4", 80)])
    >>> print(*external_ip_rules(plan).nat_rules)  # doctest: +NORMALIZE_WHITESPACE
    -A KUBE-SERVICES -d 192.168.99.33/32 -p tcp -m comment --comment "ns4/svc4:p80 external IP"
       -m tcp --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
    """
    nat, filter_ = [], []
    for ip in plan.svc.external_ips:
        if plan.has_endpoints:
            nat.append(_to(plan, KUBE_SERVICES, plan.external_chain, f"{plan.name} external IP", ip))
        filter_ += _external_filter(plan, ip)
    return ServicePortRules(nat_rules=tuple(nat), filter_rules=tuple(filter_))


def load_balancer_rules(plan: PortPlan) -> ServicePortRules:
    """Capture each load-balancer IP: nat ``"<svc> loadbalancer IP"`` -> KUBE-EXT (or KUBE-FW).

    With source ranges, filter KUBE-PROXY-FIREWALL DROPs whatever KUBE-FW
    let through un-DNATed; with nowhere to go, KUBE-EXTERNAL-SERVICES
    REJECTs or DROPs. A pending LB (no ingress IP yet) gets no rule at all.
    """
    nat, filter_ = [], []
    for ip in plan.svc.load_balancer_ips:
        if plan.has_endpoints:
            nat.append(_to(plan, KUBE_SERVICES, plan.load_balancer_chain, f"{plan.name} loadbalancer IP", ip))
        if plan.uses_firewall_chain:
            comment = f"{plan.name} traffic not accepted by {plan.firewall_chain}"
            filter_.append(_to(plan, KUBE_PROXY_FIREWALL, "DROP", comment, ip))
    for ip in plan.svc.load_balancer_ips:
        filter_ += _external_filter(plan, ip)
    return ServicePortRules(nat_rules=tuple(nat), filter_rules=tuple(filter_))


def node_port_rules(plan: PortPlan) -> ServicePortRules:
    """Capture the NodePort: nat ``KUBE-NODEPORTS --dport <nodePort>`` -> KUBE-EXT.

    kube-proxy 1.30+ also writes the same rule with ``-d 127.0.0.0/8`` and
    an nfacct counter first (``localhost_nps_accepted_pkts``), when the
    counter exists; it only counts, so the model leaves it out. With
    nowhere to go, filter KUBE-EXTERNAL-SERVICES REJECTs or DROPs packets
    for the node port on any of this node's addresses.

    Examples
    --------
    >>> from k8sedu.kube_proxy.rules import plan_service_port
    >>> from k8sedu.kube_proxy.changes import EndpointInfo, ServicePortInfo, ServicePortName
    >>> plan = plan_service_port(ServicePortName("default", "web"),
    ...                          ServicePortInfo("10.96.0.10", 80, node_port=30080, type="NodePort"), [])
    >>> print(*node_port_rules(plan).filter_rules)  # doctest: +NORMALIZE_WHITESPACE
    -A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/web has no endpoints"
       -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable
    """
    port = plan.svc.node_port
    if not port:
        return ServicePortRules()
    nat, filter_ = (), ()
    if plan.has_endpoints:
        nat = (Rule(KUBE_NODEPORTS, plan.external_chain, protocol=plan.proto,
                    matches=(Comment(str(plan.name)), PortMatch(plan.proto, port))),)
    verdict = plan.traffic_filter(external=True)
    if verdict is not None:
        target, comment = verdict
        filter_ = (Rule(KUBE_EXTERNAL_SERVICES, target, protocol=plan.proto,
                        matches=(Comment(comment), LOCAL_DESTINATION, PortMatch(plan.proto, port))),)
    return ServicePortRules(nat_rules=nat, filter_rules=filter_)


def health_check_rule(plan: PortPlan) -> ServicePortRules:
    """ACCEPT the LB's health checks on ``healthCheckNodePort`` (filter KUBE-NODEPORTS, from INPUT).

    Written whether or not this node has local endpoints: the answer
    (kube-proxy's health server says 200 or 503) is how the cloud LB learns
    which nodes to send ``externalTrafficPolicy: Local`` traffic to.
    """
    port = plan.svc.health_check_node_port
    if not port:
        return ServicePortRules()
    return ServicePortRules(filter_rules=(Rule(
        KUBE_NODEPORTS, "ACCEPT", protocol="tcp",
        matches=(Comment(f"{plan.name} health check node port"), PortMatch("tcp", port))),))


def external_chain(plan: PortPlan) -> ServicePortRules:
    """The KUBE-EXT chain: apply ``externalTrafficPolicy`` to captured external traffic.

    Examples
    --------
    >>> from k8sedu.kube_proxy.rules import plan_service_port
    >>> from k8sedu.kube_proxy.changes import EndpointInfo, ServicePortInfo, ServicePortName
    >>> plan = plan_service_port(ServicePortName("default", "web"),
    ...     ServicePortInfo("10.96.0.10", 80, node_port=30080, type="NodePort", external_traffic_policy="Local"),
    ...     [EndpointInfo("10.244.2.2", 8080)])
    >>> for rule in external_chain(plan).nat_chains[0].rules:
    ...     print(rule)  # doctest: +NORMALIZE_WHITESPACE
    -A KUBE-EXT-LOLE4ISW44XBNF3G -s 10.244.0.0/16 -m comment --comment "pod traffic for default/web
       external destinations" -j KUBE-SVC-LOLE4ISW44XBNF3G
    -A KUBE-EXT-LOLE4ISW44XBNF3G -m comment --comment "masquerade LOCAL traffic for default/web
       external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
    -A KUBE-EXT-LOLE4ISW44XBNF3G -m comment --comment "route LOCAL traffic for default/web
       external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-LOLE4ISW44XBNF3G

    (No fourth rule: this node has no local endpoint, so external clients fall through.)
    """
    if not plan.uses_external_chain:
        return ServicePortRules()
    rules = _local_policy_rules(plan) if plan.svc.external_policy_local else _cluster_policy_rules(plan)
    if plan.has_external_endpoints:
        rules += (Rule(plan.external_chain, plan.external_policy_chain),)
    return ServicePortRules(nat_chains=(Chain(plan.external_chain, rules),))


def _cluster_policy_rules(plan: PortPlan) -> tuple[Rule, ...]:
    # The endpoint may be on another node: SNAT, or its reply would bypass this node.
    comment = f"masquerade traffic for {plan.name} external destinations"
    return (Rule(plan.external_chain, KUBE_MARK_MASQ, matches=(Comment(comment),)),)


def _local_policy_rules(plan: PortPlan) -> tuple[Rule, ...]:
    chain, name = plan.external_chain, plan.name
    rules: tuple[Rule, ...] = ()
    if plan.cluster_cidr:
        # Pods reaching an external destination act as if they went out to the
        # LB and came back: neither traffic policy applies to them.
        rules += (Rule(chain, plan.cluster_chain, source=plan.cluster_cidr,
                       matches=(Comment(f"pod traffic for {name} external destinations"),)),)
    # The node's own traffic: its source would be a local address (maybe the
    # LB IP itself), so it must be masqueraded, and it may use any endpoint.
    return rules + (
        Rule(chain, KUBE_MARK_MASQ, matches=(
            Comment(f"masquerade LOCAL traffic for {name} external destinations"), LOCAL_SOURCE)),
        Rule(chain, plan.cluster_chain, matches=(
            Comment(f"route LOCAL traffic for {name} external destinations"), LOCAL_SOURCE)),
    )


def load_balancer_firewall_chain(plan: PortPlan) -> ServicePortRules:
    """The KUBE-FW chain: only ``loadBalancerSourceRanges`` may go on to KUBE-EXT.

    Anything else falls off the end un-DNATed and is dropped by the filter
    table's KUBE-PROXY-FIREWALL. If a range holds this node's IP, the LB IPs
    are allowed as sources too: a VIP-style LB IP is often a local address,
    so the node's own requests to it arrive with the LB IP as source.
    """
    if not plan.uses_firewall_chain:
        return ServicePortRules()
    chain, comment = plan.firewall_chain, Comment(f"{plan.name} loadbalancer IP")
    ranges = plan.svc.load_balancer_source_ranges
    rules = [Rule(chain, plan.external_chain, source=cidr, matches=(comment,)) for cidr in ranges]
    if plan.node_ip and any(ipaddress.ip_address(plan.node_ip) in ipaddress.ip_network(c, strict=False)
                            for c in ranges):
        rules += [Rule(chain, plan.external_chain, source=ip, matches=(comment,))
                  for ip in plan.svc.load_balancer_ips]
    rules.append(Rule(chain, "", matches=(
        Comment(f"other traffic to {plan.name} will be dropped by KUBE-PROXY-FIREWALL"),)))
    return ServicePortRules(nat_chains=(Chain(chain, tuple(rules)),))
