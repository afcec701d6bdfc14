"""Checks for why Services exist (notebook 01): the address a client should call.

``check_stable_address(answer, cluster, from_pod)`` takes the host a client
pod (currency-conversion) should put in its URL to reach currency-exchange,
then puts it through a bad day on the live cluster:

1. the client calls ``http://<answer>:8000/currency-exchange/from/USD/to/INR``;
2. ``kubectl rollout restart`` replaces every currency-exchange pod, and the
   client calls again;
3. the Service is deleted and created again (it gets a new ClusterIP), and
   the client calls a third time.

The answer passes only if all three calls reach a currency-exchange pod. A
failure names the step that broke and what the answer really was (a pod IP, a
pod name, the old ClusterIP, a node IP...), with a hint for that mistake.

On success it prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still the placeholder ``...``, or
``CheckFailed`` with a hint. Both are ``AssertionError`` subclasses, so pytest
and nbval count them as failures.

Examples
--------
>>> from k8sedu import Cluster
>>> check_stable_address(..., Cluster(seed=0), from_pod="client")
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with the address (a string) the client should use to reach currency-exchange
"""

from __future__ import annotations

import ipaddress
from typing import Any, Optional

from k8sedu.checks.base import CheckFailed, require, ok
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError
from k8sedu.network.trace import Trace

__all__ = ["check_stable_address"]

PATH = "/currency-exchange/from/USD/to/INR"
SETTLE_SECONDS = 40  # simulated time for a rollout of a few pods, old pods gone included
_SERVICE_HINT = ("Use an address that belongs to the Service, not to one pod: CoreDNS keeps the Service's name "
                 "pointing at its current ClusterIP, whatever happens to the pods.")


def check_stable_address(answer: Any, cluster: Cluster, from_pod: str, service: str = "currency-exchange",
                         namespace: str = "default") -> None:
    """Check that ``from_pod`` reaches ``service`` at host ``answer`` before and after its pods and the Service are replaced.

    ``service`` names both the Deployment and the Service (as ``kubectl expose``
    makes them). The check changes the cluster: it restarts the Deployment's
    rollout and re-creates the Service with the same type and port (and a new ClusterIP).
    """
    __tracebackhide__ = True
    require(answer, f"the address (a string) the client should use to reach {service}")
    host = _host(answer)
    svc = _service(cluster, service, namespace)
    port = svc.spec.ports[0].port
    url = f"http://{host}:{port}{PATH}"
    first = _call(cluster, url, from_pod, namespace, service, "now, before anything changes")
    old_pods = _pods(cluster, service, namespace)
    cluster.kubectl(f"rollout restart deployment {service} -n {namespace}")
    cluster.advance(SETTLE_SECONDS)
    second = _call(cluster, url, from_pod, namespace, service,
                   "after `kubectl rollout restart` replaced every pod", old_pods=old_pods)
    old_ip = svc.spec.cluster_ip
    new_ip = _recreate(cluster, svc, port)
    third = _call(cluster, url, from_pod, namespace, service,
                  "after the Service was deleted and created again", old_cluster_ip=old_ip)
    ok(f"{host} reached {first.pod} at first, {second.pod} after the rollout replaced every pod, and {third.pod} "
       f"after the Service was re-created (ClusterIP {old_ip} -> {new_ip}).")


def _host(answer: Any) -> str:
    """The learner's host, or ``CheckFailed`` if it is not one (not a string, a URL, a port)."""
    __tracebackhide__ = True
    if not isinstance(answer, str) or not answer.strip():
        raise CheckFailed(f"The answer should be an address in a string, not {answer!r}.",
                          'Write it in quotes, for example "10.0.0.1" or "my-name".')
    host = answer.strip()
    if "/" in host or ":" in host or " " in host:
        raise CheckFailed(f"{host!r} is more than an address: it has a scheme, a port, a path or a space.",
                          f"Give only what goes between http:// and :8000 in http://...:8000{PATH}.")
    return host


def _service(cluster: Cluster, service: str, namespace: str):
    __tracebackhide__ = True
    try:
        return cluster.get("Service", service, namespace)
    except KubectlError as err:
        raise CheckFailed(str(err), f"This check needs Service {service} in namespace {namespace}: "
                                    "run the cells above again.") from None


def _pods(cluster: Cluster, app: str, namespace: str) -> dict[str, str]:
    """Pod IP -> pod name for the pods labelled ``app=<app>``."""
    return {pod.status.pod_ip: pod.metadata.name
            for pod in cluster.list("Pod", namespace, {"app": app}) if pod.status.pod_ip}


def _recreate(cluster: Cluster, svc, port: int) -> str:
    """Delete Service ``svc`` and expose its Deployment again with the same type and ports; return the new ClusterIP."""
    name, namespace = svc.metadata.name, svc.metadata.namespace
    cluster.kubectl(f"delete service {name} -n {namespace}")
    cluster.kubectl(f"expose deployment {name} -n {namespace} --type={svc.spec.type} --port={port} "
                    f"--target-port={svc.spec.ports[0].target_port}")
    cluster.advance(1)
    return cluster.get("Service", name, namespace).spec.cluster_ip


def _call(cluster: Cluster, url: str, from_pod: str, namespace: str, service: str, when: str,
          old_pods: Optional[dict] = None, old_cluster_ip: str = "") -> Trace:
    """Send one request from ``from_pod``; return its trace if a ``service`` pod answered 200, else fail with a hint."""
    __tracebackhide__ = True
    try:
        trace = cluster.request(url, from_pod=from_pod, namespace=namespace)
    except KubectlError as err:
        raise CheckFailed(str(err), f"The check sends the request from pod {from_pod}, which must be Running: "
                                    "run the cells above again.") from None
    answered = trace.ok and trace.status == 200 and trace.pod in _pods(cluster, service, namespace).values()
    if answered:
        return trace
    host = url.split("/")[2].rsplit(":", 1)[0]
    problem = f"The client could not reach {service} at {host} {when}: {trace.reason or _reached(trace)}."
    raise CheckFailed(problem, _hint(cluster, host, from_pod, namespace, old_pods or {}, old_cluster_ip))


def _reached(trace: Trace) -> str:
    return f"pod {trace.pod} answered HTTP {trace.status}" if trace.pod else f"HTTP {trace.status}"


def _hint(cluster: Cluster, host: str, from_pod: str, namespace: str, old_pods: dict, old_cluster_ip: str) -> str:
    """Say what ``host`` was, for the likely mistakes; fall back to the general advice."""
    ip = host if _is_ip(host) else _resolved(cluster, host, from_pod, namespace)
    if ip in old_pods:
        named = "" if ip == host else f"{host} is a DNS name for {ip}, and "
        return (f"{named}{ip} was the IP of pod {old_pods[ip]}. The rollout replaced that pod, and its "
                f"replacement got a new name and a new IP. {_SERVICE_HINT}")
    if host == old_cluster_ip:
        return ("That was the Service's ClusterIP. A ClusterIP lives as long as its Service object: the Service "
                "created again got a new one. DNS always answers with the current ClusterIP.")
    if _in_service_range(cluster, ip):
        return ("That is an address from the Service range, but no Service has it now. A ClusterIP lives as long "
                "as its Service object, and a Service created again gets a new one. DNS always answers with the "
                "current ClusterIP.")
    pods = {pod.metadata.name: pod for pod in cluster.list("Pod", namespace)}
    if host in pods or _looks_like_a_pod_name(cluster, host, namespace):
        return (f"{host} is a pod's name. CoreDNS has records for Services, not for pod names, and pods come "
                f"and go with their names. {_SERVICE_HINT}")
    if ip in {pod.status.pod_ip for pod in pods.values()}:
        return "That is the IP of a pod that is not a currency-exchange pod. " + _SERVICE_HINT
    if _is_node_ip(cluster, host):
        return ("That is a node's IP. Nothing on a node listens on port 8000 for a ClusterIP Service "
                "(notebook 02 shows NodePort, which does open a port on every node). " + _SERVICE_HINT)
    if host in ("localhost", "127.0.0.1"):
        return "localhost is the client pod itself. " + _SERVICE_HINT
    if ip and _in_pod_network(cluster, ip):
        return (f"No pod has IP {ip} any more: pods are ephemeral, and a replacement gets a new IP. "
                + _SERVICE_HINT)
    if not ip:
        return (f"{host} is not the name of a Service in namespace {namespace}. %kubectl get svc lists the "
                f"Services; CoreDNS answers for their names. {_SERVICE_HINT}")
    return _SERVICE_HINT


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolved(cluster: Cluster, name: str, from_pod: str, namespace: str) -> str:
    """The first address ``name`` resolves to from ``from_pod``, or "" if it does not resolve."""
    answer = cluster.resolve(name, from_pod=from_pod, namespace=namespace)
    return answer.addresses[0] if answer.rcode == "NOERROR" and answer.addresses else ""


def _is_node_ip(cluster: Cluster, host: str) -> bool:
    return any(address.address == host for node in cluster.list("Node") for address in node.status.addresses)


def _in_pod_network(cluster: Cluster, ip: str) -> bool:
    """True if ``ip`` lies inside some node's podCIDR."""
    address = ipaddress.ip_address(ip)
    return any(node.spec.pod_cidr and address in ipaddress.ip_network(node.spec.pod_cidr)
               for node in cluster.list("Node"))


def _in_service_range(cluster: Cluster, ip: str) -> bool:
    """True if ``ip`` lies in the range the API server takes ClusterIPs from."""
    return bool(ip) and ipaddress.ip_address(ip) in ipaddress.ip_network(cluster.core.service_cidr)


def _looks_like_a_pod_name(cluster: Cluster, host: str, namespace: str) -> bool:
    """True if ``host`` starts with a Deployment's name and a dash, as its pods' names do."""
    return any(host.startswith(f"{deployment.metadata.name}-") for deployment in cluster.list("Deployment", namespace))
