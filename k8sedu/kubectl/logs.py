"""``kubectl logs``: what a container wrote (kubectl ``pkg/cmd/logs/logs.go``, the kubelet's log endpoint).

``kubectl logs POD`` asks the API server, which asks the kubelet of the pod's
node, for the container's log (``k8sedu.containerlogs``: in the model, one
access-log line per request the container's app answered, nginx's
``combined`` format for nginx images). ``TYPE/NAME`` (``deploy/web``,
``svc/web``) picks one pod the way kubectl does and says ``Found 3 pods, using
pod/...`` on stderr; a pod with several containers takes the first and says
``Defaulted container ...``. ``--previous`` reads the run before the last
restart, ``--tail=N`` the last N lines.

The kubelet refuses what it cannot read, in its own words:
``container "x" in pod "y" is waiting to start: ContainerCreating`` (or
``trying and failing to pull image``), ``previous terminated container "x"
in pod "y" not found``. ``-f`` would wait for new lines forever, which a
notebook cell cannot do: it is refused honestly (send requests, then run
``kubectl logs`` again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import Command, namespace_of
from k8sedu.kubectl.exec import default_container
from k8sedu.kubectl.flags import Parsed, boolean, integer, string, usage_error
from k8sedu.kubectl.streams import IOStreams
from k8sedu.objects import selector_matches

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

USAGE = ("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
         "POD or TYPE/NAME is a required argument for the logs command")
# kubelet validateContainerLogStatus: the waiting reasons it words in its own way.
WAITING_TEXT = {"ErrImagePull": "image can't be pulled", "ImagePullBackOff": "trying and failing to pull image"}


def _pod_for(cluster: "Model", arg: str, namespace: str, out: IOStreams) -> Any:
    """The pod ``arg`` names: ``POD``, ``pod/POD``, or one pod of a deploy/rs/svc (``podutils.ByLogging``)."""
    kind_word, _, name = arg.rpartition("/")
    res = resources.lookup(kind_word or "pods")
    try:
        obj = cluster.api.get(res.kind, namespace if res.namespaced else "", name)
    except StatusError as err:
        if err.reason == "NotFound":
            raise KubectlError(f'error: error from server (NotFound): {res.qualified} "{name}" not found in '
                               f'namespace "{namespace}"') from None
        raise from_status(err) from None
    if res.kind == "Pod":
        return obj
    if res.kind not in ("Deployment", "ReplicaSet", "Service", "DaemonSet"):
        raise KubectlError(f"error: cannot get the logs from *v1.{res.kind}: selector for *v1.{res.kind} not "
                           "implemented")
    selector = obj.spec.selector if res.kind == "Service" else obj.spec.selector.match_labels
    pods = [p for p in cluster.api.list("Pod", namespace) if selector_matches(selector, p.metadata.labels)]
    if not pods:
        raise KubectlError("error: timed out waiting for the condition")
    pod = min(pods, key=by_logging)
    if len(pods) > 1:
        out.warn(f"Found {len(pods)} pods, using pod/{pod.metadata.name}")
    return pod


def by_logging(pod: Any) -> tuple:
    """``podutils.ByLogging``: assigned, running, ready pods first, then more restarts, then the oldest.

    (The model's pods do not record when they became ready, so rule 4, "ready
    for longer first", is left out; the name breaks the last ties.)
    """
    restarts = max((s.restart_count for s in pod.status.container_statuses), default=0)
    phase = {"Running": 0, "Unknown": 1, "Pending": 2}.get(pod.status.phase, 0)  # a Go map's zero value
    return (not pod.spec.node_name, phase, not pod.ready, -restarts, pod.metadata.creation_timestamp or 0.0,
            pod.metadata.name)


def run_to_read(pod: Any, container: str, previous: bool) -> int:
    """The kubelet's ``validateContainerLogStatus``: which run of the container ``kubectl logs`` reads.

    A running container's current run; with ``--previous`` the run before (its
    ``lastState``). A container waiting to restart (CrashLoopBackOff) has no
    current run, so both read the run that ended last. A container that never
    ran has no log at all.
    """
    status = next((s for s in pod.status.container_statuses if s.name == container), None)
    where = f'container "{container}" in pod "{pod.metadata.name}"'
    count = status.restart_count if status is not None else 0
    ended = status is not None and status.last_state is not None
    if previous:
        if not ended:
            raise KubectlError(f"Error from server (BadRequest): previous terminated {where} not found")
        return count - 1 if status.state == "running" else count
    if status is not None and status.state == "waiting" and not ended:
        reason = WAITING_TEXT.get(status.reason, status.reason)
        raise KubectlError(f"Error from server (BadRequest): {where} is waiting to start: {reason}")
    return count


def read_logs(cluster: "Model", pod: Any, container: str, previous: bool, tail: int) -> list[str]:
    """The lines ``kubectl logs`` prints for ``container`` in ``pod`` (``tail`` -1: all of them)."""
    if not pod.spec.node_name:
        return []  # the API server has no kubelet to ask yet: an empty log
    lines = cluster.logs.read(pod, container, run_to_read(pod, container, previous))
    return lines[len(lines) - tail:] if 0 <= tail < len(lines) else lines


def run_logs(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    if p["follow"]:
        raise KubectlError('error: k8sedu does not model "kubectl logs -f" (it waits for new lines until you press '
                           "Ctrl-C); send some requests, then run kubectl logs again")
    if not p.args or len(p.args) > 2:
        raise usage_error(USAGE, "kubectl logs")
    if p["tail"] < -1:
        raise KubectlError("error: --tail must be greater than or equal to -1")
    if len(p.args) == 2 and p["container"]:
        raise KubectlError("error: only one of -c or an inline [CONTAINER] arg is allowed")
    pod = _pod_for(cluster, p.args[0], namespace_of(p), out)
    container = default_container(pod, p["container"] or (p.args[1] if len(p.args) == 2 else ""), out)
    out.print("\n".join(read_logs(cluster, pod, container, p["previous"], p["tail"])))


LOGS = Command(
    path="kubectl logs", short="Print the logs for a container in a pod",
    use="kubectl logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER] [options]",
    flags=(string("container", "c"), boolean("previous", "p"), integer("tail", default=-1), boolean("follow", "f"),
           boolean("timestamps", modelled=False), boolean("all-containers", modelled=False),
           string("selector", "l", modelled=False), string("since", modelled=False),
           string("since-time", modelled=False), boolean("prefix", modelled=False),
           string("pod-running-timeout", modelled=False), string("limit-bytes", modelled=False)),
    run=run_logs,
)
