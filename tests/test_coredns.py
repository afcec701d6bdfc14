"""CoreDNS and the pod resolver: parse, then resolve; the search list walk, step by step."""

import pytest

from k8sedu import coredns
from k8sedu.coredns import RecordRequest, ResolvConf, lookup, parse_query, resolve, search_candidates
from k8sedu.objects import (Endpoint, EndpointConditions, EndpointSlice, ObjectMeta, Service, ServicePort,
                            ServiceSpec, frozen)

DEFAULT = ResolvConf(("10.96.0.10",), ("default.svc.cluster.local", "svc.cluster.local", "cluster.local"))
TEST_NS = ResolvConf(("10.96.0.10",), ("test.svc.cluster.local", "svc.cluster.local", "cluster.local"))


@pytest.mark.parametrize("qname, expected", [
    ("web.default.svc.cluster.local.", RecordRequest(service="web", namespace="default", pod_or_svc="svc")),
    ("WEB.Default.svc.cluster.local", RecordRequest(service="web", namespace="default", pod_or_svc="svc")),
    ("_http._tcp.web.default.svc.cluster.local.",
     RecordRequest(port="http", protocol="tcp", service="web", namespace="default", pod_or_svc="svc")),
    ("web-0.web.default.svc.cluster.local.",
     RecordRequest(endpoint="web-0", service="web", namespace="default", pod_or_svc="svc")),
    ("10-244-1-2.default.pod.cluster.local.",
     RecordRequest(endpoint="10-244-1-2", namespace="default", pod_or_svc="pod")),
    ("default.svc.cluster.local.", None),
    ("example.com.", None),
])
def test_parse_query(qname, expected):
    assert parse_query(qname) == expected


# From the reference, section 2.5: ndots:5 with the default search list.
@pytest.mark.parametrize("name, resolv, expected", [
    ("currency-exchange", DEFAULT, ["currency-exchange.default.svc.cluster.local."]),
    ("currency-exchange.default", DEFAULT,
     ["currency-exchange.default.default.svc.cluster.local.", "currency-exchange.default.svc.cluster.local."]),
    ("currency-exchange.default.svc.cluster.local", DEFAULT,
     ["currency-exchange.default.svc.cluster.local.default.svc.cluster.local.",
      "currency-exchange.default.svc.cluster.local.svc.cluster.local.",
      "currency-exchange.default.svc.cluster.local.cluster.local.",
      "currency-exchange.default.svc.cluster.local."]),
    ("currency-exchange.default.svc.cluster.local.", DEFAULT, ["currency-exchange.default.svc.cluster.local."]),
    ("currency-exchange", TEST_NS,
     ["currency-exchange.test.svc.cluster.local.", "currency-exchange.svc.cluster.local.",
      "currency-exchange.cluster.local.", "currency-exchange."]),
])
def test_the_resolver_walks_the_search_list_until_an_answer(store, name, resolv, expected):
    store.create(Service(ObjectMeta(name="currency-exchange", namespace="default"),
                         ServiceSpec(ports=(ServicePort(8000),), cluster_ip="10.96.12.34")))
    answer = lookup(name, resolv, store)
    assert [q for q, _ in answer.queries] == expected
    if resolv is DEFAULT:
        assert answer.rcode == "NOERROR" and answer.addresses == ("10.96.12.34",)
        assert [rcode for _, rcode in answer.queries] == ["NXDOMAIN"] * (len(expected) - 1) + ["NOERROR"]
    else:
        assert answer.rcode == "NXDOMAIN" and answer.addresses == ()


def test_a_dotted_name_with_enough_dots_is_tried_as_is_first():
    rc = ResolvConf(("10.96.0.10",), ("default.svc.cluster.local",), ndots=2)
    assert search_candidates("a.b.c", rc) == ["a.b.c.", "a.b.c.default.svc.cluster.local."]


def slice_for(service, *endpoints):
    return EndpointSlice(ObjectMeta(name=f"{service}-abcde", namespace="default",
                                    labels=frozen({"kubernetes.io/service-name": service})),
                         endpoints=tuple(endpoints))


def test_a_clusterip_service_resolves_to_its_clusterip_even_without_endpoints(store):
    store.create(Service(ObjectMeta(name="web", namespace="default"),
                         ServiceSpec(ports=(ServicePort(80),), cluster_ip="10.96.0.50")))
    response = resolve("web.default.svc.cluster.local.", store)
    assert response.rcode == "NOERROR"
    assert [str(r) for r in response.answers] == ["web.default.svc.cluster.local.\t30\tIN\tA\t10.96.0.50"]


def test_missing_service_or_namespace_is_nxdomain(store):
    assert resolve("nope.default.svc.cluster.local.", store).rcode == "NXDOMAIN"
    assert resolve("web.nope.svc.cluster.local.", store).rcode == "NXDOMAIN"


def test_headless_service_answers_with_ready_pod_ips(store):
    store.create(Service(ObjectMeta(name="db", namespace="default"), ServiceSpec(cluster_ip="None")))
    store.create(slice_for("db", Endpoint(("10.244.2.3",), EndpointConditions(ready=True)),
                           Endpoint(("10.244.1.9",), EndpointConditions(ready=True)),
                           Endpoint(("10.244.1.4",), EndpointConditions(ready=False))))
    assert resolve("db.default.svc.cluster.local.", store).answers[0].data == "10.244.1.9"
    assert [r.data for r in resolve("db.default.svc.cluster.local.", store).answers] == ["10.244.1.9", "10.244.2.3"]
    assert resolve("10-244-2-3.db.default.svc.cluster.local.", store).answers[0].data == "10.244.2.3"


def test_headless_service_without_ready_endpoints_is_nxdomain(store):
    store.create(Service(ObjectMeta(name="db", namespace="default"), ServiceSpec(cluster_ip="None")))
    assert resolve("db.default.svc.cluster.local.", store).rcode == "NXDOMAIN"


def test_pod_records_answer_any_dashed_ip_pods_insecure(store):
    assert resolve("10-244-1-7.default.pod.cluster.local.", store).answers[0].data == "10.244.1.7"
    assert resolve("not-an-ip.default.pod.cluster.local.", store).rcode == "NXDOMAIN"


def test_names_outside_the_zone_go_upstream(store):
    assert resolve("example.com.", store).answers[0].data == coredns.UPSTREAM["example.com."]
    assert resolve("nope.invalid.", store).rcode == "NXDOMAIN"


def test_resolv_conf_matches_what_the_kubelet_writes():
    from k8sedu.objects import Pod
    text = str(coredns.resolv_conf_for(Pod(ObjectMeta(name="p", namespace="test")), "10.96.0.10"))
    assert text == ("search test.svc.cluster.local svc.cluster.local cluster.local\n"
                    "nameserver 10.96.0.10\noptions ndots:5\n")


def test_srv_records_for_named_ports(store):
    store.create(Service(ObjectMeta(name="web", namespace="default"),
                         ServiceSpec(ports=(ServicePort(80, name="http"), ServicePort(443, name="https")),
                                     cluster_ip="10.96.0.50")))
    response = resolve("_http._tcp.web.default.svc.cluster.local.", store, qtype="SRV")
    assert [r.data for r in response.answers] == ["0 100 80 web.default.svc.cluster.local."]
    both = resolve("web.default.svc.cluster.local.", store, qtype="SRV")
    assert [r.data for r in both.answers] == ["0 50 80 web.default.svc.cluster.local.",
                                              "0 50 443 web.default.svc.cluster.local."]
    assert resolve("_nope._tcp.web.default.svc.cluster.local.", store, qtype="SRV").rcode == "NXDOMAIN"


def test_unnamed_ports_get_no_srv_record(store):
    store.create(Service(ObjectMeta(name="web", namespace="default"),
                         ServiceSpec(ports=(ServicePort(80),), cluster_ip="10.96.0.50")))
    response = resolve("web.default.svc.cluster.local.", store, qtype="SRV")
    assert response.rcode == "NOERROR" and response.answers == ()


def test_headless_srv_targets_each_ready_endpoint(store):
    store.create(Service(ObjectMeta(name="db", namespace="default"),
                         ServiceSpec(cluster_ip="None", ports=(ServicePort(5432, name="pg"),))))
    store.create(slice_for("db", Endpoint(("10.244.2.3",), EndpointConditions(ready=True)),
                           Endpoint(("10.244.1.9",), EndpointConditions(ready=True), hostname="db-0")))
    response = resolve("_pg._tcp.db.default.svc.cluster.local.", store, qtype="SRV")
    assert [r.data for r in response.answers] == ["0 50 5432 db-0.db.default.svc.cluster.local.",
                                                  "0 50 5432 10-244-2-3.db.default.svc.cluster.local."]


def test_externalname_answers_with_a_cname_then_the_targets_address(store):
    store.create(Service(ObjectMeta(name="ext", namespace="default"),
                         ServiceSpec(type="ExternalName", external_name="example.com")))
    assert [str(r) for r in resolve("ext.default.svc.cluster.local.", store).answers] == [
        "ext.default.svc.cluster.local.\t30\tIN\tCNAME\texample.com."]
    answer = lookup("ext", DEFAULT, store)
    assert answer.cname == "example.com." and answer.addresses == (coredns.UPSTREAM["example.com."],)
