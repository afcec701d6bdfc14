"""Issue 10: what the API server refuses, in its words, and that a refusal changes nothing.

Every refused command below is run on a cluster with a Deployment and a
Service, and the cluster's whole state (``tests/cluster_state.py``: objects,
allocators, the seeded random source, clock, timers, events, queues,
iptables) must be byte for byte what it was. The texts are the API server's
(``pkg/apis/core/validation``, ``pkg/apis/apps/validation``,
``pkg/apis/discovery/validation``, apimachinery ``ValidateLabels``) and
kubectl's own (checked against kubectl v1.32.4 ``--dry-run=client``).
"""

from __future__ import annotations

import random

import pytest

from cluster_state import cluster_state, explain_difference
from hostile import run_limited
from k8sedu.apiserver import APIServer, StatusError
from k8sedu.apiserver.ipallocator import IPAllocator
from k8sedu.apiserver.store import Store
from k8sedu.core import Core
from k8sedu.kubectl import run
from k8sedu.objects import Namespace, ObjectMeta, Service, ServicePort, ServiceSpec

LABEL_KEY_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
                 "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                 "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                   "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def manifest(kind: str, api_version: str, body: str, name: str = "x") -> str:
    return f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\n{body}"


def pod(containers: str) -> str:
    return manifest("Pod", "v1", f"spec:\n  containers:\n{containers}" if containers else "spec: {}\n", name="p")


RS = ("spec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: r}}}}\n  template:\n"
      "    metadata: {{labels: {{app: {label}}}}}\n    spec: {{containers: {containers}}}\n")

# (what, command, stdin, kubectl's text)
REFUSED = [
    ("a Pod without containers", "apply -f -", pod(""),
     'The Pod "p" is invalid: spec.containers: Required value'),
    ("a Pod with an empty container list", "apply -f -", manifest("Pod", "v1", "spec: {containers: []}\n", "p"),
     'The Pod "p" is invalid: spec.containers: Required value'),
    ("a ReplicaSet without containers", "apply -f -",
     manifest("ReplicaSet", "apps/v1", RS.format(replicas=1, label="r", containers="[]"), "r"),
     'The ReplicaSet "r" is invalid: spec.template.spec.containers: Required value'),
    ("a ReplicaSet with negative replicas", "apply -f -",
     manifest("ReplicaSet", "apps/v1", RS.format(replicas=-1, label="r", containers="[{name: c, image: nginx}]"), "r"),
     'The ReplicaSet "r" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'),
    ("a ReplicaSet whose selector misses its template", "apply -f -",
     manifest("ReplicaSet", "apps/v1", RS.format(replicas=1, label="x", containers="[{name: c, image: nginx}]"), "r"),
     'The ReplicaSet "r" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: '
     '`selector` does not match template `labels`'),
    ("a probe with a negative initial delay", "apply -f -",
     pod("  - name: c\n    image: nginx\n    readinessProbe: {httpGet: {port: 80}, initialDelaySeconds: -5}\n"),
     'The Pod "p" is invalid: spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -5: '
     'must be greater than or equal to 0'),
    ("an empty image", "apply -f -", pod("  - {name: c, image: ''}\n"),
     'The Pod "p" is invalid: spec.containers[0].image: Required value'),
    ("a container name that is not a DNS label", "apply -f -", pod("  - {name: Web, image: nginx}\n"),
     'The Pod "p" is invalid: spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must '
     "consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric "
     "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
    ("two containers with one name", "apply -f -", pod("  - {name: c, image: nginx}\n  - {name: c, image: nginx}\n"),
     'The Pod "p" is invalid: spec.containers[1].name: Duplicate value: "c"'),
    ("a container port out of range", "apply -f -", pod("  - {name: c, image: nginx, ports: [{containerPort: 70000}]}\n"),
     'The Pod "p" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: '
     'must be between 1 and 65535, inclusive'),
    ("an Endpoints address that is not an IP", "apply -f -",
     manifest("Endpoints", "v1", "subsets:\n- addresses: [{ip: 999.1.1.1}]\n  ports: [{port: 80}]\n", "e"),
     'The Endpoints "e" is invalid: \n'
     '* subsets[0].addresses[0].ip: Invalid value: "999.1.1.1": must be a valid IP address, '
     '(e.g. 10.9.8.7 or 2001:db8::ffff)\n'
     '* subsets[0].addresses[0].ip: Invalid value: "999.1.1.1": must be a valid IP address'),
    ("an EndpointSlice address that is not an IP", "apply -f -",
     manifest("EndpointSlice", "discovery.k8s.io/v1", "addressType: IPv4\nendpoints:\n- addresses: [nope]\n", "e"),
     'The EndpointSlice "e" is invalid: \n'
     '* endpoints[0].addresses[0]: Invalid value: "nope": must be a valid IPv4 address\n'
     '* endpoints[0].addresses[0]: Invalid value: "nope": must be a valid IP address'),
    ("an EndpointSlice address on loopback", "apply -f -",
     manifest("EndpointSlice", "discovery.k8s.io/v1", "addressType: IPv4\nendpoints:\n- addresses: [127.0.0.1]\n", "e"),
     'The EndpointSlice "e" is invalid: endpoints[0].addresses[0]: Invalid value: "127.0.0.1": '
     'may not be in the loopback range (127.0.0.0/8, ::1/128)'),
    ("a label key with a space", "apply -f -", manifest("ConfigMap", "v1", "  labels: {'a b': ok}\n"),
     f'The ConfigMap "x" is invalid: metadata.labels: Invalid value: "a b": {LABEL_KEY_MSG}'),
    ("a label value of 64 characters", "apply -f -", manifest("ConfigMap", "v1", f"  labels: {{k: {'v' * 64}}}\n"),
     f'The ConfigMap "x" is invalid: metadata.labels: Invalid value: "{"v" * 64}": must be no more than 63 characters'),
    ("a Service selector value that starts with a dash", "apply -f -",
     manifest("Service", "v1", "spec:\n  selector: {app: '-x'}\n  ports: [{port: 80}]\n", "s"),
     f'The Service "s" is invalid: spec.selector: Invalid value: "-x": {LABEL_VALUE_MSG}'),
    ("a named targetPort that is not a port name", "apply -f -",
     manifest("Service", "v1", "spec:\n  ports: [{port: 80, targetPort: http_web}]\n", "s"),
     'The Service "s" is invalid: spec.ports[0].targetPort: Invalid value: "http_web": '
     'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'),
    ("expose again: AlreadyExists", "expose deployment web --port=80", None,
     'Error from server (AlreadyExists): services "web" already exists'),
    ("create the Deployment again", "create deployment web --image=nginx", None,
     'error: failed to create deployment: deployments.apps "web" already exists'),
    ("create the Service again", "create service clusterip web --tcp=80", None,
     'error: failed to create ClusterIP service: services "web" already exists'),
    ("a negative --target-port", "expose deployment web --name=w2 --port=80 --target-port=-1", None,
     'The Service "w2" is invalid: spec.ports[0].targetPort: Invalid value: -1: must be between 1 and 65535, inclusive'),
    ("a negative --node-port (kubectl sends it; the allocator refuses)",
     "create service nodeport w3 --tcp=80:8080 --node-port=-1", None,
     'error: failed to create NodePort service: Service "w3" is invalid: spec.ports[0].nodePort: Invalid value: -1: '
     'provided port is not in the valid range. The range of valid ports is 30000-32767'),
    ("a negative port in --tcp (kubectl's own check)", "create service nodeport w4 --tcp=80:-1", None,
     "error: must be between 1 and 65535, inclusive"),
    ("negative replicas", "create deployment d --image=nginx --replicas=-1", None,
     'error: failed to create deployment: Deployment.apps "d" is invalid: spec.replicas: Invalid value: -1: '
     'must be greater than or equal to 0'),
    ("a container port out of range from create deployment", "create deployment d --image=nginx --port=70000", None,
     'error: failed to create deployment: Deployment.apps "d" is invalid: '
     'spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: '
     'must be between 1 and 65535, inclusive'),
    ("run again: AlreadyExists", "run solo --image=nginx", None,
     'Error from server (AlreadyExists): pods "solo" already exists'),
    ("create the Namespace again", "create namespace team", None, None),
    ("apply a Service whose ClusterIP is taken", "apply -f -",
     manifest("Service", "v1", "spec:\n  clusterIP: 10.96.0.10\n  ports: [{port: 80}]\n", "taken"),
     'The Service "taken" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: '
     'failed to allocate IP 10.96.0.10: provided IP is already allocated'),
    ("a generateName Pod without containers",
     "create -f -", "apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\nspec: {containers: []}\n", None),
]


@pytest.fixture(scope="module")
def web():
    core = Core(nodes=2, rng=random.Random(7))
    for line in ("create deployment web --image=nginx --port=80", "expose deployment web --port=80",
                 "run solo --image=nginx", "create namespace team"):
        assert run(core, line).exit_code == 0
    return core


@pytest.mark.parametrize("what, line, stdin, text", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refusal_is_worded_as_kubernetes_words_it_and_changes_nothing(web, what, line, stdin, text):
    """Sources: validation.go (ValidatePodSpec, validateContainers, validateProbe, validateEndpointAddress,
    ValidateNonSpecialIP, ValidateService), apps/validation ValidateReplicaSetSpec, discovery/validation,
    apimachinery ValidateLabels; kubectl create service/expose as v1.32.4 builds them (--dry-run=client)."""
    before = cluster_state(web)
    result = run(web, line, stdin=stdin)
    after = cluster_state(web)
    assert (result.exit_code, result.stdout) == (1, ""), result
    if text is not None:
        assert result.stderr == text
    assert before == after, explain_difference(before, after)


def test_re_running_a_refused_expose_hands_out_the_same_cluster_ip_and_pod_names_afterwards():
    """Issue 10: a refused command draws nothing from the seed (the real server draws, then gives back)."""
    def course(refusals: int) -> tuple[str, str]:
        core = Core(nodes=2, rng=random.Random(3))
        run(core, "create deployment web --image=nginx --port=80")
        run(core, "expose deployment web --port=80")
        for _ in range(refusals):
            assert run(core, "expose deployment web --port=80").exit_code == 1
        run(core, "create deployment api --image=nginx --port=80")
        run(core, "expose deployment api --port=80")
        return run(core, "get svc api -o jsonpath={.spec.clusterIP}").stdout, run(core, "get pods -o name").stdout
    assert course(0) == course(3)


def test_delete_the_same_service_twice_deletes_once_then_reports_not_found_and_settles(web):
    """kubectl delete's visitor (ContinueOnError): it prints what it deleted, then the NotFound, exit 1."""
    assert run(web, "create service clusterip twice --tcp=80").exit_code == 0
    result = run(web, "delete svc twice twice")
    assert (result.stdout, result.stderr, result.exit_code) == (
        'service "twice" deleted', 'Error from server (NotFound): services "twice" not found', 1)
    before = cluster_state(web)
    assert run(web, "expose deployment web --port=80").exit_code == 1  # the next refusal changes nothing
    assert cluster_state(web) == before


def test_a_null_label_value_is_the_empty_string():
    """encoding/json leaves a string at its zero value for null: ``labels: {a: null}`` stores ``a: ""``."""
    core = Core(nodes=1)
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\n  labels: {a: null}\n"
    assert run(core, "apply -f -", stdin=doc).exit_code == 0
    assert dict(core.api.get("ConfigMap", "default", "n").metadata.labels) == {"a": ""}


def small_range_api(cidr: str) -> APIServer:
    store = Store(now=lambda: 0.0, new_uid=lambda: "")
    api = APIServer(store, random.Random(0), lambda: 0.0, cidr)
    api.create(Namespace(ObjectMeta(name="default")))
    return api


def test_a_slash_28_hands_out_14_addresses_never_its_network_or_broadcast_address():
    """ipallocator NewAllocatorCIDRRange: base+1, max-2 for IPv4; calculateRangeOffset is 0 for 16 addresses."""
    alloc = IPAllocator("10.96.0.0/28", random.Random(0))
    handed = {alloc.allocate_next() for _ in range(14)}
    assert handed == {f"10.96.0.{i}" for i in range(1, 15)}
    for ip in ("10.96.0.0", "10.96.0.15"):
        with pytest.raises(ValueError, match=r"the provided IP \(10\.96\.0\.\d+\) is not in the valid range. "
                                             r"The range of valid IPs is 10\.96\.0\.0/28"):
            IPAllocator("10.96.0.0/28", random.Random(0)).allocate(ip)


def test_a_full_service_range_is_an_internal_error_and_changes_nothing():
    """alloc.go allocClusterIPs: ``errors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %v", err))``."""
    api = small_range_api("10.96.0.0/29")
    for i in range(6):
        api.create(Service(ObjectMeta(name=f"s{i}", namespace="default"), ServiceSpec(ports=(ServicePort(80),))))
    version, state = api.store.resource_version, api._rng.getstate()
    with pytest.raises(StatusError) as err:
        api.create(Service(ObjectMeta(name="s6", namespace="default"), ServiceSpec(ports=(ServicePort(80),))))
    assert (err.value.reason, err.value.message) == (
        "InternalError", "Internal error occurred: failed to allocate a serviceIP: range is full")
    assert (api.store.resource_version, api._rng.getstate()) == (version, state)


def test_a_full_node_port_range_is_an_internal_error_after_2768_ports(api):
    """alloc.go initNodePorts: ``errors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %v", err))``."""
    def nodeport(name):
        return Service(ObjectMeta(name=name, namespace="default"),
                       ServiceSpec(type="NodePort", ports=(ServicePort(80),)))
    for i in range(32767 - 30000 + 1):
        api.create(nodeport(f"s{i}"))
    with pytest.raises(StatusError) as err:
        api.create(nodeport("full"))
    assert err.value.message == "Internal error occurred: failed to allocate a nodePort: range is full"
    assert api.services.ips.used == 2768  # the ClusterIP it drew first was given back


def _zero_period_probe() -> tuple[int, str]:
    core = Core(nodes=1)
    doc = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx\n"
           "    readinessProbe: {httpGet: {port: 80}, periodSeconds: 0, timeoutSeconds: 0}\n")
    assert run(core, "apply -f -", stdin=doc).exit_code == 0
    core.advance(30)
    probe = core.api.get("Pod", "default", "p").spec.containers[0].readiness_probe
    return probe.period_seconds, run(core, "get pod p").stdout.split()[-3]


def test_a_probe_with_zero_period_is_stored_with_the_defaults_and_the_pod_runs():
    """SetDefaults_Probe (pkg/apis/core/v1/defaults.go): periodSeconds 0 -> 10, timeoutSeconds 0 -> 1.
    It used to be stored as 0 and hang the kubelet's probe loop; run in a child with a time limit."""
    assert run_limited(_zero_period_probe, seconds=30) == (10, "Running")
