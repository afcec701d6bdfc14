"""kube-proxy (iptables mode): translation, rendering, packet flows and incremental sync.

Specification sources: k8s-reference.md section 1 (k/k pkg/proxy/iptables/proxier.go and
proxier_test.go). Rules are compared in the form real ``iptables-save`` prints them.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8sedu.apiserver import store as store_module
from k8sedu.apiserver.store import Store
from k8sedu.kube_proxy import KubeProxy
from k8sedu.kube_proxy.changes import (
    EndpointInfo, ServicePortInfo, ServicePortName, endpoints_map, service_port_map, usable_endpoints,
)
from k8sedu.kube_proxy.iptables import (
    assemble_mangle_table, compute_probability, endpoint_chain_name, iptables_save, port_proto_hash, render_tables,
    service_chain_name, service_to_endpoint_rules,
)
from k8sedu.kube_proxy.names import port_proto_hash
from k8sedu.netfilter import Packet, trace_chain
from k8sedu.objects import (
    ClientIPConfig, Endpoint, EndpointConditions, EndpointPort, EndpointSlice, LoadBalancerIngress,
    LoadBalancerStatus, Namespace, ObjectMeta, Service, ServicePort, ServiceSpec, ServiceStatus,
    SessionAffinityConfig, frozen,
)

SERVICE_NAME = "kubernetes.io/service-name"
READY = EndpointConditions(ready=True, serving=True, terminating=False)
NOT_READY = EndpointConditions(ready=False, serving=False, terminating=False)
DRAINING = EndpointConditions(ready=False, serving=True, terminating=True)
GONE = EndpointConditions(ready=False, serving=False, terminating=True)


# ---------------------------------------------------------------- fixtures

def new_store() -> Store:
    return Store(now=lambda: 0.0, new_uid=lambda: "uid")


def service(ns, name, cluster_ip, *ports, type="ClusterIP", labels=None) -> Service:
    return Service(ObjectMeta(name=name, namespace=ns, labels=frozen(labels)),
                   ServiceSpec(cluster_ip=cluster_ip, type=type, ports=tuple(ports)))


def endpoint_slice(ns, name, svc, endpoints, ports, address_type="IPv4") -> EndpointSlice:
    eps = tuple(ep if isinstance(ep, Endpoint) else Endpoint((ep,)) for ep in endpoints)
    return EndpointSlice(ObjectMeta(name=name, namespace=ns, labels=frozen({SERVICE_NAME: svc})),
                         address_type=address_type, endpoints=eps, ports=tuple(ports))


def tiny_store() -> Store:
    """Five services covering every ClusterIP case, plus two that get no rules."""
    store = new_store()
    for ns in ("default", "kube-system"):
        store.create(Namespace(ObjectMeta(name=ns)))
    store.create(service("default", "web", "10.96.0.20", ServicePort(80, 8080, name="http")))
    store.create(endpoint_slice("default", "web-abcde", "web", [
        Endpoint(("10.244.1.2",), READY), Endpoint(("10.244.2.10",)), Endpoint(("10.244.1.3",), NOT_READY),
    ], [EndpointPort(8080, name="http")]))
    store.create(service("default", "empty", "10.96.0.21", ServicePort(80, 8080)))
    store.create(service("default", "draining", "10.96.0.22", ServicePort(80, 80)))
    store.create(endpoint_slice("default", "draining-x2x4z", "draining", [
        Endpoint(("10.244.2.5",), DRAINING), Endpoint(("10.244.2.6",), GONE),
    ], [EndpointPort(80)]))
    store.create(service("default", "db", "None", ServicePort(5432)))
    store.create(endpoint_slice("default", "db-q7k2p", "db", ["10.244.1.7"], [EndpointPort(5432)]))
    store.create(Service(ObjectMeta(name="ext", namespace="default"),
                         ServiceSpec(type="ExternalName", external_name="example.com")))
    store.create(service("kube-system", "kube-dns", "10.96.0.10",
                         ServicePort(53, 53, name="dns", protocol="UDP"),
                         ServicePort(53, 53, name="dns-tcp"), ServicePort(9153, 9153, name="metrics")))
    store.create(endpoint_slice("kube-system", "kube-dns-zdg5l", "kube-dns", ["10.244.0.3", "10.244.0.2"], [
        EndpointPort(53, "dns", "UDP"), EndpointPort(53, "dns-tcp"), EndpointPort(9153, "metrics"),
    ]))
    return store


# ---------------------------------------------------------------- chain names and probabilities

@pytest.mark.parametrize("name, endpoint, suffix", [
    (ServicePortName("ns1", "svc1", "p80", "TCP"), "", "XPGD46QRK7WJZT7O"),
    (ServicePortName("ns1", "svc1", "p80", "TCP"), "10.180.0.1:80", "SXIVWICOYRO3J4NJ"),
    (ServicePortName("ns4", "svc4", "p80", "TCP"), "10.180.0.4:80", "UKSFD7AGPMPPLUHC"),
    (ServicePortName("ns5", "svc5", "p80", "TCP"), "", "NUKIZ6OKUXPJNT4C"),
    (ServicePortName("default", "kubernetes", "https", "TCP"), "", "NPX46M4PTMTKRN6Y"),
    (ServicePortName("kube-system", "kube-dns", "dns", "UDP"), "", "TCOU7JCQXEZGVUNU"),
    (ServicePortName("kube-system", "kube-dns", "dns-tcp", "TCP"), "", "ERIFXISQEP7F7OF4"),
    (ServicePortName("kube-system", "kube-dns", "metrics", "TCP"), "", "JD5MR3NA4I4DYORP"),
    (ServicePortName("default", "my-nginx", "", "TCP"), "", "L65ENXXZWWSAPRCR"),
])
def test_chain_names_hash_service_port_name_protocol_and_endpoint(name, endpoint, suffix):
    if endpoint:
        assert endpoint_chain_name(name, endpoint) == "KUBE-SEP-" + suffix
    else:
        assert service_chain_name(name) == "KUBE-SVC-" + suffix
    assert len("KUBE-SVC-" + suffix) <= 28


@pytest.mark.parametrize("text, protocol, suffix", [
    ("ns1/svc1:p80", "tcp", "XPGD46QRK7WJZT7O"),
    ("default/my-nginx", "tcp", "L65ENXXZWWSAPRCR"),
])
def test_port_proto_hash_concatenates_without_separator(text, protocol, suffix):
    assert port_proto_hash(text, protocol) == suffix


@pytest.mark.parametrize("name, text", [
    (ServicePortName("ns", "svc", "http"), "ns/svc:http"),
    (ServicePortName("ns", "svc", ""), "ns/svc"),
    (ServicePortName("ns", "svc", "dns", "UDP"), "ns/svc:dns"),
])
def test_service_port_name_string_has_port_only_when_named(name, text):
    assert str(name) == text


SAVED = {2: "0.50000000000", 3: "0.33333333349", 4: "0.25000000000", 5: "0.20000000019",
         6: "0.16666666651", 7: "0.14285714272", 8: "0.12500000000", 9: "0.11111111101",
         10: "0.10000000009"}


@pytest.mark.parametrize("n", range(1, 11))
def test_probability_ladder_as_iptables_save_prints_it(n):
    eps = [EndpointInfo(f"10.244.1.{i}", 80) for i in range(n)]
    rules = service_to_endpoint_rules(ServicePortName("ns", "svc"), "KUBE-SVC-X", eps)
    printed = [re.search(r"--probability (\S+)", r.to_text()) for r in rules]
    assert [m.group(1) if m else None for m in printed] == [SAVED[k] for k in range(n, 1, -1)] + [None]


@pytest.mark.parametrize("n, written", [(2, "0.5000000000"), (3, "0.3333333333"), (4, "0.2500000000")])
def test_kube_proxy_writes_ten_decimals_before_iptables_rounds(n, written):
    assert f"{compute_probability(n):.10f}" == written


# ---------------------------------------------------------------- translation

def test_service_port_map_skips_headless_external_name_unallocated_and_other_proxies():
    services = [
        service("ns", "a", "10.96.0.1", ServicePort(80, name="http"), ServicePort(53, name="dns", protocol="UDP")),
        service("ns", "headless", "None", ServicePort(80)),
        Service(ObjectMeta(name="ext", namespace="ns"), ServiceSpec(type="ExternalName", external_name="x.com")),
        service("ns", "pending", "", ServicePort(80)),
        service("ns", "other", "10.96.0.2", ServicePort(80),
                labels={"service.kubernetes.io/service-proxy-name": "custom"}),
    ]
    assert sorted(map(str, service_port_map(services))) == ["ns/a:dns", "ns/a:http"]


def test_endpoints_map_takes_port_number_from_slice_port_with_same_name():
    slices = [endpoint_slice("ns", "web-1", "web", ["10.244.1.2"],
                             [EndpointPort(8080, "http"), EndpointPort(9090, "metrics")])]
    got = {str(k): [str(e) for e in v] for k, v in endpoints_map(slices).items()}
    assert got == {"ns/web:http": ["10.244.1.2:8080"], "ns/web:metrics": ["10.244.1.2:9090"]}


def test_endpoints_map_merges_slices_dedups_sorts_as_strings_and_ignores_ipv6():
    slices = [
        endpoint_slice("ns", "web-1", "web", ["10.244.1.2", "10.244.1.10"], [EndpointPort(80)]),
        endpoint_slice("ns", "web-2", "web", ["10.244.1.2", "10.244.0.9"], [EndpointPort(80)]),
        endpoint_slice("ns", "web-3", "web", ["fd00::1"], [EndpointPort(80)], address_type="IPv6"),
    ]
    eps = endpoints_map(slices)[ServicePortName("ns", "web")]
    assert [str(e) for e in eps] == ["10.244.0.9:80", "10.244.1.10:80", "10.244.1.2:80"]


@pytest.mark.parametrize("conditions, ready, serving, terminating", [
    (EndpointConditions(), True, True, False),  # nil means ready/serving, not terminating
    (READY, True, True, False),
    (NOT_READY, False, False, False),
    (DRAINING, False, True, True),
])
def test_endpoint_conditions_default_like_the_endpointslice_cache(conditions, ready, serving, terminating):
    s = endpoint_slice("ns", "s", "svc", [Endpoint(("10.0.0.1",), conditions)], [EndpointPort(80)])
    (ep,) = endpoints_map([s])[ServicePortName("ns", "svc")]
    assert (ep.ready, ep.serving, ep.terminating) == (ready, serving, terminating)


@pytest.mark.parametrize("flags, usable", [
    ([READY, NOT_READY, DRAINING], ["10.0.0.0:80"]),          # ready ones only
    ([NOT_READY, DRAINING, GONE], ["10.0.0.1:80"]),           # fall back to serving+terminating
    ([NOT_READY, GONE], []),                                  # nothing usable
])
def test_usable_endpoints_fall_back_to_serving_terminating(flags, usable):
    eps = [EndpointInfo(f"10.0.0.{i}", 80, c.ready is not False, c.serving is not False, bool(c.terminating))
           for i, c in enumerate(flags)]
    assert [str(e) for e in usable_endpoints(eps)] == usable


# ---------------------------------------------------------------- rendered rules

GOLDEN = """\
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-PROXY-CANARY - [0:0]
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.21/32 -p tcp -m comment --comment "default/empty has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-SEP-6E7XQMQ4RAYOWTTM - [0:0]
:KUBE-SEP-IQIBSY2R4USWK4F3 - [0:0]
:KUBE-SEP-IT2ZTR26TO4XFPTO - [0:0]
:KUBE-SEP-N4G2XR5TDX7PQE7P - [0:0]
:KUBE-SEP-UIQK3OSOSTRHRPBX - [0:0]
:KUBE-SEP-XMIL7W3BGNZ36VUN - [0:0]
:KUBE-SEP-YIL6JZP7A3QYXJU2 - [0:0]
:KUBE-SEP-ZP3FB6NMPNCO4VBJ - [0:0]
:KUBE-SEP-ZXMNUKOKXUTL2MK2 - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]
:KUBE-SVC-ERIFXISQEP7F7OF4 - [0:0]
:KUBE-SVC-FLX6CX6YGZ2GEJ6N - [0:0]
:KUBE-SVC-JD5MR3NA4I4DYORP - [0:0]
:KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-6E7XQMQ4RAYOWTTM -s 10.244.0.3/32 -m comment --comment "kube-system/kube-dns:dns" -j KUBE-MARK-MASQ
-A KUBE-SEP-6E7XQMQ4RAYOWTTM -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.3:53
-A KUBE-SEP-IQIBSY2R4USWK4F3 -s 10.244.2.10/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-IQIBSY2R4USWK4F3 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.10:8080
-A KUBE-SEP-IT2ZTR26TO4XFPTO -s 10.244.0.2/32 -m comment --comment "kube-system/kube-dns:dns-tcp" -j KUBE-MARK-MASQ
-A KUBE-SEP-IT2ZTR26TO4XFPTO -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp" -m tcp -j DNAT --to-destination 10.244.0.2:53
-A KUBE-SEP-N4G2XR5TDX7PQE7P -s 10.244.0.2/32 -m comment --comment "kube-system/kube-dns:metrics" -j KUBE-MARK-MASQ
-A KUBE-SEP-N4G2XR5TDX7PQE7P -p tcp -m comment --comment "kube-system/kube-dns:metrics" -m tcp -j DNAT --to-destination 10.244.0.2:9153
-A KUBE-SEP-UIQK3OSOSTRHRPBX -s 10.244.1.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-UIQK3OSOSTRHRPBX -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080
-A KUBE-SEP-XMIL7W3BGNZ36VUN -s 10.244.2.5/32 -m comment --comment "default/draining" -j KUBE-MARK-MASQ
-A KUBE-SEP-XMIL7W3BGNZ36VUN -p tcp -m comment --comment "default/draining" -m tcp -j DNAT --to-destination 10.244.2.5:80
-A KUBE-SEP-YIL6JZP7A3QYXJU2 -s 10.244.0.2/32 -m comment --comment "kube-system/kube-dns:dns" -j KUBE-MARK-MASQ
-A KUBE-SEP-YIL6JZP7A3QYXJU2 -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.2:53
-A KUBE-SEP-ZP3FB6NMPNCO4VBJ -s 10.244.0.3/32 -m comment --comment "kube-system/kube-dns:metrics" -j KUBE-MARK-MASQ
-A KUBE-SEP-ZP3FB6NMPNCO4VBJ -p tcp -m comment --comment "kube-system/kube-dns:metrics" -m tcp -j DNAT --to-destination 10.244.0.3:9153
-A KUBE-SEP-ZXMNUKOKXUTL2MK2 -s 10.244.0.3/32 -m comment --comment "kube-system/kube-dns:dns-tcp" -j KUBE-MARK-MASQ
-A KUBE-SEP-ZXMNUKOKXUTL2MK2 -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp" -m tcp -j DNAT --to-destination 10.244.0.3:53
-A KUBE-SERVICES -d 10.96.0.22/32 -p tcp -m comment --comment "default/draining cluster IP" -m tcp --dport 80 -j KUBE-SVC-FLX6CX6YGZ2GEJ6N
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp --dport 53 -j KUBE-SVC-ERIFXISQEP7F7OF4
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/kube-dns:metrics cluster IP" -m tcp --dport 9153 -j KUBE-SVC-JD5MR3NA4I4DYORP
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-UIQK3OSOSTRHRPBX
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.2.10:8080" -j KUBE-SEP-IQIBSY2R4USWK4F3
-A KUBE-SVC-ERIFXISQEP7F7OF4 ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp --dport 53 -j KUBE-MARK-MASQ
-A KUBE-SVC-ERIFXISQEP7F7OF4 -m comment --comment "kube-system/kube-dns:dns-tcp -> 10.244.0.2:53" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-IT2ZTR26TO4XFPTO
-A KUBE-SVC-ERIFXISQEP7F7OF4 -m comment --comment "kube-system/kube-dns:dns-tcp -> 10.244.0.3:53" -j KUBE-SEP-ZXMNUKOKXUTL2MK2
-A KUBE-SVC-FLX6CX6YGZ2GEJ6N ! -s 10.244.0.0/16 -d 10.96.0.22/32 -p tcp -m comment --comment "default/draining cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-FLX6CX6YGZ2GEJ6N -m comment --comment "default/draining -> 10.244.2.5:80" -j KUBE-SEP-XMIL7W3BGNZ36VUN
-A KUBE-SVC-JD5MR3NA4I4DYORP ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/kube-dns:metrics cluster IP" -m tcp --dport 9153 -j KUBE-MARK-MASQ
-A KUBE-SVC-JD5MR3NA4I4DYORP -m comment --comment "kube-system/kube-dns:metrics -> 10.244.0.2:9153" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-N4G2XR5TDX7PQE7P
-A KUBE-SVC-JD5MR3NA4I4DYORP -m comment --comment "kube-system/kube-dns:metrics -> 10.244.0.3:9153" -j KUBE-SEP-ZP3FB6NMPNCO4VBJ
-A KUBE-SVC-TCOU7JCQXEZGVUNU ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-MARK-MASQ
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.2:53" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-YIL6JZP7A3QYXJU2
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.3:53" -j KUBE-SEP-6E7XQMQ4RAYOWTTM
COMMIT
"""


def test_iptables_save_matches_golden_text_after_sorting():
    text = KubeProxy("kind-worker", tiny_store()).iptables_save()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert sorted(lines) == sorted(GOLDEN.splitlines())


def test_iptables_save_has_generated_and_completed_lines_per_table():
    text = KubeProxy("kind-worker", tiny_store()).iptables_save("Mon Jan  5 09:00:00 2026")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments == [
        "# Generated by iptables-save v1.8.9 (nf_tables) on Mon Jan  5 09:00:00 2026",
        "# Completed on Mon Jan  5 09:00:00 2026",
    ] * 3
    assert [line for line in text.splitlines() if line.startswith("*")] == ["*mangle", "*filter", "*nat"]


BUILTIN_TARGETS = {"ACCEPT", "DROP", "REJECT", "RETURN", "DNAT", "MARK", "MASQUERADE"}


@pytest.mark.parametrize("table", ["nat", "filter"])
def test_every_jump_target_exists(table):
    tbl = getattr(KubeProxy("kind-worker", tiny_store()), table)
    for rule in tbl.rules():
        assert rule.target in BUILTIN_TARGETS or rule.target in tbl.chains, rule.to_text()


def test_nodeports_jump_is_the_last_rule_of_kube_services():
    rules = KubeProxy("kind-worker", tiny_store()).nat.chain("KUBE-SERVICES").rules
    assert rules[-1].target == "KUBE-NODEPORTS"
    assert "-m addrtype --dst-type LOCAL" in rules[-1].to_text()
    assert all(r.target != "KUBE-NODEPORTS" for r in rules[:-1])


def test_service_with_no_usable_endpoint_gets_no_nat_chain():
    proxy = KubeProxy("kind-worker", tiny_store())
    empty = ServicePortName("default", "empty")
    assert service_chain_name(empty) not in proxy.nat.chains
    assert all("default/empty" not in rule.to_text() for rule in proxy.nat.rules())


def test_headless_and_external_name_services_get_no_rules():
    text = KubeProxy("kind-worker", tiny_store()).iptables_save()
    assert "default/db" not in text and "default/ext" not in text and "10.244.1.7" not in text


def test_not_ready_endpoint_is_left_out():
    assert "10.244.1.3" not in KubeProxy("kind-worker", tiny_store()).iptables_save()


def test_slice_port_must_match_service_port_name():
    store = new_store()
    store.create(service("ns", "web", "10.96.0.5", ServicePort(80, 8080, name="http")))
    store.create(endpoint_slice("ns", "web-1", "web", ["10.244.1.2"], [EndpointPort(8080)]))  # unnamed
    proxy = KubeProxy("n", store)
    assert [r.target for r in proxy.filter.chain("KUBE-SERVICES").rules] == ["REJECT"]


def test_slices_link_to_services_only_in_their_namespace():
    store = new_store()
    store.create(service("a", "web", "10.96.0.5", ServicePort(80)))
    store.create(endpoint_slice("b", "web-1", "web", ["10.244.1.2"], [EndpointPort(80)]))
    assert [r.target for r in KubeProxy("n", store).filter.chain("KUBE-SERVICES").rules] == ["REJECT"]


def test_large_cluster_mode_drops_endpoint_comments():
    name = ServicePortName("ns", "big")
    eps = tuple(EndpointInfo(f"10.244.{i // 250}.{i % 250 + 2}", 80) for i in range(1001))
    nat, _ = render_tables({name: ServicePortInfo("10.96.0.5", 80)}, {name: eps})
    svc_rules = nat.chain(service_chain_name(name)).rules
    assert "--comment" in svc_rules[0].to_text()  # the masquerade rule keeps its comment
    assert all("--comment" not in r.to_text() for r in svc_rules[1:])
    sep = nat.chain(endpoint_chain_name(name, str(eps[0])))
    assert all("--comment" not in r.to_text() for r in sep.rules)


# ---------------------------------------------------------------- packet flows

NODE_IP = "172.18.0.3"


def flow(proxy: KubeProxy, src: str, dst: str, port: int, protocol: str, seed: int):
    """Trace a new connection the way the kernel does for a forwarded packet: nat PREROUTING, then filter FORWARD."""
    rng = random.Random(seed)
    packet = Packet(src, dst, port, protocol)
    nat = trace_chain(proxy.nat, "PREROUTING", packet, rng)
    if nat.target == "DNAT":
        ip, dport = nat.to_destination.rsplit(":", 1)
        packet = dataclasses.replace(packet, dst=ip, dport=int(dport), mark=0x4000 if nat.masquerade else 0)
    filt = trace_chain(proxy.filter, "FORWARD", packet, rng)
    return nat, filt


WEB = {"10.244.1.2:8080", "10.244.2.10:8080"}
DNS = {"10.244.0.2:53", "10.244.0.3:53"}


@pytest.mark.parametrize("case, src, dst, port, protocol, expected, masquerade", [
    ("pod to cluster IP", "10.244.1.5", "10.96.0.20", 80, "tcp", WEB, False),
    ("off-cluster source is masqueraded", "192.168.1.50", "10.96.0.20", 80, "tcp", WEB, True),
    ("node's own IP is off the pod CIDR", NODE_IP, "10.96.0.20", 80, "tcp", WEB, True),
    ("hairpin: endpoint reaching itself", "10.244.2.5", "10.96.0.22", 80, "tcp", {"10.244.2.5:80"}, True),
    ("terminating fallback endpoint", "10.244.1.5", "10.96.0.22", 80, "tcp", {"10.244.2.5:80"}, False),
    ("udp port of a multi-port service", "10.244.1.5", "10.96.0.10", 53, "udp", DNS, False),
    ("tcp port with the same number", "10.244.1.5", "10.96.0.10", 53, "tcp", DNS, False),
    ("metrics port", "10.244.1.5", "10.96.0.10", 9153, "tcp", {"10.244.0.2:9153", "10.244.0.3:9153"}, False),
    ("no endpoints: REJECT", "10.244.1.5", "10.96.0.21", 80, "tcp", "REJECT", False),
    ("no endpoints from outside: REJECT", "192.168.1.50", "10.96.0.21", 80, "tcp", "REJECT", False),
    ("wrong port: no rule", "10.244.1.5", "10.96.0.20", 8080, "tcp", None, False),
    ("wrong protocol: no rule", "10.244.1.5", "10.96.0.20", 80, "udp", None, False),
    ("unknown IP: no rule", "10.244.1.5", "10.96.0.99", 80, "tcp", None, False),
    ("headless pod IP is not rewritten", "10.244.1.5", "10.244.1.7", 5432, "tcp", None, False),
])
def test_packet_flows(case, src, dst, port, protocol, expected, masquerade):
    proxy = KubeProxy("kind-worker", tiny_store())
    reached, masqs = set(), set()
    for seed in range(40):
        nat, filt = flow(proxy, src, dst, port, protocol, seed)
        masqs.add(nat.masquerade)
        if nat.target == "DNAT":
            assert filt.target == "ACCEPT", case
            reached.add(nat.to_destination)
        elif filt.target == "REJECT":
            reached.add("REJECT")
        else:
            assert (nat.target, filt.target) == ("ACCEPT", "ACCEPT"), case
            reached.add(None)
    assert reached == (expected if isinstance(expected, set) else {expected}), case
    assert masqs == {masquerade}, case


def test_node_local_traffic_uses_output_chain():
    proxy = KubeProxy("kind-worker", tiny_store())
    v = trace_chain(proxy.nat, "OUTPUT", Packet(NODE_IP, "10.96.0.22", 80), random.Random(0))
    assert (v.target, v.to_destination, v.masquerade) == ("DNAT", "10.244.2.5:80", True)
    assert [chain for chain, _ in v.path] == [
        "OUTPUT", "KUBE-SERVICES", "KUBE-SVC-FLX6CX6YGZ2GEJ6N", "KUBE-MARK-MASQ",
        "KUBE-SVC-FLX6CX6YGZ2GEJ6N", "KUBE-SEP-XMIL7W3BGNZ36VUN"]


def test_traffic_to_a_node_address_visits_kube_nodeports():
    proxy = KubeProxy("kind-worker", tiny_store())
    v = trace_chain(proxy.nat, "PREROUTING", Packet("192.168.1.50", NODE_IP, 30080, dst_local=True))
    assert v.target == "ACCEPT"
    assert v.path[-1][1].to_text().endswith("-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS")


def test_endpoints_are_picked_evenly():
    proxy = KubeProxy("kind-worker", tiny_store())
    rng = random.Random(7)
    counts = {ep: 0 for ep in DNS}
    for _ in range(4000):
        v = trace_chain(proxy.nat, "PREROUTING", Packet("10.244.1.5", "10.96.0.10", 53, "udp"), rng)
        counts[v.to_destination] += 1
    assert all(abs(c - 2000) < 150 for c in counts.values()), counts


# ---------------------------------------------------------------- incremental sync

def test_sync_counts_only_changed_service_ports():
    store = tiny_store()
    proxy = KubeProxy("kind-worker", store)
    assert proxy.sync() == 6  # web, empty, draining, and kube-dns's three ports
    assert proxy.sync() == 0
    s = store.get("EndpointSlice", "default", "web-abcde")
    store.update(dataclasses.replace(s, endpoints=s.endpoints[:1]))
    assert proxy.sync() == 1
    store.delete("Service", "kube-system", "kube-dns")
    assert proxy.sync() == 3
    assert "kube-dns" not in proxy.iptables_save()


def test_slice_relabelled_to_another_service_moves_its_endpoints():
    store = new_store()
    store.create(service("ns", "a", "10.96.0.5", ServicePort(80)))
    store.create(service("ns", "b", "10.96.0.6", ServicePort(80)))
    store.create(endpoint_slice("ns", "s", "a", ["10.244.1.2"], [EndpointPort(80)]))
    proxy = KubeProxy("n", store)
    proxy.sync()
    store.update(endpoint_slice("ns", "s", "b", ["10.244.1.2"], [EndpointPort(80)]))
    assert proxy.sync() == 2
    assert [r.to_text().split('"')[1] for r in proxy.filter.chain("KUBE-SERVICES").rules] == ["ns/a has no endpoints"]


def _random_service(rng: random.Random, ns: str, name: str) -> Service:
    """Any type, with random node ports, LB status, traffic policies, source ranges and affinity."""
    kind = rng.choice(["ClusterIP"] * 3 + ["NodePort"] * 2 + ["LoadBalancer"] * 3 + ["headless", "ExternalName"])
    if kind == "ExternalName":
        return Service(ObjectMeta(name=name, namespace=ns), ServiceSpec(type="ExternalName", external_name="x.com"))
    external = kind in ("NodePort", "LoadBalancer")
    ports = rng.sample([ServicePort(80, name="http"), ServicePort(53, name="dns", protocol="UDP"),
                        ServicePort(9090, name="metrics")], rng.randint(1, 3))
    if len(ports) == 1 and rng.random() < 0.5:
        ports = [ServicePort(80)]
    if external:
        ports = [dataclasses.replace(p, node_port=rng.randint(30000, 30009)) for p in ports]
    affinity = rng.random() < 0.25
    etp = rng.choice(["Cluster", "Local"]) if external or rng.random() < 0.3 else ""
    spec = ServiceSpec(
        cluster_ip="None" if kind == "headless" else f"10.96.0.{rng.randint(1, 250)}",
        type="ClusterIP" if kind == "headless" else kind, ports=tuple(ports),
        external_traffic_policy=etp, internal_traffic_policy=rng.choice(["Cluster", "Cluster", "Local"]),
        external_ips=tuple(rng.sample(["198.51.100.7", "198.51.100.8"], rng.randint(0, 1))),
        load_balancer_source_ranges=tuple(rng.sample(["203.0.113.0/24", " 10.0.0.0/8", "172.18.0.0/16"],
                                                     rng.randint(0, 2))),
        health_check_node_port=rng.choice([0, 32000]) if kind == "LoadBalancer" else 0,
        session_affinity="ClientIP" if affinity else "None",
        session_affinity_config=SessionAffinityConfig(ClientIPConfig(rng.choice([60, 10800]))) if affinity else None)
    ingress = ()
    if kind == "LoadBalancer":
        ingress = tuple(LoadBalancerIngress(ip=ip, ip_mode=rng.choice(["", "VIP", "Proxy"]))
                        for ip in rng.sample(["192.168.8.1", "192.168.8.2"], rng.randint(0, 2)))
    return Service(ObjectMeta(name=name, namespace=ns), spec, ServiceStatus(LoadBalancerStatus(ingress)))


def _random_slice(rng: random.Random, ns: str, name: str, services: list[str]) -> EndpointSlice:
    conditions = [EndpointConditions(), READY, NOT_READY, DRAINING, GONE]
    eps = [Endpoint((f"10.244.{rng.randint(0, 2)}.{rng.randint(2, 12)}",), rng.choice(conditions),
                    node_name=rng.choice(["n1", "n2"])) for _ in range(rng.randint(0, 5))]
    ports = rng.sample([EndpointPort(8080, "http"), EndpointPort(53, "dns", "UDP"),
                        EndpointPort(9090, "metrics"), EndpointPort(8080)], rng.randint(1, 3))
    return endpoint_slice(ns, name, rng.choice(services), eps, ports)


def _random_change(rng: random.Random, store: Store) -> None:
    ns = rng.choice(["a", "b"])
    services = ["s0", "s1", "s2", "s3"]
    if rng.random() < 0.4:
        kind, name = "Service", rng.choice(services)
        obj = _random_service(rng, ns, name)
    else:
        kind, name = "EndpointSlice", rng.choice(["e0", "e1", "e2", "e3", "e4"])
        obj = _random_slice(rng, ns, name, services)
    exists = store.try_get(kind, ns, name) is not None
    if exists and rng.random() < 0.25:
        store.delete(kind, ns, name)
    elif exists:
        store.update(obj)
    else:
        store.create(obj)


@pytest.mark.parametrize("seed", range(60))
def test_incremental_sync_equals_full_render(seed, monkeypatch):
    if seed % 3 == 0:  # the change log compacted between syncs: kube-proxy relists
        monkeypatch.setattr(store_module, "LOG_LIMIT", 4)
    rng = random.Random(seed)
    store = new_store()
    long_lived = KubeProxy("n1", store, node_ip="172.18.0.3")
    for _ in range(60):
        _random_change(rng, store)
        if rng.random() < 0.5:
            long_lived.sync()
    fresh = KubeProxy("n1", store, node_ip="172.18.0.3")
    nat, filt = render_tables(service_port_map(store.list("Service")),
                              endpoints_map(store.list("EndpointSlice"), "n1"), node_ip="172.18.0.3")
    full = iptables_save(nat, filt, "Thu Jan  1 00:00:00 1970", mangle=assemble_mangle_table())
    assert long_lived.iptables_save() == fresh.iptables_save() == full
    assert long_lived.service_map() == service_port_map(store.list("Service"))
    # the kept pieces assemble the tables the from-scratch reference builds, chain by chain, in order
    assert list(long_lived.nat.chains.items()) == list(nat.chains.items())
    assert list(long_lived.filter.chains.items()) == list(filt.chains.items())


def test_crossing_the_large_cluster_threshold_rerenders_everything():
    store = new_store()
    store.create(service("ns", "small", "10.96.0.4", ServicePort(80)))
    store.create(endpoint_slice("ns", "small-1", "small", ["10.244.0.2"], [EndpointPort(80)]))
    store.create(service("ns", "big", "10.96.0.5", ServicePort(80)))
    ips = [f"10.244.{i // 200 + 1}.{i % 200 + 2}" for i in range(1000)]
    store.create(endpoint_slice("ns", "big-1", "big", ips[:999], [EndpointPort(80)]))
    proxy = KubeProxy("n", store)
    assert '"ns/small -> 10.244.0.2:80"' in proxy.iptables_save()
    store.update(endpoint_slice("ns", "big-1", "big", ips, [EndpointPort(80)]))
    assert proxy.sync() == 2
    assert "ns/small -> " not in proxy.iptables_save()
    assert proxy.iptables_save() == KubeProxy("n", store).iptables_save()


def test_one_changed_service_rerenders_only_that_service_in_a_large_cluster():
    # Speed itself is measured by benchmarks/, never by timed assertions here.
    store = new_store()
    for i in range(1000):
        ns = f"ns{i % 10}"
        store.create(service(ns, f"svc{i}", f"10.96.{i // 250}.{i % 250 + 1}", ServicePort(80, 8080)))
        ips = [f"10.244.{i // 25}.{(i % 25) * 10 + j + 2}" for j in range(10)]
        store.create(endpoint_slice(ns, f"svc{i}-abcde", f"svc{i}", ips, [EndpointPort(8080)]))
    proxy = KubeProxy("n", store)
    assert proxy.sync() == 1000
    assert len(proxy.nat.chains) > 11000
    for i in (3, 250, 500, 750, 999):
        s = store.get("EndpointSlice", f"ns{i % 10}", f"svc{i}-abcde")
        flipped = (dataclasses.replace(s.endpoints[0], conditions=NOT_READY),) + s.endpoints[1:]
        store.update(dataclasses.replace(s, endpoints=flipped))
        assert proxy.sync() == 1
        assert f"ns{i % 10}/svc{i} -> {s.endpoints[0].addresses[0]}:8080" not in proxy.iptables_save()


def test_kindnet_adds_its_chains_to_a_kept_table_as_to_a_rebuilt_one():
    """``Table.with_chains`` on the kept pieces' table gives what ``Table.build`` over every chain gives."""
    from k8sedu.kindnet import HostPortPod, merge_nat
    from k8sedu.kube_proxy.tables import Chains, Table
    store = new_store()
    for i in range(40):
        store.create(service("ns", f"svc{i}", f"10.96.0.{i + 2}", ServicePort(80, 8080)))
        store.create(endpoint_slice("ns", f"svc{i}-x", f"svc{i}", [f"10.244.1.{i + 2}"], [EndpointPort(8080)]))
    kept = KubeProxy("n1", store).nat
    assert isinstance(kept.chains, Chains)
    rebuilt = Table.build("nat", list(kept.chains.values()))
    pods = (HostPortPod("abc123", "10.244.1.7/24", (("tcp", 8081, 80),)),)
    for table_pods in ((), pods):
        ours, reference = merge_nat(kept, ["10.244.0.0/16"], table_pods), merge_nat(rebuilt, ["10.244.0.0/16"], table_pods)
        assert list(ours.chains.items()) == list(reference.chains.items())
        assert ours.to_iptables_save() == reference.to_iptables_save()


@pytest.mark.parametrize("seed", range(20))
def test_a_rendering_shared_between_nodes_is_the_one_each_node_would_write(seed):
    """``render_service_port`` remembers renderings by plan, without the node's own facts no rule reads (which
    endpoints are local, the node IP unless loadBalancerSourceRanges may hold it): for every port and node, the
    shared rendering equals a fresh one from the node's own plan."""
    from k8sedu.kube_proxy.iptables import SERVICE_PORT_FAMILIES, render_service_port
    from k8sedu.kube_proxy.rules import combine, plan_service_port
    rng = random.Random(seed)
    store = new_store()
    for _ in range(40):
        _random_change(rng, store)
    svc_map = service_port_map(store.list("Service"))
    renders: dict = {}  # one for the cluster, as Core gives its kube-proxies
    first: dict = {}
    for node, ip in (("n1", "172.18.0.3"), ("n2", "10.0.0.7"), ("n3", "172.18.0.4")):
        ep_map = endpoints_map(store.list("EndpointSlice"), node)
        for name, info in svc_map.items():
            plan = plan_service_port(name, info, ep_map.get(name, ()), node_ip=ip)
            fresh = combine(family(plan) for family in SERVICE_PORT_FAMILIES)
            shared = render_service_port(name, info, ep_map.get(name, ()), node_ip=ip, renders=renders)
            assert shared == fresh
            if not info.uses_local_endpoints and not info.load_balancer_source_ranges:
                assert shared is first.setdefault(name, shared)  # planned alike on every node: one rendering


def test_chains_are_persistent_through_replacements_and_compactions():
    """Every ``Chains`` a kube-proxy handed out keeps its chains and order while later ones change (and the
    delta is folded into new bases): each equals the table ``Table.build`` makes from the same chains."""
    from k8sedu.kube_proxy.tables import Chain, Chains, Rule, Table
    rng = random.Random(11)
    live: dict[str, Chain] = {}
    chains = Chains.of("nat")
    snapshots = []
    for step in range(3000):
        name = f"KUBE-SEP-{rng.randrange(700):04d}"
        if name in live and rng.random() < 0.4:
            del live[name]
            chains = chains.replace({name: None})
        else:
            live[name] = Chain(name, (Rule(name, "DNAT", to_destination=f"10.244.0.{step % 250}:80"),))
            chains = chains.replace({name: live[name]})
        if step % 300 == 0:
            snapshots.append((chains, dict(live)))
    for kept, then in snapshots + [(chains, live)]:
        reference = Table.build("nat", then.values()).chains
        assert list(kept.items()) == list(reference.items())
        assert all(name in kept for name in then) and "KUBE-SEP-nope" not in kept


def test_a_first_sync_past_the_large_cluster_threshold_renders_each_port_once(monkeypatch):
    """The sync decides large-cluster mode from the new endpoint total before it renders, so a node's first sync
    of a big cluster does not render everything with comments and then again without."""
    import k8sedu.kube_proxy as kube_proxy_module
    store = new_store()
    ips = [f"10.244.{i // 200 + 1}.{i % 200 + 2}" for i in range(1001)]
    for i in range(3):
        store.create(service("ns", f"svc{i}", f"10.96.0.{i + 4}", ServicePort(80)))
        store.create(endpoint_slice("ns", f"svc{i}-1", f"svc{i}", ips[i * 400:(i + 1) * 400], [EndpointPort(80)]))
    rendered = []
    real = kube_proxy_module.render_service_port
    monkeypatch.setattr(kube_proxy_module, "render_service_port",
                        lambda name, *a, **k: rendered.append(name) or real(name, *a, **k))
    proxy = KubeProxy("n", store)
    assert proxy.sync() == 3
    assert len(rendered) == 3
    assert "ns/svc0 -> " not in proxy.iptables_save()  # large-cluster mode: no endpoint comments


@given(st.text(max_size=40), st.text(max_size=40))
def test_chain_hashes_are_base32_of_sha256_cut_to_16(service_port_name, protocol):
    """``portProtoHash``: the model encodes the first 80 bits itself; it must be Go's base32.StdEncoding."""
    digest = hashlib.sha256((service_port_name + protocol).encode()).digest()
    assert port_proto_hash(service_port_name, protocol) == base64.b32encode(digest).decode()[:16]
