"""The checks of exercise 00 (k8sedu.checks.start): a kubectl command, a refused manifest, simulated time."""

import pytest

from k8sedu import Cluster
from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.start import (check_deployment_command, check_fixed_manifest, check_ready_seconds,
                                 check_shows_why)

IMAGE = "in28min/currency-exchange:0.0.1-RELEASE"
MANIFEST = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: currency-exchange
spec:
  replicas: 2
  selector:
    matchLabels:
      app: currency-exchange
  template:
    metadata:
      labels:
        app: currency-exchange
    spec:
      containers:
      - name: currency-exchange
        image: {IMAGE}
        ports:
        - containerPort: 8000
"""
PROBE = """\
        readinessProbe:
          httpGet:
            path: /
            port: 8000
          initialDelaySeconds: 15
          periodSeconds: 5
"""


@pytest.fixture
def empty():
    return Cluster(seed=101, current=False)


def _fails(check, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as caught:
        check(*args, **kwargs)
    return caught.value


# ---------------------------------------------------------------- task 1

def test_the_create_deployment_command_passes(empty, capsys):
    check_deployment_command(f"create deployment currency-exchange --image={IMAGE} --replicas=3 --port=8000",
                             empty, "currency-exchange", replicas=3, port=8000)
    assert capsys.readouterr().out.startswith("✓ deployment/currency-exchange runs 3 Ready pods")


def test_a_leading_kubectl_is_fine(empty, capsys):
    check_deployment_command(f"kubectl create deployment currency-exchange --image={IMAGE} --replicas=3",
                             empty, "currency-exchange", replicas=3, port=8000)
    assert capsys.readouterr().out.startswith("✓ ")


def test_a_placeholder_is_not_answered_yet(empty):
    with pytest.raises(NotAnswered, match="the kubectl command"):
        check_deployment_command(..., empty, "currency-exchange", replicas=3)


@pytest.mark.parametrize("command, problem, hint", [
    (f"create deployment currency-exchange --image={IMAGE}", "asks for 1 replica, not 3", "Without --replicas"),
    (f"create deployment currency-exchange --image={IMAGE} --replicas=2", "asks for 2 replicas", "The task asks for 3"),
    (f"create deployment currency-exchange --image={IMAGE} --replica=3", "unknown flag", "--replicas, with an s"),
    ("create deployment currency-exchange --replicas=3", 'required flag(s) "image"', "add --image=<image>"),
    (f"run currency-exchange --image={IMAGE}", "created the bare pod currency-exchange", "kubectl run starts one Pod"),
    (f"create deployment exchange --image={IMAGE} --replicas=3", "created deployment exchange",
     "The name comes right after"),
    ("create deployment currency-exchange --image=nginx:1.27 --replicas=3", "does not answer on port 8000",
     "Is the image the one the task names?"),
    ("create deployment currency-exchange --image=nginx:1.2x7 --replicas=3", "are not Ready", "Is 'nginx:1.2x7'"),
    ("get pods", "There is no deployment currency-exchange", "get and describe only read"),
    (5, "should be a kubectl command line in a string", "Write it in quotes"),
    (f"%kubectl create deployment currency-exchange --image={IMAGE} --replicas=3", 'unknown command "%kubectl"',
     "Leave out %kubectl"),
    (f"create deployment --image={IMAGE} --replicas=3", "exactly one NAME is required",
     "Name the Deployment right after `create deployment`"),
    ("apply -f deployment.yaml", "does not exist", "There is no manifest file here"),
])
def test_each_wrong_command_gets_its_own_hint(empty, command, problem, hint):
    failure = _fails(check_deployment_command, command, empty, "currency-exchange", replicas=3, port=8000)
    assert problem in failure.problem and hint in failure.hint


def test_an_existing_deployment_asks_for_a_fresh_setup(empty):
    empty.kubectl(f"create deployment currency-exchange --image={IMAGE} --replicas=3")
    failure = _fails(check_deployment_command, "get pods", empty, "currency-exchange", replicas=3)
    assert "exists already" in failure.problem and "setup cell again" in failure.hint


# ---------------------------------------------------------------- task 2

def test_the_fixed_manifest_passes(capsys):
    check_fixed_manifest(MANIFEST, Cluster(seed=102, current=False), "currency-exchange", replicas=2, port=8000)
    assert capsys.readouterr().out.startswith("✓ deployment/currency-exchange runs 2 Ready pods")


def test_a_blank_manifest_is_not_answered_yet():
    with pytest.raises(NotAnswered, match="corrected YAML manifest"):
        check_fixed_manifest(..., Cluster(seed=102, current=False), "currency-exchange", replicas=2)


@pytest.mark.parametrize("manifest, problem, hint", [
    (MANIFEST.replace("containerPort: 8000", 'containerPort: "8000"'), "cannot unmarshal string",
     '"8000" in quotes is a string'),
    (MANIFEST.replace("labels:\n        app: currency-exchange", "labels:\n        app: currency-exchnage"),
     "`selector` does not match template `labels`", "must match the labels in spec.template.metadata.labels"),
    (MANIFEST.replace("  replicas", "\treplicas"), "error converting YAML", "Indent with spaces only"),
    (MANIFEST.replace("      - name: currency-exchange\n        image", "      - image"), "Required value",
     "A field the API needs is missing"),
    (MANIFEST.replace("apps/v1", "v1"), "no matches for kind", "apiVersion apps/v1"),
    (MANIFEST.replace("replicas: 2", "replicas: 3"), "asks for 3 replicas, not 2", "The task asks for 2"),
    (MANIFEST.replace("name: currency-exchange\nspec", "name: exchange\nspec"), "no deployment currency-exchange",
     "Keep metadata.name: currency-exchange"),
    (7, "should be YAML text in a string", "triple quotes"),
])
def test_each_wrong_manifest_gets_its_own_hint(manifest, problem, hint):
    failure = _fails(check_fixed_manifest, manifest, Cluster(seed=102, current=False), "currency-exchange",
                     replicas=2, port=8000)
    assert problem in failure.problem and hint in failure.hint


# ---------------------------------------------------------------- task 3

@pytest.fixture
def probed():
    cluster = Cluster(seed=103, current=False)
    cluster.apply(MANIFEST + PROBE)
    return cluster


def test_the_measured_seconds_pass(probed, capsys):
    check_ready_seconds(18, probed, "currency-exchange")
    out = capsys.readouterr().out
    assert out.startswith("✓ On a fresh cluster every pod of currency-exchange is Ready 18 simulated seconds")
    assert "first check 15 s after the start" in out


def test_the_check_does_not_depend_on_the_learners_clock(probed, capsys):
    probed.advance(100)
    check_ready_seconds("18", probed, "currency-exchange")
    assert capsys.readouterr().out.startswith("✓ ")


def test_no_seconds_yet_is_not_answered(probed):
    with pytest.raises(NotAnswered, match="number of simulated seconds"):
        check_ready_seconds(..., probed, "currency-exchange")


@pytest.mark.parametrize("seconds, hint", [
    (15, "initialDelaySeconds counts from the moment the container started"),
    (17, "After 17 seconds the pods are not Ready yet"),
    (20, "The pods are Ready before 20 seconds. Step the task cluster's clock"),
    ("soon", "Count the seconds you passed"),
    (2.5, "Count the seconds you passed"),
    (float("inf"), "Count the seconds you passed"),
])
def test_each_wrong_count_gets_its_own_hint(probed, seconds, hint):
    assert hint in _fails(check_ready_seconds, seconds, probed, "currency-exchange").hint


def test_a_missing_deployment_is_named():
    failure = _fails(check_ready_seconds, 18, Cluster(seed=104, current=False), "currency-exchange")
    assert 'deployments.apps "currency-exchange" not found' in failure.problem


# ---------------------------------------------------------------- which command shows why

@pytest.fixture
def stuck():
    cluster = Cluster(seed=104, current=False)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1 --replicas=2 "
                    "--port=8000")
    cluster.advance(10)
    return cluster


@pytest.mark.parametrize("command", ["describe pods -l app=currency-exchange", "describe pod", "kubectl get events",
                                     "describe po"])
def test_commands_that_show_the_kubelets_event_pass(stuck, command, capsys):
    check_shows_why(command, stuck, "currency-exchange")
    out = capsys.readouterr().out
    assert out.startswith("✓ The output carries the kubelet's event: Failed to pull image "
                          '"in28min/currency-exchange:0.0.1"')
    assert "not found" in out


def test_describing_one_pod_by_name_passes(stuck, capsys):
    check_shows_why(f"describe pod {stuck.pod_names({'app': 'currency-exchange'})[0]}", stuck, "currency-exchange")
    assert capsys.readouterr().out.startswith("✓ ")


def test_no_command_yet_is_not_answered(stuck):
    with pytest.raises(NotAnswered, match="shows why the currency-exchange pods cannot start"):
        check_shows_why(..., stuck, "currency-exchange")


@pytest.mark.parametrize("command, problem, hint", [
    ("get pods", "does not say why", "That names the state the pods are in, not its cause"),
    ("get pods -l app=currency-exchange -o yaml", "does not say why", "That names the state"),
    ("describe deployment currency-exchange", "does not say why", "Events belong to the object they are about"),
    ("describe rs", "does not say why", "Events belong to the object they are about"),
    ("logs deployment/currency-exchange", "is waiting to start", "A container that never started has no logs"),
    ("describe pod nope", 'pods "nope" not found', "%kubectl get pods lists the pods' names"),
    ("delete pods -l app=currency-exchange", "is not a command that only reads", "Look with one of"),
    ("", "should be a kubectl command line in a string", "Write it in quotes"),
    ("%kubectl describe pods", "starts with %kubectl", "Leave out %kubectl"),
    ("kubectl", "only `kubectl`", "Add what kubectl should do"),
    ("logs currency-exchange", 'pods "currency-exchange" not found', "These containers never started"),
    ("get events --field-selector type=Warning", "--field-selector", "try the command without it"),
])
def test_each_wrong_look_gets_its_own_hint(stuck, command, problem, hint):
    failure = _fails(check_shows_why, command, stuck, "currency-exchange")
    assert problem in failure.problem and hint in failure.hint


def test_a_refused_mutation_leaves_the_pods_alone(stuck):
    pods = stuck.pod_names({"app": "currency-exchange"})
    _fails(check_shows_why, "kubectl scale deployment currency-exchange --replicas=0", stuck, "currency-exchange")
    assert stuck.pod_names({"app": "currency-exchange"}) == pods
