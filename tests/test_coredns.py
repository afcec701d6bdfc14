"""CoreDNS 1.11.3 as kind runs it: parse, answer, reverse, cache, loadbalance; and the pod's resolver walk.

Expected answers are derived from the CoreDNS source at tag v1.11.3 (the
function is named in each table) unless a test names another source.
"""

import random

import pytest

from k8sedu import coredns
from k8sedu.coredns import (Caches, RecordRequest, ResolvConf, lookup, parse_query, query, resolve,
                            round_robin_shuffle, search_candidates)
from k8sedu.objects import (Endpoint, EndpointConditions, EndpointPort, EndpointSlice, Namespace, ObjectMeta, Pod,
                            Service, ServicePort, ServiceSpec, frozen)

DEFAULT = ResolvConf(("10.96.0.10",), ("default.svc.cluster.local", "svc.cluster.local", "cluster.local"))
TEST_NS = ResolvConf(("10.96.0.10",), ("test.svc.cluster.local", "svc.cluster.local", "cluster.local"))
READY, NOT_READY = EndpointConditions(ready=True), EndpointConditions(ready=False)


def slice_for(service, *endpoints, ports=(), namespace="default", name=""):
    return EndpointSlice(ObjectMeta(name=name or f"{service}-abcde", namespace=namespace,
                                    labels=frozen({"kubernetes.io/service-name": service})),
                         endpoints=tuple(endpoints), ports=tuple(ports))


def service(name, namespace="default", **spec):
    return Service(ObjectMeta(name=name, namespace=namespace), ServiceSpec(**spec))


@pytest.fixture
def cluster_store(store):
    """Namespaces default and kube-system, and the Services the tables below ask about."""
    for ns in ("default", "kube-system"):
        store.create(Namespace(ObjectMeta(name=ns)))
    store.create(service("kube-dns", "kube-system", cluster_ip="10.96.0.10", ports=(
        ServicePort(53, name="dns", protocol="UDP"), ServicePort(53, name="dns-tcp"),
        ServicePort(9153, name="metrics"))))
    store.create(service("web", cluster_ip="10.96.0.50", ports=(ServicePort(80, name="http"), ServicePort(443))))
    store.create(slice_for("web", Endpoint(("10.244.1.5",), READY), Endpoint(("10.244.2.6",), READY),
                           Endpoint(("10.244.1.7",), NOT_READY),
                           ports=(EndpointPort(80, name="http"), EndpointPort(443))))
    store.create(service("web2", cluster_ip="10.96.0.51", ports=(ServicePort(80),)))
    store.create(slice_for("web2", Endpoint(("10.244.1.5",), READY), ports=(EndpointPort(80),)))
    store.create(service("db", cluster_ip="None", ports=(ServicePort(5432, name="pg"),)))
    store.create(slice_for("db", Endpoint(("10.244.2.3",), READY), Endpoint(("10.244.1.9",), READY, hostname="db-0"),
                           ports=(EndpointPort(5432, name="pg"),)))
    store.create(service("empty", cluster_ip="None"))
    store.create(service("ext", type="ExternalName", external_name="example.com"))
    store.create(service("alias", type="ExternalName", external_name="web.default.svc.cluster.local"))
    return store


# ---------------------------------------------------------------- parse.go parseRequest

@pytest.mark.parametrize("qname, expected", [
    ("web.default.svc.cluster.local.", RecordRequest(service="web", namespace="default", pod_or_svc="svc")),
    ("WEB.Default.svc.cluster.local", RecordRequest(service="web", namespace="default", pod_or_svc="svc")),
    ("_http._tcp.web.default.svc.cluster.local.",
     RecordRequest(port="http", protocol="tcp", service="web", namespace="default", pod_or_svc="svc")),
    ("web-0.web.default.svc.cluster.local.",
     RecordRequest(endpoint="web-0", service="web", namespace="default", pod_or_svc="svc")),
    # a pod's dashed IP is the request's "service" (findPods reads r.service)
    ("10-244-1-2.default.pod.cluster.local.",
     RecordRequest(service="10-244-1-2", namespace="default", pod_or_svc="pod")),
    # a namespace alone parses: findServices answers NODATA for it
    ("default.svc.cluster.local.", RecordRequest(namespace="default", pod_or_svc="svc")),
    # "return NODATA for apex queries": the zone, svc.<zone>, pod.<zone>
    ("cluster.local.", RecordRequest()),
    ("svc.cluster.local.", RecordRequest()),
    ("pod.cluster.local.", RecordRequest()),
    # errInvalidRequest: neither svc nor pod; or too many labels
    ("web.cluster.local.", None),
    ("x.a.b.web.default.svc.cluster.local.", None),
    # outside the zone
    ("example.com.", None),
])
def test_parse_query_reads_the_name_from_the_right(qname, expected):
    """parse.go parseRequest (v1.11.3)."""
    assert parse_query(qname) == expected


# ---------------------------------------------------------------- kubernetes.go / backend_lookup.go answers

def answer(store, qname, qtype="A"):
    response = resolve(qname, store, qtype=qtype)
    return response.rcode, [(r.type, r.data) for r in response.answers]


NOERROR, NX = "NOERROR", "NXDOMAIN"


@pytest.mark.parametrize("qname, qtype, rcode, records", [
    # a ClusterIP Service answers its ClusterIP (handler_test "svc1"); it has no AAAA: NODATA
    ("web.default.svc.cluster.local.", "A", NOERROR, [("A", "10.96.0.50")]),
    ("web.default.svc.cluster.local.", "AAAA", NOERROR, []),
    # missing service, missing namespace, wrong shape: NXDOMAIN
    ("nope.default.svc.cluster.local.", "A", NX, []),
    ("web.nope.svc.cluster.local.", "A", NX, []),
    ("web.cluster.local.", "A", NX, []),
    ("x.a.b.web.default.svc.cluster.local.", "A", NX, []),
    # an existing namespace and the zone's own sub-names: NODATA (findServices "handle empty service name")
    ("default.svc.cluster.local.", "A", NOERROR, []),
    ("svc.cluster.local.", "A", NOERROR, []),
    ("cluster.local.", "A", NOERROR, []),
    ("pod.cluster.local.", "A", NOERROR, []),
    ("default.pod.cluster.local.", "A", NOERROR, []),
    ("nope.svc.cluster.local.", "A", NX, []),
    # endpoint names: for every Service with endpoints, headless or not ("if svc.Headless() || r.endpoint != ''")
    ("10-244-1-5.web.default.svc.cluster.local.", "A", NOERROR, [("A", "10.244.1.5")]),
    ("10-244-1-7.web.default.svc.cluster.local.", "A", NX, []),  # not ready: not in the index
    ("db-0.db.default.svc.cluster.local.", "A", NOERROR, [("A", "10.244.1.9")]),
    ("10-244-1-9.db.default.svc.cluster.local.", "A", NX, []),  # it has a hostname: that is its name
    ("10-244-2-3.db.default.svc.cluster.local.", "A", NOERROR, [("A", "10.244.2.3")]),
    # a headless Service answers its ready endpoints, in slice order; none ready: NXDOMAIN
    ("db.default.svc.cluster.local.", "A", NOERROR, [("A", "10.244.2.3"), ("A", "10.244.1.9")]),
    ("empty.default.svc.cluster.local.", "A", NX, []),
    # SRV on the bare name answers every port, named or not; weight floor(100/N)
    ("web.default.svc.cluster.local.", "SRV", NOERROR,
     [("SRV", "0 50 80 web.default.svc.cluster.local."), ("SRV", "0 50 443 web.default.svc.cluster.local.")]),
    ("_http._tcp.web.default.svc.cluster.local.", "SRV", NOERROR, [("SRV", "0 100 80 web.default.svc.cluster.local.")]),
    ("_https._tcp.web.default.svc.cluster.local.", "SRV", NX, []),
    ("_http._udp.web.default.svc.cluster.local.", "SRV", NX, []),
    # an A query for a port name answers the ClusterIP (the ClusterIP branch matches the port)
    ("_http._tcp.web.default.svc.cluster.local.", "A", NOERROR, [("A", "10.96.0.50")]),
    # kube-dns: 53/UDP and 53/TCP make one SRV (same target and port: isDuplicate), weight over all 3
    ("kube-dns.kube-system.svc.cluster.local.", "SRV", NOERROR,
     [("SRV", "0 33 53 kube-dns.kube-system.svc.cluster.local."),
      ("SRV", "0 33 9153 kube-dns.kube-system.svc.cluster.local.")]),
    ("_dns._udp.kube-dns.kube-system.svc.cluster.local.", "SRV", NOERROR,
     [("SRV", "0 100 53 kube-dns.kube-system.svc.cluster.local.")]),
    # headless SRV: one per ready endpoint and port, target the endpoint's name
    ("db.default.svc.cluster.local.", "SRV", NOERROR,
     [("SRV", "0 50 5432 10-244-2-3.db.default.svc.cluster.local."),
      ("SRV", "0 50 5432 db-0.db.default.svc.cluster.local.")]),
    ("10-244-1-5.web.default.svc.cluster.local.", "SRV", NOERROR,
     [("SRV", "0 50 80 10-244-1-5.web.default.svc.cluster.local."),
      ("SRV", "0 50 443 10-244-1-5.web.default.svc.cluster.local.")]),
    # ExternalName: a CNAME, then the target's address through the server (upstream here)
    ("ext.default.svc.cluster.local.", "A", NOERROR, [("CNAME", "example.com."), ("A", "93.184.215.14")]),
    ("alias.default.svc.cluster.local.", "A", NOERROR,
     [("CNAME", "web.default.svc.cluster.local."), ("A", "10.96.0.50")]),
    ("ext.default.svc.cluster.local.", "SRV", NOERROR, []),  # "SRV for external services is not yet implemented"
    ("_http._tcp.ext.default.svc.cluster.local.", "A", NX, []),
    # pods insecure: any dashed IP in an existing namespace
    ("10-244-1-7.default.pod.cluster.local.", "A", NOERROR, [("A", "10.244.1.7")]),
    ("not-an-ip.default.pod.cluster.local.", "A", NX, []),
    ("10-244-1-7.nope.pod.cluster.local.", "A", NX, []),
    # TXT: the schema version (spec 1.1.0); another existing service: NODATA; a namespace: NXDOMAIN
    ("dns-version.cluster.local.", "TXT", NOERROR, [("TXT", '"1.1.0"')]),
    ("web.default.svc.cluster.local.", "TXT", NOERROR, []),
    ("default.svc.cluster.local.", "TXT", NX, []),
    # PTR of a forward name: NODATA when it exists
    ("web.default.svc.cluster.local.", "PTR", NOERROR, []),
    # ns.dns.<zone> (isDefaultNS): the Service in front of CoreDNS
    ("ns.dns.cluster.local.", "A", NOERROR, [("A", "10.96.0.10")]),
    # outside the zone: forward to upstream
    ("example.com.", "A", NOERROR, [("A", "93.184.215.14")]),
    ("nope.invalid.", "A", NX, []),
])
def test_the_kubernetes_plugin_answers(cluster_store, qname, qtype, rcode, records):
    """kubernetes.go Records/findServices/findPods, handler.go ServeDNS, backend_lookup.go A/SRV/TXT (v1.11.3)."""
    assert answer(cluster_store, qname, qtype) == (rcode, records)


@pytest.mark.parametrize("ip, rcode, targets", [
    # a ClusterIP: the Service's name
    ("10.96.0.10", NOERROR, ["kube-dns.kube-system.svc.cluster.local."]),
    ("10.96.0.50", NOERROR, ["web.default.svc.cluster.local."]),
    # a pod IP: one PTR per Service whose ready endpoints include it, hostname or dashed IP
    ("10.244.1.5", NOERROR,
     ["10-244-1-5.web.default.svc.cluster.local.", "10-244-1-5.web2.default.svc.cluster.local."]),
    ("10.244.1.9", NOERROR, ["db-0.db.default.svc.cluster.local."]),
    # not ready, or backing no Service: the plugin has nothing, falls through, upstream says NXDOMAIN
    ("10.244.1.7", NX, []),
    ("10.244.3.3", NX, []),
])
def test_reverse_lookups_as_1_11_3_answers_them(cluster_store, ip, rcode, targets):
    """reverse.go serviceRecordForIP (v1.11.3); kind's Corefile: fallthrough in-addr.arpa ip6.arpa."""
    response = resolve(coredns.reverse_name(ip), cluster_store, qtype="PTR")
    assert (response.rcode, [r.data for r in response.answers]) == (rcode, targets)
    assert all(r.type == "PTR" and r.name == coredns.reverse_name(ip) for r in response.answers)


@pytest.mark.parametrize("qname, qtype", [
    ("96.10.in-addr.arpa.", "PTR"),            # not a full address: Records -> errInvalidRequest -> fallthrough
    ("50.0.96.10.in-addr.arpa.", "A"),          # not PTR: the plugin cannot answer it
])
def test_other_reverse_names_fall_through_to_upstream(cluster_store, qname, qtype):
    """handler.go: IsNameError and k.Fall.Through(in-addr.arpa) -> the next plugin (forward)."""
    response = resolve(qname, cluster_store, qtype=qtype)
    assert (response.rcode, response.authoritative) == ("NXDOMAIN", False)


@pytest.mark.parametrize("name, expected", [
    ("10.96.0.10", "10.0.96.10.in-addr.arpa."),
    ("fd00::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa."),
])
def test_reverse_names_round_trip(name, expected):
    """dnsutil.ExtractAddressFromReverse is the inverse of the reverse name (RFC 1035 3.5, RFC 3596 2.5)."""
    assert coredns.reverse_name(name) == expected
    assert coredns.address_from_reverse(expected) == name


def test_answers_from_upstream_are_not_authoritative_and_the_plugin_s_are(cluster_store):
    """handler.go sets m.Authoritative for the plugin's answers; forward passes the upstream's clear AA bit on."""
    assert resolve("web.default.svc.cluster.local.", cluster_store).authoritative
    assert not resolve("example.com.", cluster_store).authoritative


# ---------------------------------------------------------------- cache 30 { disable success/denial cluster.local }

def test_cluster_zone_answers_are_never_cached(cluster_store):
    """kubeadm 1.32's Corefile: cache 30 { disable success cluster.local; disable denial cluster.local }
    (CHANGELOG-1.32 v1.32.0-beta.0, PR #128359): a deleted Service is gone at once, a new one there at once."""
    caches = Caches()
    ask = lambda name, now: query(cluster_store, name, server="coredns-a", now=now, caches=caches).rcode  # noqa: E731
    assert ask("web.default.svc.cluster.local.", 0) == "NOERROR"
    assert ask("new.default.svc.cluster.local.", 0) == "NXDOMAIN"
    cluster_store.delete("Service", "default", "web")
    cluster_store.create(service("new", cluster_ip="10.96.0.77", ports=(ServicePort(80),)))
    assert ask("web.default.svc.cluster.local.", 1) == "NXDOMAIN"
    assert ask("new.default.svc.cluster.local.", 1) == "NOERROR"


def test_a_ptr_answer_stays_30_seconds_in_the_pod_that_cached_it(cluster_store):
    """plugin/cache: in-addr.arpa is not disabled; success kept min(TTL 30, cache 30) s, per CoreDNS pod;
    item.ttl counts down; toMsg sets AA."""
    caches = Caches()
    ptr = coredns.reverse_name("10.96.0.50")

    def ask(server, now):
        response = query(cluster_store, ptr, "PTR", server=server, now=now, caches=caches)
        return response.rcode, [(r.data, r.ttl) for r in response.answers]

    assert ask("coredns-a", 100) == ("NOERROR", [("web.default.svc.cluster.local.", 30)])
    cluster_store.delete("Service", "default", "web")
    assert ask("coredns-a", 110) == ("NOERROR", [("web.default.svc.cluster.local.", 20)])
    assert ask("coredns-a", 129) == ("NOERROR", [("web.default.svc.cluster.local.", 1)])
    assert ask("coredns-b", 110) == ("NXDOMAIN", [])  # the other CoreDNS pod never saw it
    assert ask("coredns-a", 130) == ("NXDOMAIN", [])  # expired: asked again


def test_a_negative_answer_is_cached_too(cluster_store):
    """plugin/cache: NXDOMAIN goes to the denial cache for min(SOA minimum, 30) s."""
    caches = Caches()
    ptr = coredns.reverse_name("10.96.0.99")
    assert query(cluster_store, ptr, "PTR", server="a", now=0, caches=caches).rcode == "NXDOMAIN"
    cluster_store.create(service("late", cluster_ip="10.96.0.99", ports=(ServicePort(80),)))
    assert query(cluster_store, ptr, "PTR", server="a", now=29, caches=caches).rcode == "NXDOMAIN"
    assert query(cluster_store, ptr, "PTR", server="a", now=30, caches=caches).answers[0].data == \
        "late.default.svc.cluster.local."


def test_an_upstream_answer_is_capped_to_30_seconds_and_authoritative_when_cached(cluster_store):
    """plugin/cache WriteMsg ("Apply capped TTL to this reply") and item.toMsg (m1.Authoritative = true)."""
    caches = Caches()
    first = query(cluster_store, "example.com.", server="a", now=0, caches=caches)
    again = query(cluster_store, "example.com.", server="a", now=12, caches=caches)
    assert (first.authoritative, first.answers[0].ttl) == (False, 30)
    assert (again.authoritative, again.answers[0].ttl) == (True, 18)


# ---------------------------------------------------------------- loadbalance

@pytest.mark.parametrize("count, draws, expected", [
    (1, [], [0]),
    (2, [4], [1, 0]),          # dns.Id() % 2 == 0: swap
    (2, [7], [0, 1]),
    (3, [1, 1, 0], [1, 2, 0]),  # j=0: p = 0 + 1 % 3 = 1; j=1: p = 1 + 1 % 2 = 2; j=2: p = 2
])
def test_round_robin_shuffle_is_coredns_s(count, draws, expected):
    """plugin/loadbalance/loadbalance.go roundRobinShuffle, with dns.Id() replaced by the draws given."""

    class Draws(random.Random):
        def getrandbits(self, k):
            return draws.pop(0)

    assert round_robin_shuffle(list(range(count)), Draws()) == expected


def test_loadbalance_puts_cnames_first_and_shuffles_the_addresses_from_the_seed(cluster_store):
    """plugin/loadbalance roundRobin: CNAMEs, then the rest, then the shuffled A/AAAA records."""
    db = "db.default.svc.cluster.local."
    orders = {tuple(r.data for r in query(cluster_store, db, rng=random.Random(seed)).answers) for seed in range(20)}
    assert orders == {("10.244.2.3", "10.244.1.9"), ("10.244.1.9", "10.244.2.3")}
    first = query(cluster_store, "db.default.svc.cluster.local.", rng=random.Random(3)).answers
    assert first == query(cluster_store, "db.default.svc.cluster.local.", rng=random.Random(3)).answers
    ext = query(cluster_store, "ext.default.svc.cluster.local.", rng=random.Random(0)).answers
    assert [r.type for r in ext] == ["CNAME", "A"]


# ---------------------------------------------------------------- the pod's resolver (glibc)

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
def test_the_resolver_walks_the_search_list_until_an_answer(cluster_store, name, resolv, expected):
    """resolv.conf(5) ndots; kubernetes.io DNS for Services and Pods, "Namespaces of Services"."""
    cluster_store.create(service("currency-exchange", cluster_ip="10.96.12.34", ports=(ServicePort(8000),)))
    found = lookup(name, resolv, cluster_store)
    assert [q for q, _ in found.queries] == expected
    if resolv is DEFAULT:
        assert found.rcode == "NOERROR" and found.addresses == ("10.96.12.34",)
        assert [rcode for _, rcode in found.queries] == ["NXDOMAIN"] * (len(expected) - 1) + ["NOERROR"]
    else:  # namespace "test" does not exist: the first step is NXDOMAIN too
        assert found.rcode == "NXDOMAIN" and found.addresses == ()


def test_glibc_walks_on_past_an_empty_answer():
    """glibc resolv/res_query.c __res_context_search: "case NO_DATA: got_nodata++; /* FALLTHROUGH */ case
    HOST_NOT_FOUND: /* keep trying */", and h_errno NO_DATA at the end."""
    from k8sedu.apiserver.store import Store
    store = Store(now=lambda: 0.0, new_uid=lambda: "u")
    for ns in ("default", "kube-system"):
        store.create(Namespace(ObjectMeta(name=ns)))
    found = lookup("kube-system", DEFAULT, store)
    assert found.queries == (("kube-system.default.svc.cluster.local.", "NXDOMAIN"),
                             ("kube-system.svc.cluster.local.", "NODATA"),
                             ("kube-system.cluster.local.", "NXDOMAIN"),
                             ("kube-system.", "NXDOMAIN"))
    assert (found.rcode, found.fqdn) == ("NODATA", None)


def test_a_dotted_name_with_enough_dots_is_tried_as_is_first():
    """resolv.conf(5): with at least ndots dots, "an initial absolute query will be made"."""
    rc = ResolvConf(("10.96.0.10",), ("default.svc.cluster.local",), ndots=2)
    assert search_candidates("a.b.c", rc) == ["a.b.c.", "a.b.c.default.svc.cluster.local."]


def test_externalname_lookup_has_the_cname_and_the_target_s_address(cluster_store):
    """backend_lookup.go A: the CNAME record, then the target's records from Upstream.Lookup."""
    found = lookup("ext", DEFAULT, cluster_store)
    assert found.cname == "example.com." and found.addresses == (coredns.UPSTREAM["example.com."],)


def test_resolv_conf_matches_what_the_kubelet_writes():
    """k/k pkg/kubelet/network/dns/dns.go: search <ns>.svc.<domain> svc.<domain> <domain>, options ndots:5."""
    text = str(coredns.resolv_conf_for(Pod(ObjectMeta(name="p", namespace="test")), "10.96.0.10"))
    assert text == ("search test.svc.cluster.local svc.cluster.local cluster.local\n"
                    "nameserver 10.96.0.10\noptions ndots:5\n")


# ---------------------------------------------------------------- the Corefile

def test_the_corefile_is_kubeadm_1_32_s():
    """k/k cmd/kubeadm/app/phases/addons/dns/manifests.go CoreDNSConfigMap, rendered with DNSDomain=cluster.local
    (the template's "cache 30" then "{{- if .DNSDomain }} {" trims into "cache 30 {")."""
    assert coredns.corefile() == (
        ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
        "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n"
        "       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n"
        "    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n"
        "    cache 30 {\n       disable success cluster.local\n       disable denial cluster.local\n    }\n"
        "    loop\n    reload\n    loadbalance\n}\n")


def test_plugin_notes_name_every_plugin_of_the_corefile_once():
    """Every plugin line of the Corefile has one row saying whether the model follows it or only shows it."""
    in_corefile = [line.split()[0] for line in coredns.corefile().splitlines()
                   if line.startswith("    ") and not line.startswith("     ") and line.strip() != "}"]
    assert [name for name, _, _ in coredns.PLUGINS] == in_corefile
    assert {how for _, how, _ in coredns.PLUGINS} == {"followed", "shown"}
    assert len(coredns.plugin_notes().splitlines()) == len(in_corefile) + 1
