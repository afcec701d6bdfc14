"""kube-proxy (iptables mode) for every Service type: NodePort, LoadBalancer, externalIPs,
traffic policies, source ranges, session affinity.

Specification sources: k8s-reference.md 1.4-1.7 and k/k pkg/proxy/iptables/proxier.go,
proxier_test.go (TestOverallIPTablesRulesWithMultipleServices, TestNoEndpointsReject and the
packetFlowTest tables), pkg/proxy/topology.go, pkg/proxy/serviceport.go. Rules are compared in
the form real ``iptables-save`` prints them.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from k8sedu.apiserver.store import Store
from k8sedu.kube_proxy import KubeProxy
from k8sedu.kube_proxy.changes import EndpointInfo, ServicePortInfo, service_port_map
from k8sedu.kube_proxy.topology import categorize_endpoints
from k8sedu.netfilter import Packet, trace_connection
from k8sedu.objects import (
    ClientIPConfig, Endpoint, EndpointConditions, EndpointPort, EndpointSlice, LoadBalancerIngress,
    LoadBalancerStatus, ObjectMeta, Service, ServicePort, ServiceSpec, ServiceStatus, SessionAffinityConfig,
    frozen,
)

NODE, OTHER = "kind-worker", "kind-worker2"
NODE_IP = "172.18.0.3"
LOCAL_IPS = (NODE_IP, "127.0.0.1")
POD = "10.244.1.50"           # a client pod on this node
CLIENT = "192.168.1.50"       # a client outside the cluster
DRAINING = EndpointConditions(ready=False, serving=True, terminating=True)
NOT_READY = EndpointConditions(ready=False, serving=False, terminating=False)


# ---------------------------------------------------------------- fixtures

def new_store() -> Store:
    return Store(now=lambda: 0.0, new_uid=lambda: "uid")


def add_service(store: Store, name: str, cluster_ip: str, *, type: str = "ClusterIP", node_port: int = 0,
                etp: str = "", itp: str = "Cluster", lb: tuple = (), external_ips: tuple = (),
                ranges: tuple = (), hc: int = 0, affinity: int = 0,
                endpoints: tuple = (), ns: str = "default") -> Store:
    """One Service with one port 80 -> 8080 and, if given, one slice of ``(ip, node)`` endpoints."""
    external = type in ("NodePort", "LoadBalancer")
    spec = ServiceSpec(
        cluster_ip=cluster_ip, type=type, ports=(ServicePort(80, 8080, node_port=node_port),),
        external_traffic_policy=etp or ("Cluster" if external else ""), internal_traffic_policy=itp,
        external_ips=tuple(external_ips), load_balancer_source_ranges=tuple(ranges), health_check_node_port=hc,
        session_affinity="ClientIP" if affinity else "None",
        session_affinity_config=SessionAffinityConfig(ClientIPConfig(affinity)) if affinity else None)
    status = ServiceStatus(LoadBalancerStatus(tuple(
        i if isinstance(i, LoadBalancerIngress) else LoadBalancerIngress(ip=i, ip_mode="VIP") for i in lb)))
    store.create(Service(ObjectMeta(name=name, namespace=ns), spec, status))
    if endpoints:
        eps = tuple(Endpoint((ip,), cond[0] if cond else EndpointConditions(), node_name=node)
                    for ip, node, *cond in endpoints)
        store.create(EndpointSlice(
            ObjectMeta(name=f"{name}-abcde", namespace=ns, labels=frozen({"kubernetes.io/service-name": name})),
            endpoints=eps, ports=(EndpointPort(8080),)))
    return store


def proxy_for(store: Store) -> KubeProxy:
    return KubeProxy(NODE, store, node_ip=NODE_IP)


def added_lines(text: str) -> dict[str, list[str]]:
    """Split iptables-save text per table, keep only what an empty store would not print, sort.

    The mangle table never changes with the store (chains only), so it is left out when nothing was added.
    """
    base = set(KubeProxy(NODE, new_store()).iptables_save().splitlines())
    tables: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("*"):
            current = tables.setdefault(line[1:], [])
        elif line not in base and not line.startswith("#"):
            current.append(line)
    return {t: sorted(lines) for t, lines in tables.items() if lines or t != "mangle"}


def parse_golden(text: str) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {"filter": [], "nat": []}
    for line in text.strip().splitlines():
        if line.startswith("*"):
            current = tables[line[1:]]
        else:
            current.append(line)
    return {t: sorted(lines) for t, lines in tables.items()}


# ---------------------------------------------------------------- translation

def _service(name="s", **kw) -> Service:
    return next(iter(add_service(new_store(), name, "10.96.0.9", **kw).list("Service")))


def test_only_vip_mode_ipv4_ingress_ips_are_load_balancer_ips():
    svc = _service(type="LoadBalancer", node_port=30001, lb=(
        LoadBalancerIngress(ip="192.168.8.1"), LoadBalancerIngress(ip="192.168.8.2", ip_mode="VIP"),
        LoadBalancerIngress(ip="192.168.8.3", ip_mode="Proxy"), LoadBalancerIngress(hostname="lb.example.com"),
        LoadBalancerIngress(ip="fd00::8")))
    (info,) = service_port_map([svc]).values()
    assert info.load_balancer_ips == ("192.168.8.1", "192.168.8.2")


def test_source_ranges_are_trimmed_and_ipv4_only_and_external_ips_ipv4_only():
    svc = _service(type="LoadBalancer", external_ips=("198.51.100.7", "2001:db8::7"),
                   ranges=(" 203.0.113.0/25", "2001:db8::/64"))
    (info,) = service_port_map([svc]).values()
    assert (info.load_balancer_source_ranges, info.external_ips) == (("203.0.113.0/25",), ("198.51.100.7",))


@pytest.mark.parametrize("kw, hc, sticky", [
    (dict(type="LoadBalancer", etp="Local", hc=32000), 32000, 0),
    (dict(type="LoadBalancer", etp="Cluster", hc=32000), 0, 0),   # NeedsHealthCheck: LB and Local only
    (dict(type="NodePort", etp="Local", hc=32000), 0, 0),
    (dict(affinity=600), 0, 600),
])
def test_health_check_port_and_affinity_timeout(kw, hc, sticky):
    (info,) = service_port_map([_service(**kw)]).values()
    assert (info.health_check_node_port, info.sticky_max_age_seconds) == (hc, sticky)


def test_client_ip_affinity_without_config_uses_the_api_default():
    svc = _service()
    svc = dataclasses.replace(svc, spec=dataclasses.replace(svc.spec, session_affinity="ClientIP"))
    (info,) = service_port_map([svc]).values()
    assert info.sticky_max_age_seconds == 10800


@pytest.mark.parametrize("info, external_local, uses_cluster, uses_local", [
    (ServicePortInfo("10.96.0.1", 80), False, True, False),
    (ServicePortInfo("10.96.0.1", 80, node_port=30001, type="NodePort", external_traffic_policy="Local"),
     True, True, True),
    (ServicePortInfo("10.96.0.1", 80, internal_traffic_policy="Local"), False, False, True),
    (ServicePortInfo("10.96.0.1", 80, external_ips=("198.51.100.7",), external_traffic_policy="Local"),
     True, True, True),
    # Local policy without any external destination (an LB with node ports off, still pending): unused.
    (ServicePortInfo("10.96.0.1", 80, type="LoadBalancer", external_traffic_policy="Local"), True, True, False),
])
def test_service_port_policies(info, external_local, uses_cluster, uses_local):
    assert (info.external_policy_local, info.uses_cluster_endpoints, info.uses_local_endpoints) == (
        external_local, uses_cluster, uses_local)


def _ep(ip, local=False, ready=True, serving=True, terminating=False):
    return EndpointInfo(ip, 80, ready, serving, terminating, is_local=local)


LOCAL_NP = ServicePortInfo("10.96.0.1", 80, node_port=30001, type="NodePort", external_traffic_policy="Local")


@pytest.mark.parametrize("case, svc, eps, cluster, local, has_any", [
    ("cluster policy ignores locality", ServicePortInfo("10.96.0.1", 80),
     [_ep("10.0.0.1", True), _ep("10.0.0.2")], ["10.0.0.1", "10.0.0.2"], [], True),
    ("local endpoints are the ready local ones", LOCAL_NP,
     [_ep("10.0.0.1", True), _ep("10.0.0.2"), _ep("10.0.0.3", True, ready=False, serving=False)],
     ["10.0.0.1", "10.0.0.2"], ["10.0.0.1"], True),
    ("no local endpoint, but some elsewhere", LOCAL_NP, [_ep("10.0.0.2")], ["10.0.0.2"], [], True),
    ("local falls back to serving-terminating on its own", LOCAL_NP,
     [_ep("10.0.0.1", True, ready=False, terminating=True), _ep("10.0.0.2")], ["10.0.0.2"], ["10.0.0.1"], True),
    ("internal Local only: no cluster list", ServicePortInfo("10.96.0.1", 80, internal_traffic_policy="Local"),
     [_ep("10.0.0.1", True), _ep("10.0.0.2")], [], ["10.0.0.1"], True),
    ("internal Local, none here", ServicePortInfo("10.96.0.1", 80, internal_traffic_policy="Local"),
     [_ep("10.0.0.2")], [], [], True),
    ("nothing usable anywhere", LOCAL_NP, [_ep("10.0.0.1", True, ready=False, serving=False)], [], [], False),
])
def test_categorize_endpoints(case, svc, eps, cluster, local, has_any):
    cats = categorize_endpoints(eps, svc)
    got = ([e.ip for e in cats.cluster], [e.ip for e in cats.local], cats.has_any)
    assert got == (cluster, local, has_any), case
    assert [e.ip for e in cats.reachable] == sorted(set(cluster) | set(local)), case


# ---------------------------------------------------------------- the upstream golden

def overall_store() -> Store:
    """The inputs of k/k proxier_test.go TestOverallIPTablesRulesWithMultipleServices."""
    store = new_store()

    def svc(n, ip, type="ClusterIP", node_port=0, etp="", lb=(), ext=(), hc=0, ranges=()):
        store.create(Service(
            ObjectMeta(name=f"svc{n}", namespace=f"ns{n}"),
            ServiceSpec(cluster_ip=ip, type=type, ports=(ServicePort(80, 80, name="p80", node_port=node_port),),
                        external_traffic_policy=etp, external_ips=ext, health_check_node_port=hc,
                        load_balancer_source_ranges=ranges),
            ServiceStatus(LoadBalancerStatus(tuple(LoadBalancerIngress(ip=i) for i in lb)))))

    def eps(n, *addresses):
        store.create(EndpointSlice(
            ObjectMeta(name=f"svc{n}-1", namespace=f"ns{n}", labels=frozen({"kubernetes.io/service-name": f"svc{n}"})),
            endpoints=tuple(Endpoint((a,), node_name=node) for a, node in addresses),
            ports=(EndpointPort(80, "p80"),)))

    svc(1, "172.30.0.41")
    svc(2, "172.30.0.42", "LoadBalancer", 3001, "Local", ("1.2.3.4",), ("192.168.99.22",), 30000)
    svc(3, "172.30.0.43", "NodePort", 3003)
    svc(4, "172.30.0.44", "NodePort", ext=("192.168.99.33",))
    svc(5, "172.30.0.45", "LoadBalancer", 3002, "Cluster", ("5.6.7.8",), hc=30000, ranges=(" 203.0.113.0/25",))
    svc(6, "172.30.0.46")
    eps(1, ("10.180.0.1", ""))
    eps(2, ("10.180.0.2", ""))  # not local: ns2/svc2 has no local endpoints
    eps(3, ("10.180.0.3", ""))
    eps(4, ("10.180.0.4", ""), ("10.180.0.5", "test-hostname"))
    eps(5, ("10.180.0.3", ""))
    return store


# The expected restore input of TestOverallIPTablesRulesWithMultipleServices, loaded into the
# real iptables-restore (v1.8.9, nf_tables) and printed back by the real iptables-save; only
# the per-service lines (the fixed chains are tested in test_kube_proxy.py).
UPSTREAM_GOLDEN = """
*filter
-A KUBE-EXTERNAL-SERVICES -d 1.2.3.4/32 -p tcp -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -d 192.168.99.22/32 -p tcp -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 3001 -j DROP
-A KUBE-NODEPORTS -p tcp -m comment --comment "ns2/svc2:p80 health check node port" -m tcp --dport 30000 -j ACCEPT
-A KUBE-PROXY-FIREWALL -d 5.6.7.8/32 -p tcp -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp --dport 80 -j DROP
-A KUBE-SERVICES -d 172.30.0.46/32 -p tcp -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
*nat
:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
:KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
:KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
:KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -s 10.0.0.0/8 -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-FW-NUKIZ6OKUXPJNT4C -s 203.0.113.0/25 -m comment --comment "ns5/svc5:p80 loadbalancer IP" -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-NODEPORTS -p tcp -m comment --comment "ns2/svc2:p80" -m tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -p tcp -m comment --comment "ns3/svc3:p80" -m tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -p tcp -m comment --comment "ns5/svc5:p80" -m tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -p tcp -m comment --comment "ns4/svc4:p80" -m tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -s 10.180.0.5/32 -m comment --comment "ns4/svc4:p80" -j KUBE-MARK-MASQ
-A KUBE-SEP-I77PXRDZVX7PMWMN -p tcp -m comment --comment "ns5/svc5:p80" -m tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-I77PXRDZVX7PMWMN -s 10.180.0.3/32 -m comment --comment "ns5/svc5:p80" -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -p tcp -m comment --comment "ns3/svc3:p80" -m tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-OYPFS5VJICHGATKP -s 10.180.0.3/32 -m comment --comment "ns3/svc3:p80" -j KUBE-MARK-MASQ
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -p tcp -m comment --comment "ns2/svc2:p80" -m tcp -j DNAT --to-destination 10.180.0.2:80
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -s 10.180.0.2/32 -m comment --comment "ns2/svc2:p80" -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -p tcp -m comment --comment "ns1/svc1:p80" -m tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -s 10.180.0.1/32 -m comment --comment "ns1/svc1:p80" -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -p tcp -m comment --comment "ns4/svc4:p80" -m tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -s 10.180.0.4/32 -m comment --comment "ns4/svc4:p80" -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 1.2.3.4/32 -p tcp -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -d 172.30.0.42/32 -p tcp -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -d 172.30.0.43/32 -p tcp -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -d 172.30.0.44/32 -p tcp -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -d 172.30.0.45/32 -p tcp -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -d 192.168.99.22/32 -p tcp -m comment --comment "ns2/svc2:p80 external IP" -m tcp --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -d 192.168.99.33/32 -p tcp -m comment --comment "ns4/svc4:p80 external IP" -m tcp --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -d 5.6.7.8/32 -p tcp -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
-A KUBE-SVC-4SW47YFZTEDKD3PK ! -s 10.0.0.0/8 -d 172.30.0.44/32 -p tcp -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT ! -s 10.0.0.0/8 -d 172.30.0.42/32 -p tcp -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C ! -s 10.0.0.0/8 -d 172.30.0.45/32 -p tcp -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-X27LE4BHSL4DOUIK ! -s 10.0.0.0/8 -d 172.30.0.43/32 -p tcp -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SVC-XPGD46QRK7WJZT7O ! -s 10.0.0.0/8 -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
"""


def test_upstream_overall_rules_golden():
    text = KubeProxy("test-hostname", overall_store(), "10.0.0.0/8").iptables_save()
    assert added_lines(text) == parse_golden(UPSTREAM_GOLDEN)


# ---------------------------------------------------------------- golden snippets, one Service each

SMALL_STORES = {
    "nodeport": lambda: add_service(new_store(), "nodeport", "10.96.0.30", type="NodePort", node_port=30080,
                                    endpoints=(("10.244.1.2", NODE), ("10.244.2.2", OTHER))),
    "lb": lambda: add_service(new_store(), "lb", "10.96.0.31", type="LoadBalancer", node_port=30081,
                              lb=("192.168.8.7",), endpoints=(("10.244.2.2", OTHER),)),
    "lb-pending": lambda: add_service(new_store(), "lb-pending", "10.96.0.32", type="LoadBalancer",
                                      node_port=30082, endpoints=(("10.244.2.2", OTHER),)),
    "local": lambda: add_service(new_store(), "local", "10.96.0.33", type="LoadBalancer", node_port=30083,
                                 etp="Local", hc=32000, lb=("192.168.8.8",),
                                 endpoints=(("10.244.1.3", NODE), ("10.244.2.3", OTHER))),
    "remote-only": lambda: add_service(new_store(), "remote-only", "10.96.0.34", type="LoadBalancer",
                                       node_port=30084, etp="Local", hc=32001, lb=("192.168.8.9",),
                                       endpoints=(("10.244.2.4", OTHER),)),
    "fw": lambda: add_service(new_store(), "fw", "10.96.0.35", type="LoadBalancer", node_port=30085,
                              lb=("192.168.8.10",), ranges=("203.0.113.0/24",), endpoints=(("10.244.2.5", OTHER),)),
    "sticky": lambda: add_service(new_store(), "sticky", "10.96.0.36", affinity=600,
                                  endpoints=(("10.244.1.7", NODE), ("10.244.2.7", OTHER))),
}

SMALL_GOLDEN = {
    "nodeport": """\
*nat
:KUBE-EXT-IFSGUVPJVX5CWNQP - [0:0]
:KUBE-SEP-OTYK3N6ZGH7BO5RB - [0:0]
:KUBE-SEP-PYZERIR22AQOOO7S - [0:0]
:KUBE-SVC-IFSGUVPJVX5CWNQP - [0:0]
-A KUBE-EXT-IFSGUVPJVX5CWNQP -j KUBE-SVC-IFSGUVPJVX5CWNQP
-A KUBE-EXT-IFSGUVPJVX5CWNQP -m comment --comment "masquerade traffic for default/nodeport external destinations" -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/nodeport" -m tcp --dport 30080 -j KUBE-EXT-IFSGUVPJVX5CWNQP
-A KUBE-SEP-OTYK3N6ZGH7BO5RB -p tcp -m comment --comment "default/nodeport" -m tcp -j DNAT --to-destination 10.244.2.2:8080
-A KUBE-SEP-OTYK3N6ZGH7BO5RB -s 10.244.2.2/32 -m comment --comment "default/nodeport" -j KUBE-MARK-MASQ
-A KUBE-SEP-PYZERIR22AQOOO7S -p tcp -m comment --comment "default/nodeport" -m tcp -j DNAT --to-destination 10.244.1.2:8080
-A KUBE-SEP-PYZERIR22AQOOO7S -s 10.244.1.2/32 -m comment --comment "default/nodeport" -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment "default/nodeport cluster IP" -m tcp --dport 80 -j KUBE-SVC-IFSGUVPJVX5CWNQP
-A KUBE-SVC-IFSGUVPJVX5CWNQP ! -s 10.244.0.0/16 -d 10.96.0.30/32 -p tcp -m comment --comment "default/nodeport cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-IFSGUVPJVX5CWNQP -m comment --comment "default/nodeport -> 10.244.1.2:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-PYZERIR22AQOOO7S
-A KUBE-SVC-IFSGUVPJVX5CWNQP -m comment --comment "default/nodeport -> 10.244.2.2:8080" -j KUBE-SEP-OTYK3N6ZGH7BO5RB
""",
    "lb": """\
*nat
:KUBE-EXT-7TVXROIT6UXCX2AG - [0:0]
:KUBE-SEP-EJAAVSBROSV3KXKF - [0:0]
:KUBE-SVC-7TVXROIT6UXCX2AG - [0:0]
-A KUBE-EXT-7TVXROIT6UXCX2AG -j KUBE-SVC-7TVXROIT6UXCX2AG
-A KUBE-EXT-7TVXROIT6UXCX2AG -m comment --comment "masquerade traffic for default/lb external destinations" -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/lb" -m tcp --dport 30081 -j KUBE-EXT-7TVXROIT6UXCX2AG
-A KUBE-SEP-EJAAVSBROSV3KXKF -p tcp -m comment --comment "default/lb" -m tcp -j DNAT --to-destination 10.244.2.2:8080
-A KUBE-SEP-EJAAVSBROSV3KXKF -s 10.244.2.2/32 -m comment --comment "default/lb" -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.0.31/32 -p tcp -m comment --comment "default/lb cluster IP" -m tcp --dport 80 -j KUBE-SVC-7TVXROIT6UXCX2AG
-A KUBE-SERVICES -d 192.168.8.7/32 -p tcp -m comment --comment "default/lb loadbalancer IP" -m tcp --dport 80 -j KUBE-EXT-7TVXROIT6UXCX2AG
-A KUBE-SVC-7TVXROIT6UXCX2AG ! -s 10.244.0.0/16 -d 10.96.0.31/32 -p tcp -m comment --comment "default/lb cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-7TVXROIT6UXCX2AG -m comment --comment "default/lb -> 10.244.2.2:8080" -j KUBE-SEP-EJAAVSBROSV3KXKF
""",
    # A pending LB (no ingress IP yet) is a NodePort Service as far as the rules go.
    "lb-pending": """\
*nat
:KUBE-EXT-E3UUWK2UZGGY3TFE - [0:0]
:KUBE-SEP-5APFLRP2PPMSXJQX - [0:0]
:KUBE-SVC-E3UUWK2UZGGY3TFE - [0:0]
-A KUBE-EXT-E3UUWK2UZGGY3TFE -j KUBE-SVC-E3UUWK2UZGGY3TFE
-A KUBE-EXT-E3UUWK2UZGGY3TFE -m comment --comment "masquerade traffic for default/lb-pending external destinations" -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/lb-pending" -m tcp --dport 30082 -j KUBE-EXT-E3UUWK2UZGGY3TFE
-A KUBE-SEP-5APFLRP2PPMSXJQX -p tcp -m comment --comment "default/lb-pending" -m tcp -j DNAT --to-destination 10.244.2.2:8080
-A KUBE-SEP-5APFLRP2PPMSXJQX -s 10.244.2.2/32 -m comment --comment "default/lb-pending" -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.0.32/32 -p tcp -m comment --comment "default/lb-pending cluster IP" -m tcp --dport 80 -j KUBE-SVC-E3UUWK2UZGGY3TFE
-A KUBE-SVC-E3UUWK2UZGGY3TFE ! -s 10.244.0.0/16 -d 10.96.0.32/32 -p tcp -m comment --comment "default/lb-pending cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-E3UUWK2UZGGY3TFE -m comment --comment "default/lb-pending -> 10.244.2.2:8080" -j KUBE-SEP-5APFLRP2PPMSXJQX
""",
    # externalTrafficPolicy: Local with a local endpoint: KUBE-SVL holds only it; the 4-rule KUBE-EXT.
    "local": """\
*filter
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/local health check node port" -m tcp --dport 32000 -j ACCEPT
*nat
:KUBE-EXT-NEXWZWH5PGMW4KIO - [0:0]
:KUBE-SEP-SQHG2I7SV52RRAPJ - [0:0]
:KUBE-SEP-VJIBCEA6UQHCGW6U - [0:0]
:KUBE-SVC-NEXWZWH5PGMW4KIO - [0:0]
:KUBE-SVL-NEXWZWH5PGMW4KIO - [0:0]
-A KUBE-EXT-NEXWZWH5PGMW4KIO -j KUBE-SVL-NEXWZWH5PGMW4KIO
-A KUBE-EXT-NEXWZWH5PGMW4KIO -m comment --comment "masquerade LOCAL traffic for default/local external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-NEXWZWH5PGMW4KIO -m comment --comment "route LOCAL traffic for default/local external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-NEXWZWH5PGMW4KIO
-A KUBE-EXT-NEXWZWH5PGMW4KIO -s 10.244.0.0/16 -m comment --comment "pod traffic for default/local external destinations" -j KUBE-SVC-NEXWZWH5PGMW4KIO
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/local" -m tcp --dport 30083 -j KUBE-EXT-NEXWZWH5PGMW4KIO
-A KUBE-SEP-SQHG2I7SV52RRAPJ -p tcp -m comment --comment "default/local" -m tcp -j DNAT --to-destination 10.244.1.3:8080
-A KUBE-SEP-SQHG2I7SV52RRAPJ -s 10.244.1.3/32 -m comment --comment "default/local" -j KUBE-MARK-MASQ
-A KUBE-SEP-VJIBCEA6UQHCGW6U -p tcp -m comment --comment "default/local" -m tcp -j DNAT --to-destination 10.244.2.3:8080
-A KUBE-SEP-VJIBCEA6UQHCGW6U -s 10.244.2.3/32 -m comment --comment "default/local" -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.0.33/32 -p tcp -m comment --comment "default/local cluster IP" -m tcp --dport 80 -j KUBE-SVC-NEXWZWH5PGMW4KIO
-A KUBE-SERVICES -d 192.168.8.8/32 -p tcp -m comment --comment "default/local loadbalancer IP" -m tcp --dport 80 -j KUBE-EXT-NEXWZWH5PGMW4KIO
-A KUBE-SVC-NEXWZWH5PGMW4KIO ! -s 10.244.0.0/16 -d 10.96.0.33/32 -p tcp -m comment --comment "default/local cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-NEXWZWH5PGMW4KIO -m comment --comment "default/local -> 10.244.1.3:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-SQHG2I7SV52RRAPJ
-A KUBE-SVC-NEXWZWH5PGMW4KIO -m comment --comment "default/local -> 10.244.2.3:8080" -j KUBE-SEP-VJIBCEA6UQHCGW6U
-A KUBE-SVL-NEXWZWH5PGMW4KIO -m comment --comment "default/local -> 10.244.1.3:8080" -j KUBE-SEP-SQHG2I7SV52RRAPJ
""",
    # Local with endpoints only on other nodes: no KUBE-SVL, no 4th EXT rule, DROPs in filter.
    "remote-only": """\
*filter
-A KUBE-EXTERNAL-SERVICES -d 192.168.8.9/32 -p tcp -m comment --comment "default/remote-only has no local endpoints" -m tcp --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/remote-only has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30084 -j DROP
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/remote-only health check node port" -m tcp --dport 32001 -j ACCEPT
*nat
:KUBE-EXT-3QYGVLXQI3U7UCDC - [0:0]
:KUBE-SEP-B4MOGXLPIMIPM3OR - [0:0]
:KUBE-SVC-3QYGVLXQI3U7UCDC - [0:0]
-A KUBE-EXT-3QYGVLXQI3U7UCDC -m comment --comment "masquerade LOCAL traffic for default/remote-only external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-3QYGVLXQI3U7UCDC -m comment --comment "route LOCAL traffic for default/remote-only external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-3QYGVLXQI3U7UCDC
-A KUBE-EXT-3QYGVLXQI3U7UCDC -s 10.244.0.0/16 -m comment --comment "pod traffic for default/remote-only external destinations" -j KUBE-SVC-3QYGVLXQI3U7UCDC
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/remote-only" -m tcp --dport 30084 -j KUBE-EXT-3QYGVLXQI3U7UCDC
-A KUBE-SEP-B4MOGXLPIMIPM3OR -p tcp -m comment --comment "default/remote-only" -m tcp -j DNAT --to-destination 10.244.2.4:8080
-A KUBE-SEP-B4MOGXLPIMIPM3OR -s 10.244.2.4/32 -m comment --comment "default/remote-only" -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.0.34/32 -p tcp -m comment --comment "default/remote-only cluster IP" -m tcp --dport 80 -j KUBE-SVC-3QYGVLXQI3U7UCDC
-A KUBE-SERVICES -d 192.168.8.9/32 -p tcp -m comment --comment "default/remote-only loadbalancer IP" -m tcp --dport 80 -j KUBE-EXT-3QYGVLXQI3U7UCDC
-A KUBE-SVC-3QYGVLXQI3U7UCDC ! -s 10.244.0.0/16 -d 10.96.0.34/32 -p tcp -m comment --comment "default/remote-only cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-3QYGVLXQI3U7UCDC -m comment --comment "default/remote-only -> 10.244.2.4:8080" -j KUBE-SEP-B4MOGXLPIMIPM3OR
""",
    "fw": """\
*filter
-A KUBE-PROXY-FIREWALL -d 192.168.8.10/32 -p tcp -m comment --comment "default/fw traffic not accepted by KUBE-FW-RYKFV2DGV6FTRYVM" -m tcp --dport 80 -j DROP
*nat
:KUBE-EXT-RYKFV2DGV6FTRYVM - [0:0]
:KUBE-FW-RYKFV2DGV6FTRYVM - [0:0]
:KUBE-SEP-ADIU2DNQF72I2KQH - [0:0]
:KUBE-SVC-RYKFV2DGV6FTRYVM - [0:0]
-A KUBE-EXT-RYKFV2DGV6FTRYVM -j KUBE-SVC-RYKFV2DGV6FTRYVM
-A KUBE-EXT-RYKFV2DGV6FTRYVM -m comment --comment "masquerade traffic for default/fw external destinations" -j KUBE-MARK-MASQ
-A KUBE-FW-RYKFV2DGV6FTRYVM -m comment --comment "other traffic to default/fw will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-FW-RYKFV2DGV6FTRYVM -s 203.0.113.0/24 -m comment --comment "default/fw loadbalancer IP" -j KUBE-EXT-RYKFV2DGV6FTRYVM
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/fw" -m tcp --dport 30085 -j KUBE-EXT-RYKFV2DGV6FTRYVM
-A KUBE-SEP-ADIU2DNQF72I2KQH -p tcp -m comment --comment "default/fw" -m tcp -j DNAT --to-destination 10.244.2.5:8080
-A KUBE-SEP-ADIU2DNQF72I2KQH -s 10.244.2.5/32 -m comment --comment "default/fw" -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.0.35/32 -p tcp -m comment --comment "default/fw cluster IP" -m tcp --dport 80 -j KUBE-SVC-RYKFV2DGV6FTRYVM
-A KUBE-SERVICES -d 192.168.8.10/32 -p tcp -m comment --comment "default/fw loadbalancer IP" -m tcp --dport 80 -j KUBE-FW-RYKFV2DGV6FTRYVM
-A KUBE-SVC-RYKFV2DGV6FTRYVM ! -s 10.244.0.0/16 -d 10.96.0.35/32 -p tcp -m comment --comment "default/fw cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-RYKFV2DGV6FTRYVM -m comment --comment "default/fw -> 10.244.2.5:8080" -j KUBE-SEP-ADIU2DNQF72I2KQH
""",
    # Real iptables-save prints -m recent with its defaults (--mask, --rsource) and --name last.
    "sticky": """\
*nat
:KUBE-SEP-A2HLNN5I3UWO6SGP - [0:0]
:KUBE-SEP-HDHHAHZKGDZRXD6F - [0:0]
:KUBE-SVC-BJWR5DPVIKTHVKZU - [0:0]
-A KUBE-SEP-A2HLNN5I3UWO6SGP -p tcp -m comment --comment "default/sticky" -m recent --set --name KUBE-SEP-A2HLNN5I3UWO6SGP --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.2.7:8080
-A KUBE-SEP-A2HLNN5I3UWO6SGP -s 10.244.2.7/32 -m comment --comment "default/sticky" -j KUBE-MARK-MASQ
-A KUBE-SEP-HDHHAHZKGDZRXD6F -p tcp -m comment --comment "default/sticky" -m recent --set --name KUBE-SEP-HDHHAHZKGDZRXD6F --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.7:8080
-A KUBE-SEP-HDHHAHZKGDZRXD6F -s 10.244.1.7/32 -m comment --comment "default/sticky" -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.0.36/32 -p tcp -m comment --comment "default/sticky cluster IP" -m tcp --dport 80 -j KUBE-SVC-BJWR5DPVIKTHVKZU
-A KUBE-SVC-BJWR5DPVIKTHVKZU ! -s 10.244.0.0/16 -d 10.96.0.36/32 -p tcp -m comment --comment "default/sticky cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-BJWR5DPVIKTHVKZU -m comment --comment "default/sticky -> 10.244.1.7:8080" -m recent --rcheck --seconds 600 --reap --name KUBE-SEP-HDHHAHZKGDZRXD6F --mask 255.255.255.255 --rsource -j KUBE-SEP-HDHHAHZKGDZRXD6F
-A KUBE-SVC-BJWR5DPVIKTHVKZU -m comment --comment "default/sticky -> 10.244.1.7:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-HDHHAHZKGDZRXD6F
-A KUBE-SVC-BJWR5DPVIKTHVKZU -m comment --comment "default/sticky -> 10.244.2.7:8080" -j KUBE-SEP-A2HLNN5I3UWO6SGP
-A KUBE-SVC-BJWR5DPVIKTHVKZU -m comment --comment "default/sticky -> 10.244.2.7:8080" -m recent --rcheck --seconds 600 --reap --name KUBE-SEP-A2HLNN5I3UWO6SGP --mask 255.255.255.255 --rsource -j KUBE-SEP-A2HLNN5I3UWO6SGP
""",
}


@pytest.mark.parametrize("name", sorted(SMALL_STORES))
def test_golden_snippet_per_service_type(name):
    assert added_lines(proxy_for(SMALL_STORES[name]()).iptables_save()) == parse_golden(SMALL_GOLDEN[name])


def test_affinity_rules_come_first_in_the_service_chain():
    rules = proxy_for(SMALL_STORES["sticky"]()).nat.chain("KUBE-SVC-BJWR5DPVIKTHVKZU").rules
    kinds = ["masq" if r.target == "KUBE-MARK-MASQ" else "rcheck" if "--rcheck" in r.to_text() else "pick"
             for r in rules]
    assert kinds == ["masq", "rcheck", "rcheck", "pick", "pick"]


def test_source_range_holding_the_node_ip_also_admits_the_lb_ips_as_sources():
    store = add_service(new_store(), "fw", "10.96.0.35", type="LoadBalancer", node_port=30085,
                        lb=("192.168.8.10",), ranges=("203.0.113.0/24", "172.18.0.0/16"),
                        endpoints=(("10.244.2.5", OTHER),))
    rules = [r.to_text() for r in proxy_for(store).nat.chain("KUBE-FW-RYKFV2DGV6FTRYVM").rules]
    assert rules == [
        '-A KUBE-FW-RYKFV2DGV6FTRYVM -s 203.0.113.0/24 -m comment --comment "default/fw loadbalancer IP" -j KUBE-EXT-RYKFV2DGV6FTRYVM',
        '-A KUBE-FW-RYKFV2DGV6FTRYVM -s 172.18.0.0/16 -m comment --comment "default/fw loadbalancer IP" -j KUBE-EXT-RYKFV2DGV6FTRYVM',
        '-A KUBE-FW-RYKFV2DGV6FTRYVM -s 192.168.8.10/32 -m comment --comment "default/fw loadbalancer IP" -j KUBE-EXT-RYKFV2DGV6FTRYVM',
        '-A KUBE-FW-RYKFV2DGV6FTRYVM -m comment --comment "other traffic to default/fw will be dropped by KUBE-PROXY-FIREWALL"',
    ]


def test_large_cluster_mode_drops_comments_from_affinity_rules_too():
    eps = tuple((f"10.244.{i // 250 + 2}.{i % 250 + 2}", OTHER) for i in range(1001))
    store = add_service(new_store(), "sticky", "10.96.0.36", affinity=600, endpoints=eps)
    rules = proxy_for(store).nat.chain("KUBE-SVC-BJWR5DPVIKTHVKZU").rules
    assert "--comment" in rules[0].to_text()  # the cluster IP masquerade rule keeps its comment
    assert all("--comment" not in r.to_text() for r in rules[1:])
    assert sum("--rcheck" in r.to_text() for r in rules) == 1001


# ---------------------------------------------------------------- one store with every case

def flow_store() -> Store:
    """Every type and policy side by side; this node is NODE (pods 10.244.1.x), the other OTHER (10.244.2.x)."""
    store = new_store()
    add_service(store, "np", "10.96.0.30", type="NodePort", node_port=30080,
                endpoints=(("10.244.1.2", NODE), ("10.244.2.2", OTHER)))
    add_service(store, "lb", "10.96.0.31", type="LoadBalancer", node_port=30081, lb=("192.168.8.7",),
                endpoints=(("10.244.1.3", NODE), ("10.244.2.3", OTHER)))
    add_service(store, "pending", "10.96.0.32", type="LoadBalancer", node_port=30082,
                endpoints=(("10.244.2.4", OTHER),))
    add_service(store, "local", "10.96.0.33", type="LoadBalancer", node_port=30083, etp="Local", hc=32000,
                lb=("192.168.8.8",), endpoints=(("10.244.1.5", NODE), ("10.244.2.5", OTHER)))
    add_service(store, "remote", "10.96.0.34", type="LoadBalancer", node_port=30084, etp="Local", hc=32001,
                lb=("192.168.8.9",), endpoints=(("10.244.2.6", OTHER),))
    add_service(store, "fw", "10.96.0.35", type="LoadBalancer", node_port=30085, lb=("192.168.8.10",),
                ranges=("203.0.113.0/24",), endpoints=(("10.244.2.7", OTHER),))
    add_service(store, "ext", "10.96.0.36", external_ips=("198.51.100.7",), endpoints=(("10.244.2.8", OTHER),))
    add_service(store, "dead", "10.96.0.37", type="LoadBalancer", node_port=30086, lb=("192.168.8.11",),
                external_ips=("198.51.100.8",), endpoints=(("10.244.2.99", OTHER, NOT_READY),))
    add_service(store, "itp", "10.96.0.38", itp="Local", endpoints=(("10.244.2.9", OTHER),))
    add_service(store, "itp-here", "10.96.0.39", itp="Local",
                endpoints=(("10.244.1.10", NODE), ("10.244.2.10", OTHER)))
    add_service(store, "np-local", "10.96.0.41", type="NodePort", node_port=30087, etp="Local",
                endpoints=(("10.244.1.12", NODE), ("10.244.2.12", OTHER)))
    add_service(store, "drain", "10.96.0.42", type="NodePort", node_port=30088, etp="Local",
                endpoints=(("10.244.1.13", NODE, DRAINING), ("10.244.2.13", OTHER)))
    return store


def connect(proxy: KubeProxy, src: str, dst: str, port: int, seed: int, now: float = 0.0):
    packet = Packet(src, dst, port, src_local=src in LOCAL_IPS, dst_local=dst in LOCAL_IPS)
    return trace_connection(proxy.nat, proxy.filter, packet, random.Random(seed), proxy.recent, now, LOCAL_IPS)


def eps(*ips: str) -> set[str]:
    return {f"{ip}:8080" for ip in ips}


# (case, source, destination, port) -> endpoints reached, or DROP / REJECT / None (no rule
# touched it), and whether POSTROUTING will masquerade. Whether the packet came from the node
# itself (src_local) or is for one of its addresses (dst_local) follows from LOCAL_IPS.
FLOWS = [
    # NodePort, Cluster policy: SNAT everything, any endpoint.
    ("external to NodePort", CLIENT, NODE_IP, 30080, eps("10.244.1.2", "10.244.2.2"), True),
    ("pod to NodePort", POD, NODE_IP, 30080, eps("10.244.1.2", "10.244.2.2"), True),
    ("node to its own NodePort", NODE_IP, NODE_IP, 30080, eps("10.244.1.2", "10.244.2.2"), True),
    ("node to localhost NodePort", "127.0.0.1", "127.0.0.1", 30080, eps("10.244.1.2", "10.244.2.2"), True),
    ("external to cluster IP", CLIENT, "10.96.0.30", 80, eps("10.244.1.2", "10.244.2.2"), True),
    ("external to unused node port", CLIENT, NODE_IP, 30099, None, False),
    ("external to node, service port", CLIENT, NODE_IP, 80, None, False),
    # LoadBalancer, Cluster policy.
    ("external to LB IP", CLIENT, "192.168.8.7", 80, eps("10.244.1.3", "10.244.2.3"), True),
    ("pod to LB IP", POD, "192.168.8.7", 80, eps("10.244.1.3", "10.244.2.3"), True),
    ("external to LB's NodePort", CLIENT, NODE_IP, 30081, eps("10.244.1.3", "10.244.2.3"), True),
    ("node port on the LB IP: no rule", CLIENT, "192.168.8.7", 30081, None, False),
    # LoadBalancer still pending: the NodePort and cluster IP work.
    ("external to pending LB's NodePort", CLIENT, NODE_IP, 30082, eps("10.244.2.4"), True),
    ("pod to pending LB's cluster IP", POD, "10.96.0.32", 80, eps("10.244.2.4"), False),
    # externalTrafficPolicy: Local with a local endpoint: external clients keep their source IP.
    ("Local: external to LB IP", CLIENT, "192.168.8.8", 80, eps("10.244.1.5"), False),
    ("Local: external to NodePort", CLIENT, NODE_IP, 30083, eps("10.244.1.5"), False),
    ("Local: pod short-circuits to Cluster", POD, "192.168.8.8", 80, eps("10.244.1.5", "10.244.2.5"), False),
    ("Local: node to LB IP", NODE_IP, "192.168.8.8", 80, eps("10.244.1.5", "10.244.2.5"), True),
    ("Local: node to NodePort", NODE_IP, NODE_IP, 30083, eps("10.244.1.5", "10.244.2.5"), True),
    ("Local: cluster IP is still Cluster", CLIENT, "10.96.0.33", 80, eps("10.244.1.5", "10.244.2.5"), True),
    # externalTrafficPolicy: Local, endpoints only elsewhere: external traffic is dropped here.
    ("no local: external to LB IP", CLIENT, "192.168.8.9", 80, "DROP", False),
    ("no local: external to NodePort", CLIENT, NODE_IP, 30084, "DROP", False),
    ("no local: pod to LB IP", POD, "192.168.8.9", 80, eps("10.244.2.6"), False),
    ("no local: pod to NodePort", POD, NODE_IP, 30084, eps("10.244.2.6"), False),
    ("no local: node to NodePort", NODE_IP, NODE_IP, 30084, eps("10.244.2.6"), True),
    ("no local: external to cluster IP", CLIENT, "10.96.0.34", 80, eps("10.244.2.6"), True),
    # loadBalancerSourceRanges.
    ("allowed source to LB IP", "203.0.113.9", "192.168.8.10", 80, eps("10.244.2.7"), True),
    ("other source to LB IP", CLIENT, "192.168.8.10", 80, "DROP", False),
    ("other source to NodePort: ranges do not apply", CLIENT, NODE_IP, 30085, eps("10.244.2.7"), True),
    ("pod to LB IP, not in ranges", POD, "192.168.8.10", 80, "DROP", False),
    ("other source to cluster IP", CLIENT, "10.96.0.35", 80, eps("10.244.2.7"), True),
    # externalIPs.
    ("external to external IP", CLIENT, "198.51.100.7", 80, eps("10.244.2.8"), True),
    ("pod to external IP", POD, "198.51.100.7", 80, eps("10.244.2.8"), True),
    ("external IP, other port", CLIENT, "198.51.100.7", 443, None, False),
    # No usable endpoint at all (TestNoEndpointsReject): every destination REJECTs.
    ("no endpoints: pod to cluster IP", POD, "10.96.0.37", 80, "REJECT", False),
    ("no endpoints: external to external IP", CLIENT, "198.51.100.8", 80, "REJECT", False),
    ("no endpoints: pod to NodePort", POD, NODE_IP, 30086, "REJECT", False),
    ("no endpoints: external to NodePort", CLIENT, NODE_IP, 30086, "REJECT", False),
    ("no endpoints: pod to LB IP", POD, "192.168.8.11", 80, "REJECT", False),
    ("no endpoints: external to LB IP", CLIENT, "192.168.8.11", 80, "REJECT", False),
    ("no endpoints: node to cluster IP", NODE_IP, "10.96.0.37", 80, "REJECT", False),
    # internalTrafficPolicy: Local.
    ("itp Local, none here: pod", POD, "10.96.0.38", 80, "DROP", False),
    ("itp Local, none here: node", NODE_IP, "10.96.0.38", 80, "DROP", False),
    ("itp Local: pod gets the local endpoint", POD, "10.96.0.39", 80, eps("10.244.1.10"), False),
    ("itp Local: outsider is masqueraded", CLIENT, "10.96.0.39", 80, eps("10.244.1.10"), True),
    # NodePort with Local policy (no health check port without a LoadBalancer).
    ("NodePort Local: external", CLIENT, NODE_IP, 30087, eps("10.244.1.12"), False),
    ("NodePort Local: pod", POD, NODE_IP, 30087, eps("10.244.1.12", "10.244.2.12"), False),
    ("NodePort Local: node", NODE_IP, NODE_IP, 30087, eps("10.244.1.12", "10.244.2.12"), True),
    # Local falls back to a draining local endpoint; Cluster prefers the ready remote one.
    ("Local fallback: external", CLIENT, NODE_IP, 30088, eps("10.244.1.13"), False),
    ("Local fallback: pod uses Cluster's ready one", POD, NODE_IP, 30088, eps("10.244.2.13"), False),
]


@pytest.fixture(scope="module")
def flow_proxy() -> KubeProxy:
    return proxy_for(flow_store())


@pytest.mark.parametrize("case, src, dst, port, expected, masquerade", FLOWS, ids=[row[0] for row in FLOWS])
def test_packet_flows(flow_proxy, case, src, dst, port, expected, masquerade):
    reached, masqs = set(), set()
    for seed in range(30):
        flow = connect(flow_proxy, src, dst, port, seed)
        reached.add(flow.endpoint or (flow.target if flow.target in ("DROP", "REJECT") else None))
        masqs.add(flow.masquerade)
    assert reached == (expected if isinstance(expected, set) else {expected})
    assert masqs == {masquerade}


@pytest.mark.parametrize("table", ["nat", "filter"])
@pytest.mark.parametrize("store", ["flow", "overall"] + sorted(SMALL_STORES))
def test_every_jump_target_exists(store, table):
    build = {"flow": flow_store, "overall": overall_store, **SMALL_STORES}[store]
    tbl = getattr(proxy_for(build()), table)
    builtin = {"ACCEPT", "DROP", "REJECT", "RETURN", "DNAT", "MARK", "MASQUERADE", ""}
    for rule in tbl.rules():
        assert rule.target in builtin or rule.target in tbl.chains, rule.to_text()


@pytest.mark.parametrize("port, service", [(32000, "default/local"), (32001, "default/remote")])
def test_health_check_node_port_is_accepted_with_or_without_local_endpoints(flow_proxy, port, service):
    flow = connect(flow_proxy, "35.191.0.1", NODE_IP, port, 0)
    assert (flow.filter_chain, flow.target) == ("INPUT", "ACCEPT")
    assert f'"{service} health check node port"' in flow.filter.path[-1][1].to_text()


def test_external_drop_happens_in_filter_after_nat_let_the_packet_through(flow_proxy):
    flow = connect(flow_proxy, CLIENT, "192.168.8.9", 80, 0)
    assert (flow.nat.target, flow.filter_chain, flow.filter.target) == ("ACCEPT", "FORWARD", "DROP")
    # KUBE-SERVICES sent it to KUBE-EXT, where no rule matched an outside client: back, untouched.
    assert [chain for chain, _ in flow.nat.path] == ["PREROUTING", "KUBE-SERVICES"]
    assert '"default/remote loadbalancer IP"' in flow.nat.path[-1][1].to_text()
    assert flow.filter.path[-1][0] == "KUBE-EXTERNAL-SERVICES"


# ---------------------------------------------------------------- session affinity

def sticky_proxy() -> KubeProxy:
    return proxy_for(add_service(new_store(), "sticky", "10.96.0.36", affinity=600,
                                 endpoints=(("10.244.1.7", NODE), ("10.244.2.7", OTHER))))


def _used_affinity(flow) -> bool:
    return any("--rcheck" in rule.to_text() for _, rule in flow.nat.path)


def test_client_ip_affinity_sticks_within_the_timeout_and_slides():
    proxy = sticky_proxy()
    first = connect(proxy, POD, "10.96.0.36", 80, seed=0, now=0)
    assert not _used_affinity(first)
    for i, now in enumerate([10, 300, 599, 1100, 1698]):  # each hit refreshes the entry (--set)
        again = connect(proxy, POD, "10.96.0.36", 80, seed=i + 1, now=now)
        assert _used_affinity(again) and again.endpoint == first.endpoint, now


def test_affinity_expires_after_the_timeout_and_the_stale_entry_is_reaped():
    proxy = sticky_proxy()
    first = connect(proxy, POD, "10.96.0.36", 80, seed=0, now=0)
    sep = next(chain for chain, _ in first.nat.path if chain.startswith("KUBE-SEP-"))
    assert [(name, src) for name, src, _ in proxy.recent.entries()] == [(sep, POD)]
    later = connect(proxy, POD, "10.96.0.36", 80, seed=1, now=600)
    assert not _used_affinity(later)
    assert [t for name, src, t in proxy.recent.entries() if name == sep] in ([], [600])


def test_affinity_is_per_client_and_still_spreads_clients():
    proxy = sticky_proxy()
    chosen = {}
    for c in range(20):
        client = f"10.244.1.{100 + c}"
        picks = {connect(proxy, client, "10.96.0.36", 80, seed=c * 10 + k, now=k).endpoint for k in range(5)}
        assert len(picks) == 1, client
        chosen[client] = picks.pop()
    assert set(chosen.values()) == eps("10.244.1.7", "10.244.2.7")


def test_affinity_state_lives_on_the_proxy_and_survives_syncs():
    store = add_service(new_store(), "sticky", "10.96.0.36", affinity=600,
                        endpoints=(("10.244.1.7", NODE), ("10.244.2.7", OTHER)))
    proxy = proxy_for(store)
    first = connect(proxy, POD, "10.96.0.36", 80, seed=0)
    add_service(store, "other", "10.96.0.50", endpoints=(("10.244.2.50", OTHER),))
    assert proxy.sync() == 1
    assert connect(proxy, POD, "10.96.0.36", 80, seed=5, now=1).endpoint == first.endpoint


# ---------------------------------------------------------------- partial sync

def _update_service(store: Store, name: str, **spec_changes) -> None:
    svc = store.get("Service", "default", name)
    status = spec_changes.pop("status", svc.status)
    store.update(dataclasses.replace(svc, spec=dataclasses.replace(svc.spec, **spec_changes), status=status))


def _lb_status(*ips):
    return ServiceStatus(LoadBalancerStatus(tuple(LoadBalancerIngress(ip=i, ip_mode="VIP") for i in ips)))


CHANGES = [
    ("LB gets its ingress IP", "pending", dict(status=_lb_status("192.168.8.20"))),
    ("LB loses its ingress IP", "lb", dict(status=_lb_status())),
    ("node port changes", "np", dict(ports=(ServicePort(80, 8080, node_port=30999),))),
    ("external policy to Local", "lb", dict(external_traffic_policy="Local", health_check_node_port=32100)),
    ("external policy to Cluster", "local", dict(external_traffic_policy="Cluster", health_check_node_port=0)),
    ("internal policy to Local", "np", dict(internal_traffic_policy="Local")),
    ("ClusterIP becomes NodePort", "ext", dict(type="NodePort", external_traffic_policy="Cluster",
                                               ports=(ServicePort(80, 8080, node_port=30998),))),
    ("LoadBalancer becomes ClusterIP", "fw", dict(type="ClusterIP", external_traffic_policy="",
                                                  ports=(ServicePort(80, 8080),), status=ServiceStatus())),
    ("source ranges added", "lb", dict(load_balancer_source_ranges=("203.0.113.0/24",))),
    ("affinity turned on", "np", dict(session_affinity="ClientIP",
                                      session_affinity_config=SessionAffinityConfig(ClientIPConfig(60)))),
]


@pytest.mark.parametrize("case, name, changes", CHANGES, ids=[c[0] for c in CHANGES])
def test_changing_one_service_rerenders_only_that_service(case, name, changes):
    store = flow_store()
    proxy = proxy_for(store)
    proxy.sync()
    before = proxy.rendered()
    _update_service(store, name, **changes)
    assert proxy.sync() == 1
    after = proxy.rendered()
    rerendered = {str(port) for port in after if after[port] is not before.get(port)}
    assert rerendered == {f"default/{name}"}
    assert proxy.iptables_save() == proxy_for(store).iptables_save()


def test_endpoint_moving_to_this_node_rerenders_only_its_service():
    store = flow_store()
    proxy = proxy_for(store)
    proxy.sync()
    before = proxy.rendered()
    s = store.get("EndpointSlice", "default", "remote-abcde")
    store.update(dataclasses.replace(s, endpoints=(dataclasses.replace(s.endpoints[0], node_name=NODE),)))
    assert proxy.sync() == 1
    after = proxy.rendered()
    assert {str(p) for p in after if after[p] is not before[p]} == {"default/remote"}
    flow = connect(proxy, CLIENT, "192.168.8.9", 80, 0)
    assert (flow.endpoint, flow.masquerade) == ("10.244.2.6:8080", False)
    assert any(chain.startswith("KUBE-SVL-") for chain, _ in flow.nat.path)
