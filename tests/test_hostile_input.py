"""Hostile input on a shared machine: nothing hangs, nothing eats memory, refusals in Kubernetes' words.

Every case issue 10 observed (a hang, a memory blow-up, a Python exception
escaping) is a row here. Cases that could hang or eat memory run in a forked
child under ``tests/hostile.py``'s limits (RLIMIT_AS and an alarm), so a
regression fails instead of taking the machine down. No timed assertions.
"""

from __future__ import annotations

import math

import pytest

from hostile import run_limited
from k8sedu import Cluster, KubectlError
from k8sedu.kubectl import run

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: q}\n"
# "billion laughs", 415 bytes: 9 levels of 9 aliases, 9**10 strings once expanded
BOMB = CM + "x:\n  a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9))
PARSE = "error: error parsing STDIN: error converting YAML to JSON: "


@pytest.fixture(scope="module")
def web():
    cluster = Cluster()
    cluster.kubectl("create deployment web --image=nginx")
    cluster.advance(10)
    return cluster


def _apply(cluster, text):
    result = run(cluster.core, "apply -f -", stdin=text)
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- YAML and input size

YAML_REFUSED = [
    # (case, manifest, kubectl's stderr) -- checked against kubectl v1.32.4 (`kubectl apply --dry-run=client -f -`)
    ("alias bomb", BOMB, PARSE + "yaml: document contains excessive aliasing"),
    ("recursive alias", CM + "data: &a {k: *a}\n", PARSE + "yaml: anchor 'a' value contains itself"),
    ("10001-deep nesting", CM + "x: " + "[" * 10001 + "]" * 10001 + "\n",
     PARSE + "yaml: line 4: exceeded max depth of 10000"),
    ("1000-deep nesting reaches the server", CM + "x: " + "[" * 1000 + "]" * 1000 + "\n",
     'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as '
     'a ConfigMap: strict decoding error: unknown field "x"'),
    ("input over 3 MiB", CM + "data: {k: " + "a" * (3 * 1024 * 1024) + "}\n",
     'Error from server (RequestEntityTooLarge): error when creating "STDIN": Request entity too large: '
     "limit is 3145728"),
]


@pytest.mark.parametrize("case,text,expected", YAML_REFUSED, ids=[c[0] for c in YAML_REFUSED])
def test_hostile_yaml_gets_kubectls_error_and_changes_nothing(web, case, text, expected):
    """Sources: go-yaml v2 decode.go (``allowedAliasRatio``, "anchor '%s' value contains itself"), parserc.go
    (max depth 10000), kube-apiserver ``MaxRequestBodyBytes`` (3 MiB, ``limitedReadBody``); texts from kubectl
    v1.32.4. The bomb must be refused before it is expanded (it used to take 213 s and 5.8 GB)."""
    version, random_state = web.api.store.resource_version, web.core.random.getstate()
    assert run_limited(_apply, web, text, seconds=20, memory_mb=1500) == (1, "", expected)
    assert (web.api.store.resource_version, web.core.random.getstate()) == (version, random_state)


TAGS = [
    # sigs.k8s.io/yaml decodes explicit tags, then writes JSON: kubectl v1.32.4 accepts all three
    ("!!binary", "data: {k: !!binary aGVsbG8=}\n", {"k": "hello"}),
    ("!!set", "data: !!set {a, b}\n", {"a": None, "b": None}),
    ("!!timestamp", "data: {k: !!timestamp 2001-12-14}\n", {"k": "2001-12-14T00:00:00Z"}),
]


@pytest.mark.parametrize("tag,body,data", TAGS, ids=[t[0] for t in TAGS])
def test_yaml_tags_are_read_as_go_yaml_reads_them(tag, body, data):
    """Derived from code: sigs.k8s.io/yaml ``YAMLToJSON`` (go-yaml v2 resolves the tag, Go's JSON writes it)."""
    from k8sedu.manifests import load_documents
    assert load_documents(CM + body, "STDIN")[0]["data"] == data


def test_apply_dev_zero_reads_no_more_than_the_limit(web):
    """kube-apiserver ``MaxRequestBodyBytes``: an endless file is refused after 3 MiB, not read until memory runs out."""
    result = run_limited(lambda: run(web.core, "apply -f /dev/zero"), seconds=20, memory_mb=1000)
    assert (result.exit_code, result.stderr) == (1, 'Error from server (RequestEntityTooLarge): error when creating '
                                                    '"/dev/zero": Request entity too large: limit is 3145728')


def test_a_tuple_in_a_python_manifest_is_refused_by_name(web):
    """Derived from code: ``decode.check_json_data`` (a Python manifest must hold JSON values)."""
    version = web.api.store.resource_version
    with pytest.raises(KubectlError, match=r"data is a tuple, not a JSON value"):
        web.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t"}, "data": ("a",)})
    assert web.api.store.resource_version == version


# ---------------------------------------------------------------- scale: maxPods, burstReplicas

def _scale(replicas, seconds):
    cluster = Cluster()
    cluster.kubectl("create deployment web --image=nginx")
    cluster.advance(10)
    scaled = cluster.kubectl(f"scale deployment web --replicas={replicas}")
    cluster.advance(seconds)
    pods = cluster.api.list("Pod", "default")
    pending = [p for p in pods if not p.spec.node_name]
    messages = {e.message for e in cluster.events if e.reason == "FailedScheduling"}
    return scaled, len(pods), max(cluster.api.store.index_count("Pod", "node", n) for n in ("kind-worker", "kind-worker2")), \
        pending[0].status.phase if pending else "", messages


SCHEDULING_FULL = ("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
                   "2 Too many pods. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
                   "2 No preemption victims found for incoming pod.")


def test_600_replicas_fill_two_workers_at_110_pods_and_the_rest_stay_pending():
    """kubelet ``maxPods`` default 110 (kube-proxy and kindnet count too); noderesources/fit.go "Too many pods"; ``FitError.Error()`` and the preemption
    plugin's "No preemption victims found for incoming pod" (seen in real events: hwameistor/hwameistor#1227).
    Used to raise ``RangeExhausted`` from ~510 replicas."""
    scaled, pods, most, phase, messages = run_limited(_scale, 600, 30, seconds=60)
    assert (scaled, pods, most, phase) == ("deployment.apps/web scaled", 600, 110, "Pending")
    assert SCHEDULING_FULL in messages


def test_scale_to_int32_max_is_bounded_per_sync():
    """replicaset_controller.go ``BurstReplicas`` (500): a sync creates at most 500 pods and comes back for the rest,
    so ``scale --replicas=2147483647`` returns and the next second adds a bounded batch (it used to never return)."""
    scaled, pods, most, phase, _ = run_limited(_scale, 2147483647, 1, seconds=60, memory_mb=2000)
    assert scaled == "deployment.apps/web scaled"
    assert 500 <= pods <= 1500 and most == 110 and phase == "Pending"


# ---------------------------------------------------------------- advance

ADVANCE_REFUSED = [
    (math.nan, ValueError, "finite"),
    (math.inf, ValueError, "finite"),
    (1e12, ValueError, "at most 86400 simulated seconds"),
    (-5, ValueError, "time only moves forward"),
    ("10", TypeError, "number of seconds"),
    (True, TypeError, "number of seconds"),
]


@pytest.mark.parametrize("seconds,error,words", ADVANCE_REFUSED, ids=[repr(a[0]) for a in ADVANCE_REFUSED])
def test_advance_refuses_absurd_times_before_anything_moves(web, seconds, error, words):
    """Derived from code: ``core.check_advance`` (k8sedu's own bounds: one day per call, 100 years in all)."""
    version, now = web.api.store.resource_version, web.now
    with pytest.raises(error, match=words):
        run_limited(web.advance, seconds, seconds=10)
    with pytest.raises(error, match=words):
        web.advance(seconds)
    assert (web.api.store.resource_version, web.now) == (version, now)
    assert "web" in web.kubectl("get deploy")


def test_host_local_ipam_exhaustion_is_a_pod_event_not_an_exception():
    """containernetworking/plugins host-local ``allocator.go`` ("no IP addresses available in range set") as the
    kubelet records a failed sandbox (``FailedCreatePodSandBox``); the pod stays Pending and is retried."""
    from k8sedu.cni import HostLocalIPAM
    cluster = Cluster()
    kubelet = cluster.core._kubelets["kind-worker"]
    kubelet.ipam = HostLocalIPAM("10.244.1.0/30")  # one address (.2) left: the second pod finds none
    for name in ("a", "b"):
        cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"nodeName": "kind-worker", "containers": [{"name": "c", "image": "nginx"}]}})
    cluster.advance(30)
    phases = sorted(cluster.get("Pod", n).status.phase for n in ("a", "b"))
    failed = [e.message for e in cluster.events if e.reason == "FailedCreatePodSandBox"]
    assert phases == ["Pending", "Running"]
    assert failed and failed[0].endswith('plugin type="ptp" failed (add): failed to allocate for range 0: '
                                         "no IP addresses available in range set: 10.244.1.1-10.244.1.254")


# ---------------------------------------------------------------- traffic, kubectl lines, export, MetalLB

BAD_PORT = "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535"


@pytest.mark.parametrize("url", ["http://web:99999/", "http://web:abc/", "http://web:-1/", "http://web:80:80/"])
def test_curl_refuses_a_bad_port_as_curl_does(web, url):
    """curl ``lib/urlapi.c`` (``CURLUE_BAD_PORT_NUMBER``, exit code 3); used to raise ``ValueError``."""
    pod = web.api.list("Pod", "default")[0].metadata.name
    with pytest.raises(KubectlError) as caught:
        web.request(url, from_pod=pod)
    assert str(caught.value) == BAD_PORT
    result = run(web.core, f"exec {pod} -- curl {url}")
    assert (result.exit_code, result.stdout) == (3, "") and BAD_PORT in result.stderr


SEND_REFUSED = [(10 ** 8, ValueError, "at most 100000 requests"), (-5, ValueError, "at least one"),
                (0, ValueError, "at least one"), (2.5, TypeError, "whole number"), ("3", TypeError, "whole number")]


@pytest.mark.parametrize("n,error,words", SEND_REFUSED, ids=[repr(s[0]) for s in SEND_REFUSED])
def test_send_refuses_counts_it_cannot_take(web, n, error, words):
    """Derived from code: ``network.check_count`` (k8sedu's own bound, 100000 per call); ``send(n=10**8)`` used to
    run for hours and ``send(n=-5)`` to return nothing silently."""
    pod = web.api.list("Pod", "default")[0].metadata.name
    state = web.api.store.resource_version, web.now, web.core.random.getstate()
    with pytest.raises(error, match=words):
        run_limited(web.send, "http://web/", n, from_pod=pod, seconds=10)
    assert (web.api.store.resource_version, web.now, web.core.random.getstate()) == state


def test_get_with_an_empty_resource_type_is_kubectls_error(web):
    """cli-runtime's REST mapper finds no resource "" (``get '' web`` used to raise ``IndexError``)."""
    result = run(web.core, "get '' web")
    assert (result.exit_code, result.stderr) == (1, 'error: the server doesn\'t have a resource type ""')


def test_a_megabyte_command_line_is_answered_without_splitting_it(web):
    """Linux ``MAX_ARG_STRLEN`` (131072): the shell cannot pass a longer argument (it used to take 30 s in shlex and
    "Did you mean" distances)."""
    result = run_limited(lambda: run(web.core, "get " + "x" * 1_000_000), seconds=10)
    assert result.exit_code == 1 and result.stderr.startswith("error: k8sedu takes command lines up to 131072")
    long_word = run_limited(lambda: run(web.core, "gett" + "x" * 100_000), seconds=10)
    assert long_word.stderr == f'error: unknown command "gett{"x" * 100_000}" for "kubectl"'


def test_export_to_an_unwritable_path_is_a_clear_error(web):
    """Go's ``os.PathError`` wording ("open <path>: <reason>"); used to raise a raw ``OSError``."""
    with pytest.raises(KubectlError, match=r"^error: open /proc/nope/x.yaml: no such file or directory$"):
        web.export("/proc/nope/x.yaml")


def _metallb(addresses, services):
    cluster = Cluster()
    cluster.install("metallb", addresses=addresses)
    for i in range(services):
        cluster.kubectl(f"create service loadbalancer lb{i} --tcp=80:80")
    return [cluster.get("Service", f"lb{i}").status.load_balancer.ingress for i in range(services)]


POOLS = [
    # MetalLB IPAddressPool ``addresses``: CIDRs and ranges, several, of both families (avoidBuggyIPs false)
    ("10.0.0.0/8", 2, [("10.0.0.0",), ("10.0.0.1",)]),
    ("fc00::/64, 172.18.255.200-172.18.255.201", 3, [("172.18.255.200",), ("172.18.255.201",), ()]),
]


@pytest.mark.parametrize("addresses,services,expected", POOLS, ids=[p[0] for p in POOLS])
def test_metallb_pools_are_allocated_lazily(addresses, services, expected):
    """MetalLB v0.14 IPAddressPool (docs: "Defining the IPs to assign to the Load Balancer services"); the pools
    used to be enumerated up front (58 s and 1.3 GB for a /8, ``fc00::/64`` never finished, IPv4+IPv6 a
    ``TypeError``). The model's Services are IPv4 single-stack, so the IPv6 range is accepted and unused."""
    ingress = run_limited(_metallb, addresses, services, seconds=30, memory_mb=1000)
    assert [tuple(i.ip for i in found) for found in ingress] == expected


def test_a_range_mixing_families_is_refused_clearly():
    """Derived from code: ``metallb.parse_pool``."""
    with pytest.raises(KubectlError, match="different IP families"):
        Cluster().install("metallb", addresses="10.0.0.1-fc00::1")


def test_the_system_namespaces_have_their_own_bound_so_no_namespace_escapes_one(monkeypatch):
    """kube-system's Deployments (CoreDNS's 2 pods, local-path-provisioner's 1) are bounded apart, at 1,000."""
    from k8sedu.controllers import replicaset

    monkeypatch.setattr(replicaset, "MAX_SYSTEM_PODS", 5)
    cluster = Cluster(seed=1)
    cluster.kubectl("create deployment big --image=nginx --replicas=10 -n kube-system")
    cluster.advance(5)
    assert len(cluster.pod_names({"app": "big"}, namespace="kube-system")) == 2
    failed = [e for e in cluster.events if e.reason == "FailedCreate"]
    assert failed and failed[0].message.endswith("k8sedu models up to 5 pods in kube-system, local-path-storage")


def test_past_the_cluster_pod_limit_a_replicaset_records_failed_create_and_the_cluster_keeps_working(monkeypatch):
    """The model's bound on the learners' ReplicaSet pods (150,000, Kubernetes' published limit; the cluster's own
    pods come on top) is the API server refusing the create, as a quota would (``Error creating: pods "<rs>-" is
    forbidden: ...``); shown here with the bound lowered to 300, so the path runs in a second instead of building
    150,000 pods."""
    from k8sedu.controllers import replicaset

    monkeypatch.setattr(replicaset, "MAX_CLUSTER_PODS", 300)
    cluster = Cluster(seed=1, nodes=4)
    cluster.kubectl("create deployment web --image=nginx --replicas=400")
    cluster.advance(5)
    assert len(cluster.pod_names({"app": "web"})) == 300  # the cluster's own pods come on top
    assert len(cluster.list("Pod", None)) > 300
    rs = cluster.list("ReplicaSet")[0].metadata.name
    failed = [e for e in cluster.events if e.reason == "FailedCreate"]
    assert failed and failed[0].message == (f'Error creating: pods "{rs}-" is forbidden: '
                                            "k8sedu models up to 300 pods, Kubernetes' published limit")
    assert "FailedCreate" in cluster.kubectl(f"describe rs {rs}")
    cluster.kubectl("scale deployment web --replicas=10")
    cluster.advance(60)
    assert len(cluster.pod_names({"app": "web"})) == 10
