"""``kubectl port-forward``: reach one pod's port from your machine (kubectl ``pkg/cmd/portforward``).

``kubectl port-forward svc/web 8080:80`` picks **one** pod behind the Service
(kubectl's ``AttachablePodForObject``: the most active pod, running and ready
first), turns the Service port 80 into that pod's container port (the
Service's ``targetPort``), then listens on ``127.0.0.1:8080`` and ``[::1]:8080``
and prints kubectl's two ``Forwarding from`` lines per port. The real command
then keeps running in the foreground; in the model it returns and the
forward stays registered (``core.port_forwards``), so
``cluster.request("http://localhost:8080/", source="host")`` goes through it:
kubectl -> API server -> kubelet -> that pod, with no Service and no iptables
on the way (see ``k8sedu.network.portforward``). The forward ends when its
pod goes away, as the real kubectl exits then.

Port arguments: ``LOCAL:REMOTE``, ``PORT`` (the same on both sides),
``:REMOTE`` (a free local port), and a port *name* as REMOTE (the pod's
container port name, or for ``svc/`` the Service port name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import Command, namespace_of
from k8sedu.kubectl.flags import Parsed, string, usage_error
from k8sedu.kubectl.streams import IOStreams
from k8sedu.network.portforward import PortForward
from k8sedu.objects import selector_matches

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

EPHEMERAL = (32768, 60999)  # Linux's ip_local_port_range: where ":80" gets its local port


def most_active(pod: Any) -> tuple:
    """``sort.Reverse(podutils.ActivePods)``: the pod port-forward and attach pick comes first.

    Assigned before unassigned, Running before Unknown before Pending, ready
    before not ready, not deleting before deleting, fewer restarts, older
    first. (The model's pods do not record when they became ready, so "ready
    for longer first" is left out; the name breaks the last ties.)
    """
    restarts = max((s.restart_count for s in pod.status.container_statuses), default=0)
    phase = {"Running": 0, "Unknown": 1}.get(pod.status.phase, 2)
    return (not pod.spec.node_name, phase, not pod.ready, pod.terminating,
            -(pod.metadata.deletion_timestamp or 0.0), restarts, pod.metadata.creation_timestamp or 0.0,
            pod.metadata.name)


def attachable_pod(cluster: "Model", arg: str, namespace: str) -> tuple[Any, Any]:
    """The object ``arg`` names (``POD`` or ``TYPE/NAME``) and the one pod it stands for."""
    kind_word, _, name = arg.rpartition("/")
    res = resources.lookup(kind_word or "pods")
    try:
        obj = cluster.api.get(res.kind, namespace if res.namespaced else "", name)
    except StatusError as err:
        raise from_status(err) from None
    if res.kind == "Pod":
        return obj, obj
    if res.kind not in ("Deployment", "ReplicaSet", "Service", "DaemonSet"):
        raise KubectlError(f"error: cannot attach to *v1.{res.kind}: not implemented")
    selector = obj.spec.selector if res.kind == "Service" else obj.spec.selector.match_labels
    pods = [p for p in cluster.api.list("Pod", namespace) if selector_matches(selector, p.metadata.labels)]
    if not pods:
        raise KubectlError("error: timed out waiting for the condition")
    return obj, min(pods, key=most_active)


def _split(port: str) -> tuple[str, str]:
    """``splitPort``: ``L:R`` -> (L, R); ``P`` -> (P, P)."""
    parts = port.split(":")
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[0])


def _container_port_by_name(pod: Any, name: str) -> int:
    for container in pod.spec.containers:
        for port in container.ports:
            if port.name == name:
                return port.container_port
    raise KubectlError(f"error: Pod '{pod.metadata.name}' does not have a named port '{name}'")


def _target_port(svc: Any, pod: Any, port: int) -> int:
    """``LookupContainerPortNumberByServicePort``: the pod port a Service port leads to."""
    for sp in svc.spec.ports:
        if sp.port != port:
            continue
        if svc.spec.cluster_ip == "None":
            return port
        if isinstance(sp.target_port, str):
            return _container_port_by_name(pod, sp.target_port)
        return sp.target_port or sp.port
    raise KubectlError(f"error: Service {svc.metadata.name} does not have a service port {port}")


def translate(ports: list[str], obj: Any, pod: Any) -> list[tuple[str, int]]:
    """(local, remote container port) for each argument, as ``translateServicePortToTargetPort`` /
    ``convertPodNamedPortToNumber`` rewrite them."""
    out = []
    for port in ports:
        local, remote = _split(port)
        if not remote:
            raise KubectlError("error: remote port cannot be empty")
        if obj.kind == "Service":
            if remote.isdigit():
                number = int(remote)
            else:
                number = next((sp.port for sp in obj.spec.ports if sp.name == remote), None)
                if number is None:
                    raise KubectlError(f"error: Service '{obj.metadata.name}' does not have a named port '{remote}'")
                local = str(number) if local == remote else local
            out.append((local, _target_port(obj, pod, number)))
        else:
            number = int(remote) if remote.isdigit() else _container_port_by_name(pod, remote)
            out.append((local if local != remote else str(number), number))
    return out


def _local_port(cluster: "Model", text: str) -> int:
    """client-go ``parsePorts``: a 16-bit number; empty or 0 takes a free port."""
    if text in ("", "0"):
        free = [p for p in range(*EPHEMERAL) if p not in cluster.port_forwards]
        return cluster.random.choice(free)
    if not text.isdigit() or int(text) > 65535:
        raise KubectlError(f"error: error parsing local port '{text}': strconv.ParseUint: parsing \"{text}\": "
                           + ("value out of range" if text.isdigit() else "invalid syntax"))
    return int(text)


def run_port_forward(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    if len(p.args) < 2:
        raise usage_error("TYPE/NAME and list of ports are required for port-forward", "kubectl port-forward")
    namespace = namespace_of(p)
    obj, pod = attachable_pod(cluster, p.args[0], namespace)
    ports = translate(list(p.args[1:]), obj, pod)
    if pod.status.phase != "Running":
        raise KubectlError(f"error: unable to forward port because pod is not running. Current status="
                           f"{pod.status.phase}")
    chosen = [(_local_port(cluster, local), remote) for local, remote in ports]
    for local, remote in chosen:
        if local in cluster.port_forwards:
            raise KubectlError(
                f"Unable to listen on port {local}: Listeners failed to create with the following errors: "
                f"[unable to create listener: Error listen tcp4 127.0.0.1:{local}: bind: address already in use "
                f"unable to create listener: Error listen tcp6 [::1]:{local}: bind: address already in use]\n"
                f"error: unable to listen on any of the requested ports: [{{{local} {remote}}}]")
        if remote <= 0:
            raise KubectlError("error: remote port must be > 0")
    for local, remote in chosen:
        cluster.port_forwards[local] = PortForward(local, namespace, pod.metadata.name, pod.metadata.uid, remote)
        out.print(f"Forwarding from 127.0.0.1:{local} -> {remote}\nForwarding from [::1]:{local} -> {remote}")


PORT_FORWARD = Command(
    path="kubectl port-forward", short="Forward one or more local ports to a pod",
    use="kubectl port-forward TYPE/NAME [options] [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N]",
    flags=(string("address", default="localhost", modelled=False), string("pod-running-timeout", modelled=False)),
    run=run_port_forward,
)
