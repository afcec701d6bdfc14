"""``kubectl port-forward``: a tunnel through the API server and the kubelet to one pod, not a packet route.

``kubectl port-forward svc/web 8080:80`` listens on ``127.0.0.1:8080`` and
``[::1]:8080`` of the machine that runs kubectl. A connection there is not
routed as packets: kubectl copies its bytes into a stream of its HTTPS
connection to the API server (``POST /api/v1/namespaces/<ns>/pods/<pod>/portforward``),
the API server relays the stream to the kubelet of the pod's node (port
10250), and the kubelet asks the container runtime (CRI ``PortForward``) to
connect to the port *inside the pod's network namespace*. So no Service, no
kube-proxy rule and no iptables chain is on the way, and the app sees the
connection coming from ``127.0.0.1``. ``svc/x`` and ``deploy/x`` only choose
the pod once, when the command starts: every connection goes to that pod.

When the pod goes away the real kubectl exits ("lost connection to pod"), so
nothing listens on the local port any more. When nothing listens on the
port in the pod, kubectl has already accepted the local connection: it
closes it, and curl reports an empty reply.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from k8sedu.network import hosts
from k8sedu.network.node import deliver
from k8sedu.network.trace import CONNECTION_REFUSED, CURL_ERRORS, EMPTY_REPLY, Request, Trace

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import DataPlane


@dataclass(frozen=True)
class PortForward:
    """One running ``kubectl port-forward``: a local port on the host, tied to one pod's port."""

    local_port: int
    namespace: str
    pod: str
    pod_uid: str
    remote_port: int


def through_port_forward(core: "DataPlane", req: Request, ip: str, forward: PortForward) -> Trace:
    """Carry a connection to ``ip:<local port>`` on the host through kubectl, the API server and the kubelet."""
    pod = core.api.try_get("Pod", forward.namespace, forward.pod)
    if pod is None or pod.metadata.uid != forward.pod_uid or pod.status.phase != "Running":
        why = (f"kubectl port-forward to pod {forward.pod} ended when the pod went away (\"lost connection to "
               f"pod\"): nothing listens on {ip}:{forward.local_port} any more")
        return req.fail(req.client.name, "refused", why, CONNECTION_REFUSED)
    node = pod.spec.node_name
    api = ", ".join(f"{a}:{p}" for a, p in sorted(hosts.apiserver_endpoints(core).items())) or "the API server"
    req.record("kubectl port-forward", "forwarded",
               f"{ip}:{forward.local_port} is kubectl's own listener: kubectl sends the connection's bytes as a "
               f"port-forward stream over its HTTPS connection to the API server ({api}), not as packets "
               "on the cluster network")
    req.record("kube-apiserver", "proxied",
               f"the API server relays the stream to the kubelet on {node} ({core.node_ip(node)}:10250, "
               f"/portForward/{forward.namespace}/{forward.pod})")
    req.record(f"kubelet ({node})", "forwarded",
               f"the kubelet has the container runtime connect to port {forward.remote_port} inside pod "
               f"{forward.pod}'s network namespace (CRI PortForward): no Service, no kube-proxy rule, no "
               "iptables on the way")
    trace = deliver(core, req, pod, forward.remote_port, hosts.LOOPBACK)
    if trace.exit_code != CONNECTION_REFUSED:
        return trace
    why = (f"nothing listens on port {forward.remote_port} in pod {forward.pod}: kubectl had accepted the local "
           "connection, so it closes it (kubectl prints \"an error occurred forwarding ...\")")
    return dataclasses.replace(trace, reason=why, error=CURL_ERRORS[EMPTY_REPLY], exit_code=EMPTY_REPLY)
