"""Specification of the kubectl commands added on top of get/create/expose/scale/delete/exec.

Each command prints what kubectl 1.32 prints (golden text on a seeded
cluster); each refusal is kubectl's sentence on stderr and changes nothing;
a command that partly succeeds keeps both streams:

1. ``describe`` (reference 4.3 layout: tabwriter blocks, Endpoints from slices, Events);
2. ``get events`` and ``get -o yaml|json``;
3. ``create service`` generators, ``create ... -o yaml``;
4. ``apply -f FILE|DIR|-`` and ``delete -f``;
5. ``label``, ``patch``, ``rollout restart|status``;
6. ``exec`` programs: ``nslookup -type=SRV``, ``dig +short``, ``wget -qO-``;
7. ``explain``, ``version``, ``cluster-info``, ``help``.
"""

from __future__ import annotations

import re

import pytest

from kubectl_results import out, refused

from k8sedu import Cluster, KubectlError
from k8sedu.kubectl import Result, describe, run
from k8sedu.kubectl.explain import wrap
from k8sedu.kubectl.table import tabwrite
from k8sedu.objects import (Endpoint, EndpointConditions, EndpointPort, EndpointSlice, Namespace, ObjectMeta,
                            ObjectReference)


@pytest.fixture
def cluster():
    return Cluster(seed=7)


@pytest.fixture
def web(cluster):
    """Three nginx pods behind a NodePort Service ``web``, ten seconds after they were created."""
    out(cluster.core, "create deployment web --image=nginx:1.27 --replicas=3 --port=80")
    out(cluster.core, "expose deployment web --port=80 --type=NodePort")
    cluster.advance(10)
    return cluster


# ================================================================ 1. describe

def test_tabwriter_aligns_each_block_of_labelled_lines_on_its_own():
    text = "Name:\tweb\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/web\nEvents:\t<none>\n"
    assert tabwrite(text).splitlines() == [
        "Name:  web", "IPs:", "  IP:           10.0.0.1", "Controlled By:  ReplicaSet/web", "Events:         <none>"]


def test_describe_service_follows_the_reference_layout(web):
    assert out(web.core, "describe svc web") == (
        "Name:                     web\n"
        "Namespace:                default\n"
        "Labels:                   app=web\n"
        "Annotations:              <none>\n"
        "Selector:                 app=web\n"
        "Type:                     NodePort\n"
        "IP Family Policy:         SingleStack\n"
        "IP Families:              IPv4\n"
        "IP:                       10.96.88.14\n"
        "IPs:                      10.96.88.14\n"
        "Port:                     <unset>  80/TCP\n"
        "TargetPort:               80/TCP\n"
        "NodePort:                 <unset>  32546/TCP\n"
        "Endpoints:                10.244.1.2:80,10.244.1.3:80,10.244.2.2:80\n"
        "Session Affinity:         None\n"
        "External Traffic Policy:  Cluster\n"
        "Internal Traffic Policy:  Cluster\n"
        "Events:                   <none>")


def test_describe_service_lists_named_ports_and_only_ready_endpoints(cluster):
    text = out(cluster.core, "describe service kube-dns -n kube-system")
    assert "Port:                     dns  53/UDP\nTargetPort:               53/UDP\n" \
           "Endpoints:                10.244.0.2:53,10.244.0.3:53\n" in text
    out(cluster.core, "create deployment web --image=nginx --replicas=4 --port=80")
    out(cluster.core, "expose deploy web --port=80")
    assert "Endpoints:                \n" in out(cluster.core, "describe svc web")  # slices exist, nothing ready yet
    cluster.advance(10)
    assert "Endpoints:                10.244.1.2:80,10.244.1.3:80,10.244.2.2:80 + 1 more...\n" in \
        out(cluster.core, "describe svc web")


def test_describe_service_without_slices_says_none_and_shows_events_of_a_load_balancer(cluster):
    out(cluster.core, "create service externalname ext --external-name=example.com --tcp=80")
    assert "External Name:     example.com\nPort:              80  80/TCP\nTargetPort:        80/TCP\n" \
           "Endpoints:         <none>\n" in out(cluster.core, "describe svc ext")
    cloud = Cluster(seed=7, cloud="aws")
    out(cloud.core, "create service loadbalancer lb --tcp=80:8080")
    cloud.advance(60)
    text = out(cloud.core, "describe svc lb")
    assert "\nEndpoints:                \n" in text  # a slice exists, with no ready endpoint
    assert "\nEvents:\n  Type    Reason                Age   From                Message\n" in text
    assert "  Normal  EnsuringLoadBalancer  60s   service-controller  Ensuring load balancer" in text


def test_describe_pod_aligns_ips_with_controlled_by_and_lists_events(web):
    pod = web.pod_names()[0]
    text = out(web.core, f"describe pod {pod}")
    assert "IPs:\n  IP:           10.244.1.3\nControlled By:  ReplicaSet/web-5b7f595dcd\nContainers:\n  nginx:\n" in text
    assert "    State:          Running\n      Started:      Mon, 05 Jan 2026 09:05:03 +0000\n" in text
    assert "Tolerations:                  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n" in text
    assert text.endswith("  Normal  Started    7s    kubelet            Started container nginx")


def test_describe_deployment(web):
    assert out(web.core, "describe deploy web").splitlines()[7:24] == [
        "StrategyType:           RollingUpdate",
        "MinReadySeconds:        0",
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge",
        "Pod Template:",
        "  Labels:  app=web",
        "  Containers:",
        "   nginx:",
        "    Image:         nginx:1.27",
        "    Port:          80/TCP",
        "    Host Port:     0/TCP",
        "    Environment:   <none>",
        "    Mounts:        <none>",
        "  Volumes:         <none>",
        "  Node-Selectors:  <none>",
        "  Tolerations:     <none>",
        "Conditions:",
        "  Type           Status  Reason"]


def test_describe_by_prefix_node_and_errors(web):
    assert out(web.core, "describe pods web").count("Name:             web-5b7f595dcd-") == 3
    assert out(web.core, "describe no kind-worker").startswith("Name:               kind-worker\nRoles:              <none>\n")
    assert refused(web, "describe svc nope") == 'Error from server (NotFound): services "nope" not found'
    assert refused(web, "describe endpoints nope") == 'Error from server (NotFound): endpoints "nope" not found'


# ================================================================ 2. events and -o yaml / json

def test_get_events_prints_one_row_per_event_object_grouped_by_object(web):
    lines = out(web.core, "get events").splitlines()
    assert lines[0] == "LAST SEEN   TYPE     REASON                    OBJECT                      MESSAGE"
    assert ("5m10s       Normal   RegisteredNode            node/kind-control-plane     "
            "Node kind-control-plane event: Registered Node kind-control-plane in Controller") in lines
    assert lines[-1] == ("10s         Normal   ScalingReplicaSet         deployment/web              "
                         "Scaled up replica set web-5b7f595dcd from 0 to 3")
    assert out(web.core, "get ev -n kube-public") == "No resources found in kube-public namespace."


def test_the_model_s_own_notes_are_not_kubernetes_events(web):
    """Events from component "k8sedu" explain the model (``cluster.events``); kubectl never prints them."""
    from k8sedu.events import Recorder
    pod = web.get("Pod", web.pod_names({"app": "web"})[0])
    Recorder(web.events, lambda: web.now, "k8sedu").event(pod, "ModelNote", "only the model says this", "Warning")
    assert web.events[-1].component == "k8sedu"
    for command in ("get events", "get events -A -o wide", "get events -o yaml", f"describe pod {pod.metadata.name}"):
        assert "ModelNote" not in out(web.core, command), command


def test_repeated_events_are_folded_into_a_count(cluster):
    out(cluster.core, "create deployment web --image=nginx")
    for replicas in (2, 1, 2, 1):
        out(cluster.core, f"scale deploy web --replicas={replicas}")
    cluster.advance(5)
    wide = [line for line in out(cluster.core, "get events -o wide").splitlines() if "Scaled up" in line and "to 2" in line]
    assert len(wide) == 1 and " 2       web." in wide[0]


def test_get_events_wide_names_the_subobject_and_the_source_with_its_host(web):
    """Sources: k/k ``pkg/printers/internalversion/printers.go`` ``printEvent`` (wide columns) and
    ``formatEventSource`` (component, then host or reportingInstance); client-go ``tools/record``
    ``generateEvent`` (``ReportingInstance = source.Host``; the kubelet's source is ``{kubelet, <node>}``,
    kubelet.go ``NewRecorder``); client-go ``tools/events`` ``NewRecorder`` (``reportingInstance`` =
    ``<controller>-<hostname>``: kube-proxy's ``birthCry``, the scheduler's ``Scheduled``); kubelet
    ``GenerateContainerRef`` (fieldPath ``spec.containers{nginx}``)."""
    lines = out(web.core, "get events -o wide").splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE",
                                "FIRST", "SEEN", "COUNT", "NAME"]
    pod = web.pod_names({"app": "web"})[0]
    node = web.get("Pod", pod).spec.node_name
    rows = [[cell for cell in line.split("  ") if cell.strip()] for line in lines[1:]]
    cells = {(r[2].strip(), r[3].strip()): [c.strip() for c in r] for r in rows}
    assert cells[("Pulling", f"pod/{pod}")][4:7] == ["spec.containers{nginx}", f"kubelet, {node}",
                                                     'Pulling image "nginx:1.27"']
    assert cells[("Scheduled", f"pod/{pod}")][4] == "default-scheduler, default-scheduler-kind-control-plane"
    assert cells[("NodeReady", "node/kind-worker")][4] == "kubelet, kind-worker"
    assert cells[("RegisteredNode", "node/kind-worker")][4] == "node-controller"
    # kube-proxy's birthCry has an empty note: SOURCE is followed directly by FIRST SEEN
    assert [c for c in lines[1:] if "kube-proxy, kube-proxy-kind-worker " in c][0].split()[4:9] == [
        "kube-proxy,", "kube-proxy-kind-worker", "4m10s", "1", "kind-worker.1887ca29e1faf806"]


def test_event_names_are_the_object_and_a_unique_hex_unix_nano(web):
    """Source: client-go ``tools/record`` ``makeEvent``: ``fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())``.
    Derived from code: the model records several events at one simulated instant (a node's kubelet
    start-up), so each later one takes the next nanosecond and every name stays unique and repeatable."""
    names = [line.split()[-1] for line in out(web.core, "get events -A -o wide").splitlines()[1:]]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9.-]+\.[0-9a-f]{16}", name) for name in names)
    worker = [n for n in names if n.startswith("kind-worker.")]
    assert worker == [f"kind-worker.{0x1887ca29e1faf800 + i:x}" for i in range(8)]  # 09:01:00 UTC, then +1 ns
    again = Cluster(seed=7)
    out(again.core, "create deployment web --image=nginx:1.27 --replicas=3 --port=80")
    out(again.core, "expose deployment web --port=80 --type=NodePort")
    again.advance(10)
    assert [line.split()[-1] for line in out(again.core, "get events -A -o wide").splitlines()[1:]] == names


def test_events_as_yaml_keep_each_recorders_own_fields(web):
    """Sources: client-go ``tools/record`` ``generateEvent`` (source, reportingComponent/Instance, count,
    first/lastTimestamp) and ``tools/events`` ``makeEvent`` (eventTime in microseconds, action, no source or
    count), converted to core/v1 by k/k ``pkg/apis/events/v1/conversion.go``; kube-proxy ``birthCry``
    (``Eventf(nodeRef, nil, Normal, "Starting", "StartKubeProxy", "")``: empty note, so no message)."""
    text = out(web.core, "get events -o yaml")
    proxy = text.split("- action: StartKubeProxy\n", 1)[1].split("\n- ", 1)[0].splitlines()
    assert proxy == [
        "  apiVersion: v1", '  eventTime: "2026-01-05T09:00:00.000000Z"', "  firstTimestamp: null",
        "  involvedObject:", "    kind: Node", "    name: kind-control-plane", "  kind: Event",
        "  lastTimestamp: null", "  metadata:", '    creationTimestamp: "2026-01-05T09:00:00Z"',
        "    name: kind-control-plane.1887ca1be9b3a006", "    namespace: default", "  reason: Starting",
        "  reportingComponent: kube-proxy", "  reportingInstance: kube-proxy-kind-control-plane", "  source: {}",
        "  type: Normal"]
    assert "  reportingComponent: kubelet\n  reportingInstance: kind-worker\n  source:\n" \
           "    component: kubelet\n    host: kind-worker\n" in text
    assert "    fieldPath: spec.containers{nginx}\n" in text


def test_describe_from_shows_the_component_only(web):
    """Source: kubectl ``pkg/describe/describe.go`` ``DescribeEvents``: From is ``Source.Component``, else
    ``ReportingController`` (so the scheduler's events-API event reads ``default-scheduler``)."""
    pod = web.pod_names({"app": "web"})[0]
    events = out(web.core, f"describe pod {pod}").split("Events:\n", 1)[1].splitlines()
    assert [line.split()[:4] for line in events[2:4]] == [["Normal", "Scheduled", "10s", "default-scheduler"],
                                                          ["Normal", "Pulling", "9s", "kubelet"]]


def test_get_one_object_as_yaml_and_a_listing_as_a_list(web):
    assert out(web.core, "get svc web -o yaml").splitlines()[:10] == [
        "apiVersion: v1", "kind: Service", "metadata:", '  creationTimestamp: "2026-01-05T09:05:00Z"',
        "  labels:", "    app: web", "  name: web", "  namespace: default", '  resourceVersion: "136"',
        "  uid: 9118bb16-000f-49c8-9a35-8ca00d75985d"]
    listing = out(web.core, "get deploy -o yaml").splitlines()
    assert listing[:3] == ["apiVersion: v1", "items:", "- apiVersion: apps/v1"]
    assert listing[-3:] == ["kind: List", "metadata:", '  resourceVersion: ""']
    as_json = out(web.core, "get ns default -o json")
    assert as_json.startswith('{\n    "apiVersion": "v1",\n    "kind": "Namespace",')


# ================================================================ 3. generators

def test_create_service_generators(cluster):
    assert out(cluster.core, "create service clusterip web --tcp=80:8080") == "service/web created"
    assert out(cluster.core, "create service nodeport np --tcp=80 --node-port=30080") == "service/np created"
    assert out(cluster.core, "create svc externalname ext --external-name=example.com") == "service/ext created"
    assert out(cluster.core, "create service loadbalancer lb --tcp=80,443") == "service/lb created"
    assert out(cluster.core, "get svc").splitlines() == [
        "NAME         TYPE           CLUSTER-IP     EXTERNAL-IP   PORT(S)                      AGE",
        "ext          ExternalName   <none>         example.com   <none>                       0s",
        "kubernetes   ClusterIP      10.96.0.1      <none>        443/TCP                      5m",
        "lb           LoadBalancer   10.96.42.141   <pending>     80:30536/TCP,443:31478/TCP   0s",
        "np           NodePort       10.96.14.211   <none>        80:30080/TCP                 0s",
        "web          ClusterIP      10.96.73.45    <none>        80/TCP                       0s"]
    svc = cluster.get("Service", "web")
    assert [(p.name, p.port, p.target_port) for p in svc.spec.ports] == [("80-8080", 80, 8080)]
    assert dict(svc.spec.selector) == dict(svc.metadata.labels) == {"app": "web"}


@pytest.mark.parametrize("command, message", [
    ("create service clusterip x", "error: at least one tcp port specifier must be provided"),
    ("create service clusterip x --tcp=abc", 'error: strconv.ParseUint: parsing "abc": invalid syntax'),
    ("create service clusterip x --tcp=70000", 'error: strconv.ParseUint: parsing "70000": value out of range'),
    ("create service externalname x", 'error: required flag(s) "external-name" not set'),
    ("create service externalname x --external-name=Bad_Name", "error: invalid service external name Bad_Name"),
    ("create service foo x", "error: unknown command \"foo x\"\nSee 'kubectl create service -h' for help and examples"),
    ("create service clusterip", "error: exactly one NAME is required, got 0\n"
                                 "See 'kubectl create service clusterip -h' for help and examples"),
    ("create service nodeport bad --tcp=80 --node-port=29999",
     'error: failed to create NodePort service: Service "bad" is invalid: spec.ports[0].nodePort: Invalid value: '
     "29999: provided port is not in the valid range. The range of valid ports is 30000-32767"),
    ("create service clusterip kubernetes --tcp=80",
     'error: failed to create ClusterIP service: services "kubernetes" already exists'),
])
def test_create_service_refusals(cluster, command, message):
    assert refused(cluster, command) == message


def test_create_dry_run_prints_what_kubectl_would_send(cluster):
    assert out(cluster.core, "create service nodeport web --tcp=80:8080 --node-port=30080 --dry-run=client -o yaml") == (
        "apiVersion: v1\nkind: Service\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: web\n  name: web\n"
        "spec:\n  ports:\n  - name: 80-8080\n    nodePort: 30080\n    port: 80\n    protocol: TCP\n"
        "    targetPort: 8080\n  selector:\n    app: web\n  type: NodePort\nstatus:\n  loadBalancer: {}")
    assert out(cluster.core, "create namespace shop --dry-run=client -o json") == (
        '{\n    "kind": "Namespace",\n    "apiVersion": "v1",\n    "metadata": {\n        "name": "shop",\n'
        '        "creationTimestamp": null\n    },\n    "spec": {},\n    "status": {}\n}')


# ================================================================ 4. apply -f and delete -f

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
"""


def test_apply_from_a_file_a_directory_and_stdin(cluster, tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(MANIFEST)
    assert out(cluster.core, f"apply -f {path}") == "deployment.apps/web created\nservice/web created"
    assert out(cluster.core, f"apply -f {tmp_path}") == "deployment.apps/web unchanged\nservice/web unchanged"
    assert out(cluster.core, "apply -f -\n" + MANIFEST.replace("replicas: 2", "replicas: 3")) == \
        "deployment.apps/web configured\nservice/web unchanged"
    assert out(cluster.core, "apply -f - -o name", stdin=MANIFEST) == "deployment.apps/web\nservice/web"
    assert out(cluster.core, f"delete -f {path}") == 'deployment.apps "web" deleted\nservice "web" deleted'


@pytest.mark.parametrize("command, stdin, message", [
    ("apply", None, "error: must specify one of -f and -k"),
    ("apply -f -", "", "error: no objects passed to apply"),
    ("apply -f nothere.yaml", None, 'error: the path "nothere.yaml" does not exist'),
    ("delete -f nothere.yaml", None, 'error: the path "nothere.yaml" does not exist'),
    ("apply -f -", "apiVersion: v1\nmetadata:\n  name: x\n",
     'error: error validating "STDIN": error validating data: kind not set; if you choose to ignore these errors, '
     "turn validation off with --validate=false"),
    ("apply -f -", "kind: Service\nmetadata:\n  name: x\n",
     'error: error validating "STDIN": error validating data: apiVersion not set; if you choose to ignore these '
     "errors, turn validation off with --validate=false"),
    ("apply -f -", "hello\n", 'error: error validating "STDIN": error validating data: invalid object to validate; '
                              "if you choose to ignore these errors, turn validation off with --validate=false"),
    ("apply -f -", "a: [\n", "error: error parsing STDIN: error converting YAML to JSON: yaml: line 1: did not find "
                             "expected node content"),
    ("apply -f -", MANIFEST.replace("apps/v1", "v1"),
     'error: resource mapping not found for name: "web" namespace: "" from "STDIN": no matches for kind "Deployment" '
     'in version "v1"\nensure CRDs are installed first'),
    ("apply -n shop -f -", MANIFEST.replace("name: web\nspec:\n  selector", "name: web\n  namespace: other\nspec:\n"
                                                                            "  selector"),
     'error: the namespace from the provided object "other" does not match the namespace "shop". You must pass '
     "'--namespace=other' to perform this operation."),
])
def test_apply_refusals_before_anything_is_written(cluster, command, stdin, message):
    assert refused(cluster, command, stdin=stdin) == message


def test_apply_reports_server_errors_per_object_and_applies_the_others(cluster):
    """A partial apply: what it applied on stdout, the server's error on stderr, exit 1."""
    bad = MANIFEST.replace("replicas: 2", "replica: 2")
    assert run(cluster.core, "apply -f -", stdin=bad) == Result(
        "service/web created",
        'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled '
        'as a Deployment: strict decoding error: unknown field "spec.replica"', 1)
    assert cluster.api.try_get("Deployment", "default", "web") is None
    assert cluster.api.try_get("Service", "default", "web") is not None


def test_apply_prints_kubectl_s_warnings_on_stderr(cluster):
    """An object made without apply has no last-applied annotation: kubectl warns (also with -o name)."""
    warning = ("Warning: resource deployments/{} is missing the kubectl.kubernetes.io/last-applied-configuration "
               "annotation which is required by kubectl apply.")
    for name, flags, printed in (("web", "", "deployment.apps/web configured"),
                                 ("api", " -o name", "deployment.apps/api")):
        out(cluster.core, f"create deployment {name} --image=nginx:1.27")
        manifest = MANIFEST.split("---")[0].replace("name: web", f"name: {name}").replace("replicas: 2", "replicas: 3")
        result = run(cluster.core, "apply -f -" + flags, stdin=manifest)
        assert (result.stdout, result.exit_code) == (printed, 0)
        assert result.stderr.startswith(warning.format(name))


# ================================================================ 5. label, patch, rollout

def test_label_add_overwrite_and_remove(web):
    pod = web.pod_names()[0]
    assert out(web.core, f"label pod {pod} tier=frontend") == f"pod/{pod} labeled"
    assert refused(web, f"label pod {pod} tier=backend") == \
        "error: 'tier' already has a value (frontend), and --overwrite is false"
    assert out(web.core, f"label pod {pod} tier=backend --overwrite") == f"pod/{pod} labeled"
    assert out(web.core, f"label pod {pod} tier=backend") == f"pod/{pod} not labeled"
    assert out(web.core, f"label pod {pod} tier-") == f"pod/{pod} unlabeled"
    assert refused(web, f"label pod {pod}") == "error: at least one label update is required"
    assert refused(web, "label") == ("error: one or more resources must be specified as <resource> <name> or "
                                     "<resource>/<name>")
    assert refused(web, f"label pod {pod} 'k=v v'").startswith('error: invalid label value: "k=v v": a valid label')


def test_relabelling_a_pod_takes_it_out_of_its_service(web):
    pod = web.pod_names()[0]
    ip = web.get("Pod", pod).status.pod_ip
    out(web.core, f"label pod {pod} app=debug --overwrite")
    web.advance(5)
    assert f"{ip}:80" not in out(web.core, "get ep web")


def test_patch_switches_a_service_type_and_keeps_its_cluster_ip(web):
    ip = web.get("Service", "web").spec.cluster_ip
    assert out(web.core, "patch svc web -p '{\"spec\":{\"type\":\"LoadBalancer\"}}'") == "service/web patched"
    svc = web.get("Service", "web")
    assert (svc.spec.type, svc.spec.cluster_ip, svc.spec.ports[0].node_port) == ("LoadBalancer", ip, 32546)
    assert out(web.core, "patch svc web --type=merge -p '{\"spec\":{\"type\":\"ClusterIP\"}}'") == "service/web patched"
    assert web.get("Service", "web").spec.ports[0].node_port == 0
    assert out(web.core, "patch svc web -p 'spec: {type: ClusterIP}'") == "service/web patched (no change)"
    assert out(web.core, "patch deploy web -p '{\"spec\":{\"replicas\":1}}'") == "deployment.apps/web patched"
    assert run(web.core, "patch svc web -p '{\"spec\":{\"typo\":1}}'") == \
        Result("service/web patched (no change)", 'Warning: unknown field "spec.typo"')


@pytest.mark.parametrize("command, message", [
    ("patch svc web", "error: must specify --patch or --patch-file containing the contents of the patch"),
    ("patch svc web -p {} --type=foo", 'error: --type must be one of [json merge strategic], not "foo"'),
    ("patch svc web -p '{\"spec\":'", "error: invalid JSON document"),
    ("patch svc web -p '{\"spec\":{\"type\":\"Bogus\"}}'",
     'The Service "web" is invalid: spec.type: Unsupported value: "Bogus": supported values: "ClusterIP", '
     '"ExternalName", "LoadBalancer", "NodePort"'),
    ("patch svc web -p '{\"spec\":{\"ports\":[{\"port\":80,\"nodePort\":29999}]}}'",
     'The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid '
     "range. The range of valid ports is 30000-32767"),
    ("patch svc nope -p '{}'", 'Error from server (NotFound): services "nope" not found'),
])
def test_patch_refusals(web, command, message):
    assert refused(web, command) == message


def test_rollout_restart_replaces_every_pod_and_status_waits_for_them(web):
    before = set(web.pod_names())
    web.advance(1)
    assert out(web.core, "rollout restart deployment/web") == "deployment.apps/web restarted"
    template = web.get("Deployment", "web").spec.template
    assert template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] == "2026-01-05T09:05:11Z"
    assert refused(web, "rollout restart deploy web").startswith("error: failed to create patch for web: if restart "
                                                                 "has already been triggered within the past second")
    status = out(web.core, "rollout status deploy/web").splitlines()
    assert status[0].startswith('Waiting for deployment "web" rollout to finish: ')
    assert status[-1] == 'deployment "web" successfully rolled out'
    assert all(line.endswith("...") for line in status[:-1])
    web.advance(35)
    assert not before & set(web.pod_names())
    assert len(web.list("ReplicaSet")) == 2


@pytest.mark.parametrize("command, message", [
    ("rollout restart", "error: required resource not specified"),
    ("rollout status", "error: required resource not specified"),
    ("rollout foo", "error: unknown command \"foo\"\nSee 'kubectl rollout -h' for help and examples"),
    ("rollout pause deploy/web", 'error: k8sedu does not model "kubectl rollout pause" yet; it models: rollout '
                                 "history, rollout restart, rollout status, rollout undo"),
    ("rollout restart svc/web", "error: service/web restarting is not supported"),
])
def test_rollout_refusals(web, command, message):
    assert refused(web, command) == message


# ================================================================ 6. programs inside pods

@pytest.fixture
def discovery(cluster):
    out(cluster.core, "create deployment web --image=nginx:1.27 --replicas=2 --port=80")
    out(cluster.core, "create service clusterip web --tcp=80:80")
    out(cluster.core, "create service externalname ext --external-name=example.com")
    cluster.apply(CLIENTS)
    cluster.advance(10)
    return cluster


# Client pods with the tools they really carry: the DNS debugging page's dnsutils (bind9's nslookup and dig)
# and busybox (its own wget), each kept running by its command.
CLIENTS = """\
apiVersion: v1
kind: Pod
metadata: {name: dnsutils}
spec:
  containers:
  - {name: dnsutils, image: "registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3", command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: busybox}
spec:
  containers:
  - {name: busybox, image: "busybox:1.36", command: [sleep, "3600"]}
"""


@pytest.mark.parametrize("program, output", [  # run in dnsutils, wget in busybox
    ("nslookup -type=SRV _80-80._tcp.web", "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n"
                                           "_80-80._tcp.web.default.svc.cluster.local\tservice = 0 100 80 "
                                           "web.default.svc.cluster.local."),
    ("dig +short web", ""),  # dig does not use the search list
    ("dig +short web.default.svc.cluster.local", "10.96.163.97"),
    ("dig +short +search web", "10.96.163.97"),
    ("dig +short SRV _80-80._tcp.web.default.svc.cluster.local", "0 100 80 web.default.svc.cluster.local."),
    ("dig +short ext.default.svc.cluster.local", "example.com.\n93.184.215.14"),
    ("wget -qO- http://web/", None),
])
def test_dns_and_http_tools(discovery, program, output):
    cluster = discovery
    pod = "busybox" if program.startswith("wget") else "dnsutils"
    result = out(cluster.core, f"exec {pod} -- {program}")
    if output is None:
        assert result.startswith("<!DOCTYPE html>")
    else:
        assert result == output


def test_wget_errors_are_busybox_s(discovery):
    cluster = discovery
    assert refused(cluster, "exec busybox -- wget -qO- http://nope/") == \
        "wget: bad address 'nope'\ncommand terminated with exit code 1"


# ================================================================ 7. explain, version, cluster-info, help

def test_wrap_breaks_at_spaces_and_leaves_long_words_whole():
    assert wrap("aaa bbb ccc", 7) == "aaa bbb\nccc"
    assert wrap("see https://example.com/a/very/long/url here", 10) == "see\nhttps://example.com/a/very/long/url\nhere"
    # go-wordwrap keeps newlines (kubectl pkg/explain/v2/funcs_test.go, the "wrap 76" case)
    assert wrap("one\ntwo", 80) == "one\ntwo"


def test_explain_a_field(cluster):
    assert out(cluster.core, "explain deployment.spec.replicas") == (
        "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: replicas <integer>\n\n\n"
        "DESCRIPTION:\n    Number of desired pods. This is a pointer to distinguish between explicit\n"
        "    zero and not specified. Defaults to 1.\n    ")  # the description's own final newline, indented


def test_explain_an_object_lists_its_fields(cluster):
    text = out(cluster.core, "explain svc.spec.ports")
    assert text.startswith("KIND:       Service\nVERSION:    v1\n\nFIELD: ports <[]ServicePort>\n\n\nDESCRIPTION:\n"
                           "    The list of ports that are exposed by this service. More info:\n")
    assert "FIELDS:\n  appProtocol\t<string>\n" in text
    assert "  port\t<integer> -required-\n    The port that will be exposed by this service.\n\n" in text
    assert "  targetPort\t<IntOrString>\n" in text
    assert out(cluster.core, "explain service").startswith("KIND:       Service\nVERSION:    v1\n\nDESCRIPTION:\n"
                                                       "    Service is a named abstraction of software service")
    for path in ("service.spec", "service.spec.type", "pod.spec", "deploy.spec.template.spec.containers.ports"):
        assert "DESCRIPTION:" in out(cluster.core, f"explain {path}")


@pytest.mark.parametrize("command, message", [
    ("explain", 'error: You must specify the type of resource to explain. Use "kubectl api-resources" for a complete '
                "list of supported resources."),
    ("explain svc.spec.foo", 'error: field "foo" does not exist'),
    ("explain foo", 'error: the server doesn\'t have a resource type "foo"'),
])
def test_explain_refusals(cluster, command, message):
    assert refused(cluster, command) == message


def test_version_and_cluster_info(cluster):
    assert out(cluster.core, "version") == "Client Version: v1.32.4\nKustomize Version: v5.5.0\nServer Version: v1.32.2"
    assert out(cluster.core, "version --client") == "Client Version: v1.32.4\nKustomize Version: v5.5.0"
    info = out(cluster.core, "cluster-info").splitlines()
    assert info[0].startswith("Kubernetes control plane is running at https://127.0.0.1:")
    port = info[0].rsplit(":", 1)[1]
    assert info[1:] == [f"CoreDNS is running at https://127.0.0.1:{port}/api/v1/namespaces/kube-system/services/"
                        "kube-dns:dns/proxy", "",
                        "To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'."]
    assert out(Cluster(seed=7).core, "cluster-info") == out(cluster.core, "cluster-info")  # the same seed, the same port


def test_help_is_kubectl_s_own(cluster):
    top = out(cluster.core, "help")
    assert top.startswith("kubectl controls the Kubernetes cluster manager.\n\n Find more information at: "
                          "https://kubernetes.io/docs/reference/kubectl/\n\nBasic Commands (Beginner):")
    assert out(cluster.core, "") == out(cluster.core, "--help") == top
    assert out(cluster.core, "get -h") == out(cluster.core, "help get")
    assert out(cluster.core, "get --help").startswith("Display one or many resources.")
    assert "kubectl create service clusterip NAME" in out(cluster.core, "create service clusterip --help")


def test_describe_service_without_a_selector_says_none_as_format_labels_does(cluster):
    """kubectl's describeService prints ``labels.FormatLabels(spec.selector)``: ``<none>`` when it is empty."""
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bare"}, "spec": {"ports": [{"port": 80}]}})
    assert "\nSelector:                 <none>\n" in out(cluster.core, "describe service bare")


@pytest.mark.parametrize("port, error", [
    ("-1", 'The Pod "p" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: -1: '
           "must be between 1 and 65535, inclusive"),
    ("abc", 'error: strconv.Atoi: parsing "abc": invalid syntax'),
    ("99999999999999999999", 'error: strconv.Atoi: parsing "99999999999999999999": value out of range'),
])
def test_run_port_is_read_by_strconv_atoi_then_validated_by_the_api_server(cluster, port, error):
    """kubectl run reads --port with strconv.Atoi ("-1" is a number, so the API server refuses it, not kubectl)."""
    with pytest.raises(KubectlError) as err:
        cluster.kubectl(f"run p --image=nginx --port={port}")
    assert str(err.value) == error
    assert cluster.core.api.try_get("Pod", "default", "p") is None


def test_the_same_event_said_again_is_counted_not_stored_again(cluster):
    """client-go's EventCorrelator: pods that stay Pending fail to schedule at every node change, and each
    pod keeps one FailedScheduling event whose count grows; the log grows with what is different only."""
    cluster.kubectl("create deployment web --image=nginx --replicas=400")
    cluster.advance(30)
    pending = [p for p in cluster.list("Pod") if p.status.phase == "Pending"]
    failed = [e for e in cluster.events if e.reason == "FailedScheduling"]
    assert pending and len(failed) == len(pending)
    size = len(cluster.events)
    for i in range(3):
        cluster.kubectl(f"label node kind-worker try{i}=again")
        cluster.advance(1)
    assert len(cluster.events) == size
    counted = [e for e in cluster.events if e.reason == "FailedScheduling"]
    assert {e.count for e in counted} == {4}
    assert "(x4 over" in out(cluster.core, f"describe pod {pending[0].metadata.name}")


def test_describe_endpointslice_is_kubectl_s_own_golden():
    """kubectl ``pkg/describe/describe_test.go`` ``TestDescribeEndpointSlice``, the same slice, the same text."""
    cluster = Cluster(seed=1)
    cluster.api.create(Namespace(ObjectMeta(name="bar")))
    ready = EndpointConditions(ready=True)
    cluster.api.create(EndpointSlice(
        ObjectMeta(name="foo.123", namespace="bar"), address_type="IPv4",
        endpoints=(Endpoint(("1.2.3.4", "1.2.3.5"), ready, target_ref=ObjectReference("Pod", "test-123", "bar"),
                            node_name="node-1", zone="us-central1-a"),
                   Endpoint(("1.2.3.6", "1.2.3.7"), ready, target_ref=ObjectReference("Pod", "test-124", "bar"),
                            node_name="node-2")),
        ports=(EndpointPort(80, protocol="TCP"),)))
    assert cluster.kubectl("-n bar describe endpointslice foo.123") == (
        "Name:         foo.123\n"
        "Namespace:    bar\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "AddressType:  IPv4\n"
        "Ports:\n"
        "  Name     Port  Protocol\n"
        "  ----     ----  --------\n"
        "  <unset>  80    TCP\n"
        "Endpoints:\n"
        "  - Addresses:  1.2.3.4, 1.2.3.5\n"
        "    Conditions:\n"
        "      Ready:    true\n"
        "    Hostname:   <unset>\n"
        "    TargetRef:  Pod/test-123\n"
        "    NodeName:   node-1\n"
        "    Zone:       us-central1-a\n"
        "  - Addresses:  1.2.3.6, 1.2.3.7\n"
        "    Conditions:\n"
        "      Ready:    true\n"
        "    Hostname:   <unset>\n"
        "    TargetRef:  Pod/test-124\n"
        "    NodeName:   node-2\n"
        "    Zone:       <unset>\n"
        "Events:         <none>")


def test_describe_a_service_s_placeholder_slice_says_it_has_no_ports_and_no_endpoints():
    cluster = Cluster(seed=1)
    cluster.kubectl("create service clusterip empty --tcp=80:8080")
    cluster.advance(2)
    text = cluster.kubectl("describe endpointslices empty")
    assert text.startswith("Name:         empty-")
    assert text.endswith("AddressType:  IPv4\nPorts: <unset>\nEndpoints: <none>\nEvents:  <none>")


def test_describe_endpoints_lists_each_subset_then_a_blank_line():
    """``describeEndpoints``: ready and not-ready addresses joined by commas, the ports as a table, a blank line
    after each subset (which ends the tabwriter's block, so ``Events:`` aligns on its own)."""
    cluster = Cluster(seed=1)
    cluster.kubectl("create deployment web --image=nginx --replicas=2")
    cluster.kubectl("expose deployment web --port=80")
    cluster.kubectl("create service clusterip empty --tcp=80:8080")
    cluster.advance(10)
    ips = ",".join(sorted(p.status.pod_ip for p in cluster.list("Pod", selector={"app": "web"})))
    trigger = cluster.get("Endpoints", "web").metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"]
    assert cluster.kubectl("describe endpoints web") == (
        "Name:         web\n"
        "Namespace:    default\n"
        "Labels:       app=web\n"
        f"Annotations:  endpoints.kubernetes.io/last-change-trigger-time: {trigger}\n"
        "Subsets:\n"
        f"  Addresses:          {ips}\n"
        "  NotReadyAddresses:  <none>\n"
        "  Ports:\n"
        "    Name     Port  Protocol\n"
        "    ----     ----  --------\n"
        "    <unset>  80    TCP\n"
        "\n"
        "Events:  <none>")
    assert cluster.kubectl("describe endpoints empty").endswith("\nSubsets:\nEvents:  <none>")


def test_a_kind_the_model_cannot_describe_is_refused_by_name(web, monkeypatch):
    """Every kind the model stores has a describer today; a kind added without one is refused in words, not with a
    KeyError (the guard in run_describe)."""
    monkeypatch.setattr(describe, "DESCRIBERS", {k: v for k, v in describe.DESCRIBERS.items() if k != "Endpoints"})
    assert refused(web, "describe endpoints web").startswith('error: k8sedu does not model "kubectl describe endpoints" '
                                                             "yet; it describes: configmaps, daemonsets")
