"""Checks for the classic Service scenarios (notebook 03): a LoadBalancer stuck at ``<pending>`` on kind.

- ``check_metallb_pool(addresses)`` builds a kind-like cluster (no cloud) where
  currency-exchange and currency-conversion are LoadBalancer Services stuck at
  ``<pending>``, installs MetalLB with the learner's ``addresses`` as its
  IPAddressPool, and passes if every Service gets an EXTERNAL-IP that is free
  to take (no node, gateway, ClusterIP or pod address), sits on the nodes'
  own network (layer 2 mode answers ARP only there) and answers a request
  from the host next to kind. Each typical mistake gets its own hint: a pool
  MetalLB cannot read, a pool too small for two Services, the Service or pod
  range, a node's own address, a network the host does not share with the nodes,
  addresses that another cluster's MetalLB already announces (``taken=``).

The exercises of ``solutions/03_service_scenarios_solutions.ipynb`` add, on
the task's own cluster:

- ``check_service_manifest(manifest, cluster, ...)``: applies a fixed Service
  manifest; a client pod's request by the Service's name must reach the
  Deployment's pods (selector typo, wrong pods, wrong targetPort, renamed
  Service each get a hint);
- ``check_load_balancer_pool(addresses, cluster)``: vets a MetalLB pool
  against that cluster, installs MetalLB with it, and requests every
  LoadBalancer Service's EXTERNAL-IP from ``source="vpc"``;
- ``check_external_name(manifest, cluster, ...)``: applies an ExternalName
  Service; its name must resolve through a CNAME to the outside provider,
  and a request by that name must leave the cluster.

On success the check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still ``...``, or ``CheckFailed`` saying
what is wrong, with a hint.

Examples
--------
>>> check_metallb_pool(...)
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with the addresses of MetalLB's IPAddressPool (a string: a range FIRST-LAST or a CIDR)
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable

from k8sedu.checks.base import CheckFailed, check, ok, require
from k8sedu.cloud import vpc_client_ip
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError
from k8sedu.metallb import parse_pool

__all__ = ["check_external_name", "check_load_balancer_pool", "check_metallb_pool", "check_service_manifest"]

SETTLE_SECONDS = 10  # simulated time the check lets pass after creating objects and installing MetalLB
KIND_NETWORK_PREFIX = 16  # Docker gives its user-defined network "kind" a /16 (172.18.0.0/16 by default)
SERVICES = (("currency-exchange", "in28min/currency-exchange:0.0.1-RELEASE", 8000),
            ("currency-conversion", "in28min/currency-conversion:0.0.1-RELEASE", 8100))

Network = ipaddress.IPv4Network


@check
def check_metallb_pool(addresses: Any, taken: str = "") -> None:
    """Check that MetalLB with pool ``addresses`` gives both LoadBalancer Services a reachable EXTERNAL-IP.

    The pool is applied to a fresh kind-like cluster on which both Services
    are ``<pending>`` (the notebook's own cluster already runs MetalLB, and
    MetalLB installs once), so a wrong answer can be fixed and run again.
    ``taken`` is a pool (same syntax) that another kind cluster's MetalLB
    already announces on the same Docker network: the answer must avoid it.
    """
    __tracebackhide__ = True
    require(addresses, "the addresses of MetalLB's IPAddressPool (a string: a range FIRST-LAST or a CIDR)")
    if not isinstance(addresses, str) or not addresses.strip():
        raise CheckFailed(f"The pool should be a string, not {addresses!r}.",
                          'Write it in quotes, as in the IPAddressPool: "FIRST-LAST" or "ADDRESS/PREFIX".')
    cluster = _pending_cluster()
    try:
        cluster.install("metallb", addresses=addresses.strip())
    except KubectlError as err:
        raise CheckFailed(f"MetalLB cannot use this pool:\n  {err}",
                          "A range is two IPv4 addresses joined by '-', lowest first; a CIDR is an address, "
                          "'/' and a prefix length (a /29 holds 8 addresses).") from None
    cluster.advance(SETTLE_SECONDS)
    _check_free_addresses(cluster, addresses.strip())
    _check_not_taken(addresses.strip(), taken)
    assigned = _check_all_assigned(cluster)
    answers = [_check_reachable(cluster, name, ip, port) for name, (ip, port) in assigned.items()]
    ok("MetalLB assigned " + " and ".join(f"{ip} to {name}" for name, (ip, _) in assigned.items())
       + "; from the host next to kind, " + " and ".join(answers) + ".")


def _pending_cluster() -> Cluster:
    """A kind-like cluster whose two LoadBalancer Services stay ``<pending>``: nothing provisions them."""
    cluster = Cluster(seed=0)
    for name, image, port in SERVICES:
        cluster.kubectl(f"create deployment {name} --image={image} --port={port}")
        cluster.kubectl(f"expose deployment {name} --type=LoadBalancer --port={port}")
    cluster.advance(SETTLE_SECONDS)
    return cluster


def _check_free_addresses(cluster: Cluster, addresses: str) -> None:
    """Refuse a pool that holds addresses already in use or that the host cannot reach on layer 2."""
    __tracebackhide__ = True
    pool = _ipv4(addresses)
    if not pool:
        raise CheckFailed(f"{addresses!r} holds no IPv4 address, and both Services are IPv4 (SingleStack).",
                          "Give IPv4 addresses from the nodes' network.")
    nodes = {n.metadata.name: n.address() for n in cluster.list("Node")}
    gateway = vpc_client_ip(cluster.cloud)
    for name, ip in [*nodes.items(), ("the host (the kind network's gateway)", gateway)]:
        if _overlaps(pool, [_span(ipaddress.ip_network(ip))]):
            raise CheckFailed(f"The pool contains {ip}, the address of {name}.",
                              "MetalLB would announce an address that a machine already holds, and the two would "
                              "fight over it (ARP). Pick addresses on the same network that no machine uses.")
    service_range = cluster.core.api.service_ips.network
    if _overlaps(pool, [_span(service_range)]):
        raise CheckFailed(f"The pool overlaps the Service range {service_range}, where ClusterIPs come from.",
                          "ClusterIPs are virtual: they exist only in kube-proxy's rules inside the cluster. An "
                          "external address must be one the host can reach, on the nodes' own network.")
    pod_range = ipaddress.ip_network(cluster.core.cluster_cidr)
    if _overlaps(pool, [_span(pod_range)]):
        raise CheckFailed(f"The pool overlaps the pod range {pod_range}, where pod IPs come from.",
                          "Pod IPs live on the cluster's own network inside the nodes. An external address must "
                          "be one the host can reach, on the nodes' own network.")
    _check_nodes_network(pool, addresses, nodes)


def _check_nodes_network(pool: list[tuple[int, int]], addresses: str, nodes: dict[str, str]) -> None:
    """Layer 2 mode answers ARP for its addresses on the nodes' network only: the pool must lie inside it."""
    __tracebackhide__ = True
    network = ipaddress.ip_network(f"{next(iter(nodes.values()))}/{KIND_NETWORK_PREFIX}", strict=False)
    outside = [(low, high) for low, high in pool if not (int(network.network_address) <= low
                                                          and high <= int(network.broadcast_address))]
    if outside:
        low, high = outside[0]
        first, last = ipaddress.IPv4Address(low), ipaddress.IPv4Address(high)
        span = str(first) if low == high else f"{first}-{last}"
        raise CheckFailed(f"{span} is not on the nodes' network {network} (their InternalIPs: "
                          f"{', '.join(nodes.values())}).",
                          "In layer 2 mode a MetalLB speaker answers ARP for the address on the nodes' own "
                          "network, so only machines on that network reach it. On kind that is the Docker "
                          f"network 'kind', {network}: pick free addresses there, away from the nodes.")
    if int(network.broadcast_address) in (high for _, high in pool):
        raise CheckFailed(f"The pool contains {network.broadcast_address}, the broadcast address of {network}.",
                          "End the pool before the last address of the network.")


def _check_not_taken(addresses: str, taken: str) -> None:
    """Two clusters on one network must not announce the same address: their speakers would both answer ARP."""
    __tracebackhide__ = True
    if not taken:
        return
    if _overlaps(_ipv4(addresses), _ipv4(taken)):
        raise CheckFailed(f"The pool overlaps {taken}, which another kind cluster's MetalLB already announces on "
                          "the same Docker network.",
                          "Two speakers answering ARP for one address split its traffic between two clusters. "
                          "Pick other free addresses of the same network.")


def _ipv4(addresses: str) -> list[tuple[int, int]]:
    """A pool's IPv4 ranges as (first, last) integers."""
    return [(low, high) for version, low, high in parse_pool(addresses) if version == 4]


def _span(network: Network) -> tuple[int, int]:
    return int(network.network_address), int(network.broadcast_address)


def _overlaps(pool: list[tuple[int, int]], ranges: Iterable[tuple[int, int]]) -> bool:
    """Whether any range of ``pool`` shares an address with any of ``ranges``."""
    return any(low <= last and first <= high for low, high in pool for first, last in ranges)


def _check_all_assigned(cluster: Cluster) -> dict[str, tuple[str, int]]:
    """Each Service's EXTERNAL-IP and port; fail on one still ``<pending>``, quoting MetalLB's event."""
    __tracebackhide__ = True
    assigned = {}
    for name, _, port in SERVICES:
        ingress = cluster.get("Service", name).status.load_balancer.ingress
        if not ingress:
            table = cluster.kubectl("get svc")
            raise CheckFailed(f"Service {name} is still <pending>:\n{table}",
                              "MetalLB gives every LoadBalancer Service its own address from the pool. Two "
                              "Services need at least two addresses (a /32 is one address, a /31 two).")
        assigned[name] = (ingress[0].ip, port)
    return assigned


def _check_reachable(cluster: Cluster, name: str, ip: str, port: int) -> str:
    """Send a request from the host next to kind to ``ip:port``; return who answered, or fail with the reason."""
    __tracebackhide__ = True
    trace = cluster.request(f"http://{ip}:{port}/", source="vpc")
    if not trace.ok:
        raise CheckFailed(f"A request from the host to http://{ip}:{port}/ ({name}) failed: {trace.reason}",
                          "Read the trace: cluster.request(url, source='vpc') shows where it stops.")
    return f"http://{ip}:{port}/ was answered by pod {trace.pod}"


# ---------------------------------------------------------------- the exercises (solutions/03)

@check
def check_service_manifest(manifest: Any, cluster: Cluster, service: str = "currency-exchange",
                           deployment: str = "currency-exchange", port: int = 8000,
                           client: str = "currency-conversion", namespace: str = "default") -> None:
    """Apply ``manifest``; check a pod of ``client`` reaches a pod of ``deployment`` at ``http://<service>:<port>/``.

    The request goes by the Service's name, as the clients' code calls it, so
    it needs the right name, a selector that matches the pods' labels (the
    EndpointSlice then lists them) and a targetPort the pods listen on. Each
    of these mistakes gets its own hint.
    """
    __tracebackhide__ = True
    require(manifest, f"the fixed YAML manifest (a string) of Service {service}")
    if service not in _apply(cluster, manifest):
        raise CheckFailed(f"Your manifest does not describe Service {service}, so the broken one is still there.",
                          f"The clients call http://{service}:{port}/: keep metadata.name: {service}.")
    try:
        svc = cluster.get("Service", service, namespace)
    except KubectlError:
        raise CheckFailed(f"There is no Service named {service}.",
                          f"The clients call http://{service}:{port}/: keep metadata.name: {service}.") from None
    dep = cluster.get("Deployment", deployment, namespace)
    labels = dict(dep.spec.template.metadata.labels)
    pods = set(cluster.pod_names(dict(dep.spec.selector.match_labels), namespace))
    selector = dict(svc.spec.selector or {})
    selected = set(cluster.pod_names(selector, namespace)) if selector else set()
    shown_selector = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "nothing (no selector)"
    shown_labels = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    if not selected & pods:
        other = sorted(selected)
        problem = (f"Service {service} selects {shown_selector}, but the pods of {deployment} are labelled "
                   f"{shown_labels}" + (f"; it selects {', '.join(other)} instead." if other else
                                        ": it matches no pod, so its EndpointSlice is empty."))
        hint = ("A Service finds its pods by labels only, letter for letter. Compare spec.selector with the "
                "labels in kubectl get pods --show-labels.")
        raise CheckFailed(problem, hint)
    if selected - pods:
        raise CheckFailed(f"Service {service} selects {shown_selector}, which matches {deployment}'s pods and "
                          f"others too ({', '.join(sorted(selected - pods))}).",
                          "Every pod the selector matches gets traffic. Use the label that only these pods carry.")
    source = _running(cluster, {"app": client}, namespace)
    trace = cluster.request(f"http://{service}:{port}/", from_pod=source)
    if not (trace.ok and trace.pod in pods):
        target = next((p.target_port for p in svc.spec.ports if p.port == port), None)
        problem = (f"From pod {source}, http://{service}:{port}/ does not reach a pod of {deployment}: "
                   f"{trace.reason or 'it was answered by ' + (trace.server or 'something else')}.")
        if target is None:
            hint = f"The clients call port {port}: the Service must have a port {port}."
        elif str(target) != str(port):
            hint = (f"targetPort is the pods' port, and these pods listen on {port}. Only the selector was wrong "
                    "in the original manifest.")
        else:
            hint = "Read the trace: cluster.request(url, from_pod=...) shows every hop the request took."
        raise CheckFailed(problem, hint)
    slices = cluster.list("EndpointSlice", namespace, {"kubernetes.io/service-name": service})
    endpoints = sorted(e.addresses[0] for s in slices for e in s.endpoints)
    ok(f"Service {service} selects {shown_selector}; its EndpointSlice lists {', '.join(endpoints)}, and "
       f"http://{service}:{port}/ from {source} reached {trace.pod}.")


def _apply(cluster: Cluster, manifest: Any) -> list[str]:
    """``kubectl apply -f -`` the learner's manifest; return the Services it names (a refusal: a failure, a hint)."""
    __tracebackhide__ = True
    if not isinstance(manifest, str) or not manifest.strip():
        raise CheckFailed(f"The manifest should be YAML text in a string, not {manifest!r}.",
                          'Put the YAML between triple quotes: manifest = """ ... """.')
    try:
        printed = cluster.kubectl("apply -f -", stdin=manifest)
    except KubectlError as err:
        text = str(err)
        if "error parsing" in text or "yaml:" in text:
            hint = ("The text is not valid YAML. Indent with spaces only, the same amount at each level, and "
                    "start each list item with '- '.")
        elif "spec.externalName" in text:
            hint = ("externalName is a DNS name only: no scheme (https://), no path, no port. The client keeps "
                    "its own scheme, port and path.")
        elif "spec.ports: Required value" in text:
            hint = ("A ClusterIP Service (the default type) needs ports. A DNS alias for a name outside the "
                    "cluster is type: ExternalName, which needs none.")
        elif "spec.type: Unsupported value" in text:
            hint = "Type names are case-sensitive: ClusterIP, NodePort, LoadBalancer, ExternalName."
        else:
            hint = "Read the message: it names the field the API server refused."
        raise CheckFailed(f"kubectl apply refused the manifest:\n  {text}", hint) from None
    cluster.advance(SETTLE_SECONDS)
    return [line.split()[0].split("/", 1)[1] for line in printed.splitlines() if line.startswith("service/")]


def _running(cluster: Cluster, selector: dict, namespace: str) -> str:
    """The first Running pod matching ``selector``: the client the check sends requests from."""
    __tracebackhide__ = True
    for pod in cluster.list("Pod", namespace, selector):
        if pod.status.phase == "Running" and not pod.terminating:
            return pod.metadata.name
    wanted = ",".join(f"{k}={v}" for k, v in selector.items())
    raise CheckFailed(f"No Running pod labelled {wanted} to send the request from.",
                      "Run the task's setup cell again: it starts the client pod.")


@check
def check_load_balancer_pool(addresses: Any, cluster: Cluster) -> None:
    """Install MetalLB on ``cluster`` with pool ``addresses``; check every LoadBalancer Service leaves ``<pending>``.

    Before installing, the pool is checked as ``check_metallb_pool`` does: it
    must be readable, free (no node, host, Service-range or pod-range address),
    on the nodes' own network, and hold one address per LoadBalancer Service.
    Only then is MetalLB installed (it installs once per cluster), and each
    EXTERNAL-IP must answer a request from the machine next to kind.
    """
    __tracebackhide__ = True
    require(addresses, "the addresses of MetalLB's IPAddressPool (a string: a range FIRST-LAST or a CIDR)")
    if not isinstance(addresses, str) or not addresses.strip():
        raise CheckFailed(f"The pool should be a string, not {addresses!r}.",
                          'Write it in quotes, as in the IPAddressPool: "FIRST-LAST" or "ADDRESS/PREFIX".')
    pool = addresses.strip()
    try:
        parse_pool(pool)
    except ValueError as err:
        raise CheckFailed(f"MetalLB cannot use this pool: {err}",
                          "A range is two IPv4 addresses joined by '-', lowest first; a CIDR is an address, "
                          "'/' and a prefix length (a /29 holds 8 addresses).") from None
    services = [s for s in cluster.list("Service", None) if s.spec.type == "LoadBalancer"]
    if not services:
        raise CheckFailed("This cluster has no LoadBalancer Service.",
                          "Run the task's setup cell again: it creates the Services.")
    _check_free_addresses(cluster, pool)
    size = sum(high - low + 1 for low, high in _ipv4(pool))
    if size < len(services):
        raise CheckFailed(f"The pool holds {size} address{'es' if size != 1 else ''}, and {len(services)} "
                          "LoadBalancer Services each need their own.",
                          "MetalLB gives every LoadBalancer Service one address from the pool; with too few, the "
                          "rest stay <pending>. A /32 is one address, a /30 four; a range counts both ends.")
    if "metallb" not in cluster.core.addons:  # installed by an earlier run: that pool passed these same checks
        try:
            cluster.install("metallb", addresses=pool)
        except KubectlError as err:
            raise CheckFailed(f"MetalLB cannot use this pool:\n  {err}",
                              "Give free IPv4 addresses of the nodes' network.") from None
    cluster.advance(SETTLE_SECONDS)
    answers = []
    for svc in services:
        name, namespace = svc.metadata.name, svc.metadata.namespace
        ingress = cluster.get("Service", name, namespace).status.load_balancer.ingress
        if not ingress:
            raise CheckFailed(f"Service {name} is still <pending>:\n{cluster.kubectl('get svc -A')}",
                              "MetalLB gives every LoadBalancer Service its own address from the pool.")
        answers.append(f"{name} got {ingress[0].ip}: " + _check_reachable(cluster, name, ingress[0].ip,
                                                                          svc.spec.ports[0].port))
    ok("MetalLB took every LoadBalancer Service out of <pending>; from the machine next to kind, "
       + "; ".join(answers) + ".")


@check
def check_external_name(manifest: Any, cluster: Cluster, service: str = "rates", target: str = "example.com",
                        client: str = "currency-exchange", namespace: str = "default") -> None:
    """Apply ``manifest``; check pods of ``client`` resolve ``service`` through a CNAME to ``target`` and reach it.

    The check resolves ``service`` from a client pod: the answer must be a
    CNAME to ``target`` that ends at the address ``target`` itself resolves to,
    and ``GET http://<service>/`` from that pod must leave the cluster for the
    server outside (no ClusterIP, no kube-proxy rule, no endpoint).
    """
    __tracebackhide__ = True
    require(manifest, f"the YAML manifest (a string) of Service {service}, a DNS alias for {target}")
    if service not in _apply(cluster, manifest):
        raise CheckFailed(f"Your manifest does not describe Service {service}: the pods still call the old one.",
                          f"The pods call http://{service}/: the Service's metadata.name is that name.")
    try:
        svc = cluster.get("Service", service, namespace)
    except KubectlError:
        made = ", ".join(s.metadata.name for s in cluster.list("Service", namespace)) or "none"
        raise CheckFailed(f"There is no Service named {service} (Services now: {made}).",
                          f"The pods call http://{service}/: the Service's metadata.name is that name.") from None
    if svc.spec.type != "ExternalName":
        raise CheckFailed(f"Service {service} is type {svc.spec.type}: it proxies to pods of this cluster "
                          f"(ClusterIP {svc.spec.cluster_ip}), and nothing in the cluster is {target}.",
                          "A Service that is only a name for something outside the cluster is type: ExternalName, "
                          "with spec.externalName and no selector.")
    source = _running(cluster, {"app": client}, namespace)
    dns = cluster.resolve(service, from_pod=source, namespace=namespace)
    expected = cluster.resolve(target, from_pod=source, namespace=namespace)
    tried = " -> ".join(f"{q} {rcode}" for q, rcode in dns.queries)
    if dns.rcode != "NOERROR" or not dns.addresses:
        raise CheckFailed(f"From pod {source}, {service!r} does not resolve ({dns.rcode}): it is a CNAME to "
                          f"{svc.spec.external_name!r}, which has no address. The resolver tried: {tried}.",
                          _external_name_hint(svc.spec.external_name, target))
    if set(dns.addresses) != set(expected.addresses):
        raise CheckFailed(f"{service!r} resolves to {', '.join(dns.addresses)} through a CNAME to "
                          f"{svc.spec.external_name!r}, but {target} is at {', '.join(expected.addresses)}.",
                          f"Point spec.externalName at {target}, the provider's own name.")
    trace = cluster.request(f"http://{service}/", from_pod=source)
    if not trace.ok:
        raise CheckFailed(f"From pod {source}, http://{service}/ fails: {trace.reason}",
                          "Read the trace: cluster.request(url, from_pod=...) shows every hop.")
    ok(f"From pod {source}, {service} is a CNAME to {svc.spec.external_name} ({tried}), resolving to "
       f"{', '.join(dns.addresses)}; http://{service}/ leaves the cluster and is answered by "
       f"{trace.server or 'the server outside'}, with no ClusterIP and no endpoints on the way.")


def _external_name_hint(external_name: str, target: str) -> str:
    """Why the CNAME target ``external_name`` has no address: an IP written as a name, or a misspelled name."""
    try:
        ipaddress.ip_address(external_name.rstrip("."))
    except ValueError:
        return f"The provider's name is {target}: check the spelling of spec.externalName."
    return (f"externalName is a DNS name, never an address: CoreDNS answers with a CNAME to it, and an IP written "
            f"there is a name made of digits that no DNS server knows. Give the provider's name, {target}.")
