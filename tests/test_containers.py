"""Containers that fail, and the kubelet that checks them: pulls, crash loops, readiness and liveness probes.

Each scenario runs through kubectl on a kind-like cluster and reads what a learner
would read: ``get pods`` (READY, STATUS, RESTARTS), ``describe pod`` (State, Last
State, events), ``get endpoints``.
"""

import pytest

from k8sedu import Cluster
from k8sedu.kubelet import PULL_SECONDS, SANDBOX_SECONDS, SYNC_SECONDS
from k8sedu.kubectl import run
from tests.kubectl_results import out


def row(cluster, app):
    """The ``kubectl get pods`` row of the one pod of ``app``, as (READY, STATUS, RESTARTS)."""
    [line] = out(cluster.core, f"get pods -l app={app} --no-headers").splitlines()
    cells = line.split()
    return cells[1], cells[2], " ".join(cells[3:-1])


def events(cluster, app):
    """The ``Events:`` lines of ``kubectl describe pod`` for ``app``'s pod, tabs collapsed."""
    text = out(cluster.core, f"describe pod -l app={app}")
    lines = text.split("Events:", 1)[1].splitlines()[3:]
    return [" ".join(line.split()) for line in lines]


def deploy(cluster, name, container_yaml, replicas=1):
    cluster.apply(f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, labels: {{app: {name}}}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
{container_yaml}""")


# ---------------------------------------------------------------- image pulls

def test_a_tag_that_does_not_exist_goes_errimagepull_then_imagepullbackoff_with_the_kubelets_back_off():
    """Sources: kubelet ``images/image_manager.go`` ``EnsureImageExists`` (events Pulling, Failed, BackOff;
    back-off 10 s doubling, ``NewBackOff(backOffPeriod, MaxContainerBackOff)``), kuberuntime ``startContainer``
    (``Error: ErrImagePull``); the containerd text as kind prints it. The course's old tag ``0.0.1`` is one."""
    cluster = Cluster(seed=1)
    out(cluster.core, "create deployment ce --image=in28min/currency-exchange:0.0.1")
    start = cluster.now
    seen = []
    for at in (1, 3, 4, 14, 15, 16, 36, 37):  # pull 1-3 s fails; retries at 13 s and 35 s (10 s, then 20 s after)
        cluster.advance(start + at - cluster.now)
        seen.append((at, row(cluster, "ce")[1]))
    assert seen == [(1, "ContainerCreating"), (3, "ErrImagePull"), (4, "ImagePullBackOff"),
                    (14, "ImagePullBackOff"), (15, "ErrImagePull"), (16, "ImagePullBackOff"), (36, "ImagePullBackOff"),
                    (37, "ErrImagePull")]
    ref = "docker.io/in28min/currency-exchange:0.0.1"
    assert f'Warning Failed 0s (x3 over 34s) kubelet Failed to pull image "in28min/currency-exchange:0.0.1": ' \
           f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to resolve ' \
           f'reference "{ref}": {ref}: not found' in events(cluster, "ce")
    assert "Warning Failed 0s (x3 over 34s) kubelet Error: ErrImagePull" in events(cluster, "ce")
    assert 'Normal BackOff 21s (x2 over 33s) kubelet Back-off pulling image "in28min/currency-exchange:0.0.1"' \
        in events(cluster, "ce")
    assert out(cluster.core, "get deploy ce --no-headers").split()[1:4] == ["0/1", "1", "0"]


def test_the_courses_real_tag_pulls_and_serves():
    """Source: in28minutes kubernetes-crash-course ``04-currency-exchange-microservice-basic/deployment.yaml``."""
    cluster = Cluster(seed=1)
    out(cluster.core, "create deployment ce --image=in28min/currency-exchange:0.0.1-RELEASE --port=8000")
    cluster.advance(SANDBOX_SECONDS + PULL_SECONDS)
    assert row(cluster, "ce") == ("1/1", "Running", "0")


@pytest.mark.parametrize("image, second_start", [
    # IfNotPresent: the node has it, no pull (images.go "already present on machine")
    ("nginx:1.27", 'Normal Pulled kubelet Container image "nginx:1.27" already present on machine'),
    # no tag means :latest means Always (SetDefaults_Container): the kubelet pulls on every start
    ("nginx", 'Normal Pulling kubelet Pulling image "nginx"'),
])
def test_every_container_start_records_how_it_got_its_image(image, second_start):
    """Source: kubelet ``images/image_manager.go`` ``EnsureImageExists`` and ``shouldPullImage``."""
    cluster = Cluster(nodes=1, seed=1)
    out(cluster.core, f"create deployment a --image={image}")
    cluster.advance(10)
    out(cluster.core, f"create deployment b --image={image}")
    cluster.advance(10)
    assert second_start in [" ".join(w for w in line.split() if not w[0].isdigit()) for line in events(cluster, "b")]
    assert row(cluster, "b") == ("1/1", "Running", "0")


# ---------------------------------------------------------------- crash loops

def test_a_bare_busybox_completes_then_crash_loops_with_the_real_back_off():
    """Sources: docker-library/busybox ``CMD ["sh"]`` (no terminal: sh exits at once, exit code 0);
    kuberuntime_manager ``doBackOff`` (first restart at once, then 10 s, 20 s, 40 s ... 300 s); printers.go
    ``printPod`` (STATUS from the waiting/terminated reason, RESTARTS ``N (age ago)``)."""
    cluster = Cluster(seed=1)
    out(cluster.core, "create deployment bb --image=busybox:1.36")
    started = SANDBOX_SECONDS + PULL_SECONDS
    cluster.advance(started)
    assert row(cluster, "bb") == ("0/1", "Completed", "0")
    cluster.advance(SYNC_SECONDS)  # restarted at once the first time; it exits again at once
    assert row(cluster, "bb") == ("0/1", "Completed", "1 (1s ago)")
    cluster.advance(SYNC_SECONDS)
    assert row(cluster, "bb") == ("0/1", "CrashLoopBackOff", "1 (1s ago)")
    restarts = []
    for _ in range(8):
        before = row(cluster, "bb")[2].split()[0]
        t = cluster.now
        while row(cluster, "bb")[2].split()[0] == before:
            cluster.advance(1)
        restarts.append(cluster.now - t)
    # each wait runs from the previous exit: 10, 20, 40, 80, 160, 300, 300 s (the first one seen 1 s late)
    assert restarts == [9, 20, 40, 80, 160, 300, 300, 300]
    describe = out(cluster.core, "describe pod -l app=bb")
    assert "    Last State:     Terminated\n      Reason:       Completed\n      Exit Code:    0\n" in describe
    assert "Warning  BackOff" in describe and "Back-off restarting failed container busybox in pod bb-" in describe


def test_a_busybox_with_a_command_keeps_running():
    """Source: core/v1 Container ``command`` replaces the image's ENTRYPOINT (``sleep 3600`` runs for an hour;
    tests/test_finite_commands.py has the commands that end)."""
    cluster = Cluster(seed=1)
    deploy(cluster, "bb", '      - {name: bb, image: "busybox:1.36", command: [sleep, "3600"]}\n')
    cluster.advance(60)
    assert row(cluster, "bb") == ("1/1", "Running", "0")


# ---------------------------------------------------------------- probes

READINESS_WRONG_PORT = """\
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 10}
"""


def test_a_readiness_probe_on_a_port_nobody_listens_on_keeps_the_pod_unready_and_out_of_the_endpoints():
    """Sources: k/k ``pkg/probe/http`` (Go's ``Get "...": dial tcp ...: connect: connection refused``),
    prober ``runProbe`` (``Readiness probe failed:`` Unhealthy event on every failure); kubectl describe
    folds repeats into ``(xN over M)``; the Endpoints controller lists an unready pod as not ready."""
    cluster = Cluster(seed=1)
    deploy(cluster, "web", READINESS_WRONG_PORT)
    out(cluster.core, "expose deploy web --port=80")
    cluster.advance(SANDBOX_SECONDS + PULL_SECONDS + 20)  # probes at start, +10 s, +20 s
    ip = cluster.list("Pod", selector={"app": "web"})[0].status.pod_ip
    assert row(cluster, "web") == ("0/1", "Running", "0")
    assert (f'Warning Unhealthy 0s (x3 over 20s) kubelet Readiness probe failed: Get "http://{ip}:8080/": '
            f'dial tcp {ip}:8080: connect: connection refused') in events(cluster, "web")
    assert out(cluster.core, "get endpoints web --no-headers").split()[:2] == ["web", "23s"]  # no ready address
    trace = cluster.request("http://web/", source="node/kind-worker")
    assert not trace.ok


@pytest.mark.parametrize("probe, ready, message", [
    ("{httpGet: {path: /, port: 80}}", "1/1", None),
    ("{httpGet: {path: /healthz, port: 80}}", "0/1", "Readiness probe failed: HTTP probe failed with statuscode: 404"),
    ("{tcpSocket: {port: 80}}", "1/1", None),
    ("{tcpSocket: {port: 81}}", "0/1", "Readiness probe failed: dial tcp {ip}:81: connect: connection refused"),
    ("{httpGet: {path: /, port: http}}", "1/1", None),  # a named port, looked up in the container's ports
])
def test_readiness_probes_check_what_the_image_serves(probe, ready, message):
    """Sources: k/k ``pkg/probe/http/http.go`` (200-399 passes, else ``HTTP probe failed with statuscode: N``),
    ``pkg/probe/tcp/tcp.go``; nginx serves ``/`` and ``/index.html`` only."""
    cluster = Cluster(seed=1)
    deploy(cluster, "web", f"      - {{name: web, image: 'nginx:1.27', ports: [{{containerPort: 80, name: http}}], "
                           f"readinessProbe: {probe}}}\n")
    cluster.advance(30)
    ip = cluster.list("Pod", selector={"app": "web"})[0].status.pod_ip
    assert row(cluster, "web")[0] == ready
    unhealthy = [e for e in events(cluster, "web") if "Unhealthy" in e]
    assert (unhealthy[0].split("kubelet ", 1)[1] if unhealthy else None) == (
        message.format(ip=ip) if message else None)


def test_a_failing_liveness_probe_restarts_the_container_then_backs_off():
    """Sources: prober (``Liveness probe failed:`` Unhealthy), kuberuntime ``computePodActions``
    (``Container X failed liveness probe, will be restarted``, event reason Killing), the restart back-off."""
    cluster = Cluster(seed=1)
    deploy(cluster, "web", "      - {name: web, image: 'nginx:1.27', livenessProbe: "
                           "{httpGet: {path: /healthz, port: 80}, initialDelaySeconds: 5, periodSeconds: 5}}\n")
    cluster.advance(SANDBOX_SECONDS + PULL_SECONDS)
    cluster.advance(5 + 2 * 5)  # failures at 5, 10, 15 s: the third one kills it
    lines = events(cluster, "web")
    assert "Normal Killing 0s kubelet Container web failed liveness probe, will be restarted" in lines
    assert "Warning Unhealthy 0s (x3 over 10s) kubelet Liveness probe failed: HTTP probe failed with statuscode: 404" \
        in lines
    cluster.advance(10)
    assert row(cluster, "web")[2].startswith("1 (")
    cluster.advance(120)
    ready, status, restarts = row(cluster, "web")
    assert int(restarts.split()[0]) >= 3
    assert "Last State:     Terminated" in out(cluster.core, "describe pod -l app=web")


# ---------------------------------------------------------------- exec and the tools images carry

def test_exec_runs_the_flavour_the_image_carries():
    """Sources: GNU wget manual, "Exit Status" (``-q``: no output; 4 network failure); the course's Spring
    Boot images are built on openjdk:8 (Debian, buildpack-deps: GNU wget). busybox's wget prints its error."""
    cluster = Cluster(seed=1)
    out(cluster.core, "create deployment ce --image=in28min/currency-exchange:0.0.1-RELEASE --port=8000")
    deploy(cluster, "bb", '      - {name: bb, image: "busybox:1.36", command: [sleep, "3600"]}\n')
    cluster.advance(10)
    ce, bb = cluster.pod_names({"app": "ce"})[0], cluster.pod_names({"app": "bb"})[0]
    gnu = run(cluster.core, f"exec {ce} -- wget -qO- http://nope/")
    assert (gnu.stdout, gnu.stderr, gnu.exit_code) == ("", "command terminated with exit code 4", 4)
    busy = run(cluster.core, f"exec {bb} -- wget -qO- http://nope/")
    assert (busy.stderr, busy.exit_code) == ("wget: bad address 'nope'\ncommand terminated with exit code 1", 1)
    assert 'exec: "curl": executable file not found in $PATH' in run(
        cluster.core, f"exec {bb} -- curl -s http://ce:8000/").stderr


@pytest.mark.parametrize("policy, status, phase", [
    ("Never", "Completed", "Succeeded"),
    ("OnFailure", "Completed", "Succeeded"),  # exit code 0 is no failure: not restarted
    ("Always", "CrashLoopBackOff", "Running"),
])
def test_the_restart_policy_decides_whether_a_finished_container_starts_again(policy, status, phase):
    """Sources: core/v1 PodSpec ``restartPolicy``; kubelet ``getPhase`` (all containers ended for good:
    Succeeded when every exit code was 0)."""
    cluster = Cluster(seed=1)
    cluster.apply(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: once, labels: {{app: once}}}}
spec:
  restartPolicy: {policy}
  containers:
  - {{name: once, image: "busybox:1.36"}}
""")
    cluster.advance(30)
    assert row(cluster, "once")[1] == status
    assert cluster.get("Pod", "once").status.phase == phase


def test_the_api_shows_the_last_run_and_the_back_off_in_container_statuses():
    """Source: core/v1 ContainerStatus (``lastState.terminated``, ``state.waiting`` reason and message) as the
    kubelet's ``convertToAPIContainerStatuses`` fills them; the message is ``doBackOff``'s
    ``back-off %s restarting failed container=%s pod=%s``."""
    cluster = Cluster(seed=1)
    out(cluster.core, "create deployment bb --image=busybox:1.36")
    cluster.advance(20)
    pod = cluster.list("Pod", selector={"app": "bb"})[0]
    text = out(cluster.core, f"get pod {pod.metadata.name} -o yaml")
    assert ("    lastState:\n      terminated:\n        exitCode: 0\n        finishedAt: \"2026-01-05T09:05:14Z\"\n"
            "        reason: Completed\n") in text
    assert (f"      waiting:\n        message: back-off 20s restarting failed container=busybox pod="
            f"{pod.metadata.name}_default({pod.metadata.uid})\n        reason: CrashLoopBackOff\n") in text
    assert "    restartCount: 2\n    started: false\n" in text


# ---------------------------------------------------------------- the node image's own images

def first_start(cluster, app):
    """How the kubelet got ``app``'s image on its first start: the first image event, ages dropped."""
    lines = [line for line in events(cluster, app) if " Pull" in line]
    return " ".join(w for w in lines[0].split() if not w[0].isdigit())


@pytest.mark.parametrize("image, how", [
    # baked into kindest/node:v1.32.2 (kind v0.27.0 buildcontext.go prePullImagesAndWriteManifests)
    ("registry.k8s.io/pause:3.10", 'Normal Pulled kubelet Container image "registry.k8s.io/pause:3.10" '
                                   'already present on machine'),
    ("registry.k8s.io/etcd:3.5.16-0", 'Normal Pulled kubelet Container image "registry.k8s.io/etcd:3.5.16-0" '
                                      'already present on machine'),
    # containerd normalises the reference: docker.io/kindest/... is the same image
    ("kindest/kindnetd:v20250214-acbabc1a", 'Normal Pulled kubelet Container image '
                                            '"kindest/kindnetd:v20250214-acbabc1a" already present on machine'),
    ("kindest/local-path-helper:v20241212-8ac705d0", 'Normal Pulled kubelet Container image '
                                                     '"kindest/local-path-helper:v20241212-8ac705d0" '
                                                     'already present on machine'),
    # not in the node image: pulled on first start, as before
    ("nginx:1.27", 'Normal Pulling kubelet Pulling image "nginx:1.27"'),
    ("registry.k8s.io/pause:3.9", 'Normal Pulling kubelet Pulling image "registry.k8s.io/pause:3.9"'),
])
def test_kinds_node_image_carries_its_own_images_so_they_start_without_a_pull(image, how):
    """Sources: kind v0.27.0 ``pkg/build/nodeimage/buildcontext.go`` ``prePullImagesAndWriteManifests``
    (built kube images + ``kubeadm config images list`` with containerd's ``sandbox_image`` pause:3.10 +
    ``const_cni.go`` kindnetd + ``const_storage.go`` local-path provisioner and helper); kubelet
    ``images/image_manager.go`` ``EnsureImageExists`` (IfNotPresent and present: ``already present on machine``)."""
    cluster = Cluster(nodes=1, seed=1)
    out(cluster.core, f"create deployment a --image={image} -- sleep infinity")
    cluster.advance(10)
    assert first_start(cluster, "a") == how


def test_kind_system_pods_started_from_the_node_image_without_pulling():
    """Source: kind v0.27.0 node image build (its images are preloaded); on a fresh ``kind create cluster``
    ``kubectl get events -n kube-system`` shows ``Pulled ... already present on machine`` and no ``Pulling``."""
    cluster = Cluster(seed=1)
    text = out(cluster.core, "get events -n kube-system")
    assert "Pulling" not in text
    for image in ("registry.k8s.io/coredns/coredns:v1.11.3", "registry.k8s.io/kube-proxy:v1.32.2",
                  "docker.io/kindest/kindnetd:v20250214-acbabc1a", "registry.k8s.io/kube-apiserver:v1.32.2"):
        assert f'Container image "{image}" already present on machine' in text, image
    storage = out(cluster.core, "get events -n local-path-storage")
    assert 'Container image "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a" already present' in storage
