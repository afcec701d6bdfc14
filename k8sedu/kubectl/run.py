"""``kubectl run``: create one Pod from an image, and optionally run a command in it (kubectl ``pkg/cmd/run``).

``kubectl run web --image=nginx --port=80`` creates the Pod kubectl's
``run-pod/v1`` generator builds: labelled ``run=web`` (or ``--labels``), one
container named like the pod, ``restartPolicy`` from ``--restart`` (default
``Always``), the words after ``--`` as the container's ``args`` (``command``
with ``--command``); it prints ``pod/web created``.

With ``-i``/``--attach`` kubectl waits for the pod to run and attaches to it;
with ``--rm`` it deletes the pod when the command ends and prints ``pod "x"
deleted``. That is how a one-shot client is written::

    kubectl run tmp --rm -it --restart=Never --image=busybox:1.36 -- nslookup web
    kubectl run tmp --rm -it --image=nginx -- sh -c "curl -s web"

The kubelet runs the command as the container starts, with the same programs
``kubectl exec`` runs in a pod (``programs``: nslookup, dig, curl, wget, cat,
hostname), inside the new pod's own network view; kubectl prints what that run
wrote (the container's log keeps it, so ``kubectl logs`` shows the same). Without
``--rm`` the pod stays: ``Completed`` or ``Error`` with ``--restart=Never``,
restarted and then ``CrashLoopBackOff`` with the default ``Always``. ``sh -c "..."`` is
understood when the script is one command (no pipes, ``;``, ``&&``,
redirections or variables); other scripts and an interactive shell
(``-- sh`` alone) are refused honestly. kubectl's own notes go to stderr: ``If
you don't see a command prompt, try pressing enter.`` when it attaches to a
running container. With ``--restart=Never`` a failing command ends kubectl
with the container's exit code and ``pod default/x terminated (Error)``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import output
from k8sedu.kubectl.command import PRINT_FORMATS, Command, dry_run, dry_run_flag, namespace_of, output_format
from k8sedu.kubectl.expose import parse_labels
from k8sedu.kubectl.flags import Parsed, array, atoi, boolean, string, usage_error
from k8sedu.kubectl.programs import one_command, run_program, start_error
from k8sedu.kubectl.streams import IOStreams, Result
from k8sedu.objects import Container, ContainerPort, ObjectMeta, Pod, PodSpec, frozen

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

PATH = "kubectl run"
PROMPT_NOTE = "If you don't see a command prompt, try pressing enter."
POD_RUNNING_TIMEOUT = 60  # --pod-running-timeout's default, 1m0s
# distribution/reference's ReferenceRegexp, reduced to what image names look like: [host[:port]/]path[:tag][@digest]
IMAGE = re.compile(r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?"
                   r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
                   r"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?")


def _labels(text: str, name: str) -> dict[str, str]:
    """``--labels a=b,c=d`` (``generate.ParseLabels``), or ``run=<name>``."""
    return parse_labels(text) if text else {"run": name}


def build_pod(p: Parsed, name: str, namespace: str, restart: str) -> Pod:
    """The Pod of kubectl's ``BasicPod`` generator."""
    words = tuple(p.args[p.args_len_at_dash:]) if p.args_len_at_dash >= 0 else tuple(p.args[1:])
    ports = (ContainerPort(atoi(p["port"])),) if p["port"] else ()  # -1 is a number: the API server refuses it
    container = Container(name=name, image=p["image"], ports=ports,
                          command=words if p["command"] else (), args=() if p["command"] else words)
    return Pod(ObjectMeta(name=name, namespace=namespace, labels=frozen(_labels(p["labels"], name))),
               PodSpec(containers=(container,), restart_policy=restart))


def _restart_policy(p: Parsed) -> str:
    restart = p["restart"]
    if restart not in ("Always", "OnFailure", "Never"):
        raise usage_error(f"invalid restart policy: {restart}", PATH)
    return restart


def _validate(p: Parsed) -> None:
    """``RunOptions.Run``'s checks, in its order."""
    if not p.args or p.args_len_at_dash == 0:
        raise usage_error("NAME is required for run", PATH)
    if not IMAGE.fullmatch(p["image"]):
        raise KubectlError(f'error: Invalid image name "{p["image"]}": invalid reference format')
    if p["tty"] and not p["stdin"]:
        raise usage_error("-i/--stdin is required for containers with -t/--tty=true", PATH)


def run_run(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    _validate(p)
    name = p.args[0]
    namespace = namespace_of(p)
    restart = _restart_policy(p)
    attach = p["attach"] if "attach" in p.changed else p["stdin"]
    if p["rm"] and not attach:
        raise usage_error("--rm should only be used for attached containers", PATH)
    is_dry_run = dry_run(p)
    if attach and is_dry_run:
        raise usage_error("--dry-run=[server|client] can't be used with attached containers options (--attach, "
                          "--stdin, or --tty)", PATH)
    fmt = output_format(p, PRINT_FORMATS, ("", "name", "yaml", "json"))
    pod = build_pod(p, name, namespace, restart)
    if attach:  # refuse what the model cannot run before anything is created
        _program_of(pod)
    if is_dry_run:
        out.print(_generated(pod, fmt, p))
        return
    try:
        pod = cluster.api.create(pod)
    except StatusError as err:
        raise from_status(err) from None
    if not attach:
        out.print(output.generated(pod, fmt, False) if fmt in ("yaml", "json")
                  else (f"pod/{name}" if fmt == "name" else f"pod/{name} created"))
        return
    cluster.settle()
    _attach_and_run(cluster, pod, p, out)


def _generated(pod: Pod, fmt: str, p: Parsed) -> str:
    """``--dry-run=client``: the generator's Pod (it sets ``dnsPolicy`` and ``restartPolicy`` itself)."""
    if fmt in ("", "name"):
        return f"pod/{pod.metadata.name}" + ("" if fmt == "name" else " created (dry run)")
    doc = output.manifest(pod, served=False)
    if "namespace" not in p.changed:
        doc["metadata"].pop("namespace", None)
    doc["spec"] = {"containers": doc["spec"]["containers"], "restartPolicy": pod.spec.restart_policy,
                   "dnsPolicy": "ClusterFirst"}
    doc = {"kind": doc["kind"], "apiVersion": doc["apiVersion"],
           **{k: v for k, v in doc.items() if k not in ("kind", "apiVersion")}}
    return output.render(doc, fmt, sort=False)


def _wait_running(cluster: "Model", pod: Pod) -> Pod:
    """``waitForPod(podRunningAndReady)``: advance the clock until the pod runs or ends, for at most 1m.

    A program that ends at once may already have ended (and been restarted) when
    the clock next moves: the model then takes the attach to have seen that run.
    """
    waited = 0
    while True:
        current = cluster.api.try_get("Pod", pod.metadata.namespace, pod.metadata.name)
        if current is None or current.metadata.uid != pod.metadata.uid:
            raise KubectlError(f'error: pods "{pod.metadata.name}" not found')
        if current.status.phase in ("Succeeded", "Failed") or (current.status.phase == "Running" and current.ready):
            return current
        if _first_run(current) is not None:
            return current
        if waited >= POD_RUNNING_TIMEOUT:
            raise KubectlError("error: timed out waiting for the condition")
        cluster.advance(1)
        waited += 1


def _attach_and_run(cluster: "Model", pod: Pod, p: Parsed, out: IOStreams) -> None:
    """Attach (or read the log of a pod that already ended), run the command, then ``--rm``."""
    container = pod.spec.containers[0]
    argv = _program_of(pod)
    try:
        running = _wait_running(cluster, pod)
        ran, message = _program_output(cluster, running, container.name, argv)
        if ran is not None:
            if running.status.phase == "Running" and not p["quiet"]:
                out.warn(PROMPT_NOTE)
            out.print(ran.stdout.rstrip("\n"))
            out.warn(ran.stderr.rstrip("\n"))
    finally:
        if p["rm"]:
            _remove(cluster, pod, out)
    where = f"{pod.metadata.namespace}/{pod.metadata.name}"
    if ran is None:  # runc could not start the command: the container never ran
        out.error(f"pod {where} terminated (StartError)\n{message}", 128)
    elif ran.exit_code and pod.spec.restart_policy in ("Never", "OnFailure"):
        out.error(f"pod {where} terminated (Error)", ran.exit_code)


def _program_of(pod: Pod) -> list[str]:
    """The one program the pod's command runs, or kubectl's refusal of what the model cannot run."""
    words = list(pod.spec.containers[0].command + pod.spec.containers[0].args)
    if not words:
        raise KubectlError(f"error: k8sedu does not model attaching to the image's own command in "
                           f"{pod.metadata.name}; give the command to run after --, e.g. -- nslookup web")
    return one_command(words)


def _run_or_fail_start(cluster: "Model", pod: Pod, container: str, argv: list[str]) -> Optional[Result]:
    """Run the program; None if the image lacks it, so the container cannot even start (runc's ``exec`` fails).

    With ``--restart=Never`` the pod fails at once and kubectl reports the
    container's ``StartError`` (exit code 128); otherwise the kubelet keeps
    retrying and kubectl gives up after ``--pod-running-timeout`` (1m).
    """
    try:
        return run_program(cluster, pod, container, argv)
    except KubectlError as err:
        if "executable file not found in $PATH" not in str(err):
            raise
    if pod.spec.restart_policy == "Never":
        return None
    cluster.advance(POD_RUNNING_TIMEOUT)
    raise KubectlError("error: timed out waiting for the condition")


def _program_output(cluster: "Model", pod: Pod, container: str, argv: list[str]) -> tuple[Optional[Result], str]:
    """What the attached program printed and its exit code, or (None, runc's message) if it could not start.

    The kubelet ran a program that ends as the container started: its output
    is the first run's log. A command that keeps running is run here, as
    ``kubectl exec`` would (the model's programs answer at once).
    """
    ended = _first_run(pod)
    if ended is not None and ended[1] == "StartError":
        return _failed_start(cluster, pod), ended[2] or start_error(argv[0])
    if ended is not None:
        stdout, stderr = cluster.logs.read_streams(pod, container, 0)
        return Result(stdout, stderr, ended[0]), ""
    ran = _run_or_fail_start(cluster, pod, container, argv)
    if ran is not None:
        _log_program(cluster, pod, container, ran)
    return ran, start_error(argv[0])


def _first_run(pod: Pod) -> Optional[tuple[int, str, str]]:
    """(exit code, reason, message) of the container's first run if it has ended, else None."""
    status = pod.status.container_statuses[0] if pod.status.container_statuses else None
    if status is None:
        return None
    if status.state == "terminated":
        return status.exit_code, status.reason, status.message
    last = status.last_state
    return (last.exit_code, last.reason, "") if last is not None else None


def _failed_start(cluster: "Model", pod: Pod) -> None:
    """The container could not start: with ``--restart=Never`` the pod failed (None: kubectl reports it);
    otherwise the kubelet keeps retrying and kubectl's wait for a running pod times out after 1m."""
    if pod.spec.restart_policy == "Never":
        return None
    cluster.advance(POD_RUNNING_TIMEOUT)
    raise KubectlError("error: timed out waiting for the condition")


def _log_program(cluster: "Model", pod: Pod, container: str, ran: Result) -> None:
    """The output of a program kubectl ran itself goes to the container's log too (``kubectl logs``)."""
    for stream, text in (("stdout", ran.stdout), ("stderr", ran.stderr)):
        for line in text.splitlines():
            cluster.logs.write(pod, container, line, stream)


def _remove(cluster: "Model", pod: Pod, out: IOStreams) -> None:
    """``--rm``: delete the pod (``pod "x" deleted``); its command has ended, so it goes at once."""
    try:
        cluster.api.delete("Pod", pod.metadata.namespace, pod.metadata.name)
    except StatusError:
        return  # IgnoreNotFound
    out.print(f'pod "{pod.metadata.name}" deleted')
    for _ in range(pod.spec.termination_grace_period_seconds):
        if cluster.api.try_get("Pod", pod.metadata.namespace, pod.metadata.name) is None:
            return
        cluster.advance(1)


RUN = Command(
    path=PATH, short="Run a particular image on the cluster",
    use='kubectl run NAME --image=image [--env="key=value"] [--port=port] [--dry-run=server|client] '
        "[--overrides=inline-json] [--command] -- [COMMAND] [args...] [options]",
    flags=(string("image", required=True), string("port"), string("labels", "l"), string("restart", default="Always"),
           boolean("rm"), boolean("stdin", "i"), boolean("tty", "t"), boolean("attach"), boolean("quiet", "q"),
           boolean("command"), string("output", "o"), dry_run_flag(),
           array("env", modelled=False), array("annotations", modelled=False), boolean("expose", modelled=False),
           string("image-pull-policy", modelled=False), string("overrides", modelled=False),
           boolean("privileged", modelled=False), string("pod-running-timeout", modelled=False),
           boolean("leave-stdin-open", modelled=False), string("serviceaccount", modelled=False),
           string("field-manager", modelled=False)),
    run=run_run,
)
