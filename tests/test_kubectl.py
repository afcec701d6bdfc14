"""Specification of ``k8sedu.kubectl``: the text real kubectl prints, and the errors it gives.

Read top to bottom, this file says what the kubectl layer promises:

1. AGE cells follow apimachinery's ``HumanDuration``;
2. tables are laid out like Go's tabwriter (padding 3, min width 6, last column unpadded);
3. every resource's cells follow k/k ``printers.go`` (checked on hand-built objects);
4. flags parse the way cobra/pflag parse them;
5. resource names and arguments are read like kubectl's REST mapper and resource builder;
6. on a seeded cluster, each command prints exactly what kubectl would (golden text);
7. every refused command prints kubectl's words on stderr, exits 1 and changes nothing;
8. ``run`` returns a ``Result`` (stdout, stderr, exit code): a partial command keeps both streams,
   and ``Cluster.kubectl`` returns stdout or raises ``KubectlError`` carrying the ``Result``.
"""

from __future__ import annotations

import pytest

from kubectl_results import err, out, refused

from k8sedu import Cluster, KubectlError
from k8sedu.kubectl import Result, printers, resources, run
from k8sedu.kubectl.duration import DAY, HOUR, human_duration
from k8sedu.kubectl.flags import FlagSet, boolean, integer, string, strings
from k8sedu.kubectl.table import tabulate
from k8sedu.objects import (Container, ContainerStatus, EndpointAddress, EndpointPort, Endpoint, EndpointConditions,
                            Endpoints, EndpointSlice, EndpointSubset, LoadBalancerIngress, LoadBalancerStatus, Node,
                            NodeCondition, NodeSpec, NodeStatus, ObjectMeta, Pod, PodCondition, PodSpec, PodStatus,
                            Service, ServicePort, ServiceSpec, ServiceStatus, frozen)

NOW = 1000.0
OPTS = printers.Options(now=NOW)
WIDE = printers.Options(now=NOW, wide=True)


# ================================================================ 1. AGE

@pytest.mark.parametrize("seconds, shown", [
    (0, "0s"), (1, "1s"), (59, "59s"), (60, "60s"), (119, "119s"), (119.9, "119s"),  # seconds up to 2 minutes
    (120, "2m"), (121, "2m1s"), (599, "9m59s"),                                     # minutes and seconds below 10m
    (600, "10m"), (601, "10m"), (3 * HOUR - 1, "179m"),                             # whole minutes below 3h
    (3 * HOUR, "3h"), (3 * HOUR + 60, "3h1m"), (8 * HOUR - 1, "7h59m"),             # hours and minutes below 8h
    (8 * HOUR, "8h"), (47 * HOUR + 59 * 60, "47h"),                                 # whole hours below 48h
    (2 * DAY, "2d"), (2 * DAY + HOUR, "2d1h"), (8 * DAY - 1, "7d23h"),              # days and hours below 8d
    (8 * DAY, "8d"), (729 * DAY, "729d"),                                           # whole days below 2y
    (730 * DAY, "2y"), (731 * DAY, "2y1d"), (8 * 365 * DAY, "8y"),                  # years (and days below 8y)
    (-1, "0s"), (-2, "<invalid>"),                                                  # clock skew tolerance
])
def test_age_follows_human_duration(seconds, shown):
    assert human_duration(seconds) == shown


# ================================================================ 2. column layout

def test_columns_are_as_wide_as_their_widest_cell_plus_three():
    lines = tabulate([["NAME", "READY", "STATUS"], ["web-1", "1/1", "Running"],
                      ["a-much-longer-name", "0/1", "Pending"]])
    assert lines == [
        "NAME                 READY   STATUS",
        "web-1                1/1     Running",
        "a-much-longer-name   0/1     Pending",
    ]


def test_last_column_is_not_padded_and_short_columns_are_six_wide():
    lines = tabulate([["A", "B", "LAST"], ["x", "", "y"]])
    assert lines == ["A     B     LAST", "x           y"]
    assert not any(line.endswith(" ") for line in lines)


def test_empty_table_prints_nothing_not_even_a_header():
    assert printers.table("Pod", [], OPTS) == []


# ================================================================ 3. cells, on hand-built objects

def pod(name="web-1", phase="Running", ready=True, state="running", reason="", ip="10.244.1.2", node="kind-worker",
        deleting=False, restarts=0, statuses=True):
    meta = ObjectMeta(name=name, namespace="default", creation_timestamp=NOW - 75,
                      deletion_timestamp=NOW - 1 if deleting else None, labels=frozen({"app": "web"}))
    status = ContainerStatus("nginx", "nginx", ready=ready, started=state == "running", restart_count=restarts,
                             state=state, reason=reason)
    conditions = (PodCondition("Ready", "True" if ready else "False"),)
    return Pod(meta, PodSpec(containers=(Container("nginx", "nginx"),), node_name=node),
               PodStatus(phase=phase, pod_ip=ip, conditions=conditions,
                         container_statuses=(status,) if statuses else ()))


@pytest.mark.parametrize("the_pod, ready, status", [
    (pod(phase="Pending", ready=False, ip="", node="", statuses=False), "0/1", "Pending"),  # not scheduled yet
    (pod(phase="Pending", ready=False, state="waiting", reason="ContainerCreating", ip=""), "0/1", "ContainerCreating"),
    (pod(ready=False), "0/1", "Running"),                                                 # running, probe not passed
    (pod(), "1/1", "Running"),
    (pod(deleting=True), "1/1", "Terminating"),
    (pod(ready=False, state="waiting", reason="CrashLoopBackOff", restarts=4), "0/1", "CrashLoopBackOff"),
])
def test_pod_ready_and_status_cells(the_pod, ready, status):
    row = printers.PRINTERS["Pod"].row(the_pod, OPTS)
    assert row[1:3] == [ready, status]


def test_pod_wide_cells_show_none_for_what_is_not_there_yet():
    row = printers.PRINTERS["Pod"].row(pod(phase="Pending", ready=False, ip="", node="", statuses=False), WIDE)
    assert row == ["web-1", "0/1", "Pending", "0", "75s", "<none>", "<none>", "<none>", "<none>"]


def service(kind="ClusterIP", ports=(ServicePort(80, 8080),), cluster_ip="10.96.12.34", ingress=(), external_name=""):
    return Service(ObjectMeta(name="web", namespace="default", creation_timestamp=NOW - 20),
                   ServiceSpec(ports=ports, selector=frozen({"app": "web", "tier": "fe"}), type=kind,
                               cluster_ip=cluster_ip, cluster_ips=(cluster_ip,) if cluster_ip else (),
                               external_name=external_name),
                   ServiceStatus(LoadBalancerStatus(ingress)))


@pytest.mark.parametrize("svc, cells", [
    (service(), ["ClusterIP", "10.96.12.34", "<none>", "80/TCP"]),
    (service(ports=(ServicePort(53, 53, "dns", "UDP"), ServicePort(53, 53, "dns-tcp"))),
     ["ClusterIP", "10.96.12.34", "<none>", "53/UDP,53/TCP"]),
    (service(kind="NodePort", ports=(ServicePort(80, 8080, node_port=30080),)),
     ["NodePort", "10.96.12.34", "<none>", "80:30080/TCP"]),
    (service(cluster_ip="None", ports=()), ["ClusterIP", "None", "<none>", "<none>"]),
    (service(kind="LoadBalancer"), ["LoadBalancer", "10.96.12.34", "<pending>", "80/TCP"]),
    (service(kind="LoadBalancer", ingress=(LoadBalancerIngress(ip="203.0.113.10"),)),
     ["LoadBalancer", "10.96.12.34", "203.0.113.10", "80/TCP"]),
    (service(kind="LoadBalancer", ingress=(LoadBalancerIngress(hostname="a1b2c3.elb.us-east-1.amazonaws.com"),)),
     ["LoadBalancer", "10.96.12.34", "a1b2c3.elb.us...", "80/TCP"]),  # cut to 13 chars + "..." without -o wide
    (service(kind="ExternalName", ports=(), cluster_ip="", external_name="example.com"),
     ["ExternalName", "<none>", "example.com", "<none>"]),
])
def test_service_cells(svc, cells):
    assert printers.PRINTERS["Service"].row(svc, OPTS)[1:5] == cells


def test_service_wide_adds_the_selector():
    assert printers.PRINTERS["Service"].row(service(), WIDE)[-1] == "app=web,tier=fe"


def addresses(*ips):
    return tuple(EndpointAddress(ip) for ip in ips)


@pytest.mark.parametrize("subsets, cell", [
    ((), "<none>"),                                                                         # no subsets at all
    ((EndpointSubset(not_ready_addresses=addresses("10.244.1.2"), ports=(EndpointPort(80),)),), ""),  # only not-ready
    ((EndpointSubset(addresses("10.244.1.2", "10.244.2.2"), ports=(EndpointPort(80),)),),
     "10.244.1.2:80,10.244.2.2:80"),
    ((EndpointSubset(addresses("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"), ports=(EndpointPort(80),)),),
     "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more..."),
    ((EndpointSubset(addresses("10.0.0.1", "10.0.0.2"), ports=(EndpointPort(53, "dns", "UDP"), EndpointPort(9153))),),
     "10.0.0.1:53,10.0.0.2:53,10.0.0.1:9153 + 1 more..."),                                  # port by port
    ((EndpointSubset(addresses("10.0.0.1")),), "10.0.0.1"),                                  # headless, no ports
])
def test_endpoints_cell_lists_ready_addresses_only(subsets, cell):
    ep = Endpoints(ObjectMeta(name="web"), subsets)
    assert printers.endpoints_cell(ep) == cell


def test_endpointslice_cells_list_every_address_and_say_unset_when_empty():
    not_ready = Endpoint(("10.244.1.2",), EndpointConditions(ready=False))
    ready = Endpoint(("10.244.2.2",), EndpointConditions(ready=True))
    s = EndpointSlice(ObjectMeta(name="web-abcde", creation_timestamp=NOW - 5), endpoints=(not_ready, ready),
                      ports=(EndpointPort(8080),))
    empty = EndpointSlice(ObjectMeta(name="web-fghij", creation_timestamp=NOW - 5))
    assert printers.PRINTERS["EndpointSlice"].row(s, OPTS) == ["web-abcde", "IPv4", "8080", "10.244.1.2,10.244.2.2",
                                                               "5s"]
    assert printers.PRINTERS["EndpointSlice"].row(empty, OPTS) == ["web-fghij", "IPv4", "<unset>", "<unset>", "5s"]


@pytest.mark.parametrize("labels, roles", [
    ({"node-role.kubernetes.io/control-plane": ""}, "control-plane"),
    ({"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/infra": ""}, "infra,worker"),
    ({"kubernetes.io/role": "edge"}, "edge"),
    ({"kubernetes.io/os": "linux"}, "<none>"),
])
def test_node_roles_come_from_role_labels(labels, roles):
    assert printers.node_roles(Node(ObjectMeta(name="n", labels=frozen(labels)))) == roles


def test_node_status_and_wide_cells():
    node = Node(ObjectMeta(name="kind-worker", creation_timestamp=NOW - 300), NodeSpec(unschedulable=True),
                NodeStatus(conditions=(NodeCondition("Ready", "False"),)))
    assert printers.PRINTERS["Node"].row(node, WIDE) == [
        "kind-worker", "NotReady,SchedulingDisabled", "<none>", "5m", "v1.32.2", "<none>", "<none>",
        "Debian GNU/Linux 12 (bookworm)", "6.8.0-1017-gcp", "containerd://2.0.2"]


def test_table_adds_namespace_kind_prefix_and_labels_columns():
    lines = printers.table("Pod", [pod()], OPTS, namespace_column=True, kind_prefix="pod", show_labels=True)
    assert lines == [
        "NAMESPACE   NAME        READY   STATUS    RESTARTS   AGE   LABELS",
        "default     pod/web-1   1/1     Running   0          75s   app=web",
    ]


# ================================================================ 4. flags, as cobra and pflag parse them

FLAGS = FlagSet("kubectl test", (string("namespace", "n", "default"), string("output", "o"),
                                 integer("replicas", "r", 1), boolean("stdin", "i"), boolean("tty", "t"),
                                 strings("image")))


@pytest.mark.parametrize("tokens, args, values", [
    (["pods", "-n", "kube-system"], ["pods"], {"namespace": "kube-system"}),
    (["-n", "kube-system", "pods"], ["pods"], {"namespace": "kube-system"}),      # flags before arguments
    (["pods", "--namespace=kube-system"], ["pods"], {"namespace": "kube-system"}),
    (["pods", "--namespace", "kube-system"], ["pods"], {"namespace": "kube-system"}),
    (["pods", "-nkube-system"], ["pods"], {"namespace": "kube-system"}),
    (["pods", "-n=kube-system"], ["pods"], {"namespace": "kube-system"}),
    (["pods", "-owide"], ["pods"], {"output": "wide"}),
    (["-it", "pod"], ["pod"], {"stdin": True, "tty": True}),                     # grouped booleans
    (["--stdin=false", "pod"], ["pod"], {"stdin": False}),
    (["--replicas=0x10"], [], {"replicas": 16}),                                 # Go's base prefixes
    (["--image=a,b", "--image", "c"], [], {"image": ("a", "b", "c")}),           # a repeatable string slice
    (["pod", "--", "curl", "-s", "web"], ["pod", "curl", "-s", "web"], {"stdin": False}),  # flags end at --
])
def test_flag_forms(tokens, args, values):
    parsed = FLAGS.parse(tokens)
    assert parsed.args == args
    assert {k: parsed[k] for k in values} == values


def test_args_len_at_dash_says_where_the_command_starts():
    assert FLAGS.parse(["pod", "--", "ls"]).args_len_at_dash == 1
    assert FLAGS.parse(["pod", "ls"]).args_len_at_dash == -1


@pytest.mark.parametrize("tokens, message", [
    (["--foo"], "error: unknown flag: --foo\nSee 'kubectl test --help' for usage."),
    (["-x"], "error: unknown shorthand flag: 'x' in -x\nSee 'kubectl test --help' for usage."),
    (["-itx"], "error: unknown shorthand flag: 'x' in -itx\nSee 'kubectl test --help' for usage."),
    (["-n"], "error: flag needs an argument: 'n' in -n\nSee 'kubectl test --help' for usage."),
    (["--output"], "error: flag needs an argument: --output\nSee 'kubectl test --help' for usage."),
    (["--replicas=two"], 'error: invalid argument "two" for "-r, --replicas" flag: strconv.ParseInt: parsing "two": '
                         "invalid syntax\nSee 'kubectl test --help' for usage."),
    (["--stdin=maybe"], 'error: invalid argument "maybe" for "-i, --stdin" flag: strconv.ParseBool: parsing "maybe": '
                        "invalid syntax\nSee 'kubectl test --help' for usage."),
])
def test_flag_errors_are_pflags_own(tokens, message):
    with pytest.raises(KubectlError) as raised:
        FLAGS.parse(tokens)
    assert str(raised.value) == message


# ================================================================ 5. resource names and arguments

@pytest.mark.parametrize("typed, kind", [
    ("po", "Pod"), ("pod", "Pod"), ("pods", "Pod"), ("Pod", "Pod"), ("PODS", "Pod"),
    ("svc", "Service"), ("service", "Service"), ("services", "Service"),
    ("ep", "Endpoints"), ("endpoints", "Endpoints"),
    ("endpointslice", "EndpointSlice"), ("endpointslices.discovery.k8s.io", "EndpointSlice"),
    ("deploy", "Deployment"), ("deployment", "Deployment"), ("deployments.apps", "Deployment"),
    ("deployments.v1.apps", "Deployment"), ("rs", "ReplicaSet"), ("replicasets", "ReplicaSet"),
    ("no", "Node"), ("nodes", "Node"), ("ns", "Namespace"), ("namespaces", "Namespace"),
])
def test_resource_names_kubectl_understands(typed, kind):
    assert resources.lookup(typed).kind == kind


@pytest.mark.parametrize("args, kwargs, message", [
    ([], {}, resources.MISSING_RESOURCE),
    (["pods"], {}, "error: resource(s) were provided, but no name was specified"),
    (["pods", "a"], {"selector": "app=web"}, "error: name cannot be provided when a selector is specified"),
    (["pods/a"], {"selector": "app=web"},
     "error: selectors and the all flag cannot be used when passing resource/name arguments"),
    (["pods,svc", "a"], {"all_namespaces": True},
     "error: a resource cannot be retrieved by name across all namespaces"),
    (["pods/a/b"], {}, "error: arguments in resource/name form may not have more than one slash"),
    (["/a"], {}, "error: arguments in resource/name form must have a single resource and name"),
    (["foo", "a"], {}, 'error: the server doesn\'t have a resource type "foo"'),
])
def test_resource_builder_errors(args, kwargs, message):
    with pytest.raises(KubectlError) as raised:
        resources.build(args, **kwargs)
    assert str(raised.value) == message


def test_comma_separated_types_with_names_become_type_name_pairs():
    target = resources.build(["deploy,svc", "web"])
    assert [(r.kind, n) for r, n in target.named] == [("Deployment", "web"), ("Service", "web")]


def test_label_selectors():
    match = resources.parse_selector("app=web,tier!=db,env in (dev,qa),!canary")
    assert resources.selector_matches(match, {"app": "web", "env": "qa"})
    assert not resources.selector_matches(match, {"app": "web", "env": "qa", "canary": "1"})
    assert not resources.selector_matches(match, {"app": "web", "env": "prod"})


# ================================================================ 6. commands on a seeded cluster

DNSUTILS = """\
apiVersion: v1
kind: Pod
metadata:
  name: dnsutils
  namespace: default
spec:
  containers:
  - name: dnsutils
    image: registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3
    command:
      - sleep
      - "infinity"
"""  # kubernetes.io "Debugging DNS Resolution": dnsutils.yaml, an image that has bind9's nslookup and dig


def dnsutils(cluster):
    """Start the DNS debugging page's ``dnsutils`` pod and return its name."""
    cluster.apply(DNSUTILS)
    cluster.advance(10)
    return "dnsutils"


def test_get_nodes(cluster):
    assert out(cluster.core, "get nodes") == (
        "NAME                 STATUS   ROLES           AGE   VERSION\n"
        "kind-control-plane   Ready    control-plane   5m    v1.32.2\n"
        "kind-worker          Ready    <none>          4m    v1.32.2\n"
        "kind-worker2         Ready    <none>          4m    v1.32.2")


def test_get_nodes_wide(cluster):
    assert out(cluster.core, "get no -o wide").splitlines()[:2] == [
        "NAME                 STATUS   ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   "
        "OS-IMAGE                         KERNEL-VERSION   CONTAINER-RUNTIME",
        "kind-control-plane   Ready    control-plane   5m    v1.32.2   172.18.0.2    <none>        "
        "Debian GNU/Linux 12 (bookworm)   6.8.0-1017-gcp   containerd://2.0.2"]


def test_get_across_namespaces(cluster):
    assert out(cluster.core, "get svc -A") == (
        "NAMESPACE     NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE\n"
        "default       kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP                  5m\n"
        "kube-system   kube-dns     ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP   5m")
    assert out(cluster.core, "get endpoints -n kube-system") == (
        "NAME       ENDPOINTS                                               AGE\n"
        "kube-dns   10.244.0.2:53,10.244.0.3:53,10.244.0.2:53 + 3 more...   5m")


def test_create_deployment_then_watch_it_come_up(cluster):
    assert out(cluster.core, "create deployment web --image=nginx:1.27 --replicas=3 --port=80") == \
        "deployment.apps/web created"
    assert out(cluster.core, "get deploy") == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "web    0/3     3            0           0s")
    assert out(cluster.core, "get rs") == (
        "NAME             DESIRED   CURRENT   READY   AGE\n"
        "web-5b7f595dcd   3         3         0       0s")
    assert out(cluster.core, "get pods") == (
        "NAME                   READY   STATUS              RESTARTS   AGE\n"
        "web-5b7f595dcd-ft2qc   0/1     ContainerCreating   0          0s\n"
        "web-5b7f595dcd-ng5vz   0/1     ContainerCreating   0          0s\n"
        "web-5b7f595dcd-s748w   0/1     ContainerCreating   0          0s")
    cluster.advance(10)
    assert out(cluster.core, "get pods -o wide") == (
        "NAME                   READY   STATUS    RESTARTS   AGE   IP           NODE           NOMINATED NODE   "
        "READINESS GATES\n"
        "web-5b7f595dcd-ft2qc   1/1     Running   0          10s   10.244.1.3   kind-worker    <none>           "
        "<none>\n"
        "web-5b7f595dcd-ng5vz   1/1     Running   0          10s   10.244.2.2   kind-worker2   <none>           "
        "<none>\n"
        "web-5b7f595dcd-s748w   1/1     Running   0          10s   10.244.1.2   kind-worker    <none>           "
        "<none>")
    assert out(cluster.core, "get deploy -o wide") == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\n"
        "web    3/3     3            3           10s   nginx        nginx:1.27   app=web")


def test_create_deployment_builds_what_kubectl_generates(cluster):
    out(cluster.core, "create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE --port=8000 "
                 "-n kube-public")
    dep = cluster.get("Deployment", "currency-exchange", "kube-public")
    assert dict(dep.metadata.labels) == dict(dep.spec.selector.match_labels) == \
        dict(dep.spec.template.metadata.labels) == {"app": "currency-exchange"}
    (container,) = dep.spec.template.spec.containers
    assert (container.name, container.image, [p.container_port for p in container.ports]) == \
        ("currency-exchange", "in28min/currency-exchange:0.0.1-RELEASE", [8000])
    assert dep.spec.replicas == 1


def test_expose_then_get_service_endpoints_and_slices(web):
    assert out(web.core, "get svc") == (
        "NAME         TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)   AGE\n"
        "kubernetes   ClusterIP   10.96.0.1     <none>        443/TCP   5m10s\n"
        "web          ClusterIP   10.96.88.14   <none>        80/TCP    10s")
    assert out(web.core, "get ep web") == (
        "NAME   ENDPOINTS                                   AGE\n"
        "web    10.244.1.2:80,10.244.1.3:80,10.244.2.2:80   10s")
    assert out(web.core, "get endpointslices -l kubernetes.io/service-name=web") == (
        "NAME        ADDRESSTYPE   PORTS   ENDPOINTS                          AGE\n"
        "web-xgwfp   IPv4          80      10.244.1.2,10.244.1.3,10.244.2.2   10s")


def test_expose_copies_selector_labels_and_ports(cluster):
    out(cluster.core, "create deployment web --image=nginx --port=80")
    assert out(cluster.core, "expose deployment/web --target-port=80 --name=web-svc") == "service/web-svc exposed"
    svc = cluster.get("Service", "web-svc")
    assert dict(svc.spec.selector) == dict(svc.metadata.labels) == {"app": "web"}
    assert [(p.name, p.port, p.target_port, p.protocol) for p in svc.spec.ports] == [("", 80, 80, "TCP")]


def test_expose_names_ports_when_the_template_has_several(cluster):
    out(cluster.core, "create deployment web --image=nginx --port=80")
    dep = cluster.get("Deployment", "web")
    import dataclasses
    from k8sedu.objects import ContainerPort
    c = dep.spec.template.spec.containers[0]
    c = dataclasses.replace(c, ports=(ContainerPort(80), ContainerPort(443)))
    spec = dataclasses.replace(dep.spec, template=dataclasses.replace(
        dep.spec.template, spec=dataclasses.replace(dep.spec.template.spec, containers=(c,))))
    cluster.api.update(dataclasses.replace(dep, spec=spec))
    out(cluster.core, "expose deploy web")
    assert [(p.name, p.port) for p in cluster.get("Service", "web").spec.ports] == [("port-1", 80), ("port-2", 443)]


def test_get_several_kinds_prefixes_names_and_separates_tables(web):
    assert out(web.core, "get deploy,svc") == (
        "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "deployment.apps/web   3/3     3            3           10s\n"
        "\n"
        "NAME                 TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)   AGE\n"
        "service/kubernetes   ClusterIP   10.96.0.1     <none>        443/TCP   5m10s\n"
        "service/web          ClusterIP   10.96.88.14   <none>        80/TCP    10s")


def test_get_all_lists_pods_services_deployments_and_replicasets(web):
    blocks = out(web.core, "get all").split("\n\n")
    assert [b.splitlines()[1].split()[0] for b in blocks] == [
        "pod/web-5b7f595dcd-ft2qc", "service/kubernetes", "deployment.apps/web", "replicaset.apps/web-5b7f595dcd"]


def test_get_by_name_selector_and_output_name(web):
    assert out(web.core, "get svc web") == out(web.core, "get svc/web") == out(web.core, "get services.v1 web")
    assert out(web.core, "get pods -l app=web -o name") == (
        "pod/web-5b7f595dcd-ft2qc\npod/web-5b7f595dcd-ng5vz\npod/web-5b7f595dcd-s748w")
    assert out(web.core, "get deploy web -o name") == "deployment.apps/web"


@pytest.mark.parametrize("command, message", [
    ("get pods", "No resources found in default namespace."),
    ("get deploy -n kube-public", "No resources found in kube-public namespace."),
    ("get pods -A -l app=nothing", "No resources found"),
    ("get nodes -l app=nothing", "No resources found"),
])
def test_nothing_to_list(cluster, command, message):
    assert out(cluster.core, command) == message


def test_scale_changes_the_replica_count(web):
    assert out(web.core, "scale deployment web --replicas=1") == "deployment.apps/web scaled"
    assert out(web.core, "scale --replicas=2 deploy/web") == "deployment.apps/web scaled"
    assert web.get("Deployment", "web").spec.replicas == 2


def test_delete_pod_waits_until_it_is_gone_and_a_replacement_starts(web):
    victim = web.pod_names()[0]
    before = web.now
    assert out(web.core, f"delete pod {victim}") == f'pod "{victim}" deleted'
    assert victim not in web.pod_names()
    assert 0 < web.now - before <= 30 + 5
    assert len(web.pod_names()) == 3


def test_a_deleted_pod_shows_terminating_until_its_containers_stop(web):
    victim = web.pod_names()[0]
    assert out(web.core, f"delete pod {victim} --wait=false") == f'pod "{victim}" deleted'
    assert f"{victim}   1/1     Terminating" in out(web.core, "get pods")


# ---------------------------------------------------------------- exec

def test_exec_nslookup_finds_the_service(web):
    pod = dnsutils(web)
    assert out(web.core, f"exec {pod} -- nslookup web") == (
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10#53\n"
        "\n"
        "Name:\tweb.default.svc.cluster.local\n"
        "Address: 10.96.88.14")


def test_exec_nslookup_of_a_headless_service_lists_every_ready_pod(cluster):
    out(cluster.core, "create deployment db --image=nginx --replicas=2 --port=80")
    assert out(cluster.core, "expose deploy db --cluster-ip=None") == "service/db exposed"
    cluster.advance(10)
    ips = sorted(p.status.pod_ip for p in cluster.list("Pod", selector={"app": "db"}))
    lines = out(cluster.core, f"exec {dnsutils(cluster)} -- nslookup db").splitlines()[3:]
    # CoreDNS's loadbalance plugin shuffles the A records of every answer: compare them as a set of pairs
    assert sorted(zip(lines[::2], lines[1::2])) == [
        ("Name:\tdb.default.svc.cluster.local", f"Address: {ips[0]}"),
        ("Name:\tdb.default.svc.cluster.local", f"Address: {ips[1]}")]


def test_exec_nslookup_of_an_unknown_name_fails_like_bind9(web):
    """nslookup prints its failure on stdout and exits 1; kubectl says so on stderr and exits 1 too."""
    pod = dnsutils(web)
    assert run(web.core, f"exec {pod} -- nslookup nope") == Result(
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10#53\n"
        "\n"
        "** server can't find nope: NXDOMAIN",
        "command terminated with exit code 1", 1)


def test_exec_nslookup_outside_the_cluster_is_non_authoritative(web):
    text = out(web.core, f"exec {dnsutils(web)} -- nslookup example.com")
    assert text.endswith("Non-authoritative answer:\nName:\texample.com\nAddress: 93.184.215.14")


def test_exec_cat_resolv_conf(web):
    assert out(web.core, f"exec -it {web.pod_names()[0]} -- cat /etc/resolv.conf") == (
        "search default.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\n"
        "options ndots:5")


def test_exec_curl_prints_the_body(web):
    assert out(web.core, "exec deploy/web -- curl -s http://web/").startswith("<!DOCTYPE html>")


def test_exec_curl_failure_is_silent_with_s_and_loud_without(web):
    """curl's complaint is on its stderr; kubectl exits with curl's own exit code."""
    pod = web.pod_names()[0]
    assert err(web.core, f"exec {pod} -- curl -s http://nope/", code=6) == "command terminated with exit code 6"
    assert err(web.core, f"exec {pod} -- curl http://nope/", code=6) == \
        "curl: (6) Could not resolve host: nope\ncommand terminated with exit code 6"
    with pytest.raises(KubectlError) as raised:
        web.kubectl(f"exec {pod} -- curl http://nope/")
    assert str(raised.value) == "curl: (6) Could not resolve host: nope\ncommand terminated with exit code 6"
    assert raised.value.result.exit_code == 6


def test_exec_into_a_pod_that_is_still_starting(cluster):
    out(cluster.core, "create deployment web --image=nginx")
    assert err(cluster.core, f"exec {cluster.pod_names()[0]} -- nslookup web") == \
        'error: unable to upgrade connection: container not found ("nginx")'


def test_exec_a_program_the_image_does_not_have(web):
    text = err(web.core, f"exec {web.pod_names()[0]} -- foo")
    assert "OCI runtime exec failed: exec failed: unable to start container process: " \
           'exec: "foo": executable file not found in $PATH: unknown' in text


def test_exec_of_a_tool_the_image_lacks_fails_as_containerd_says_and_kubectl_exits_1(web):
    """nginx has curl but no nslookup (docker-library/nginx Dockerfile). Source: containerd's exec error through
    the kubelet's ``ServeExec`` (an InternalError Status), which client-go's ``errorDecoderV4`` turns into a
    plain error: kubectl prints ``error: ...`` and exits 1 (``cmdutil.CheckErr``, DefaultErrorExitCode)."""
    result = run(web.core, f"exec {web.pod_names()[0]} -- nslookup web")
    assert (result.stdout, result.exit_code) == ("", 1)
    assert result.stderr.startswith("error: Internal error occurred: error executing command in container: "
                                    "failed to exec in container: failed to start exec \"")
    assert result.stderr.endswith('": OCI runtime exec failed: exec failed: unable to start container process: '
                                  'exec: "nslookup": executable file not found in $PATH: unknown')


def test_exec_without_dash_dash_still_works_but_warns_on_stderr(web):
    assert run(web.core, f"exec {web.pod_names()[0]} hostname") == Result(
        web.pod_names()[0],
        "kubectl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. "
        "Use kubectl exec [POD] -- [COMMAND] instead.")


# ================================================================ 7. refusals: kubectl's words, no change

@pytest.mark.parametrize("command, message", [
    ("foo", 'error: unknown command "foo" for "kubectl"\n\nDid you mean this?\n\ttop'),
    ("gett pods", 'error: unknown command "gett" for "kubectl"\n\nDid you mean this?\n\tset\n\tget'),
    ("get pods --foo", "error: unknown flag: --foo\nSee 'kubectl get --help' for usage."),
    ("get foo", 'error: the server doesn\'t have a resource type "foo"'),
    ("get pods nope", 'Error from server (NotFound): pods "nope" not found'),
    ("get deploy nope", 'Error from server (NotFound): deployments.apps "nope" not found'),
    ("get pods -o yamll", 'error: unable to match a printer suitable for the output format "yamll", '
                          "allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,"
                          "json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"),
    ("get", 'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of '
            "supported resources.\n\nerror: Required resource not specified.\n"
            'Use "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).'
            "\nSee 'kubectl get -h' for help and examples"),
    ("create deployment web --image=nginx",
     'error: failed to create deployment: deployments.apps "web" already exists'),
    ("create deployment api", 'error: required flag(s) "image" not set'),
    ("create deployment --image=nginx", "error: exactly one NAME is required, got 0\n"
                                        "See 'kubectl create deployment -h' for help and examples"),
    ("create deployment api --image=nginx -n nope", 'error: failed to create deployment: namespaces "nope" not found'),
    ("expose deployment nope --port=80", 'Error from server (NotFound): deployments.apps "nope" not found'),
    ("expose deployment web", "error: couldn't find port via --port flag or introspection\n"
                              "See 'kubectl expose -h' for help and examples"),
    ("expose deployment web --port=80 --name=web2 --type=Foo",
     'The Service "web2" is invalid: spec.type: Unsupported value: "Foo": supported values: "ClusterIP", '
     '"ExternalName", "LoadBalancer", "NodePort"'),
    ("scale deployment web", 'error: required flag(s) "replicas" not set'),
    ("scale deploy web --replicas=-1",
     "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"),
    ("scale deploy nope --replicas=2", 'Error from server (NotFound): deployments.apps "nope" not found'),
    ("scale deploy/web deploy/nope --replicas=5", 'Error from server (NotFound): deployments.apps "nope" not found'),
    ("delete pod nope", 'Error from server (NotFound): pods "nope" not found'),
    ("delete pods", "error: resource(s) were provided, but no name was specified"),
    ("exec", "error: pod, type/name or --filename must be specified"),
    ("exec nope -- ls", 'Error from server (NotFound): pods "nope" not found'),
    ("edit deploy/web", 'error: k8sedu does not model "kubectl edit" yet; it models: apply, cluster-info, create, '
                        "delete, describe, exec, explain, expose, get, label, logs, patch, port-forward, rollout, run, "
                        "scale, set, version"),
    ("get pods --field-selector=status.phase=Running",
     'error: k8sedu does not model the --field-selector flag of "kubectl get" yet'),
])
def test_refused_commands_say_what_kubectl_says_and_change_nothing(cluster, command, message):
    out(cluster.core, "create deployment web --image=nginx")
    assert refused(cluster, command) == message


@pytest.mark.parametrize("command", [
    "", "kubectl", "-n", "--", "get -- pods", "get pods -l", "get pods -l '='", "exec -- nslookup", "get 'pods",
    "get pods/", "delete", "scale", "expose", "create", "create deployment a b c --image=x", "get pods -o",
    "exec web -c", "get pods,,svc", "get ,", "-- get pods", "get pods -n ''", "get po --selector=a,,b",
])
def test_any_input_gives_a_result_and_a_failure_says_why(cluster, command):
    result = run(cluster.core, command)
    assert isinstance(result, Result) and isinstance(result.stdout, str)
    assert result.exit_code == 0 or result.stderr


def test_a_leading_kubectl_is_optional(cluster):
    assert out(cluster.core, "kubectl get ns default") == out(cluster.core, "get ns default")


def test_dry_run_client_prints_but_writes_nothing(cluster):
    version = cluster.api.store.resource_version
    assert out(cluster.core, "create deployment web --image=nginx --dry-run=client") == \
        "deployment.apps/web created (dry run)"
    assert cluster.api.store.resource_version == version


# ================================================================ 8. the Result: stdout, stderr, exit code

def test_a_command_that_succeeds_prints_on_stdout_and_exits_0(cluster):
    assert run(cluster.core, "get ns default") == Result(
        "NAME      STATUS   AGE\ndefault   Active   5m", "", 0)


def test_a_kubectl_error_is_on_stderr_with_exit_code_1(cluster):
    assert run(cluster.core, "get deploy nope") == Result(
        "", 'Error from server (NotFound): deployments.apps "nope" not found', 1)
    assert run(cluster.core, 42) == Result("", 'error: a kubectl command is a string, like "get pods" (got int)', 1)


def test_get_prints_what_it_found_and_reports_the_missing_name_after_it(web):
    result = run(web.core, "get svc web nope")
    assert result.stdout.splitlines()[1].startswith("web    ClusterIP")
    assert (result.stderr, result.exit_code) == ('Error from server (NotFound): services "nope" not found', 1)


def test_delete_the_same_name_twice_deletes_it_once_and_reports_the_second(cluster):
    out(cluster.core, "create service clusterip a --tcp=80")
    assert run(cluster.core, "delete svc a a") == Result(
        'service "a" deleted', 'Error from server (NotFound): services "a" not found', 1)
    assert cluster.api.try_get("Service", "default", "a") is None


def test_delete_goes_on_past_a_missing_name_and_then_does_not_wait(web):
    victim = web.pod_names()[0]
    now = web.now
    assert run(web.core, f"delete pod {victim} nope") == Result(
        f'pod "{victim}" deleted', 'Error from server (NotFound): pods "nope" not found', 1)
    assert web.now == now  # kubectl returns the error before waiting for the pod to go
    assert "Terminating" in out(web.core, "get pods")


def test_cluster_kubectl_returns_stdout_or_raises_with_the_whole_result(web):
    assert web.kubectl("get deploy web -o name") == "deployment.apps/web"
    out(web.core, "create service clusterip a --tcp=80")
    with pytest.raises(KubectlError) as raised:
        web.kubectl("delete svc a a")
    assert str(raised.value) == 'Error from server (NotFound): services "a" not found'
    assert raised.value.result == Result('service "a" deleted', str(raised.value), 1)


def test_a_refused_command_changes_nothing(web):
    version = web.api.store.resource_version
    assert run(web.core, "create deployment web --image=nginx") == Result(
        "", 'error: failed to create deployment: deployments.apps "web" already exists', 1)
    assert run(web.core, "scale deploy/web deploy/nope --replicas=5").exit_code == 1
    assert web.api.store.resource_version == version
    assert web.get("Deployment", "web").spec.replicas == 3


def test_the_controllers_settle_before_a_command_and_after_one_that_wrote(cluster):
    from k8sedu.kubectl.create import build_deployment
    cluster.api.create(build_deployment("api", "default", ("nginx",), 1, -1, cluster.core.random))
    assert cluster.api.list("ReplicaSet", "default") == []  # written straight to the API: nothing reacted yet
    assert out(cluster.core, "get rs -o name").startswith("replicaset.apps/api-")  # settled before `get`
    out(cluster.core, "create deployment web --image=nginx")
    assert len(cluster.api.list("ReplicaSet", "default")) == 2  # settled after `create`, which wrote


# ---------------------------------------------------------------- the command tree

def test_the_walk_finds_a_subcommand_after_flags_of_its_parent(cluster):
    assert out(cluster.core, "create -o name deployment web --image=nginx --dry-run=client") == "deployment.apps/web"
    assert out(cluster.core, "create service -o name clusterip web --tcp=80 --dry-run=client") == "service/web"
    assert out(cluster.core, "create -n kube-public --dry-run=client svc clusterip web --tcp=80") == \
        "service/web created (dry run)"


@pytest.mark.parametrize("command, message", [
    ("create --foo deployment web --image=nginx", "error: unknown flag: --foo\nSee 'kubectl create --help' for usage."),
    ("create foo bar", "error: Unexpected args: [foo bar]\nSee 'kubectl create -h' for help and examples"),
    ("create secret generic x", 'error: k8sedu does not model "kubectl create secret" yet; it models: '
                                "create deployment, create ingress, create namespace, create service"),
    ("create service foo x", "error: unknown command \"foo x\"\nSee 'kubectl create service -h' for help and examples"),
    ("create service foo x -o yaml", "error: unknown shorthand flag: 'o' in -o\n"
                                     "See 'kubectl create service --help' for usage."),
    ("rollout foo x", "error: unknown command \"foo x\"\nSee 'kubectl rollout -h' for help and examples"),
    ("rollout -- restart", "error: unknown command \"restart\"\nSee 'kubectl rollout -h' for help and examples"),
    ("-n default foo", "Error: flags cannot be placed before plugin name: -n"),
    ("help edit", 'error: k8sedu does not model "kubectl edit" yet; it models: apply, cluster-info, create, '
                  "delete, describe, exec, explain, expose, get, label, logs, patch, port-forward, rollout, run, "
                  "scale, set, version"),
])
def test_the_walk_refuses_what_it_cannot_find(cluster, command, message):
    assert refused(cluster, command) == message


def test_a_command_group_alone_prints_its_help_and_exits_1(cluster):
    create_service = run(cluster.core, "create service")
    assert (create_service.stdout, create_service.exit_code) == ("", 1)
    assert create_service.stderr.startswith("Create a service using a specified subcommand.\n\nAliases:\nservice, svc")
    rollout = run(cluster.core, "rollout")
    assert (rollout.stderr, rollout.exit_code) == ("", 1)
    assert rollout.stdout == out(cluster.core, "rollout --help") == out(cluster.core, "help rollout")


def test_help_walks_the_tree_as_far_as_the_words_go(cluster):
    assert out(cluster.core, "help create deploy") == out(cluster.core, "create deployment --help")
    assert out(cluster.core, "help create service nope") == out(cluster.core, "create svc -h")
    assert out(cluster.core, "help -n default get") == out(cluster.core, "get -h")
    assert out(cluster.core, "help") == out(cluster.core, "") == out(cluster.core, "-- get pods")


def test_exec_curl_max_time_ends_a_connection_nothing_answers(web):
    """``curl -m 5`` to an IP no pod has: curl's multi.c gives up with exit 28 "Connection timed out after 5000
    milliseconds"; a refused connection (7) and answers do not care about -m; a bad value is curl's usage error."""
    pod = web.pod_names({"app": "web"})[0]
    with pytest.raises(KubectlError) as gone:
        web.kubectl(f"exec {pod} -- curl -sS -m 5 http://10.244.9.9:80/")
    assert "curl: (28) Connection timed out after 5000 milliseconds" in str(gone.value)
    assert "command terminated with exit code 28" in str(gone.value)
    assert "Welcome to nginx" in web.kubectl(f"exec {pod} -- curl -s --max-time 2.5 http://web/")
    with pytest.raises(KubectlError) as bad:
        web.kubectl(f"exec {pod} -- curl -m soon http://web/")
    assert "curl: option -m: expected a proper numerical parameter" in str(bad.value)
