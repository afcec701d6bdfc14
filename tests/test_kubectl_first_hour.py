"""The kubectl commands learners type in their first hour, with golden outputs.

Each test names where its expected text comes from: kubectl 1.32's source
(kubernetes/kubectl at tag kubernetes-1.32.4, file and function), the
client-go / kubelet code it calls, or "derived from code" when the exact
text depends on the model's objects (pod names, IPs) and only the format is
the source's.
"""

import pytest

from kubectl_results import err, out, refused

from k8sedu import Cluster
from k8sedu.kubectl import run


def pods(cluster, prefix=""):
    return [p for p in cluster.api.list("Pod", "default") if p.metadata.name.startswith(prefix)]


def current_rs(cluster, name="web"):
    dep = cluster.api.get("Deployment", "default", name)
    owned = cluster.api.store.owned_by("ReplicaSet", "default", dep.metadata.uid)
    return max(owned, key=lambda rs: int(rs.metadata.annotations["deployment.kubernetes.io/revision"]))


# ================================================================ kubectl run

def test_run_creates_the_pod_of_the_run_pod_v1_generator(cluster):
    """pkg/generate/versioned/run.go BasicPod.Generate: label run=NAME, container named NAME, args after --."""
    assert out(cluster.core, "run web --image=nginx --port=80") == "pod/web created"
    pod = cluster.api.get("Pod", "default", "web")
    assert dict(pod.metadata.labels) == {"run": "web"}
    assert [(c.name, c.image, [p.container_port for p in c.ports]) for c in pod.spec.containers] == \
        [("web", "nginx", [80])]
    assert pod.spec.restart_policy == "Always"
    out(cluster.core, "run job --image=busybox:1.36 --restart=Never --labels=app=x,tier=y -- sleep 3600")
    job = cluster.api.get("Pod", "default", "job")
    assert (dict(job.metadata.labels), job.spec.containers[0].args, job.spec.restart_policy) == \
        ({"app": "x", "tier": "y"}, ("sleep", "3600"), "Never")


def test_run_dry_run_prints_the_generated_pod(cluster):
    """The well-known output of `kubectl run nginx --image=nginx --dry-run=client -o yaml` (BasicPod sets
    dnsPolicy and restartPolicy); args come from the words after -- (run.go: params["args"] = args[1:])."""
    assert out(cluster.core, 'run t --image=nginx --dry-run=client -o yaml -- sh -c "sleep 3600"') == (
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  creationTimestamp: null\n"
        "  labels:\n"
        "    run: t\n"
        "  name: t\n"
        "spec:\n"
        "  containers:\n"
        "  - args:\n"
        "    - sh\n"
        "    - -c\n"
        "    - sleep 3600\n"
        "    image: nginx\n"
        "    name: t\n"
        "    resources: {}\n"
        "  dnsPolicy: ClusterFirst\n"
        "  restartPolicy: Always\n"
        "status: {}")
    assert cluster.api.try_get("Pod", "default", "t") is None


def test_run_rm_it_runs_a_one_shot_command_and_deletes_the_pod(web):
    """run.go Run: attach (attach.go prints the prompt note on stderr), then removeCreatedObjects prints
    `pod "x" deleted` (delete.go PrintObj in 1.32: no namespace suffix). The program's output is the model's
    nginx page, fetched through the Service from the new pod."""
    result = run(web.core, "run client --rm -it --image=nginx:1.27 -- sh -c 'curl -s web'")
    assert result.exit_code == 0
    assert result.stderr == "If you don't see a command prompt, try pressing enter."
    body = web.request("http://web/", from_pod=pods(web, "web-")[0].metadata.name).body
    assert result.stdout == body.rstrip("\n") + '\npod "client" deleted'
    assert web.api.try_get("Pod", "default", "client") is None


def test_run_restart_never_returns_the_command_s_exit_code(web):
    """run.go Run: with --restart=Never kubectl waits for the pod to end and returns uexec.CodeExitError
    "pod %s/%s terminated (%s)\\n%s" with the container's exit code: curl's 28, as no rule takes port 81 of
    the ClusterIP."""
    result = run(web.core, "run probe --rm -i --restart=Never --image=nginx:1.27 -- curl -s http://web:81")
    assert (result.exit_code, result.stdout) == (28, 'pod "probe" deleted')
    assert result.stderr.splitlines()[-1] == "pod default/probe terminated (Error)"


def test_run_a_program_the_image_lacks_cannot_start(web):
    """runc's exec failure as containerd reports it (kubectl describe shows the same text as the StartError
    message); run.go then returns the terminated container's reason and message with exit code 128."""
    result = run(web.core, "run dns --rm -it --restart=Never --image=nginx:1.27 -- nslookup web")
    assert (result.exit_code, result.stdout) == (128, 'pod "dns" deleted')
    assert result.stderr == (
        "pod default/dns terminated (StartError)\n"
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create "
        'failed: unable to start container process: exec: "nslookup": executable file not found in $PATH: unknown')


@pytest.mark.parametrize("command, message", [
    ("run t", 'error: required flag(s) "image" not set'),                       # cobra required flag
    ("run --image=nginx", "error: NAME is required for run\nSee 'kubectl run -h' for help and examples"),
    ("run t --image=nginx --rm", "error: --rm should only be used for attached containers\n"
                                 "See 'kubectl run -h' for help and examples"),
    ("run t --image=nginx -t", "error: -i/--stdin is required for containers with -t/--tty=true\n"
                               "See 'kubectl run -h' for help and examples"),
    ("run t --image=nginx --restart=Sometimes", "error: invalid restart policy: Sometimes\n"
                                                "See 'kubectl run -h' for help and examples"),
    ("run t --image=nginx -i --dry-run=client", "error: --dry-run=[server|client] can't be used with attached "
     "containers options (--attach, --stdin, or --tty)\nSee 'kubectl run -h' for help and examples"),
    ("run t --image=Nginx:", 'error: Invalid image name "Nginx:": invalid reference format'),
    # the model's own refusals, before anything is created
    ("run t --rm -it --image=busybox -- sh", 'error: k8sedu does not model an interactive shell ("sh"); give the '
     'command to run: -- sh -c "nslookup web" or -- nslookup web'),
    ("run t --rm -it --image=busybox -- sh -c 'nslookup web | head -3'", "error: k8sedu runs one command in sh -c, "
     "without pipes, ;, &&, redirections or variables; it cannot run 'nslookup web | head -3'"),
])
def test_run_refusals_change_nothing(cluster, command, message):
    """run.go RunOptions.Run and getRestartPolicy, in their order; cmdutil.UsageErrorf adds the See line."""
    assert refused(cluster, command) == message


def test_run_an_existing_name_is_already_exists(cluster):
    """The API server's AlreadyExists, as createGeneratedObject returns it."""
    out(cluster.core, "run web --image=nginx")
    assert err(cluster.core, "run web --image=nginx") == 'Error from server (AlreadyExists): pods "web" already exists'


# ================================================================ kubectl logs

def test_logs_shows_nginx_access_lines_with_the_client_the_pod_saw(web):
    """nginx's default `log_format combined` (the official image's nginx.conf); the time is the simulated
    clock; the client address is the one the pod saw (derived from code: network.node.deliver)."""
    client = pods(web, "web-")[0]
    trace = web.request(f"http://{pods(web, 'web-')[1].status.pod_ip}/", from_pod=client.metadata.name)
    size = len(trace.body.encode())
    assert out(web.core, f"logs {trace.pod}") == (
        f'{client.status.pod_ip} - - [05/Jan/2026:09:05:10 +0000] "GET / HTTP/1.1" 200 {size} "-" "-"')
    assert out(web.core, f"logs {trace.pod} --tail=0") == ""


def test_logs_of_a_deployment_picks_one_pod_and_says_so(web):
    """polymorphichelpers/logsforobject.go: "Found %v pods, using pod/%v" on stderr (podutils.ByLogging)."""
    result = run(web.core, "logs deploy/web")
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr.startswith("Found 3 pods, using pod/web-")


def test_logs_errors_are_the_kubelet_s_and_kubectl_s(web):
    """logs.go Complete (NotFound wrapped "in namespace"), the kubelet's validateContainerLogStatus
    (previous terminated container ... not found), and cmdutil.UsageErrorf for the usage line."""
    name = pods(web, "web-")[0].metadata.name
    assert refused(web, "logs nope") == \
        'error: error from server (NotFound): pods "nope" not found in namespace "default"'
    assert refused(web, f"logs {name} --previous") == \
        f'Error from server (BadRequest): previous terminated container "nginx" in pod "{name}" not found'
    assert refused(web, "logs") == ("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
                                    "POD or TYPE/NAME is a required argument for the logs command\n"
                                    "See 'kubectl logs -h' for help and examples")
    assert refused(web, f"logs {name} -c sidecar") == \
        f"Error from server (BadRequest): container sidecar is not valid for pod {name}"
    assert refused(web, f"logs {name} -f").startswith('error: k8sedu does not model "kubectl logs -f"')


def test_logs_of_a_container_that_has_not_started(cluster):
    """The kubelet's validateContainerLogStatus: `is waiting to start: <reason>`, and its own words for
    ImagePullBackOff ("trying and failing to pull image")."""
    out(cluster.core, "run web --image=nginx")
    out(cluster.core, "run bad --image=nginx:no-such-tag")
    assert refused(cluster, "logs web") == ('Error from server (BadRequest): container "web" in pod "web" is '
                                            "waiting to start: ContainerCreating")
    cluster.advance(20)
    assert refused(cluster, "logs bad") == ('Error from server (BadRequest): container "bad" in pod "bad" is '
                                            "waiting to start: trying and failing to pull image")


# ================================================================ kubectl port-forward

def test_port_forward_prints_kubectl_s_lines_and_pins_one_pod(web):
    """client-go tools/portforward: "Forwarding from %s -> %d" for 127.0.0.1 then [::1]; a svc/ argument is
    translated to the pod's targetPort (portforward.go translateServicePortToTargetPort)."""
    assert out(web.core, "port-forward svc/web 8080:80") == (
        "Forwarding from 127.0.0.1:8080 -> 80\nForwarding from [::1]:8080 -> 80")
    answered = {web.request("http://localhost:8080/", source="host").pod for _ in range(20)}
    assert len(answered) == 1  # every connection goes to the pod chosen when the command started


def test_port_forward_goes_through_the_api_server_and_kubelet_not_iptables(web):
    """The path of a port-forward (kubelet CRI PortForward, API server /portforward subresource); the
    pod sees 127.0.0.1 (derived from code: network.portforward.through_port_forward)."""
    out(web.core, "port-forward deploy/web 9000:80")
    trace = web.request("http://localhost:9000/", source="host")
    assert trace.ok and trace.client_ip_seen == "127.0.0.1"
    assert [h.component for h in trace.hops] == [
        "/etc/hosts", "kubectl port-forward", "kube-apiserver",
        f"kubelet ({web.api.get('Pod', 'default', trace.pod).spec.node_name})", f"pod/{trace.pod}"]
    assert not any("KUBE-" in h.detail or h.rules for h in trace.hops)


def test_port_forward_ends_with_its_pod_and_an_empty_reply_when_nothing_listens(web):
    """kubectl accepts the local connection first, so a closed pod port is curl's (52); when the pod goes
    away kubectl exits ("lost connection to pod") and the local port refuses (7)."""
    out(web.core, "port-forward deploy/web 9001:81")
    assert web.request("http://localhost:9001/", source="host").exit_code == 52
    forwarded = web.core.port_forwards[9001].pod
    out(web.core, f"delete pod {forwarded}")
    assert web.request("http://localhost:9001/", source="host").exit_code == 7


@pytest.mark.parametrize("command, message", [
    ("port-forward svc/web", "error: TYPE/NAME and list of ports are required for port-forward\n"
                             "See 'kubectl port-forward -h' for help and examples"),
    ("port-forward svc/web 8080:8080", "error: Service web does not have a service port 8080"),
    ("port-forward svc/web 8080:http", "error: Service 'web' does not have a named port 'http'"),
    ("port-forward nope 8080:80", 'Error from server (NotFound): pods "nope" not found'),
    ("port-forward svc/web 80x:80", "error: error parsing local port '80x': strconv.ParseUint: parsing \"80x\": "
                                    "invalid syntax"),
])
def test_port_forward_refusals(web, command, message):
    """portforward.go Complete and pkg/util/service_port.go; client-go portforward parsePorts."""
    assert refused(web, command) == message
    assert web.core.port_forwards == {}


def test_port_forward_a_port_in_use(web):
    """client-go portforward listenOnPort: both listeners fail, then "unable to listen on any of the
    requested ports"."""
    out(web.core, "port-forward svc/web 8080:80")
    assert refused(web, "port-forward svc/web 8080:80") == (
        "Unable to listen on port 8080: Listeners failed to create with the following errors: [unable to create "
        "listener: Error listen tcp4 127.0.0.1:8080: bind: address already in use unable to create listener: "
        "Error listen tcp6 [::1]:8080: bind: address already in use]\n"
        "error: unable to listen on any of the requested ports: [{8080 80}]")


# ================================================================ set image, rollout history / undo

def test_set_image_then_history_then_undo(web):
    """set_image.go Run ("image updated"; an unchanged object is skipped silently; unknown container);
    history.go ViewHistory (tabbedString: minwidth 0, padding 2) printed by the name printer with the table as
    its operation ("deployment.apps/web " + table); rollback.go ("rolled back"), whose old ReplicaSet gets the
    next revision (deployment/util SetNewReplicaSetAnnotations)."""
    assert out(web.core, "set image deploy/web nginx=nginx:1.28") == "deployment.apps/web image updated"
    assert out(web.core, "set image deploy/web nginx=nginx:1.28") == ""
    assert refused(web, "set image deploy/web php=php:8") == 'error: unable to find container named "php"'
    web.advance(60)
    assert out(web.core, "rollout history deploy/web") == (
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n")
    assert out(web.core, "rollout undo deploy/web") == "deployment.apps/web rolled back"
    web.advance(60)
    assert out(web.core, "rollout history deployment web") == (
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n")
    rs = current_rs(web)
    assert rs.spec.template.spec.containers[0].image == "nginx:1.27"
    assert dict(rs.metadata.annotations) == {
        "deployment.kubernetes.io/desired-replicas": "3", "deployment.kubernetes.io/max-replicas": "4",
        "deployment.kubernetes.io/revision": "3", "deployment.kubernetes.io/revision-history": "1"}
    assert web.api.get("Deployment", "default", "web").metadata.annotations["deployment.kubernetes.io/revision"] == "3"


def test_rollout_history_of_one_revision_prints_its_pod_template(web):
    """history.go printTemplate: DescribePodTemplate through a PrefixWriter (tabs not aligned)."""
    rs = current_rs(web)
    text = out(web.core, "rollout history deploy/web --revision=1")
    assert text.startswith("deployment.apps/web with revision #1\nPod Template:\n  Labels:\tapp=web\n"
                           f"  \tpod-template-hash={rs.metadata.labels['pod-template-hash']}\n  Containers:\n"
                           "   nginx:\n    Image:\tnginx:1.27\n")


def test_change_cause_is_copied_from_the_deployment_to_its_replicaset(web):
    """deployment/util copyDeploymentAnnotationsToReplicaSet; ViewHistory reads kubernetes.io/change-cause."""
    dep = web.api.get("Deployment", "default", "web")
    import dataclasses
    from k8sedu.objects import frozen
    web.api.update(dataclasses.replace(dep, metadata=dataclasses.replace(
        dep.metadata, annotations=frozen({**dep.metadata.annotations, "kubernetes.io/change-cause": "nginx 1.27"}))))
    web.advance(1)
    assert out(web.core, "rollout history deploy/web").endswith("1         nginx 1.27\n")


@pytest.mark.parametrize("command, message", [
    ("rollout undo deploy/web", 'error: no rollout history found for deployment "web"'),
    ("rollout undo deploy/web --to-revision=5", "error: unable to find specified revision 5 in history"),
    ("rollout history deploy/web --revision=5", "error: unable to find the specified revision"),
    ("rollout undo svc/web", 'error: no rollbacker has been implemented for "Service"'),
    ("rollout history svc/web", 'error: no history viewer has been implemented for "Service"'),
    ("set image deploy/web", "error: at least one image update is required"),
    ("set image deploy/nope nginx=nginx:1", 'Error from server (NotFound): deployments.apps "nope" not found'),
])
def test_rollout_and_set_image_refusals(web, command, message):
    """rollback.go deploymentRevision / revisionNotFoundErr, history.go, rollback.go RollbackerFor,
    set_image.go Complete (the builder's NotFound) then Validate."""
    assert refused(web, command) == message


# ================================================================ the Deployment controller

def test_deployment_conditions_follow_a_rollout(web):
    """deployment sync.go calculateStatus / syncRolloutStatus and progress.go, with their reasons and messages."""
    def conditions():
        dep = web.api.get("Deployment", "default", "web")
        return [(c.type, c.status, c.reason, c.message) for c in dep.status.conditions]
    rs = current_rs(web).metadata.name
    assert conditions() == [
        ("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
        ("Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs}" has successfully progressed.')]
    out(web.core, "set image deploy/web nginx=nginx:1.28")
    new = current_rs(web).metadata.name
    assert conditions()[-1][:3] == ("Progressing", "True", "ReplicaSetUpdated")
    assert conditions()[-1][3] == f'ReplicaSet "{new}" is progressing.'
    web.advance(60)
    assert conditions()[-1] == ("Progressing", "True", "NewReplicaSetAvailable",
                                f'ReplicaSet "{new}" has successfully progressed.')


def test_describe_deployment_lists_the_controller_s_conditions(web):
    """describe.go describeDeployment: "%v \\t%v\\t%v" per condition, in the order the controller wrote them."""
    text = out(web.core, "describe deploy web")
    assert ("Conditions:\n  Type           Status  Reason\n  ----           ------  ------\n"
            "  Available      True    MinimumReplicasAvailable\n"
            "  Progressing    True    NewReplicaSetAvailable\n") in text
    assert "Annotations:            deployment.kubernetes.io/revision: 1\n" in text


# ================================================================ get -w, -o jsonpath, --sort-by

def test_get_watch_prints_the_listing_then_one_row_per_change(cluster):
    """get.go watch: the listing flushed once, then each event printed and flushed on its own (so event rows
    are aligned on their own, printers.GetNewTabWriter); --request-timeout ends it quietly."""
    out(cluster.core, "run web --image=nginx:1.27")
    result = run(cluster.core, "get pods -w --request-timeout=5s")
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "NAME   READY   STATUS              RESTARTS   AGE"
    assert lines[1] == "web    0/1     ContainerCreating   0          0s"
    assert lines[-1].split() == ["web", "1/1", "Running", "0", lines[-1].split()[-1]]
    assert "   " in lines[-1] and not lines[-1].startswith("web    1/1")  # its own alignment, not the header's


def test_get_watch_without_a_timeout_stops_at_the_model_s_cap_and_says_so(cluster):
    """The model's own limit (a real watch runs until Ctrl-C): the clock moves 60 s, stderr says why."""
    before = cluster.now
    result = run(cluster.core, "get deploy -w")
    assert cluster.now == before + 60
    assert result.stderr.startswith("k8sedu: stopped watching after 60s of simulated time")
    assert refused(cluster, "get pods,svc -w") == ("error: watch is only supported on individual resources and "
                                                   "resource collections - more than 1 resource was found")


@pytest.mark.parametrize("template, expected", [
    ("{.spec.clusterIP}", "10.96.0.1"),
    ("{.spec.ports[0].port}", "443"),
    ("{.metadata.name}{'\\n'}", "kubernetes"),
    ("{.spec.ports[0]}", '{"name":"https","port":443,"protocol":"TCP","targetPort":6443}'),
    ("{.spec.nope}", ""),  # --allow-missing-template-keys defaults to true
])
def test_jsonpath_on_one_object(cluster, template, expected):
    """client-go util/jsonpath: fields, indexes, literals, maps as compact JSON (PrintResults)."""
    assert out(cluster.core, f'get svc kubernetes -o jsonpath="{template}"') == expected


def test_jsonpath_on_lists_with_range_and_filters(web):
    """The kubectl cheat sheet's forms: {.items[*].x}, {range}{end}, [?(@.type=="InternalIP")]."""
    names = sorted(p.metadata.name for p in pods(web, "web-"))
    assert out(web.core, "get pods -o jsonpath='{.items[*].metadata.name}'") == " ".join(names)
    assert out(web.core, "get nodes -o jsonpath='{range .items[*]}{.metadata.name}{\"\\t\"}"
                         "{.status.addresses[?(@.type==\"InternalIP\")].address}{\"\\n\"}{end}'") == (
        "kind-control-plane\t172.18.0.2\nkind-worker\t172.18.0.3\nkind-worker2\t172.18.0.4")
    assert refused(web, "get pods -o jsonpath") == "error: template format specified but no template given"
    assert refused(web, "get pods -o jsonpath='{..name}'").startswith(
        "error: k8sedu does not model the JSONPath expression")


def test_sort_by_orders_rows_naturally(web):
    """sorter.go RuntimeSort: strings in sortorder.NaturalLess order; a path no object has is an error."""
    by_ip = sorted(pods(web, "web-"), key=lambda p: [int(x) for x in p.status.pod_ip.split(".")])
    rows = out(web.core, "get pods --sort-by=.status.podIP --no-headers").splitlines()
    assert [r.split()[0] for r in rows] == [p.metadata.name for p in by_ip]
    assert refused(web, "get pods --sort-by=.spec.nope") == \
        'error: couldn\'t find any field with path "{.spec.nope}" in the list of objects'


# ================================================================ get svc EXTERNAL-IP, Endpoints order

def test_external_ips_show_in_the_external_ip_column(cluster):
    """printers.go getServiceExternalIP: spec.externalIPs joined by ',' (after LB ingress IPs)."""
    out(cluster.core, "create deployment web --image=nginx:1.27")
    cluster.apply("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n"
                  "  externalIPs: [203.0.113.10, 203.0.113.11]\n  ports:\n  - port: 80\n")
    row = out(cluster.core, "get svc web --no-headers").split()
    assert row[3] == "203.0.113.10,203.0.113.11"


def test_a_load_balancer_lists_its_ingress_ips_then_its_external_ips():
    """printers.go getServiceExternalIP, the LoadBalancer case: LB ingress IPs first, then spec.externalIPs;
    <pending> only when there are neither."""
    from k8sedu.kubectl.printers import external_ip
    from k8sedu.objects import (LoadBalancerIngress, LoadBalancerStatus, ObjectMeta, Service, ServicePort,
                                ServiceSpec, ServiceStatus)
    spec = ServiceSpec(type="LoadBalancer", ports=(ServicePort(80),), external_ips=("203.0.113.10",))
    lb = ServiceStatus(load_balancer=LoadBalancerStatus(ingress=(LoadBalancerIngress(ip="172.18.255.200"),)))
    assert external_ip(Service(ObjectMeta(name="web"), spec, lb), wide=False) == "172.18.255.200,203.0.113.10"
    assert external_ip(Service(ObjectMeta(name="web"), spec), wide=False) == "203.0.113.10"
    bare = ServiceSpec(type="LoadBalancer", ports=(ServicePort(80),))
    assert external_ip(Service(ObjectMeta(name="web"), bare), wide=False) == "<pending>"


# ================================================================ explain's ENUM blocks

def test_explain_a_field_with_an_enum_prints_its_enum_block(cluster):
    """plaintext.tmpl (kubectl 1.32) "extractEnum", long view after FIELD; the values and the "Possible enum
    values" text as a 1.32 API server serves them (derived from k8s.io/api v0.32.2 types.go by kube-openapi's
    enum generator; the same text is in kubectl's testdata/openapi/v3/api/v1.json)."""
    text = out(cluster.core, "explain service.spec.type")
    assert text.startswith("KIND:       Service\nVERSION:    v1\n\nFIELD: type <string>\nENUM:\n    ClusterIP\n"
                           "    ExternalName\n    LoadBalancer\n    NodePort\n\nDESCRIPTION:\n"
                           "    type determines how the Service is exposed. Defaults to ClusterIP. Valid\n")
    assert ("    Possible enum values:\n"
            "     - `\"ClusterIP\"` means a service will only be accessible inside the cluster,\n"
            "    via the cluster IP.\n") in text


def test_explain_a_field_list_shows_short_enums(cluster):
    """plaintext.tmpl "fieldDetail": `enum: a, b, c, d, ....` (at most 4 values) on the line after the type."""
    text = out(cluster.core, "explain service.spec")
    assert "\n  sessionAffinity\t<string>\n  enum: ClientIP, None\n    Supports \"ClientIP\" and \"None\"." in text
    assert "\n  type\t<string>\n  enum: ClusterIP, ExternalName, LoadBalancer, NodePort\n" in text
    pod = out(cluster.core, "explain pod.spec")
    assert "\n  dnsPolicy\t<string>\n  enum: ClusterFirst, ClusterFirstWithHostNet, Default, None\n" in pod
    # kube-openapi (2024) counts an aliased constant once: 1.27 served "Cluster, Cluster, Local, Local"
    assert "\n  externalTrafficPolicy\t<string>\n  enum: Cluster, Local\n" in text
    paths = out(cluster.core, "explain ingress.spec.rules.http.paths")
    assert "\n  pathType\t<string> -required-\n  enum: Exact, ImplementationSpecific, Prefix\n" in paths


def test_logs_previous_reads_the_run_before_the_restart(cluster):
    """The kubelet's validateContainerLogStatus: a running container's log is its current run, --previous its
    lastState; while it waits in CrashLoopBackOff both read the run that ended last. The restart itself is the
    kubelet model's (a liveness probe on a path nginx answers with 404)."""
    cluster.apply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: nginx\n"
                  "    image: nginx:1.27\n    livenessProbe:\n      httpGet:\n        path: /healthz\n        port: 80\n"
                  "      initialDelaySeconds: 5\n      periodSeconds: 5\n")
    cluster.advance(3)
    trace = cluster.request(f"http://{cluster.api.get('Pod', 'default', 'web').status.pod_ip}/",
                            source="node/kind-worker")
    first = out(cluster.core, "logs web")
    assert first.endswith(f'"GET / HTTP/1.1" 200 {len(trace.body.encode())} "-" "-"')
    assert refused(cluster, "logs web -p").startswith("Error from server (BadRequest): previous terminated")

    def status():
        return cluster.api.get("Pod", "default", "web").status.container_statuses[0]
    while not (status().state == "running" and status().restart_count == 1):
        cluster.advance(1)
    assert (out(cluster.core, "logs web"), out(cluster.core, "logs web --previous")) == ("", first)


def test_a_rollout_that_makes_no_progress_for_600s_exceeds_its_deadline(cluster):
    """deployment progress.go DeploymentTimedOut after progressDeadlineSeconds (600, the API default):
    Progressing False ProgressDeadlineExceeded; rollout_status.go then fails with "exceeded its progress
    deadline" (polymorphichelpers DeploymentStatusViewer)."""
    out(cluster.core, "create deployment bad --image=nginx:no-such-tag")
    cluster.advance(5)
    assert out(cluster.core, "rollout status deploy/bad --watch=false") == (
        'Waiting for deployment "bad" rollout to finish: 0 of 1 updated replicas are available...')
    cluster.advance(600)
    dep = cluster.api.get("Deployment", "default", "bad")
    rs = current_rs(cluster, "bad").metadata.name
    assert [(c.type, c.status, c.reason, c.message) for c in dep.status.conditions] == [
        ("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
        ("Progressing", "False", "ProgressDeadlineExceeded", f'ReplicaSet "{rs}" has timed out progressing.')]
    assert err(cluster.core, "rollout status deploy/bad") == 'error: deployment "bad" exceeded its progress deadline'


def test_only_ten_idle_old_replicasets_are_kept(web):
    """deployment sync.go cleanupDeployment: beyond revisionHistoryLimit (10), the idle old ReplicaSets of the
    oldest revisions are deleted once the rollout is complete."""
    for minor in range(12):
        out(web.core, f"set image deploy/web nginx=nginx:1.{minor}")
        web.advance(30)
    history = out(web.core, "rollout history deploy/web").splitlines()
    assert [line.split()[0] for line in history[2:]] == [str(r) for r in range(3, 14)]
    assert len(web.api.list("ReplicaSet", "default")) == 11


# ================================================================ the Deployment controller, alone

def test_the_controller_writes_the_revision_and_the_created_condition(api, clock):
    """sample-controller style: preload the store, reconcile once, read the writes. deployment sync.go
    getNewReplicaSet (revision "1" = max of none + 1, NewReplicaSetCreated "Created new replica set ..."),
    SetReplicasAnnotations, SetDeploymentRevision, calculateStatus (MinimumReplicasUnavailable)."""
    from k8sedu.controllers.deployment import DeploymentController
    from k8sedu.events import EventLog, Recorder
    from k8sedu.objects import (Container, Deployment, DeploymentSpec, LabelSelector, ObjectMeta, PodSpec,
                                PodTemplateSpec, frozen)
    labels = frozen({"app": "web"})
    api.create(Deployment(ObjectMeta(name="web", namespace="default", labels=labels),
                          DeploymentSpec(LabelSelector(labels),
                                         PodTemplateSpec(ObjectMeta(labels=labels),
                                                         PodSpec((Container("nginx", "nginx:1.27"),))), 4)))
    clock.now = 42.0
    ctrl = DeploymentController(api, Recorder(EventLog(), lambda: clock.now, "deployment-controller"),
                                lambda: clock.now)
    ctrl.reconcile(("default", "web"))
    [rs] = api.list("ReplicaSet", "default")
    assert dict(rs.metadata.annotations) == {"deployment.kubernetes.io/desired-replicas": "4",
                                             "deployment.kubernetes.io/max-replicas": "5",
                                             "deployment.kubernetes.io/revision": "1"}
    dep = api.get("Deployment", "default", "web")
    assert dep.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    assert [(c.type, c.status, c.reason, c.message, c.last_transition_time) for c in dep.status.conditions] == [
        ("Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "{rs.metadata.name}"', 42.0),
        ("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.",
         42.0)]
    rv = api.store.resource_version
    ctrl.reconcile(("default", "web"))
    assert api.store.resource_version == rv  # level-based: nothing new to write


def test_nginx_logs_the_user_agent_of_the_tool_that_asked():
    """nginx's ``combined`` format ends with ``"$http_user_agent"``; curl sends ``curl/<version>``
    (Debian bookworm's 7.88.1 in the nginx image), a request without one logs ``"-"``."""
    cluster = Cluster(seed=4)
    cluster.kubectl("create deployment web --image=nginx:1.27 --port=80")
    cluster.kubectl("expose deployment web --port=80")
    cluster.advance(10)
    pod = cluster.pod_names({"app": "web"})[0]
    cluster.kubectl(f"exec {pod} -- curl -s http://web/")
    cluster.request("http://web/", from_pod=pod)
    lines = cluster.kubectl(f"logs {pod}").splitlines()
    assert lines[0].endswith('"GET / HTTP/1.1" 200 615 "-" "curl/7.88.1"')
    assert lines[1].endswith('"GET / HTTP/1.1" 200 615 "-" "-"')
