"""Containers whose command is a program that ends: it runs once per start, logs its output, and exits.

``kubectl run t --image=busybox:1.36 --restart=Never -- wget -qO- http://web``
creates a pod whose container runs wget once: the pod goes ``Completed`` (exit
0) or ``Error``, ``kubectl logs t`` prints what wget wrote; with the default
``restartPolicy: Always`` the kubelet starts it again and again
(``CrashLoopBackOff``), and ``kubectl logs --previous`` reads the run before.
Servers, ``sleep infinity`` and commands the model does not run keep running.

Sources named per test: containerd's CRI plugin ``toCRIContainerStatus``
(pkg/cri/server/container_status.go: reason ``Completed`` for exit code 0,
``Error`` otherwise; the kubelet's kuberuntime ``toKubeContainerStatus`` copies
it), the kubelet's ``getPhase`` (pkg/kubelet/kubelet_pods.go), kubectl's
``printPod`` (pkg/printers/internalversion/printers.go: STATUS is the
container's terminated reason), kubectl's ``run.go`` (``handleAttachPod``
reads the log of a pod that already ended).
"""

import random

import pytest

from k8sedu import Cluster
from k8sedu.core import Core
from k8sedu.kubectl import run
from tests.kubectl_results import out

BUSYBOX = "busybox:1.36"
DNSUTILS = "registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3"


@pytest.fixture(scope="module")
def base():
    """A kind cluster with nginx behind Service ``web`` (port 80), settled."""
    cluster = Cluster(seed=3)
    out(cluster.core, "create deployment web --image=nginx:1.27 --replicas=2")
    out(cluster.core, "expose deployment web --port=80")
    cluster.advance(30)
    return cluster


def pod_row(cluster, name):
    """(READY, STATUS, RESTARTS) of ``kubectl get pod NAME``."""
    cells = out(cluster.core, f"get pod {name} --no-headers").split()
    return cells[1], cells[2], " ".join(cells[3:-1])


def terminated(cluster, name):
    """(reason, exit code) of the container's current or last ended run."""
    status = cluster.get("Pod", name).status.container_statuses[0]
    if status.state == "terminated":
        return status.reason, status.exit_code
    return status.last_state.reason, status.last_state.exit_code


def web_page(cluster):
    return cluster.request("http://web/", from_pod=cluster.pod_names({"app": "web"})[0]).body


# ---------------------------------------------------------------- one run, then the restart policy

FINISHED = [
    # (restartPolicy, image, command, STATUS, phase, (reason, exit code), log)
    ("Never", BUSYBOX, "wget -qO- http://web", "Completed", "Succeeded", ("Completed", 0), "PAGE"),
    ("Never", BUSYBOX, "wget -qO- http://nope", "Error", "Failed", ("Error", 1), "wget: bad address 'nope'"),
    ("Never", "nginx:1.27", "curl -s web", "Completed", "Succeeded", ("Completed", 0), "PAGE"),
    ("Never", "nginx:1.27", "sh -c 'curl -s web'", "Completed", "Succeeded", ("Completed", 0), "PAGE"),
    ("Never", "nginx:1.27", "curl -sS http://nope", "Error", "Failed", ("Error", 6),
     "curl: (6) Could not resolve host: nope"),
    ("Never", DNSUTILS, "dig +short web.default.svc.cluster.local", "Completed", "Succeeded", ("Completed", 0),
     "CLUSTER-IP"),
    ("Never", BUSYBOX, "hostname", "Completed", "Succeeded", ("Completed", 0), "POD"),
    ("OnFailure", BUSYBOX, "wget -qO- http://web", "Completed", "Succeeded", ("Completed", 0), "PAGE"),
    ("OnFailure", BUSYBOX, "wget -qO- http://nope", "CrashLoopBackOff", "Running", ("Error", 1),
     "wget: bad address 'nope'"),
    ("Always", BUSYBOX, "wget -qO- http://web", "CrashLoopBackOff", "Running", ("Completed", 0), "PAGE"),
]


@pytest.mark.parametrize("policy, image, command, status, phase, ended, log", FINISHED)
def test_a_command_that_ends_runs_once_then_the_restart_policy_decides(base, policy, image, command, status,
                                                                         phase, ended, log):
    """containerd CRI ``toCRIContainerStatus`` (Completed/Error by exit code); kubelet ``getPhase`` (Never, or
    OnFailure after exit 0: Succeeded/Failed; else Running); ``printPod`` (STATUS is the terminated or waiting
    reason). Exit codes: busybox wget 1, curl 6 (CURLE_COULDNT_RESOLVE_HOST). The log is what the program
    printed, stdout and stderr (the kubelet's log endpoint serves both)."""
    cluster = base
    name = f"t{FINISHED.index((policy, image, command, status, phase, ended, log))}"
    out(cluster.core, f"run {name} --image={image} --restart={policy} -- {command}")
    cluster.advance(25)
    assert pod_row(cluster, name)[1] == status
    assert cluster.get("Pod", name).status.phase == phase
    assert terminated(cluster, name) == ended
    expected = {"PAGE": web_page(cluster).rstrip("\n"), "POD": name,
                "CLUSTER-IP": cluster.get("Service", "web").spec.cluster_ip}.get(log, log)
    assert out(cluster.core, f"logs {name}") == expected


def test_the_container_runs_what_exec_would_run_in_it(base):
    """Derived from code: the kubelet runs the same programs ``kubectl exec`` runs (``programs.RUNNER``), so a
    finished pod's log and exit code are what exec prints in a running pod of the same image (busybox 1.36's
    nslookup walks the search list; its exit code is dnstools' busybox model)."""
    cluster = base
    out(cluster.core, f"run shell --image={BUSYBOX} -- sleep infinity")
    out(cluster.core, f"run once --image={BUSYBOX} --restart=Never -- nslookup web")
    cluster.advance(25)
    execed = run(cluster.core, "exec shell -- nslookup web")
    code = int(execed.stderr.rsplit(" ", 1)[-1]) if execed.exit_code else 0
    assert terminated(cluster, "once")[1] == code
    assert out(cluster.core, "logs once").rstrip("\n") == execed.stdout.rstrip("\n")
    assert pod_row(cluster, "shell") == ("1/1", "Running", "0")


@pytest.mark.parametrize("image, status, code", [
    (BUSYBOX, "Error", 1),         # an NXDOMAIN on any search candidate sets busybox's exit code
    (DNSUTILS, "Completed", 0),    # bind9's nslookup stops at the first name that answers
])
def test_nslookup_of_a_short_name_ends_as_its_flavour_exits(base, image, status, code):
    """busybox networking/nslookup.c (1.33+, with the search list): ``G.exitcode = EXIT_FAILURE`` for every
    reply whose rcode is not 0, so ``nslookup web`` exits 1 even though web.default.svc.cluster.local answered
    (the other search candidates get NXDOMAIN): the pod says ``Error``. bind9's nslookup exits 0."""
    cluster = base
    name = f"ns{code}"
    out(cluster.core, f"run {name} --image={image} --restart=Never -- nslookup web")
    cluster.advance(25)
    assert (pod_row(cluster, name)[1], terminated(cluster, name)[1]) == (status, code)
    ip = cluster.get("Service", "web").spec.cluster_ip
    assert f"Name:\tweb.default.svc.cluster.local\nAddress: {ip}" in out(cluster.core, f"logs {name}")


# ---------------------------------------------------------------- commands that keep running

RUNNING = [
    (BUSYBOX, "sleep infinity"),          # coreutils and busybox: sleeps until stopped
    (BUSYBOX, "sleep 3600"),              # not yet: an hour is far away
    (BUSYBOX, "tail -f /dev/null"),       # not a program the model runs: it keeps today's behaviour
    ("nginx:1.27", "nginx -g 'daemon off;'"),  # a server
    (BUSYBOX, "sh -c 'nslookup web | head -3'"),  # a script the model does not run
]


@pytest.mark.parametrize("image, command", RUNNING)
def test_commands_that_do_not_end_keep_running(base, image, command):
    """Derived from code: the runner returns None for what it does not know to end (``programs.Runner``);
    ``printPod``: a running, ready container is ``Running``."""
    cluster = base
    name = f"r{RUNNING.index((image, command))}"
    out(cluster.core, f"run {name} --image={image} -- {command}")
    cluster.advance(60)
    assert pod_row(cluster, name) == ("1/1", "Running", "0")
    assert out(cluster.core, f"logs {name}") == ""


MISSING = [
    # (restartPolicy, image, command, STATUS, (reason, exit code), log)
    ("Never", "nginx:1.27", "nslookup web", "StartError", ("StartError", 128), ""),
    ("Always", "nginx:1.27", "nslookup web", "CrashLoopBackOff", ("StartError", 128), ""),
    ("Never", "nginx:1.27", "sh -c 'nslookup web'", "Error", ("Error", 127), "sh: 1: nslookup: not found"),
    ("Never", BUSYBOX, "sh -c 'curl -s web'", "Error", ("Error", 127), "sh: curl: not found"),
]


@pytest.mark.parametrize("policy, image, command, status, ended, log", MISSING)
def test_a_program_the_image_lacks(base, policy, image, command, status, ended, log):
    """containerd ``errorStartReason``/``errorStartExitCode`` (StartError, 128: runc cannot exec the command;
    kuberuntime ``startContainer`` records ``Failed`` "Error: <message>"); through ``sh -c`` the shell runs and
    says the program is not found, exit 127 (dash prints the line number, busybox ash does not)."""
    cluster = base
    name = f"m{MISSING.index((policy, image, command, status, ended, log))}"
    out(cluster.core, f"run {name} --image={image} --restart={policy} -- {command}")
    cluster.advance(25)
    assert pod_row(cluster, name)[1] == status
    assert terminated(cluster, name) == ended
    assert out(cluster.core, f"logs {name}") == log
    if ended[0] == "StartError":
        text = out(cluster.core, f"describe pod {name}")
        assert ('Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: '
                'runc create failed: unable to start container process: exec: "nslookup": executable file not '
                'found in $PATH: unknown') in text
        assert "Started" not in text.split("Events:", 1)[1]


@pytest.mark.parametrize("words, seconds", [("20", 20), ("1m", 60), ("1m 30", 90), ("0.5m", 30)])
def test_sleep_ends_after_its_time(words, seconds):
    """GNU coreutils ``sleep`` (and busybox's with FEATURE_FANCY_SLEEP): NUMBER[SUFFIX]..., s/m/h/d, the
    arguments add up; it exits 0, so ``Completed``."""
    cluster = Cluster(seed=1)
    out(cluster.core, f"run s --image={BUSYBOX} --restart=Never -- sleep {words}")
    cluster.advance(5)
    status = cluster.get("Pod", "s").status.container_statuses[0]
    assert status.state == "running"
    cluster.advance(status.started_at + seconds - cluster.now - 0.5)
    assert pod_row(cluster, "s") == ("1/1", "Running", "0")
    cluster.advance(1)
    assert pod_row(cluster, "s") == ("0/1", "Completed", "0")


# ---------------------------------------------------------------- logs, describe, kubectl run -i

def test_logs_previous_shows_the_run_before_the_restart(base):
    """kubelet ``validateContainerLogStatus``: while the container waits in CrashLoopBackOff the log is the run
    that ended last; once it runs again, ``--previous`` is the run before. Each run writes its own output (the
    second request answered by whichever pod the rules picked: the page is the same)."""
    cluster = base
    out(cluster.core, f"run again --image={BUSYBOX} -- wget -qO- http://web")
    cluster.advance(12)
    page = web_page(cluster).rstrip("\n")
    assert out(cluster.core, "logs again") == page
    assert out(cluster.core, "logs again --previous") == page
    status = cluster.get("Pod", "again").status.container_statuses[0]
    assert status.restart_count >= 1 and status.last_state.reason == "Completed"


def test_describe_shows_the_ended_run(base):
    """kubectl describe ``describeContainerState``: State Terminated with the runtime's reason and exit code."""
    cluster = base
    out(cluster.core, f"run gone --image={BUSYBOX} --restart=Never -- wget -qO- http://nope")
    cluster.advance(25)
    text = out(cluster.core, "describe pod gone")
    assert "    State:          Terminated\n      Reason:       Error\n      Exit Code:    1\n" in text


def test_run_attached_prints_the_one_run_the_kubelet_made(base):
    """run.go ``handleAttachPod``: a pod that already ended is read through its log, so the program runs once;
    with --restart=Never kubectl returns the container's exit code (``pod %s/%s terminated (%s)``)."""
    cluster = base
    result = run(cluster.core, f"run att -i --restart=Never --image={BUSYBOX} -- wget -qO- http://nope")
    assert (result.stdout, result.exit_code) == ("", 1)
    assert result.stderr == "wget: bad address 'nope'\npod default/att terminated (Error)"
    assert out(cluster.core, "logs att") == "wget: bad address 'nope'"  # one run: the line is there once
    ok = run(cluster.core, f"run att2 -i --restart=Never --image={BUSYBOX} -- wget -qO- http://web")
    assert (ok.stdout, ok.exit_code) == (web_page(cluster).rstrip("\n"), 0)
    assert out(cluster.core, "logs att2") == ok.stdout


def test_a_core_without_a_program_runner_keeps_every_command_running():
    """Derived from code: the core runs commands only through the runner the facade hands it (``Core(programs=)``);
    the core alone (no tools) keeps the behaviour it had."""
    core = Core(nodes=2, rng=random.Random(1))
    out(core, f"run t --image={BUSYBOX} --restart=Never -- wget -qO- http://nope")
    core.advance(30)
    assert core.api.get("Pod", "default", "t").status.container_statuses[0].state == "running"
