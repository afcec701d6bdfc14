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

Three more checks serve the exercise notebook's tasks:

- ``check_expose_command(command, cluster, from_pod)`` runs the learner's
  kubectl command, then calls ``currency-exchange`` by name from the client,
  before and after ``kubectl rollout restart`` replaces every pod (so a
  Service copied from one pod, with its ``pod-template-hash``, fails).
- ``check_fixed_service(manifest, cluster, from_pod)`` applies the learner's
  Service and checks the client's calls by name reach every pod of the app
  (the selector and the targetPort must both be right).
- ``check_traffic_share(share, cluster, from_pod, pods_of)`` compares the
  learner's share with the Ready endpoints of the Service that belong to
  Deployment ``pods_of``, and measures it with a few thousand calls.

On success a check prints one line starting with "✓". Otherwise it raises
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
from fractions import Fraction
from typing import Any, Optional

from k8sedu.checks.base import CheckFailed, check, command_line, number, ok, require, run_command
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError
from k8sedu.network.trace import Trace

__all__ = ["check_expose_command", "check_fixed_service", "check_stable_address", "check_traffic_share"]

PATH = "/currency-exchange/from/USD/to/INR"
SETTLE_SECONDS = 40  # simulated time for a rollout of a few pods, old pods gone included
_SERVICE_HINT = ("Use an address that belongs to the Service, not to one pod: CoreDNS keeps the Service's name "
                 "pointing at its current ClusterIP, whatever happens to the pods.")


@check
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


# ---------------------------------------------------------------- exercises 01

EXPOSE_SECONDS = 10  # simulated time the checks below let pass after the learner's command or manifest


def _client_call(cluster: Cluster, url: str, from_pod: str, namespace: str) -> Trace:
    __tracebackhide__ = True
    try:
        return cluster.request(url, from_pod=from_pod, namespace=namespace)
    except KubectlError as err:
        raise CheckFailed(str(err), f"The check sends the request from pod {from_pod}, which must be Running: "
                                    "run the task's setup cell again.") from None


def _port_hint(svc, port: int, pod_port: int) -> str:
    """Why a Service does not carry the client's call on ``port`` to pods listening on ``pod_port``, or ""."""
    ports = list(svc.spec.ports)
    if all(p.port != port for p in ports):
        return (f"The Service listens on port {', '.join(str(p.port) for p in ports)}, but the client calls port "
                f"{port}. The Service's port is the one clients use (--port, or port: in YAML).")
    wrong = [p for p in ports if p.port == port and str(p.target_port) != str(pod_port)]
    if wrong:
        return (f"The Service forwards to port {wrong[0].target_port} of the pods, but they listen on {pod_port}. "
                "targetPort (--target-port) is the container's port; left out, it equals the Service's port.")
    return ""


def _expose_hint(text: str, service: str) -> str:
    """A hint for kubectl's refusal of the learner's expose command."""
    if 'unknown command "%' in text:
        return ("Leave out %kubectl: it is the notebook's way to run kubectl. Write what follows it, as you "
                "would type it after `kubectl` in a terminal.")
    if "already exists" in text:
        return "An earlier try already created that Service: run the task's setup cell again, then the check."
    if "spec.type: Unsupported value" in text:
        return "Type names are case-sensitive: ClusterIP, NodePort, LoadBalancer, ExternalName."
    if "NotFound" in text:
        return (f"kubectl expose needs an existing object to copy a selector from: deployment {service} "
                "exists; %kubectl get deployments lists them.")
    if "doesn't have a resource type" in text:
        return ("kubectl expose names the kind of object to copy a selector from, then its name: "
                "expose <kind> <name>. %kubectl get deployments lists what there is.")
    if "kubectl create service" in text:
        return ("kubectl create service needs the type as a subcommand, and its ports as --tcp=<port>:<targetPort>: "
                "%kubectl create service --help lists them. kubectl expose copies a selector and ports for you.")
    return "%kubectl expose --help shows the usage of kubectl expose."


@check
def check_expose_command(command: Any, cluster: Cluster, from_pod: str, service: str = "currency-exchange",
                         port: int = 8000, pod_port: int = 8000, namespace: str = "default") -> None:
    """Run ``command``; check ``from_pod`` then reaches ``service`` by name, and still does after a rollout.

    The client calls ``http://<service>:<port>/...``. After the first call the
    check replaces every pod with ``kubectl rollout restart`` and calls again:
    a Service that selects one pod (``kubectl expose pod``) fails there.
    """
    __tracebackhide__ = True
    command = command_line(command, f"the kubectl command (a string) that gives {service} a Service on port {port}")
    run_command(cluster, command, lambda text: _expose_hint(text, service))
    cluster.advance(EXPOSE_SECONDS)
    try:
        svc = cluster.get("Service", service, namespace)
    except KubectlError:
        made = [s.metadata.name for s in cluster.list("Service", namespace) if s.metadata.name != "kubernetes"]
        hint = (f"A Service is named after what you expose, unless you say --name. The client calls the name "
                f"{service}." if made else "kubectl expose deployment <name> creates a Service for a Deployment.")
        raise CheckFailed(f"There is no Service named {service} (Services: {', '.join(made) or 'none'}).",
                          hint) from None
    url = f"http://{service}:{port}{PATH}"
    first = _client_call(cluster, url, from_pod, namespace)
    if not (first.ok and first.status == 200 and (first.pod or "").startswith(f"{service}-")):
        selector = dict(svc.spec.selector or {})
        hint = _port_hint(svc, port, pod_port)
        if not hint and not (selector and cluster.pod_names(selector, namespace)):
            wanted = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "nothing"
            hint = (f"The Service selects {wanted}, which matches no pod. Expose the Deployment: "
                    "kubectl copies its selector, the label all its pods carry.")
        raise CheckFailed(f"The client could not reach {service} at {url}: {first.reason or _reached(first)}.",
                          hint or _SERVICE_HINT)
    cluster.kubectl(f"rollout restart deployment {service} -n {namespace}")
    cluster.advance(SETTLE_SECONDS)
    second = _client_call(cluster, url, from_pod, namespace)
    if not (second.ok and second.status == 200):
        selector = ",".join(f"{k}={v}" for k, v in sorted((svc.spec.selector or {}).items()))
        one_replicaset = "pod-template-hash" in selector
        raise CheckFailed(f"After `kubectl rollout restart` replaced every pod, the client could not reach {service}: "
                          f"{second.reason or _reached(second)}.",
                          f"The Service selects {selector}. pod-template-hash is one ReplicaSet's label, and "
                          "`expose pod` copies all of a pod's labels, so the rollout's new pods do not match. "
                          "Expose the Deployment: every pod it ever makes matches its selector." if one_replicaset else
                          _SERVICE_HINT)
    ok(f"The client reached {service}:{port} ({first.pod}), and again after a rollout replaced every pod "
       f"({second.pod}): the Service selects the Deployment's pods, whichever they are.")


@check
def check_fixed_service(manifest: Any, cluster: Cluster, from_pod: str, service: str = "currency-exchange",
                        port: int = 8000, pod_port: int = 8000, namespace: str = "default",
                        requests: int = 400) -> None:
    """Apply ``manifest``; check ``from_pod``'s calls to ``http://<service>:<port>`` then reach every pod of the app.

    ``requests`` calls are sent; each Ready pod labelled ``app=<service>`` must answer some of them.
    """
    __tracebackhide__ = True
    require(manifest, f"the corrected YAML manifest (a string) of Service {service}")
    if not isinstance(manifest, str) or not manifest.strip():
        raise CheckFailed(f"The manifest should be YAML text in a string, not {manifest!r}.",
                          'Put the whole manifest between triple quotes: manifest = """...""".')
    try:
        cluster.apply(manifest)
    except KubectlError as err:
        text = str(err)
        hint = ("The YAML does not parse at the line kubectl names: indent with spaces only, keys of one mapping "
                "at the same depth." if "YAML" in text else
                "Read kubectl's message: it names the field it could not accept.")
        raise CheckFailed(f"kubectl refused the manifest:\n  {text}", hint) from None
    cluster.advance(EXPOSE_SECONDS)
    svc = _service(cluster, service, namespace)
    pods = {p.metadata.name for p in cluster.list("Pod", namespace, {"app": service}) if not p.terminating}
    selector = dict(svc.spec.selector or {})
    selected = set(cluster.pod_names(selector, namespace)) if selector else set()
    if not selected & pods:
        labels = ",".join(f"{k}={v}" for k, v in sorted(
            cluster.get("Pod", min(pods), namespace).metadata.labels.items())) if pods else "?"
        wanted = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "nothing (no selector)"
        raise CheckFailed(f"Service {service} selects {wanted}, but the {service} pods are labelled {labels}.",
                          "A Service finds its pods by their labels only, not by the Deployment's name: its "
                          "selector must match labels the pods carry (%kubectl get pods --show-labels).")
    url = f"http://{service}:{port}{PATH}"
    trace = _client_call(cluster, url, from_pod, namespace)
    if not (trace.ok and trace.status == 200):
        raise CheckFailed(f"The client could not reach {service} at {url}: {trace.reason or _reached(trace)}.",
                          _port_hint(svc, port, pod_port) or _SERVICE_HINT)
    counts = cluster.send(url, n=requests, from_pod=from_pod, namespace=namespace)
    missed = sorted(pods - set(counts))
    if missed:
        raise CheckFailed(f"{', '.join(missed)} answered none of {requests} requests.",
                          f"The selector picks only some of the {service} pods: keep it to the label they all share.")
    share = ", ".join(f"{pod} {hits}" for pod, hits in sorted(counts.items()))
    ok(f"{requests} calls to {service}:{port} were spread over its {len(pods)} pods ({share}).")


@check
def check_traffic_share(share: Any, cluster: Cluster, from_pod: str, pods_of: str, service: str = "currency-exchange",
                        port: int = 8000, namespace: str = "default", requests: int = 3000) -> None:
    """Check ``share`` is the fraction of ``from_pod``'s calls to ``service`` that Deployment ``pods_of``'s pods answer.

    The exact share is the Deployment's Ready endpoints over all Ready endpoints
    of the Service; the check also sends ``requests`` calls and shows what it measured.
    """
    __tracebackhide__ = True
    require(share, f"the share (a number between 0 and 1, or a fraction such as '1/4') of calls {pods_of}'s "
                   "pods answer")
    value = number(share)
    if value is None or not 0 <= value <= 1:
        raise CheckFailed(f"{share!r} is not a share between 0 and 1.",
                          "Write a number such as 0.25 or a fraction in a string such as '1/4'.")
    deployment = cluster.get("Deployment", pods_of, namespace)
    theirs = set(cluster.pod_names(dict(deployment.spec.selector.match_labels), namespace))
    slices = cluster.list("EndpointSlice", namespace, {"kubernetes.io/service-name": service})
    ready = [e.target_ref.name for s in slices for e in s.endpoints
             if e.conditions.ready is not False and e.target_ref is not None]
    exact = Fraction(sum(name in theirs for name in ready), len(ready)) if ready else Fraction(0)
    counts = cluster.send(f"http://{service}:{port}{PATH}", n=requests, from_pod=from_pod, namespace=namespace)
    measured = sum(hits for pod, hits in counts.items() if pod in theirs) / max(1, sum(counts.values()))
    if abs(value - float(exact)) < 5e-3:
        mine = sum(name in theirs for name in ready)
        ok(f"Service {service} has {len(ready)} Ready endpoints, {mine} of them {pods_of}'s: "
           f"share {exact} ({measured:.3f} of {requests} calls measured).")
        return
    deployments = len({p.metadata.owner_references[0].name for p in cluster.list("Pod", namespace)
                       if p.metadata.name in ready and p.metadata.owner_references})
    if value == 0:
        hint = (f"The Service's name does not matter: it selects by labels, and {pods_of}'s pods carry the "
                "label it selects (%kubectl get pods --show-labels).")
    elif deployments and abs(value - 1 / deployments) < 5e-3 and Fraction(1, deployments) != exact:
        hint = (f"The Service does not split traffic between Deployments ({deployments} of them here) but between "
                "the Ready pods it selects, one pod each time. Count the pods (%kubectl get endpointslices).")
    else:
        hint = ("kube-proxy gives each new connection to one of the Service's Ready endpoints, all equally likely. "
                "Count them, and count how many belong to " + pods_of + ".")
    raise CheckFailed(f"{share} is not the share of calls {pods_of}'s pods answer.", hint)
