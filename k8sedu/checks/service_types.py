"""Checks for the Service types (notebook 02): who can reach a Service, and through what.

- ``check_nodeport_command(command, cluster, deployment, port)`` runs the
  learner's kubectl command on the live cluster, then sends a request from a
  machine on the nodes' network (``source="vpc"``) to every node's
  InternalIP and the Service's nodePort, and checks that each one reaches a
  pod of ``deployment``.

The exercises of ``solutions/02_service_types_solutions.ipynb`` add:

- ``check_expose_command(command, cluster, ...)``: a Service on port 80 that
  forwards to the pods' 8100 (a pod calls the ClusterIP) and opens a
  nodePort on every node (a VPC request to each);
- ``check_nodeport_manifest(manifest, cluster, ...)``: a Service manifest the
  API server accepts (nodePort in 30000-32767, not taken) whose nodePort
  reaches the pods from ``source="vpc"`` on every node;
- ``check_reachable_sources(answer, cluster, ...)``: a prediction of which
  sources (pod, node, vpc, internet) reach a ClusterIP and a node port,
  compared with requests really sent from each.

The checks ask the model, never a stored answer: any command that really
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
from k8sedu.checks.base import CheckFailed, check, command_line, ok, require
from k8sedu.errors import KubectlError

__all__ = ["check_expose_command", "check_nodeport_command", "check_nodeport_manifest", "check_reachable_sources"]

SETTLE_SECONDS = 10  # simulated time the check lets pass after running the learner's command


@check
def check_nodeport_command(command: Any, cluster: Cluster, deployment: str = "currency-conversion",
                           port: int = 8100, namespace: str = "default") -> None:
    """Run ``command`` on ``cluster``; check every node then forwards a VPC request to a pod of ``deployment``.

    ``port`` is the port the pods listen on. The check runs the command, lets
    ``SETTLE_SECONDS`` simulated seconds pass, finds the Services that select
    the deployment's pods and sends ``GET /`` from ``source="vpc"`` to
    ``<node InternalIP>:<nodePort>`` on every node.
    """
    __tracebackhide__ = True
    command = command_line(command, f"the kubectl command (a string) that makes deployment {deployment} reachable "
                                    f"on port {port} of its pods through every node")
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
        elif 'unknown command "%' in text:
            hint = ("Leave out %kubectl: it is the notebook's way to run kubectl. Write what follows it, as you "
                    "would type it after `kubectl` in a terminal.")
        elif "unknown flag: --node-port" in text:
            hint = ("kubectl expose has no flag for the node port: the API server picks a free one from "
                    "30000-32767, which is all this task needs.")
        elif "unknown flag" in text:
            hint = "kubectl knows no such flag: check its spelling. %kubectl expose --help lists the flags."
        else:
            hint = "%kubectl expose --help shows the usage of kubectl expose."
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


# ---------------------------------------------------------------- the exercises (solutions/02)

SOURCES = ("pod", "node", "vpc", "internet")  # the four places a request can start from, as the notebook names them


@check
def check_expose_command(command: Any, cluster: Cluster, deployment: str = "currency-conversion",
                         target_port: int = 8100, port: int = 80, namespace: str = "default") -> None:
    """Run ``command``; check pods reach ``deployment`` on Service port ``port`` and every node opens a NodePort.

    The pods listen on ``target_port``; the clients must be able to call the
    Service's ClusterIP on ``port`` (so the Service translates ``port`` to
    ``target_port``), and a machine on the nodes' network must reach the pods
    through every node. Both are asked of the model: a request from a pod of
    another Deployment to ``<ClusterIP>:<port>``, and one from ``source="vpc"``
    to every node's InternalIP and the nodePort.
    """
    __tracebackhide__ = True
    require(command, f"the kubectl command (a string) that exposes deployment {deployment} on port {port}, "
                     "inside the cluster and on every node")
    if not isinstance(command, str) or not command.strip():
        raise CheckFailed(f"The command should be a kubectl command line in a string, not {command!r}.",
                          'Write it in quotes, as you would type it after "kubectl".')
    refused = _run(cluster, command.strip(), deployment)
    cluster.advance(SETTLE_SECONDS)
    services = _services_selecting(cluster, deployment, namespace)
    if not services:
        if refused is not None:
            raise CheckFailed(*refused)
        raise CheckFailed(f"After your command, no Service selects the pods of deployment {deployment}.",
                          f"kubectl expose deployment {deployment} creates a Service whose selector is the "
                          "Deployment's own, so it finds the right pods.")
    failure: Optional[tuple[str, str]] = None
    for svc in services:
        reached = _reach_service_port(cluster, svc, deployment, target_port, port)
        if isinstance(reached, str):
            if not any(p.node_port for p in svc.spec.ports):
                failure = failure or _no_node_port(cluster, svc, target_port)
                continue
            on_nodes = _reach_every_node(cluster, svc, deployment, target_port)
            if isinstance(on_nodes, list):
                node_ports = sorted({node_port for _, _, node_port, _ in on_nodes})
                ok(f"Service {svc.metadata.name} ({svc.spec.type}): a pod calling {svc.spec.cluster_ip}:{port} "
                   f"reached {reached} on port {target_port}, and from the nodes' network every node answers on "
                   f"nodePort {', '.join(map(str, node_ports))} ({len(on_nodes)} nodes).")
                return
            failure = failure or on_nodes
        else:
            failure = failure or reached
    if refused is not None:
        raise CheckFailed(*refused)
    raise CheckFailed(*failure)


def _reach_service_port(cluster: Cluster, svc, deployment: str, target_port: int, port: int):
    """The pod that answered ``<ClusterIP>:<port>`` from a client pod, or (problem, hint) naming the mistake."""
    ports = [p for p in svc.spec.ports]
    name = svc.metadata.name
    if not any(p.port == port for p in ports):
        have = ", ".join(str(p.port) for p in ports) or "none"
        hint = (f"--port is the port clients call on the Service; --target-port is the pods' port. "
                f"Clients here call port {port}.")
        if any(p.port == target_port and str(p.target_port) == str(port) for p in ports):
            hint = (f"Your Service listens on {target_port} and sends to {port}: the two are swapped. " + hint)
        elif any(p.port == target_port for p in ports):
            hint = (f"Your Service listens on {target_port}, the pods' port, but the clients call {port}. " + hint)
        return (f"Service {name} listens on port {have}, not on {port}, the port the clients call.", hint)
    client = _client_pod(cluster, svc.metadata.namespace, deployment)
    trace = cluster.request(f"http://{svc.spec.cluster_ip}:{port}/", from_pod=client)
    pods = set(cluster.pod_names(dict(cluster.get("Deployment", deployment, svc.metadata.namespace)
                                      .spec.selector.match_labels), svc.metadata.namespace))
    if trace.ok and trace.pod in pods:
        return trace.pod
    problem = (f"From pod {client}, http://{svc.spec.cluster_ip}:{port}/ (Service {name}) does not reach a pod "
               f"of {deployment}: {trace.reason or 'it was answered by ' + (trace.server or 'something else')}.")
    target = next(p.target_port for p in ports if p.port == port)
    if str(target) != str(target_port):
        hint = (f"The Service sends port {port} on to port {target} of the pods, but they listen on "
                f"{target_port}. Without --target-port, kubectl expose uses --port for both.")
    else:
        hint = "Read the trace: cluster.request(url, from_pod=...) shows every hop the request took."
    return problem, hint


def _client_pod(cluster: Cluster, namespace: str, deployment: str) -> str:
    """A Running pod to send requests from: one of another Deployment if there is one, else any Running pod."""
    running = [p for p in cluster.list("Pod", namespace) if p.status.phase == "Running" and not p.terminating]
    others = [p for p in running if not p.metadata.name.startswith(deployment + "-")]
    chosen = (others or running)
    if not chosen:
        raise CheckFailed(f"No pod is Running in namespace {namespace} to send a request from.",
                          "Run the task's setup cell again: it starts the pods.")
    return chosen[0].metadata.name


@check
def check_nodeport_manifest(manifest: Any, cluster: Cluster, service: str = "currency-conversion",
                            deployment: str = "currency-conversion", port: int = 8100,
                            namespace: str = "default") -> None:
    """Apply ``manifest``; check Service ``service`` exists and every node forwards a VPC request to ``deployment``.

    ``port`` is the port the pods listen on. A nodePort outside 30000-32767, one
    another Service already holds, or a nodePort on a ClusterIP Service is
    refused by the API server: each gets its own hint. Once applied, the check
    sends ``GET /`` from ``source="vpc"`` to every node's InternalIP on the
    Service's nodePort.
    """
    __tracebackhide__ = True
    require(manifest, f"the YAML manifest (a string) of Service {service}, fixed so that the API server accepts it")
    if not isinstance(manifest, str) or not manifest.strip():
        raise CheckFailed(f"The manifest should be YAML text in a string, not {manifest!r}.",
                          'Put the YAML between triple quotes: manifest = """ ... """.')
    try:
        cluster.kubectl("apply -f -", stdin=manifest)
    except KubectlError as err:
        raise CheckFailed(f"kubectl apply refused the manifest:\n  {err}", _apply_hint(str(err))) from None
    cluster.advance(SETTLE_SECONDS)
    try:
        svc = cluster.get("Service", service, namespace)
    except KubectlError:
        made = ", ".join(s.metadata.name for s in cluster.list("Service", namespace)) or "none"
        raise CheckFailed(f"There is no Service named {service} (Services now: {made}).",
                          f"Keep metadata.name: {service}: that is the name the task asks for.") from None
    if not any(p.node_port for p in svc.spec.ports):
        raise CheckFailed(*_no_node_port(cluster, svc, port))
    pods = set(cluster.pod_names(dict(cluster.get("Deployment", deployment, namespace)
                                      .spec.selector.match_labels), namespace))
    selected = set(cluster.pod_names(dict(svc.spec.selector or {}), namespace)) if svc.spec.selector else set()
    if not pods & selected:
        wanted = ",".join(f"{k}={v}" for k, v in sorted((svc.spec.selector or {}).items())) or "nothing"
        raise CheckFailed(f"Service {service} selects {wanted}, which matches no pod of deployment {deployment}.",
                          "Keep the selector of the original manifest: only the nodePort was wrong.")
    reached = _reach_every_node(cluster, svc, deployment, port)
    if not isinstance(reached, list):
        raise CheckFailed(*reached)
    _passed(svc, reached)


def _apply_hint(text: str) -> str:
    """A hint for the API server's (or kubectl's) refusal of a Service manifest."""
    if "not in the valid range" in text:
        return ("A nodePort must lie in the cluster's NodePort range, 30000-32767 by default. Pick a free port "
                "there, or leave nodePort out and let the API server choose one.")
    if "already allocated" in text:
        return ("Another Service already holds that nodePort (kubectl get svc shows it in PORT(S)): a node port "
                "is opened on every node, so two Services cannot share one. Pick another, or leave nodePort out.")
    if "may not be used when `type` is" in text:
        return "Only a NodePort or LoadBalancer Service has node ports: keep type: NodePort."
    if "spec.type: Unsupported value" in text:
        return "Type names are case-sensitive: ClusterIP, NodePort, LoadBalancer, ExternalName."
    if "cannot unmarshal string" in text:
        return ("A port is a number, and the message names the field that got a string: in YAML, '30100' in "
                "quotes is a string, 30100 is a number.")
    if "error parsing" in text or "yaml" in text.lower():
        return ("The text is not valid YAML. Indent with spaces only, the same amount at each level, "
                "and start each list item with '- '.")
    return "Read the API server's message: it names the field (spec.ports[0]...) it refused."


@check
def check_reachable_sources(answer: Any, cluster: Cluster, service: str = "currency-exchange",
                            client: Optional[str] = None, node: str = "kind-worker",
                            namespace: str = "default") -> None:
    """Check a prediction of who reaches Service ``service`` at its ClusterIP and at a node's IP and nodePort.

    ``answer`` is a dict ``{"ClusterIP": {...}, "NodePort": {...}}`` whose
    values are sets drawn from ``"pod"``, ``"node"``, ``"vpc"`` and
    ``"internet"``. The check sends ``GET /`` from each of the four places
    (pod ``client``, ``node/<node>``, ``vpc``, ``internet``) to the ClusterIP and
    port, and to ``<node>``'s InternalIP and the nodePort, and compares.
    """
    __tracebackhide__ = True
    require(answer, 'a dict {"ClusterIP": {...}, "NodePort": {...}} of the sources that get an answer, '
                    'drawn from "pod", "node", "vpc", "internet"')
    if not isinstance(answer, dict) or set(answer) != {"ClusterIP", "NodePort"}:
        raise CheckFailed(f"The answer should be a dict with the two keys \"ClusterIP\" and \"NodePort\", "
                          f"not {answer!r}.",
                          'Write it like {"ClusterIP": {"pod"}, "NodePort": {"pod", "vpc"}}: one set per address.')
    predicted: dict[str, set[str]] = {}
    for key, value in answer.items():
        values = {value} if isinstance(value, str) else value
        if not isinstance(values, (set, list, tuple, frozenset)) or not all(isinstance(v, str) for v in values):
            raise CheckFailed(f"answer[{key!r}] should be a set of source names, not {value!r}.",
                              'Write a set of strings such as {"pod", "node"}; an empty set is set().')
        unknown = sorted(v for v in values if v not in SOURCES)
        if unknown:
            raise CheckFailed(f"answer[{key!r}] names {', '.join(map(repr, unknown))}, which is not a source.",
                              f"The four sources are {', '.join(map(repr, SOURCES))}.")
        predicted[key] = set(values)
    try:
        svc = cluster.get("Service", service, namespace)
    except KubectlError as err:
        raise CheckFailed(str(err), "Run the task's setup cell again: it creates the Service.") from None
    node_port = next((p.node_port for p in svc.spec.ports if p.node_port), None)
    if node_port is None:
        raise CheckFailed(f"Service {service} is type {svc.spec.type} now and has no nodePort.",
                          "Run the task's setup cell again: it creates a NodePort Service.")
    client = client or _client_pod(cluster, namespace, service)
    node_ip = next(a.address for a in cluster.get("Node", node).status.addresses if a.type == "InternalIP")
    urls = {"ClusterIP": f"http://{svc.spec.cluster_ip}:{svc.spec.ports[0].port}/",
            "NodePort": f"http://{node_ip}:{node_port}/"}
    actual: dict[str, set[str]] = {}
    reasons: dict[tuple[str, str], str] = {}
    for key, url in urls.items():
        actual[key] = set()
        for source in SOURCES:
            where = dict(from_pod=client) if source == "pod" else dict(source=f"node/{node}" if source == "node"
                                                                       else source)
            trace = cluster.request(url, **where)
            if trace.ok:
                actual[key].add(source)
            else:
                reasons[(key, source)] = trace.reason
    for key in ("ClusterIP", "NodePort"):
        extra, missing = predicted[key] - actual[key], actual[key] - predicted[key]
        if extra:
            source = sorted(extra, key=SOURCES.index)[0]
            raise CheckFailed(f"From {source!r}, {urls[key]} ({key}) gets no answer: {reasons[(key, source)]}.",
                              _sources_hint(key, source, reached=False))
        if missing:
            source = sorted(missing, key=SOURCES.index)[0]
            raise CheckFailed(f"From {source!r}, {urls[key]} ({key}) does get an answer, and your set leaves it out.",
                              _sources_hint(key, source, reached=True))
    ok(" ".join(f"{key} {urls[key]} answers {', '.join(sorted(actual[key], key=SOURCES.index))};"
                for key in ("ClusterIP", "NodePort"))
       + " both lead to the same pods, through the same KUBE-SVC chain.")


def _sources_hint(key: str, source: str, reached: bool) -> str:
    if key == "ClusterIP" and not reached:
        return ("A ClusterIP is virtual: only kube-proxy's rules on the cluster's nodes know it, so only traffic "
                "that starts on a node (or in a pod on one) is caught. Nothing outside routes to the Service range.")
    if key == "ClusterIP" and source == "node":
        return ("kube-proxy writes its rules on every node, also for traffic a process on the node sends itself "
                "(the OUTPUT chain), so the node reaches a ClusterIP just as its pods do.")
    if key == "ClusterIP":
        return ("A NodePort Service is a ClusterIP Service plus a port on every node: it keeps its ClusterIP, "
                "and pods reach it through kube-proxy's rules.")
    if source == "internet":
        return ("A kind node has only a private InternalIP on a Docker network: the internet has no route to it, "
                "whatever port is open.")
    if reached:
        return ("A node's InternalIP is an ordinary address: pods, the nodes and machines on the nodes' network "
                "can all send to it, and every node opens the nodePort.")
    return "Read the trace: cluster.request(url, source=...) shows where the request stops."
