"""Checks for using the course (notebook 00): kubectl through the model, manifests, kubectl's errors, simulated time.

- ``check_deployment_command(command, cluster, name, replicas, port)`` runs
  the learner's kubectl command, lets a few simulated seconds pass, and checks
  that Deployment ``name`` exists and runs ``replicas`` Ready pods that answer
  HTTP on ``port``.
- ``check_fixed_manifest(manifest, cluster, name, replicas, port)`` applies
  the learner's corrected manifest (the API server, not this check, decides
  whether it is valid), then checks the same things.
- ``check_shows_why(command, cluster, app)`` runs the learner's read-only
  kubectl command and checks that what it prints carries the kubelet's own
  reason why the app's pods cannot start (its ``Failed`` event).
- ``check_ready_seconds(seconds, cluster, deployment)`` applies the task's
  Deployment to a fresh scratch cluster and steps its clock one simulated
  second at a time until every pod is Ready, then compares.

On success a check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still the placeholder ``...``, or
``CheckFailed`` saying what is wrong, with a hint.

Examples
--------
>>> from k8sedu.cluster import Cluster
>>> check_deployment_command(..., Cluster(seed=0), "currency-exchange", 3)
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with the kubectl command (a string) that creates deployment currency-exchange with 3 replicas
"""

from __future__ import annotations

from typing import Any, Optional

import math

import yaml

from k8sedu.checks.base import CheckFailed, check, command_line, number, ok, require, run_command
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError

__all__ = ["check_deployment_command", "check_fixed_manifest", "check_ready_seconds", "check_shows_why"]

SETTLE_SECONDS = 10  # simulated time a check lets pass after running the learner's command or manifest
MAX_SECONDS = 300    # how long check_ready_seconds waits on its scratch cluster for the pods to be Ready
READ_ONLY = ("get", "describe", "logs", "explain")  # the kubectl verbs that only read
MAGIC_HINT = ("Leave out %kubectl: it is the notebook's way to run kubectl. Write what follows it, as you would "
              "type it after `kubectl` in a terminal.")  # when a learner copies a %kubectl line


# ---------------------------------------------------------------- a kubectl command

@check
def check_deployment_command(command: Any, cluster: Cluster, name: str, replicas: int, port: Optional[int] = None,
                             namespace: str = "default") -> None:
    """Run ``command`` on ``cluster``; check Deployment ``name`` then runs ``replicas`` Ready pods.

    If ``port`` is given, each pod must also answer ``GET /`` on it (sent from
    a node, straight to the pod IP), so ``--port`` must name the port the
    image really listens on.
    """
    __tracebackhide__ = True
    command = command_line(command, f"the kubectl command (a string) that creates deployment {name} with {replicas} "
                                    "replicas", example=', for example "get pods"')
    before = {d.metadata.name for d in cluster.list("Deployment", namespace)}
    if name in before:
        raise CheckFailed(f"deployment {name} exists already, so the check cannot tell what your command does.",
                          "Run the task's setup cell again (it builds a fresh cluster), then this check.")
    run_command(cluster, command, _refusal_hint)
    cluster.advance(SETTLE_SECONDS)
    deployments = {d.metadata.name for d in cluster.list("Deployment", namespace)} - before
    if name not in deployments:
        pods = {p.metadata.name for p in cluster.list("Pod", namespace) if not p.metadata.owner_references}
        if pods:
            raise CheckFailed(f"Your command created the bare pod {', '.join(sorted(pods))}, and no deployment {name}.",
                              "kubectl run starts one Pod that nothing replaces. kubectl create deployment makes a "
                              "Deployment, which keeps the number of pods you ask for.")
        if deployments:
            raise CheckFailed(f"Your command created deployment {', '.join(sorted(deployments))}, not {name}.",
                              "The name comes right after `create deployment`; the task names the Deployment.")
        raise CheckFailed(f"There is no deployment {name} after your command.",
                          "Only `kubectl create deployment ...` (or apply) creates one; get and describe only read.")
    _check_running(cluster, name, replicas, port, namespace)


def _refusal_hint(text: str) -> str:
    if 'unknown command "%' in text:
        return MAGIC_HINT
    if "exactly one NAME is required" in text:
        return "Name the Deployment right after `create deployment`: the task says which name it needs."
    if "does not exist" in text and "path" in text:
        return ("There is no manifest file here for -f to read. Create the Deployment from the command line: "
                "%kubectl create deployment --help lists the flags for the image, the replicas and the port.")
    if "unknown flag" in text:
        return ("kubectl knows no such flag: check its spelling (it is --replicas, with an s). "
                "%kubectl create deployment --help lists the flags.")
    if 'required flag(s) "image"' in text:
        return "A Deployment runs containers, so kubectl needs to know their image: add --image=<image>."
    if "unknown command" in text or "unknown shorthand" in text:
        return "Start with the verb, as after `kubectl` in a terminal: create deployment <name> --image=..."
    if "already exists" in text:
        return "Run the task's setup cell again (it builds a fresh cluster), then this check."
    return "Read kubectl's message above: it names what it could not accept. --help shows the usage."


def _check_running(cluster: Cluster, name: str, replicas: int, port: Optional[int], namespace: str) -> None:
    """Deployment ``name`` asks for ``replicas`` pods, all Running and Ready, each answering on ``port``."""
    __tracebackhide__ = True
    deployment = cluster.get("Deployment", name, namespace)
    if deployment.spec.replicas != replicas:
        raise CheckFailed(f"deployment/{name} asks for {deployment.spec.replicas} replica"
                          f"{'s' if deployment.spec.replicas != 1 else ''}, not {replicas}.",
                          "Without --replicas (or spec.replicas in YAML) a Deployment runs 1 pod. "
                          "Say how many you want when you create it." if deployment.spec.replicas == 1 else
                          f"The task asks for {replicas}: that is the number --replicas (or spec.replicas) must say.")
    pods = [p for p in cluster.list("Pod", namespace, dict(deployment.spec.selector.match_labels))
            if not p.terminating]
    waiting = [p for p in pods if not _ready(p)]
    if waiting:
        pod = waiting[0]
        states = [s.reason for s in pod.status.container_statuses if s.reason] or [pod.status.phase]
        image = deployment.spec.template.spec.containers[0].image
        hint = (f"The pods stay at {states[0]}. Is {image!r} an image that exists? %kubectl describe pod "
                f"{pod.metadata.name} shows the kubelet's events."
                if any("Image" in s for s in states) else
                "Pods need a few simulated seconds to pull the image and start; then they show READY 1/1.")
        raise CheckFailed(f"{len(waiting)} of {len(pods)} pods of {name} are not Ready after "
                          f"{SETTLE_SECONDS} simulated seconds.", hint)
    answered = []
    if port is not None:
        node = f"node/{cluster.list('Node')[0].metadata.name}"
        for pod in pods:
            trace = cluster.request(f"http://{pod.status.pod_ip}:{port}/", source=node)
            if trace.pod != pod.metadata.name:
                raise CheckFailed(f"Pod {pod.metadata.name} does not answer on port {port}: "
                                  f"{trace.reason or trace.status}.",
                                  f"Is the image the one the task names? Its program listens on port {port}.")
            answered.append(pod.metadata.name)
    listening = f", and each answers HTTP on port {port}" if port is not None else ""
    ok(f"deployment/{name} runs {len(pods)} Ready pods{listening}.")


def _ready(pod) -> bool:
    return pod.status.phase == "Running" and any(c.type == "Ready" and c.status == "True"
                                                 for c in pod.status.conditions)


# ---------------------------------------------------------------- a manifest

@check
def check_fixed_manifest(manifest: Any, cluster: Cluster, name: str, replicas: int, port: Optional[int] = None,
                         namespace: str = "default") -> None:
    """Apply ``manifest`` to ``cluster``; check Deployment ``name`` then runs ``replicas`` Ready pods.

    The API server judges the manifest, as on a real cluster: a refusal is
    shown with a hint for the kind of mistake it names.
    """
    __tracebackhide__ = True
    require(manifest, f"the corrected YAML manifest (a string) of deployment {name}")
    if not isinstance(manifest, str) or not manifest.strip():
        raise CheckFailed(f"The manifest should be YAML text in a string, not {manifest!r}.",
                          'Put the whole manifest between triple quotes: manifest = """...""".')
    try:
        cluster.apply(manifest)
    except KubectlError as err:
        raise CheckFailed(f"kubectl refused the manifest:\n  {err}", _manifest_hint(str(err))) from None
    cluster.advance(SETTLE_SECONDS)
    try:
        cluster.get("Deployment", name, namespace)
    except KubectlError:
        made = ", ".join(d.metadata.name for d in cluster.list("Deployment", namespace)) or "none"
        raise CheckFailed(f"kubectl accepted the manifest, but there is no deployment {name} (deployments: {made}).",
                          f"Keep metadata.name: {name}; fix only what kubectl complained about.") from None
    _check_running(cluster, name, replicas, port, namespace)


def _manifest_hint(text: str) -> str:
    if "error converting YAML" in text:
        return ("The YAML itself does not parse, at the line kubectl names. Indent with spaces only (never tabs), "
                "and keep the keys of one mapping at the same depth.")
    if "cannot unmarshal string" in text:
        return ("A field has the wrong type: the message names the field and the type it wants. "
                'In YAML, "8000" in quotes is a string; 8000 is a number.')
    if "does not match template `labels`" in text:
        return ("spec.selector.matchLabels must match the labels in spec.template.metadata.labels, letter for "
                "letter: it is how the Deployment finds its own pods.")
    if "unknown field" in text:
        return "A field name is misspelled: kubectl names it. %kubectl explain deployment.spec lists the real ones."
    if "Required value" in text:
        return "A field the API needs is missing: kubectl names it. Put it back."
    if "no matches for kind" in text:
        return "Check apiVersion and kind: a Deployment is apiVersion apps/v1, kind Deployment (capital D)."
    return "Read kubectl's message: it names the field it could not accept."


# ---------------------------------------------------------------- simulated time

@check
def check_ready_seconds(seconds: Any, cluster: Cluster, deployment: str, namespace: str = "default") -> None:
    """Check ``seconds`` is how long, in simulated seconds after ``apply``, ``deployment`` takes to be all Ready.

    The check does not touch ``cluster``: it applies the same Deployment to a
    fresh scratch cluster and steps its clock one second at a time.
    """
    __tracebackhide__ = True
    require(seconds, f"the number of simulated seconds (a whole number) until every pod of {deployment} is Ready")
    value = number(seconds)
    if value is None or not math.isfinite(value) or value != int(value) or value < 0:
        raise CheckFailed(f"The answer should be a whole number of seconds, not {seconds!r}.",
                          "Count the seconds you passed to .advance(...) until READY showed 1/1 everywhere.")
    try:
        spec = _exported(cluster, deployment, namespace)
    except KubectlError as err:
        raise CheckFailed(str(err), "Run the task's setup cell again: it creates the Deployment.") from None
    scratch = Cluster(seed=0)
    scratch.apply(spec)
    selector = spec["spec"]["selector"]["matchLabels"]
    for elapsed in range(1, MAX_SECONDS + 1):
        scratch.advance(1)
        pods = scratch.list("Pod", namespace, selector)
        if pods and all(_ready(p) for p in pods):
            break
    else:  # pragma: no cover - the task's Deployment always becomes Ready
        raise CheckFailed(f"The pods of {deployment} never become Ready.", "Run the task's setup cell again.")
    template = spec["spec"]["template"]["spec"]["containers"][0]
    delay = (template.get("readinessProbe") or {}).get("initialDelaySeconds")
    if int(value) == elapsed:
        started = min(s.started_at for p in pods for s in p.status.container_statuses) - min(
            p.metadata.creation_timestamp for p in pods)
        probe = f", then the readiness probe's first check {delay} s after the start" if delay else ""
        ok(f"On a fresh cluster every pod of {deployment} is Ready {elapsed} simulated seconds after apply: "
           f"their containers started {started:.0f} s after apply{probe}.")
        return
    if delay is not None and int(value) == delay:
        hint = ("initialDelaySeconds counts from the moment the container started, not from apply: the kubelet "
                "first pulled the image. Look at the pods' events (Pulling, Pulled, Started).")
    elif value < elapsed:
        hint = (f"After {int(value)} seconds the pods are not Ready yet: READY still shows 0/1. Step the task "
                "cluster's clock with .advance(1) and watch %kubectl get pods.")
    else:
        hint = (f"The pods are Ready before {int(value)} seconds. Step the task cluster's clock one second at a "
                "time with .advance(1) and stop at the first READY 1/1 for every pod.")
    raise CheckFailed(f"{int(value)} is not the number of simulated seconds until every pod of {deployment} is Ready.",
                      hint)


def _why_refused_hint(verb: str, text: str) -> str:
    """A hint for a read-only command kubectl refused."""
    if "does not model" in text:
        return "The model does not know that flag: try the command without it."
    if verb == "logs":
        return ("Logs are what a running container printed. These containers never started: who tried to start "
                "them? The kubelet records what went wrong as events about the pod.")
    return "Read kubectl's message; %kubectl get pods lists the pods' names."


def _exported(cluster: Cluster, deployment: str, namespace: str) -> dict:
    """The learner's Deployment as ``cluster.export()`` writes it (what one would apply to a fresh cluster)."""
    for doc in yaml.safe_load_all(cluster.export()):
        if (doc and doc.get("kind") == "Deployment" and doc["metadata"]["name"] == deployment
                and doc["metadata"].get("namespace", "default") == namespace):
            return doc
    raise KubectlError(f'Error from server (NotFound): deployments.apps "{deployment}" not found')


# ---------------------------------------------------------------- which command shows why

@check
def check_shows_why(command: Any, cluster: Cluster, app: str, namespace: str = "default") -> None:
    """Run the read-only ``command``; check its output carries the kubelet's reason why ``app``'s pods cannot start.

    The reason is the message of the kubelet's ``Failed`` event for a pod
    labelled ``app=<app>`` (``Failed to pull image ...: <the registry's error>``),
    read from the live event log, not stored here.
    """
    __tracebackhide__ = True
    command = command_line(command, f"the kubectl command (a string) that shows why the {app} pods cannot start",
                           example=', for example "get pods"')
    words = command.split()
    if words[0] in ("%kubectl", "%%kubectl"):
        raise CheckFailed(f"`{command.strip()}` starts with {words[0]}.", MAGIC_HINT)
    words = words[1:] if words[0] == "kubectl" else words
    verb = words[0] if words else ""
    if not verb:
        raise CheckFailed("The command is only `kubectl`, with nothing to do.",
                          f"Add what kubectl should do: one of {', '.join(READ_ONLY)}, and what to look at.")
    if verb not in READ_ONLY:
        raise CheckFailed(f"`{verb}` is not a command that only reads: the task asks what the cluster says, "
                          "without changing it.", f"Look with one of: {', '.join(READ_ONLY)}.")
    pods = set(cluster.pod_names({"app": app}, namespace))
    reasons = [e.message for e in cluster.events.since(0) if e.kind == "Pod" and e.name in pods
               and e.reason == "Failed" and not e.message.startswith("Error: ")]
    if not reasons:  # pragma: no cover - the task's setup makes the pods fail
        raise CheckFailed(f"No pod of {app} has a Failed event.", "Run the task's setup cell again.")
    try:
        shown = cluster.kubectl(command)
    except KubectlError as err:
        shown = str(err)
        if "waiting to start" in shown:
            raise CheckFailed(f"kubectl answered:\n  {shown}",
                              "A container that never started has no logs. Who tried to start it? The kubelet "
                              "records what went wrong as events about the pod.") from None
        raise CheckFailed(f"kubectl refused the command:\n  {shown}", _why_refused_hint(verb, shown)) from None
    if any(reason in shown for reason in reasons):
        ok(f"The output carries the kubelet's event: {reasons[0]}")
        return
    if any(state in shown for state in ("ImagePullBackOff", "ErrImagePull", "Back-off pulling")):
        hint = ("That names the state the pods are in, not its cause. The kubelet records the cause as an event "
                "about each pod: describe a pod, or list the events.")
    elif verb == "describe" and len(words) > words.index(verb) + 1 and not words[words.index(verb) + 1].startswith(
            ("po", "-")):
        hint = ("Events belong to the object they are about. The Deployment and its ReplicaSet did their part "
                "(they created the pods); the pull failed for the pods themselves.")
    else:
        hint = "The kubelet records why a container cannot start as an event about its pod."
    raise CheckFailed(f"The output of `{command.strip()}` does not say why the {app} pods cannot start.", hint)
