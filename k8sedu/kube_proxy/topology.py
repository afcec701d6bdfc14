"""Which endpoints each kind of traffic may use on this node.

Mirrors k/k ``pkg/proxy/topology.go`` (``CategorizeEndpoints``), without
topology hints (the model's slices carry none). A service port has up to
two endpoint lists on a node:

* **cluster** endpoints, for "Cluster" traffic policy: every usable
  endpoint, wherever it runs (ready ones, or else serving-and-terminating
  ones, see ``usable_endpoints``);
* **local** endpoints, for "Local" policy: only the endpoints on *this*
  node, with the same fallback applied to them separately.

Each list exists only if some traffic uses it (``ServicePortInfo.uses_*``).
A service "has endpoints" if either policy could reach one somewhere in
the cluster: a node with no local endpoint still knows the Service is alive
elsewhere, which is why it DROPs (no local endpoints) instead of REJECTing
(no endpoints at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from k8sedu.kube_proxy.changes import EndpointInfo, ServicePortInfo, usable_endpoints


@dataclass(frozen=True)
class EndpointCategories:
    """The result of ``categorize_endpoints``.

    ``reachable`` is every endpoint some rule on this node may DNAT to (the
    union of the two lists, sorted by ``"ip:port"``): each gets a KUBE-SEP chain.
    """

    cluster: tuple[EndpointInfo, ...] = ()
    local: tuple[EndpointInfo, ...] = ()
    reachable: tuple[EndpointInfo, ...] = ()
    has_any: bool = False


def categorize_endpoints(endpoints: Iterable[EndpointInfo], svc: ServicePortInfo) -> EndpointCategories:
    """Split a service port's endpoints into its Cluster and Local lists (``CategorizeEndpoints``).

    Examples
    --------
    >>> eps = (EndpointInfo("10.244.1.2", 80, is_local=True), EndpointInfo("10.244.2.2", 80))
    >>> cats = categorize_endpoints(eps, ServicePortInfo("10.96.0.1", 80, node_port=30080, type="NodePort",
    ...                                                  external_traffic_policy="Local"))
    >>> [str(e) for e in cats.cluster], [str(e) for e in cats.local], cats.has_any
    (['10.244.1.2:80', '10.244.2.2:80'], ['10.244.1.2:80'], True)
    """
    endpoints = tuple(endpoints)
    cluster = usable_endpoints(endpoints) if svc.uses_cluster_endpoints else ()
    if not svc.uses_local_endpoints:
        return EndpointCategories(cluster, (), cluster, bool(cluster))
    local = usable_endpoints(ep for ep in endpoints if ep.is_local)
    has_any = bool(cluster) or any(ep.ready or (ep.serving and ep.terminating) for ep in endpoints)
    merged = {str(ep): ep for ep in cluster + local}
    return EndpointCategories(cluster, local, tuple(merged[k] for k in sorted(merged)), has_any)
