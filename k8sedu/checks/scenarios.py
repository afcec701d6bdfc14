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

from k8sedu.checks.base import CheckFailed, ok, require
from k8sedu.cloud import vpc_client_ip
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError
from k8sedu.metallb import parse_pool

__all__ = ["check_metallb_pool"]

SETTLE_SECONDS = 10  # simulated time the check lets pass after creating objects and installing MetalLB
KIND_NETWORK_PREFIX = 16  # Docker gives its user-defined network "kind" a /16 (172.18.0.0/16 by default)
SERVICES = (("currency-exchange", "in28min/currency-exchange:0.0.1-RELEASE", 8000),
            ("currency-conversion", "in28min/currency-conversion:0.0.1-RELEASE", 8100))

Network = ipaddress.IPv4Network


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
