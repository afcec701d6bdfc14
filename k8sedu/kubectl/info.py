"""``kubectl version`` and ``kubectl cluster-info``: which cluster you are talking to.

The model plays a kind cluster: the client is kubectl 1.32, the server (the
nodes' kubelets and the control plane) 1.32.2, and the API server is reached
through the port kind publishes on the host, ``https://127.0.0.1:<port>``.
kind picks that port at random when it creates the cluster; the model derives
it from the cluster itself, so it is the same on every run of a seed.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from k8sedu.errors import KubectlError
from k8sedu.kubectl.command import Command
from k8sedu.kubectl.flags import Parsed, boolean, string, usage_error
from k8sedu.kubectl.streams import IOStreams

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

CLIENT_VERSION = "v1.32.4"
KUSTOMIZE_VERSION = "v5.5.0"
DUMP_HINT = "To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'."


def server_version(cluster: "Model") -> str:
    nodes = cluster.api.list("Node")
    return nodes[0].status.node_info.kubelet_version if nodes else "v1.32.2"


def api_server_url(cluster: "Model") -> str:
    """kind's ``https://127.0.0.1:<host port>``, the port derived from the cluster's kube-system namespace."""
    ns = cluster.api.try_get("Namespace", "", "kube-system")
    seed = (ns.metadata.uid if ns is not None else cluster.name).encode()
    port = 32768 + int(hashlib.sha256(seed).hexdigest(), 16) % (60999 - 32768)
    return f"https://127.0.0.1:{port}"


def run_version(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    if p["output"]:
        raise KubectlError(f'error: k8sedu does not model "kubectl version -o {p["output"]}" yet')
    if p.args:
        raise usage_error(f"Unexpected args: [{' '.join(p.args)}]", "kubectl version")
    lines = [f"Client Version: {CLIENT_VERSION}", f"Kustomize Version: {KUSTOMIZE_VERSION}"]
    if not p["client"]:
        lines.append(f"Server Version: {server_version(cluster)}")
    out.print("\n".join(lines))


def run_cluster_info(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    if p.args and p.args[0] == "dump":
        raise KubectlError('error: k8sedu does not model "kubectl cluster-info dump" yet; try kubectl get events -A '
                           "and kubectl describe")
    if p.args:
        raise usage_error(f"Unexpected args: [{' '.join(p.args)}]", "kubectl cluster-info")
    url = api_server_url(cluster)
    lines = [f"Kubernetes control plane is running at {url}"]
    for svc in cluster.api.list("Service", "kube-system"):  # clusterinfo.go: cluster-service=true
        labels = svc.metadata.labels
        if labels.get("kubernetes.io/cluster-service") != "true":
            continue
        name = labels.get("kubernetes.io/name") or svc.metadata.name
        target = svc.metadata.name + (f":{svc.spec.ports[0].name}" if svc.spec.ports and svc.spec.ports[0].name
                                      else "")
        lines.append(f"{name} is running at {url}/api/v1/namespaces/kube-system/services/{target}/proxy")
    out.print("\n".join(lines + ["", DUMP_HINT]))


VERSION = Command(path="kubectl version", short="Print the client and server version information.",
                  use="kubectl version [flags] [options]",
                  flags=(boolean("client"), string("output", "o")), run=run_version)

CLUSTER_INFO = Command(path="kubectl cluster-info", short="Display cluster information.",
                       use="kubectl cluster-info [flags] [options]", flags=(), run=run_cluster_info)
