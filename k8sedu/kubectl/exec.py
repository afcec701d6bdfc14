"""``kubectl exec``: run a program inside a pod's container (kubectl ``pkg/cmd/exec/exec.go``).

The steps are exec.go's: the arguments before ``--`` name the pod (``POD``,
``pod/POD``, or ``deploy/NAME`` / ``svc/NAME``, which pick one of their pods);
the words after ``--`` are the command. The API server refuses a pod that has
no node, the kubelet one whose container is not running yet; a finished pod
cannot be entered, nor one on a node the API server cannot reach. Which programs
exist, and in which flavour, depends on the container's image (``images.tool``).
The program then runs in the pod's own network view (its
``/etc/resolv.conf``, its node's iptables rules), see ``programs``. Its stdout
and stderr come out on kubectl's; a non-zero exit code ends as ``command
terminated with exit code N`` on stderr, and kubectl exits with that code.
kubectl's own notes (the deprecated form without ``--``, which container it
picked) go to stderr first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import Command, namespace_of
from k8sedu.kubectl.flags import Parsed, boolean, string
from k8sedu.kubectl.programs import run_program
from k8sedu.kubectl.streams import IOStreams
from k8sedu.objects import selector_matches

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

DEPRECATED_FORM = ("kubectl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. "
                   "Use kubectl exec [POD] -- [COMMAND] instead.")


def _split(p: Parsed, out: IOStreams) -> tuple[str, list[str]]:
    """Return (resource name, command), as ExecOptions.Complete reads the arguments."""
    resource = p.args[0] if p.args and p.args_len_at_dash != 0 else ""
    if p.args_len_at_dash > -1:
        command = p.args[p.args_len_at_dash:]
    elif len(p.args) > 1:
        if not p["quiet"]:
            out.warn(DEPRECATED_FORM)
        command = p.args[1:]
    else:
        command = []
    if not resource:
        raise KubectlError("error: pod, type/name or --filename must be specified")
    if not command:
        raise KubectlError("error: you must specify at least one command for the container")
    return resource, command


def find_pod(cluster: "Model", resource: str, namespace: str) -> Any:
    """The pod behind ``resource``: a pod by name, or the first pod of a deploy/rs/svc."""
    kind_and_name = resource.split("/", 1) if "/" in resource else ["pods", resource]
    res = resources.lookup(kind_and_name[0])
    try:
        obj = cluster.api.get(res.kind, namespace if res.namespaced else "", kind_and_name[1])
    except StatusError as err:
        raise from_status(err) from None
    if res.kind == "Pod":
        return obj
    if res.kind in ("Deployment", "ReplicaSet"):
        selector = obj.spec.selector.match_labels
    elif res.kind == "Service":
        selector = obj.spec.selector
    else:
        raise KubectlError(f"error: cannot attach to *v1.{res.kind}: not implemented")
    pods = [p for p in cluster.api.list("Pod", namespace) if selector_matches(selector, p.metadata.labels)]
    if not pods:
        raise KubectlError("error: timed out waiting for the condition")
    # podutil.ByLogging, simplified: running and ready pods first, then the oldest.
    return min(pods, key=lambda p: (p.status.phase != "Running", not p.ready, p.metadata.creation_timestamp or 0,
                                    p.metadata.name))


def default_container(pod: Any, wanted: str, out: IOStreams, quiet: bool = False) -> str:
    """The container ``-c`` names, else the first one, noting the choice as kubectl does when there are several."""
    names = [c.name for c in pod.spec.containers]
    if wanted:
        if wanted not in names:
            raise KubectlError(f"Error from server (BadRequest): container {wanted} is not valid for pod "
                               f"{pod.metadata.name}")
        return wanted
    if len(names) > 1 and not quiet:
        out.warn(f'Defaulted container "{names[0]}" out of: {", ".join(names)}')
    return names[0]


def _check_can_exec(cluster: "Model", pod: Any, container: str) -> None:
    if pod.status.phase in ("Succeeded", "Failed"):
        raise KubectlError(f"error: cannot exec into a container in a completed pod; current phase is "
                           f"{pod.status.phase}")
    if not pod.spec.node_name:
        raise KubectlError(f"Error from server (BadRequest): pod {pod.metadata.name} does not have a host assigned")
    running = any(s.name == container and s.state == "running" for s in pod.status.container_statuses)
    if not running or not pod.status.pod_ip:
        raise KubectlError(f'error: unable to upgrade connection: container not found ("{container}")')
    if not cluster.node_is_up(pod.spec.node_name):  # the API server cannot reach that node's kubelet
        raise KubectlError(f"Error from server: error dialing backend: dial tcp {cluster.node_ip(pod.spec.node_name)}"
                           ":10250: connect: no route to host")


def run_exec(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    resource, command = _split(p, out)
    pod = find_pod(cluster, resource, namespace_of(p))
    container = default_container(pod, p["container"], out, p["quiet"])
    _check_can_exec(cluster, pod, container)
    ran = run_program(cluster, pod, container, command)
    out.print(ran.stdout.rstrip("\n"))
    out.warn(ran.stderr.rstrip("\n"))
    if ran.exit_code:
        out.error(f"command terminated with exit code {ran.exit_code}", ran.exit_code)


EXEC = Command(
    path="kubectl exec",
    short="Execute a command in a container.",
    use="kubectl exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...] [options]",
    flags=(
        string("container", "c"),
        boolean("stdin", "i"),
        boolean("tty", "t"),
        boolean("quiet", "q"),
        string("pod-running-timeout", modelled=False),
        string("filename", "f", modelled=False),
    ),
    run=run_exec,
)
