"""Checks for the Service types (notebook 02): who can reach a Service, and through what.

- ``check_nodeport_command(command, cluster, deployment, port)`` runs the
  learner's kubectl command on the live cluster, then sends a request from a
  machine on the nodes' network (``source="vpc"``) to every node's
  InternalIP and the Service's nodePort, and checks that each one reaches a
  pod of ``deployment``.

The check asks the model, never a stored answer: any command that really
opens the Service on every node passes (``kubectl expose --type=NodePort``,
``kubectl create service nodeport``, a LoadBalancer, which carries a NodePort
too). A wrong answer fails with the problem the model saw (no Service, a
ClusterIP that nothing outside routes to, a pod port nobody listens on) and a
hint for that mistake.

On success a check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still the placeholder ``...``, or
``CheckFailed`` saying what is wrong, with a hint.

Examples
--------
>>> from k8sedu.cluster import Cluster
>>> cluster = Cluster(seed=0)
>>> _ = cluster.kubectl("create deployment currency-conversion "
...                     "--image=in28min/currency-conversion:0.0.1-RELEASE --port=8100")
>>> cluster.advance(10)
>>> check_nodeport_command(..., cluster)
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with the kubectl command (a string) that makes deployment currency-conversion reachable on port 8100 of its pods through every node
"""

from __future__ import annotations

from typing import Any, Optional

from k8sedu.cluster import Cluster
from k8sedu.checks.base import CheckFailed, ok, require
from k8sedu.errors import KubectlError

__all__ = ["check_nodeport_command"]

SETTLE_SECONDS = 10  # simulated time the check lets pass after running the learner's command


def check_nodeport_command(command: Any, cluster: Cluster, deployment: str = "currency-conversion",
                           port: int = 8100, namespace: str = "default") -> None:
    """Run ``command`` on ``cluster``; check every node then forwards a VPC request to a pod of ``deployment``.

    ``port`` is the port the pods listen on. The check runs the command, lets
    ``SETTLE_SECONDS`` simulated seconds pass, finds the Services that select
    the deployment's pods and sends ``GET /`` from ``source="vpc"`` to
    ``<node InternalIP>:<nodePort>`` on every node.
    """
    __tracebackhide__ = True
    require(command, f"the kubectl command (a string) that makes deployment {deployment} reachable on port "
                     f"{port} of its pods through every node")
    if not isinstance(command, str) or not command.strip():
        raise CheckFailed(f"The command should be a kubectl command line in a string, not {command!r}.",
                          'Write it in quotes, as you would type it after "kubectl".')
    refused = _run(cluster, command.strip(), deployment)
    cluster.advance(SETTLE_SECONDS)
    services = _services_selecting(cluster, deployment, namespace)
    if refused is not None and not _opened_on_every_node(cluster, services, deployment, port):
        raise CheckFailed(*refused)
    if not services:
        raise CheckFailed(f"After your command, no Service selects the pods of deployment {deployment}.",
                          f"kubectl expose deployment {deployment} creates a Service whose selector is the "
                          "Deployment's own, so it finds the right pods.")
    exposed = [svc for svc in services if any(p.node_port for p in svc.spec.ports)]
    if not exposed:
        raise CheckFailed(*_no_node_port(cluster, services[0], port))
    failure: Optional[tuple[str, str]] = None
    for svc in exposed:
        reached = _reach_every_node(cluster, svc, deployment, port)
        if isinstance(reached, list):
            _passed(svc, reached)
            return
        failure = failure or reached
    raise CheckFailed(*failure)


def _run(cluster: Cluster, command: str, deployment: str) -> Optional[tuple[str, str]]:
    """Run the learner's command; turn kubectl's refusal into a failure with a hint for it.

    "Already exists" is returned, not raised: the cell may simply have run
    twice, and the Service from the first run may already be right.
    """
    __tracebackhide__ = True
    try:
        cluster.kubectl(command)
    except KubectlError as err:
        text = str(err)
        if "AlreadyExists" in text or "already exists" in text:
            return (f"kubectl refused the command:\n  {text}",
                    "An earlier try already created that Service. Delete it first "
                    f"(kubectl delete service {deployment}), then run the check again with your new command.")
        elif "spec.type: Unsupported value" in text:
            hint = "Type names are case-sensitive: ClusterIP, NodePort, LoadBalancer, ExternalName."
        elif "NotFound" in text:
            hint = ("You changed an object that does not exist yet. "
                    f"kubectl expose deployment {deployment} creates the Service.")
        else:
            hint = 'cluster.kubectl("expose --help") shows the usage of kubectl expose.'
        raise CheckFailed(f"kubectl refused the command:\n  {text}", hint) from None
    return None


def _opened_on_every_node(cluster: Cluster, services: list, deployment: str, port: int) -> bool:
    """Does one of ``services`` already bring a VPC request on every node to a pod of ``deployment``?"""
    return any(isinstance(_reach_every_node(cluster, svc, deployment, port), list)
               for svc in services if any(p.node_port for p in svc.spec.ports))


def _services_selecting(cluster: Cluster, deployment: str, namespace: str) -> list:
    """The Services in ``namespace`` whose selector picks at least one pod of ``deployment``."""
    try:
        dep = cluster.get("Deployment", deployment, namespace)
    except KubectlError as err:
        raise CheckFailed(str(err), f"This check needs deployment {deployment}: run the setup cells above again.") \
            from None
    pods = set(cluster.pod_names(dict(dep.spec.selector.match_labels), namespace))
    found = []
    for svc in cluster.list("Service", namespace):
        selector = dict(svc.spec.selector or {})
        if selector and pods & set(cluster.pod_names(selector, namespace)):
            found.append(svc)
    return found


def _no_node_port(cluster: Cluster, svc, port: int) -> tuple[str, str]:
    """Problem and hint for a Service with no nodePort (a ClusterIP, usually)."""
    name, kind = svc.metadata.name, svc.spec.type
    if kind == "ExternalName":
        return (f"Service {name} is type ExternalName: only a DNS alias (a CNAME to {svc.spec.external_name}), "
                "with no IP, no proxying and no port on the nodes.",
                "ExternalName points a name at something outside the cluster. To open the pods on every node, "
                "delete it and expose the Deployment with --type=NodePort.")
    first = svc.spec.ports[0].port if svc.spec.ports else port
    trace = cluster.request(f"http://{svc.spec.cluster_ip}:{first}/", source="vpc")
    problem = (f"Service {name} is type {kind}: it opens no port on the nodes. From the nodes' network, "
               f"a request to its ClusterIP fails: {trace.reason}.")
    hint = ("A ClusterIP is reachable only from pods and nodes. Ask for --type=NodePort: every node then "
            "opens one port from 30000-32767 for the Service, on top of its ClusterIP.")
    return problem, hint


def _node_ips(cluster: Cluster) -> list[tuple[str, str]]:
    """(node name, InternalIP) for every node."""
    return [(node.metadata.name, next(a.address for a in node.status.addresses if a.type == "InternalIP"))
            for node in cluster.list("Node", None)]


def _reach_every_node(cluster: Cluster, svc, deployment: str, port: int):
    """The answering pods, one per node, or (problem, hint) for the first node that fails."""
    pods = set(cluster.pod_names(dict(cluster.get("Deployment", deployment, svc.metadata.namespace)
                                      .spec.selector.match_labels), svc.metadata.namespace))
    answered = []
    for svc_port in (p for p in svc.spec.ports if p.node_port):
        for node, ip in _node_ips(cluster):
            trace = cluster.request(f"http://{ip}:{svc_port.node_port}/", source="vpc")
            if trace.ok and trace.pod in pods:
                answered.append((node, ip, svc_port.node_port, trace.pod))
                continue
            return _unreached(svc, svc_port, node, ip, trace, port)
    return answered


def _unreached(svc, svc_port, node: str, ip: str, trace, port: int) -> tuple[str, str]:
    """Problem and hint when node ``node`` does not bring the request to a pod."""
    problem = (f"From the nodes' network, http://{ip}:{svc_port.node_port}/ (node {node}) does not reach a pod: "
               f"{trace.reason or 'it was answered by ' + (trace.server or 'something else')}.")
    target = svc_port.target_port
    if str(target) != str(port) and "nothing listens" in (trace.reason or ""):
        hint = (f"Service {svc.metadata.name} sends to port {target} on the pods, but they listen on {port}. "
                "With kubectl expose, --port sets the Service's port and, unless you add --target-port, "
                "the pods' port too.")
    elif "no endpoints" in (trace.reason or "") or "has no endpoints" in (trace.reason or ""):
        hint = "The Service has no ready endpoints yet: let time pass with cluster.advance(10) and check again."
    else:
        hint = "Read the trace: cluster.request(url, source=\"vpc\") shows every hop the request took."
    return problem, hint


def _passed(svc, reached: list[tuple[str, str, int, str]]) -> None:
    nodes = ", ".join(f"{ip}:{node_port}" for _, ip, node_port, _ in reached)
    answering = sorted({pod for *_, pod in reached})
    extra = ""
    if svc.spec.type == "LoadBalancer":
        extra = " It is a LoadBalancer: its NodePort does this, and without a cloud its EXTERNAL-IP stays <pending>."
    ok(f"Service {svc.metadata.name} ({svc.spec.type}) answers from the nodes' network on every node: {nodes}, "
       f"reaching {', '.join(answering)}. Its ClusterIP {svc.spec.cluster_ip} still serves pods inside the "
       f"cluster.{extra}")
