"""nslookup and dig in pods, as each image's tool prints CoreDNS 1.11.3's answers; and ConfigMaps with kind's Corefile.

Expected outputs are derived from code, named in each docstring: bind9
v9.18.0 / v9.9.5 ``bin/dig/nslookup.c`` (``printmessage``, ``printsection``)
and ``bin/dig/dighost.c`` (``next_origin``, ``setup_lookup``); busybox 1_36_1
and 1_28_4 ``networking/nslookup.c``; coredns v1.11.3 ``plugin/kubernetes``.
"""

import pytest

from k8sedu import Cluster, coredns
from k8sedu.kubectl import programs
from k8sedu.kubectl.streams import Result
from tests.kubectl_results import out, refused

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: tools}
spec:
  containers:
  - {name: tools, image: "registry.k8s.io/e2e-test-images/agnhost:2.53"}
---
apiVersion: v1
kind: Pod
metadata: {name: bb128}
spec:
  containers:
  - {name: bb, image: "busybox:1.28", command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: bb136}
spec:
  containers:
  - {name: bb, image: "busybox:1.36", command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: lonely, labels: {app: lonely}}
spec:
  containers:
  - {name: nginx, image: "nginx:1.27"}
"""
HEADER = "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n"
BUSYBOX_HEADER = "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"


@pytest.fixture(scope="module")
def dns():
    """web (ClusterIP), db (headless, 2 pods), ext (ExternalName), and client pods with each flavour of the tools."""
    cluster = Cluster(seed=3)
    cluster.kubectl("create deployment web --image=nginx:1.27 --replicas=2 --port=80")
    cluster.kubectl("expose deployment web --port=80")
    cluster.kubectl("create deployment db --image=nginx:1.27 --replicas=2 --port=80")
    cluster.kubectl("expose deployment db --cluster-ip=None")
    cluster.kubectl("create service externalname ext --external-name=example.com")
    cluster.apply(PODS)
    cluster.advance(30)
    return cluster


def ip_of(cluster, kind, name):
    obj = cluster.get(kind, name)
    return obj.spec.cluster_ip if kind == "Service" else obj.status.pod_ip


def run_in(cluster, pod, command):
    from k8sedu.kubectl import run
    return run(cluster.core, f"exec {pod} -- {command}")


# ---------------------------------------------------------------- bind9 9.11+ (agnhost's alpine bind-tools)

def test_bind9_finds_a_service_through_the_search_list(dns):
    """nslookup.c printmessage: the header for the A query, then printsection's Name/Address; the AAAA query
    that follows finds nothing and prints nothing (a_noanswer is false)."""
    assert out(dns.core, "exec tools -- nslookup web") == (
        HEADER + f"Name:\tweb.default.svc.cluster.local\nAddress: {ip_of(dns, 'Service', 'web')}")


@pytest.mark.parametrize("name, shown", [
    # the walk stops at the first answer that is not NXDOMAIN (dighost.c: next_origin only for rcode NXDOMAIN),
    # and CoreDNS answers NODATA for an existing namespace and for svc.cluster.local (findServices, parseRequest)
    ("default", "default.svc.cluster.local"),
    ("kube-system", "kube-system.svc.cluster.local"),
    ("svc.cluster.local", "svc.cluster.local"),
    ("cluster.local", "cluster.local"),
])
def test_bind9_says_no_answer_where_coredns_answers_nodata(dns, name, shown):
    """nslookup.c printmessage (9.18): an empty A answer sets a_noanswer; the AAAA query for the same name is
    empty too: "*** Can't find NAME: No answer", exit 0 (print_error is set only for a non-zero rcode)."""
    assert run_in(dns, "tools", f"nslookup {name}") == Result(HEADER + f"*** Can't find {shown}: No answer")


def test_naming_the_pod_s_own_nameserver_changes_nothing(dns):
    """nslookup NAME SERVER (nslookup.c: the server as given is the "Server:" line; kubernetes.io Debugging DNS
    Resolution asks kube-dns's address so); another server is not modelled and is refused."""
    assert out(dns.core, "exec tools -- nslookup web 10.96.0.10") == out(dns.core, "exec tools -- nslookup web")
    assert refused(dns, "exec tools -- nslookup web 8.8.8.8") == (
        "error: k8sedu models nslookup with the pod's own nameserver (10.96.0.10) only, not 8.8.8.8")


def test_bind9_fails_with_nxdomain_after_the_whole_walk(dns):
    """nslookup.c printmessage: "** server can't find <last name asked>: NXDOMAIN", exit 1."""
    assert run_in(dns, "tools", "nslookup nope") == Result(
        HEADER + "** server can't find nope: NXDOMAIN", "command terminated with exit code 1", 1)


@pytest.mark.parametrize("target, expected", [
    ("10.96.0.10", "kube-dns.kube-system.svc.cluster.local."),
    ("web", None),  # the ClusterIP: the Service's name
])
def test_bind9_reverse_lookup_of_a_cluster_ip(dns, target, expected):
    """nslookup.c addlookup (get_reverse -> PTR) and printmessage (9.18: no header for a default non-A lookup);
    coredns reverse.go serviceRecordForIP."""
    ip = target if expected else ip_of(dns, "Service", target)
    expected = expected or f"{target}.default.svc.cluster.local."
    assert out(dns.core, f"exec tools -- nslookup {ip}") == f"{coredns.reverse_name(ip).rstrip('.')}\tname = {expected}"


def test_bind9_reverse_lookup_of_a_pod_ip(dns):
    """coredns v1.11.3 reverse.go: a pod IP answers one PTR per Service whose ready endpoints include it, its
    dashed IP under the Service; a pod backing no Service gets none (fallthrough, upstream NXDOMAIN)."""
    db_ip = dns.list("Pod", selector={"app": "db"})[0].status.pod_ip
    assert out(dns.core, f"exec tools -- nslookup {db_ip}") == (
        f"{coredns.reverse_name(db_ip).rstrip('.')}\tname = {db_ip.replace('.', '-')}.db.default.svc.cluster.local.")
    lonely = ip_of(dns, "Pod", "lonely")
    assert run_in(dns, "tools", f"nslookup {lonely}") == Result(
        f"** server can't find {coredns.reverse_name(lonely).rstrip('.')}: NXDOMAIN",
        "command terminated with exit code 1", 1)


def test_bind9_srv_of_a_headless_service_and_a_name_from_upstream(dns):
    """printsection: "owner<TAB>service = prio weight port target." (non-address records); printmessage prints
    "Non-authoritative answer:" when the AA bit is clear (forwarded upstream answers)."""
    pods = sorted(p.status.pod_ip.replace(".", "-") for p in dns.list("Pod", selector={"app": "db"}))
    srv = out(dns.core, "exec tools -- nslookup -type=SRV db").split("\n")
    assert srv[:3] == ["Server:\t\t10.96.0.10", "Address:\t10.96.0.10#53", ""]
    assert sorted(srv[3:]) == [f"db.default.svc.cluster.local\tservice = 0 50 80 {p}.db.default.svc.cluster.local."
                               for p in pods]
    assert out(dns.core, "exec tools -- nslookup example.com") == (
        HEADER + "Non-authoritative answer:\nName:\texample.com\nAddress: 93.184.215.14")


def test_bind9_externalname_is_a_cname_then_the_target_s_address_and_authoritative(dns):
    """coredns backend_lookup.go A (CNAME, then the target through Upstream.Lookup) and handler.go
    (m.Authoritative = true for the whole answer); nslookup.c printsection ("canonical name = ")."""
    assert out(dns.core, "exec tools -- nslookup ext") == (
        HEADER + "ext.default.svc.cluster.local\tcanonical name = example.com.\n"
        "Name:\texample.com\nAddress: 93.184.215.14")
    assert run_in(dns, "bb136", "nslookup ext").stdout.startswith(
        BUSYBOX_HEADER + "ext.default.svc.cluster.local\tcanonical name = example.com\n"
        "Name:\texample.com\nAddress: 93.184.215.14\n\n")


@pytest.mark.parametrize("command, expected", [
    ("dig +short -x 10.96.0.10", "kube-dns.kube-system.svc.cluster.local."),
    ("dig +short +search default", ""),  # NODATA ends dig's walk as it ends nslookup's
    ("dig +short SRV kube-dns.kube-system.svc.cluster.local",  # 53/UDP and 53/TCP: one record (isDuplicate)
     "0 33 53 kube-dns.kube-system.svc.cluster.local.\n0 33 9153 kube-dns.kube-system.svc.cluster.local."),
    ("dig +short TXT dns-version.cluster.local", '"1.1.0"'),
    ("dig +short 10-244-9-9.default.pod.cluster.local", "10.244.9.9"),  # pods insecure
])
def test_dig_short(dns, command, expected):
    """dig.c +short prints each answer's rdata; coredns kubernetes.go (dns-version, pods insecure), backend_lookup.go
    SRV (weight 100/3 -> 33 over three ports, duplicate target+port dropped)."""
    assert out(dns.core, f"exec tools -- {command}") == expected


def test_dig_x_of_a_pod_that_backs_no_service_prints_nothing(dns):
    """dig +short prints no rdata for NXDOMAIN and exits 0."""
    assert run_in(dns, "tools", f"dig +short -x {ip_of(dns, 'Pod', 'lonely')}") == Result("")


# ---------------------------------------------------------------- bind9 9.9 (Debian jessie, jessie-dnsutils)

@pytest.mark.parametrize("argv, expected", [
    # 9.9.5 printmessage: the header on every answer; "No answer" names the name as typed (lookup->textname)
    (["nslookup", "default"], HEADER + "*** Can't find default: No answer\n\n"),
    (["nslookup", "10.96.0.10"],
     HEADER + "10.0.96.10.in-addr.arpa\tname = kube-dns.kube-system.svc.cluster.local.\n\n"),
])
def test_bind9_9_9_prints_its_header_on_every_answer(dns, argv, expected):
    """bind9 v9.9.5 bin/dig/nslookup.c printmessage: no AAAA lookup, header always, textname in "No answer"."""
    pod = dns.get("Pod", "tools")
    assert programs.nslookup(dns.core, pod, argv, "bind9-9.9") == Result(expected)


# ---------------------------------------------------------------- busybox

def test_busybox_1_36_prints_every_reply_of_its_parallel_queries(dns):
    """busybox 1_36_1 nslookup.c: add_query_with_search (a dotless name with each search domain, A then AAAA,
    never the bare name); every reply printed with a blank line after it; an NXDOMAIN reply sets exit 1; an
    empty reply prints nothing since 1.34 (commit 49fd1d69)."""
    web = ip_of(dns, "Service", "web")
    nx = "** server can't find web.{}: NXDOMAIN\n\n"
    assert run_in(dns, "bb136", "nslookup web") == Result(
        BUSYBOX_HEADER + f"Name:\tweb.default.svc.cluster.local\nAddress: {web}\n\n"
        + nx.format("svc.cluster.local") + nx.format("cluster.local") + "\n"
        + nx.format("svc.cluster.local") + nx.format("cluster.local").rstrip("\n"),
        "command terminated with exit code 1", 1)


def test_busybox_1_36_with_a_dotted_name_and_an_ip(dns):
    """busybox 1_36_1: a name with a dot is asked as it is (A, AAAA); an address is asked as PTR (make_ptr);
    names are printed without their final dot (ns_name_uncompress)."""
    assert out(dns.core, "exec bb136 -- nslookup web.default.svc.cluster.local") == (
        BUSYBOX_HEADER + f"Name:\tweb.default.svc.cluster.local\nAddress: {ip_of(dns, 'Service', 'web')}")
    assert out(dns.core, "exec bb136 -- nslookup 10.96.0.10") == (
        BUSYBOX_HEADER + "10.0.96.10.in-addr.arpa\tname = kube-dns.kube-system.svc.cluster.local")


def test_busybox_1_29_to_1_33_said_no_answer_for_an_empty_reply(dns):
    """busybox 1_33_0 nslookup.c send_queries: "case 0: printf("*** Can't find %s: No answer\\n", ...)"."""
    pod = dns.get("Pod", "bb136")
    result = programs.nslookup(dns.core, pod, ["nslookup", "web.default.svc.cluster.local"], "busybox-1.29")
    assert result.stdout.endswith("\n\n*** Can't find web.default.svc.cluster.local: No answer\n\n")


def test_busybox_1_28_prints_getaddrinfo_and_getnameinfo_results(dns):
    """busybox 1_28_4 nslookup.c print_host ("%-10s %s", "Address %u: %s %s"); the output the Kubernetes page
    "Debugging DNS Resolution" showed for busybox:1.28 (Server / Address 1: 10.0.0.10 kube-dns.kube-system...)."""
    assert out(dns.core, "exec bb128 -- nslookup kubernetes.default") == (
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n"
        "Name:      kubernetes.default\nAddress 1: 10.96.0.1 kubernetes.default.svc.cluster.local")
    assert run_in(dns, "bb128", "nslookup nope") == Result(
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local",
        "nslookup: can't resolve 'nope'\ncommand terminated with exit code 1", 1)


# ---------------------------------------------------------------- the resolver the network uses (Cluster.resolve)

def test_loadbalance_shows_both_orders_of_a_headless_answer_over_repeated_lookups(dns):
    """coredns plugin/loadbalance roundRobinShuffle: each answer's A records in a random order (from the seed)."""
    orders = {dns.resolve("db", from_pod="tools").addresses for _ in range(12)}
    assert len(orders) == 2 and {frozenset(o) for o in orders} == {
        frozenset(p.status.pod_ip for p in dns.list("Pod", selector={"app": "db"}))}


def test_resolve_records_nodata_steps_of_the_glibc_walk(dns):
    """glibc res_query.c __res_context_search: NO_DATA keeps the search going; the answer says which step it was."""
    answer = dns.resolve("kube-system", from_pod="tools")
    assert [rcode for _, rcode in answer.queries] == ["NXDOMAIN", "NODATA", "NXDOMAIN", "NXDOMAIN"]
    assert answer.rcode == "NODATA" and answer.addresses == ()


def test_every_tool_times_out_when_no_coredns_pod_answers():
    """With no CoreDNS endpoint kube-proxy rejects the query: bind9 and busybox 1.36 print ";; connection timed
    out; no servers could be reached" and exit 1; dig exits 9."""
    cluster = Cluster(seed=5)
    cluster.apply(PODS)
    cluster.advance(30)
    cluster.kubectl("-n kube-system scale deployment coredns --replicas=0")
    cluster.advance(60)
    timed_out = ";; connection timed out; no servers could be reached"
    assert run_in(cluster, "tools", "nslookup web") == Result(timed_out, "command terminated with exit code 1", 1)
    assert run_in(cluster, "bb136", "nslookup web") == Result(timed_out, "command terminated with exit code 1", 1)
    assert run_in(cluster, "tools", "dig +short web") == Result(timed_out, "command terminated with exit code 9", 9)


# ---------------------------------------------------------------- ConfigMaps: kube-system/coredns

def test_kind_s_corefile_is_in_kube_system(dns):
    """kubeadm 1.32 manifests.go CoreDNSConfigMap; printConfigMap (DATA = keys of data + binaryData)."""
    listing = out(dns.core, "-n kube-system get cm").splitlines()
    assert listing[0].split() == ["NAME", "DATA", "AGE"] and listing[1].split()[:2] == ["coredns", "1"]
    yaml_text = out(dns.core, "-n kube-system get configmap coredns -o yaml")
    assert yaml_text.startswith("apiVersion: v1\ndata:\n  Corefile: |\n    .:53 {\n        errors\n")
    assert "        cache 30 {\n           disable success cluster.local\n" in yaml_text
    assert "\nkind: ConfigMap\nmetadata:\n" in yaml_text


def test_describe_configmap_is_kubectl_s(dns):
    """kubectl@v0.32.0 pkg/describe/describe.go ConfigMapDescriber: "key:", "----", the value, a blank line."""
    dns.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: game}\ndata: {lives: \"3\"}\n"
              "binaryData: {blob: aGVsbG8=}\n")
    assert out(dns.core, "describe cm game") == (
        "Name:         game\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\n"
        "Data\n====\nlives:\n----\n3\n\n\nBinaryData\n====\nblob: 5 bytes\n\nEvents:  <none>")
    assert out(dns.core, "delete cm game") == 'configmap "game" deleted'


@pytest.mark.parametrize("manifest, message", [
    ("data: {'a b': x}", 'The ConfigMap "bad" is invalid: data[a b]: Invalid value: "a b": a valid config key must '
     "consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
     "used for validation is '[-._a-zA-Z0-9]+')"),
    ("data: {dup: x}\nbinaryData: {dup: aGk=}",
     'The ConfigMap "bad" is invalid: data[dup]: Invalid value: "dup": duplicate of key present in binaryData'),
    ("data: {'..x': y}", 'The ConfigMap "bad" is invalid: data[..x]: Invalid value: "..x": must not start with \'..\''),
    ("binaryData: {k: chenliang}", 'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version '
     '"v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 8'),
])
def test_invalid_configmaps_are_refused_with_the_api_server_s_words(manifest, message):
    """k/k validation.go ValidateConfigMap (IsConfigMapKey, duplicate keys); Go encoding/base64 CorruptInputError,
    as a published session showed ("illegal base64 data at input byte 8" for binaryData "chenliang")."""
    cluster = Cluster(seed=1)
    assert refused(cluster, "apply -f -", stdin=f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: bad}}\n"
                                                f"{manifest}\n") == message


def test_an_immutable_configmap_keeps_its_data():
    """k/k validation.go ValidateConfigMapUpdate: "field is immutable when `immutable` is set" for the flag and
    the data (the order a published session shows: immutable, then data)."""
    cluster = Cluster(seed=1)
    cluster.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen}\nimmutable: true\ndata: {a: '1'}\n")
    assert refused(cluster, "apply -f -", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen}\n"
                                                "data: {a: '2'}\n") == (
        'The ConfigMap "frozen" is invalid: \n* immutable: Forbidden: field is immutable when `immutable` is set\n'
        "* data: Forbidden: field is immutable when `immutable` is set")


def test_hostname_f_reads_the_fqdn_the_kubelet_wrote_into_etc_hosts():
    """A pod with hostname and subdomain (and its headless Service) gets its FQDN in /etc/hosts; ``hostname -f``
    prints it ("DNS for Services and Pods": Pod's hostname and subdomain fields). Without a subdomain it is the
    short name, and ``-d`` is empty."""
    from k8sedu import Cluster

    cluster = Cluster(seed=4)
    cluster.apply("""
apiVersion: v1
kind: Service
metadata: {name: exchange-pods}
spec: {clusterIP: None, selector: {app: ex}, ports: [{port: 8000}]}
---
apiVersion: v1
kind: Pod
metadata: {name: exchange-primary, labels: {app: ex}}
spec:
  hostname: primary
  subdomain: exchange-pods
  containers: [{name: c, image: registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3, command: [sleep, infinity]}]
""")
    cluster.kubectl("run plain --image=registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3 -- sleep infinity")
    cluster.advance(10)
    run = lambda pod, opt: cluster.kubectl(f"exec {pod} -- hostname {opt}")
    assert run("exchange-primary", "-f") == "primary.exchange-pods.default.svc.cluster.local"
    assert run("exchange-primary", "") == run("exchange-primary", "-s") == "primary"
    assert run("exchange-primary", "-d") == "exchange-pods.default.svc.cluster.local"
    assert run("exchange-primary", "-i") == cluster.get("Pod", "exchange-primary").status.pod_ip
    assert (run("plain", "-f"), run("plain", "-d")) == ("plain", "")
