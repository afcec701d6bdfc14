"""kube-proxy's translation step: Services and EndpointSlices become two maps.

Mirrors k/k ``pkg/proxy`` (``serviceport.go``, ``servicechangetracker.go``,
``endpointslicecache.go``, ``topology.go``). Before any backend writes a rule,
kube-proxy boils the API objects down to two plain maps keyed by
``ServicePortName`` (namespace, service name, port name, protocol):

* the **service map**: for each port of each proxied Service, the facts a
  backend needs (cluster IP, port, protocol, node port, policies);
* the **endpoints map**: for each service port, the backends, as
  ``ip:port`` endpoints with their ready/serving/terminating flags, merged
  from *all* of the Service's EndpointSlices and sorted as strings.

The iptables backend (``iptables.py``) only ever reads these maps, never the
API objects, which is why the same maps also drive the ipvs and nftables
backends in real Kubernetes. Everything here is a pure function of its input.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Optional

from k8sedu.objects import EndpointSlice, Service

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
"""The label that ties an EndpointSlice to its Service (same namespace)."""

CLIENT_IP_DEFAULT_TIMEOUT = 10800
"""``sessionAffinityConfig.clientIP.timeoutSeconds`` default: 3 hours (k/k ``pkg/apis/core/v1/defaults.go``)."""

SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name"
"""Services carrying this label belong to another proxy; kube-proxy ignores them
(k/k ``cmd/kube-proxy/app/server.go``: the informer selects ``!service-proxy-name``)."""


@dataclass(frozen=True, order=True)
class ServicePortName:
    """One port of one Service: the key of both maps (k/k ``pkg/proxy/types.go``).

    ``str()`` is what appears in rule comments and feeds the chain-name hash:
    ``"ns/name"``, plus ``":portname"`` only when the port has a name. The
    protocol is part of the key but not of the string.

    Examples
    --------
    >>> str(ServicePortName("default", "web", "http", "TCP"))
    'default/web:http'
    >>> str(ServicePortName("default", "my-nginx", "", "TCP"))
    'default/my-nginx'
    """

    namespace: str
    name: str
    port_name: str = ""
    protocol: str = "TCP"

    def __str__(self) -> str:
        base = f"{self.namespace}/{self.name}"
        return f"{base}:{self.port_name}" if self.port_name else base


@dataclass(frozen=True)
class ServicePortInfo:
    """What a backend needs to know about one service port (``BaseServicePortInfo``).

    The raw policy strings are kept as the API has them; the properties
    below answer the questions ``proxier.go`` asks (``ExternalPolicyLocal()``,
    ``UsesLocalEndpoints()``, ...). ``load_balancer_ips`` holds only the
    VIP-mode IPv4 ingress IPs, ``external_ips`` and
    ``load_balancer_source_ranges`` only the IPv4 ones (an IPv4 proxier).

    Examples
    --------
    >>> info = ServicePortInfo("10.96.0.10", 80, node_port=30080, type="NodePort",
    ...                        external_traffic_policy="Local")
    >>> info.externally_accessible, info.external_policy_local, info.uses_local_endpoints
    (True, True, True)
    """

    cluster_ip: str
    port: int
    protocol: str = "TCP"
    node_port: int = 0
    type: str = "ClusterIP"
    session_affinity: str = "None"
    external_traffic_policy: str = ""
    internal_traffic_policy: str = "Cluster"
    load_balancer_ips: tuple[str, ...] = ()
    external_ips: tuple[str, ...] = ()
    load_balancer_source_ranges: tuple[str, ...] = ()
    health_check_node_port: int = 0
    sticky_max_age_seconds: int = 0

    @property
    def externally_accessible(self) -> bool:
        """True if reachable other than by cluster IP: NodePort, LB IP or external IP (``ExternallyAccessible``)."""
        return bool(self.node_port or self.load_balancer_ips or self.external_ips)

    @property
    def external_policy_local(self) -> bool:
        """True if external traffic may only use this node's endpoints (``apiservice.ExternalPolicyLocal``)."""
        service_external = self.type in ("NodePort", "LoadBalancer") or (
            self.type == "ClusterIP" and bool(self.external_ips))
        return service_external and self.external_traffic_policy == "Local"

    @property
    def internal_policy_local(self) -> bool:
        """True if cluster-IP traffic may only use this node's endpoints (``internalTrafficPolicy: Local``)."""
        return self.internal_traffic_policy == "Local"

    @property
    def uses_cluster_endpoints(self) -> bool:
        """True if some traffic goes to endpoints on any node (needs KUBE-SVC).

        Even with ``externalTrafficPolicy: Local``, pods and the node itself
        reach external destinations through the Cluster chain (short-circuit).
        """
        return not self.internal_policy_local or self.externally_accessible

    @property
    def uses_local_endpoints(self) -> bool:
        """True if some traffic goes to this node's endpoints only (needs KUBE-SVL)."""
        return self.internal_policy_local or (self.external_policy_local and self.externally_accessible)

    @property
    def session_affinity_client_ip(self) -> bool:
        """True if a client keeps its endpoint for ``sticky_max_age_seconds`` (``sessionAffinity: ClientIP``)."""
        return self.session_affinity == "ClientIP"


@dataclass(frozen=True)
class EndpointInfo:
    """One backend of one service port (``BaseEndpointInfo``).

    ``str()`` is ``"ip:port"``, the form used in comments, in the KUBE-SEP
    hash, and as the sort key.

    Examples
    --------
    >>> str(EndpointInfo("10.244.1.2", 8080))
    '10.244.1.2:8080'
    """

    ip: str
    port: int
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    is_local: bool = False
    node_name: str = ""
    zone: str = ""

    def __str__(self) -> str:
        return f"{self.ip}:{self.port}"


def is_proxied(service: Service) -> bool:
    """Return True if kube-proxy programs rules for ``service``.

    Only services with a real cluster IP are proxied: headless services
    (``clusterIP: None``), ExternalName services and services still waiting
    for an IP get nothing (k/k ``pkg/proxy/serviceport.go`` / ``ShouldSkipService``).

    Examples
    --------
    >>> from k8sedu.objects import ObjectMeta, ServiceSpec
    >>> is_proxied(Service(ObjectMeta(name="db"), ServiceSpec(cluster_ip="None")))
    False
    >>> is_proxied(Service(ObjectMeta(name="web"), ServiceSpec(cluster_ip="10.96.0.10")))
    True
    """
    spec = service.spec
    if spec.type == "ExternalName" or spec.cluster_ip in ("", "None"):
        return False
    return SERVICE_PROXY_NAME_LABEL not in service.metadata.labels


def service_port_map(services: Iterable[Service]) -> dict[ServicePortName, ServicePortInfo]:
    """Translate Services into ``{ServicePortName: ServicePortInfo}``.

    Examples
    --------
    >>> from k8sedu.objects import ObjectMeta, ServicePort, ServiceSpec
    >>> svc = Service(ObjectMeta(name="web", namespace="default"),
    ...               ServiceSpec(cluster_ip="10.96.0.10", ports=(ServicePort(80, 8080),)))
    >>> for name, info in service_port_map([svc]).items():
    ...     print(name, info.cluster_ip, info.port, info.protocol)
    default/web 10.96.0.10 80 TCP
    """
    result: dict[ServicePortName, ServicePortInfo] = {}
    for svc in services:
        if not is_proxied(svc):
            continue
        shared = _service_info(svc)
        for port in svc.spec.ports:
            name = ServicePortName(svc.metadata.namespace, svc.metadata.name, port.name, port.protocol)
            result[name] = replace(shared, port=port.port, protocol=port.protocol, node_port=port.node_port)
    return result


def _service_info(svc: Service) -> ServicePortInfo:
    """The per-Service part of ``newBaseServiceInfo`` (port fields left at zero)."""
    spec = svc.spec
    info = ServicePortInfo(
        cluster_ip=spec.cluster_ip, port=0, type=spec.type,
        session_affinity=spec.session_affinity,
        external_traffic_policy=spec.external_traffic_policy,
        internal_traffic_policy=spec.internal_traffic_policy,
        # k/k: only VIP-mode ingress IPs get rules. An ipMode "Proxy" LB
        # forwards to the nodes itself, so traffic to its IP must really go
        # to the LB (for its TLS, PROXY protocol, ...), not be captured here.
        load_balancer_ips=tuple(_ipv4(i.ip for i in svc.status.load_balancer.ingress
                                      if i.ip and i.ip_mode in ("", "VIP"))),
        external_ips=tuple(_ipv4(spec.external_ips)),
        # k/k trims whitespace: validation once let padded ranges through.
        load_balancer_source_ranges=tuple(_ipv4(r.strip() for r in spec.load_balancer_source_ranges)),
        sticky_max_age_seconds=_sticky_seconds(spec),
    )
    if info.type == "LoadBalancer" and info.external_policy_local:  # apiservice.NeedsHealthCheck
        info = replace(info, health_check_node_port=spec.health_check_node_port)
    return info


def _ipv4(addresses: Iterable[str]) -> Iterable[str]:
    """Keep the IPv4 addresses or CIDRs (``MapIPsByIPFamily`` / ``MapCIDRsByIPFamily``)."""
    return (a for a in addresses if ipaddress.ip_network(a, strict=False).version == 4)


def _sticky_seconds(spec) -> int:
    """``sessionAffinityConfig.clientIP.timeoutSeconds`` for ClientIP affinity, else 0."""
    if spec.session_affinity != "ClientIP":
        return 0
    config = spec.session_affinity_config
    if config is None or config.client_ip is None:
        # The API server always defaults it; a Service written straight into
        # the store may lack it, so use the same default (3 hours).
        return CLIENT_IP_DEFAULT_TIMEOUT
    return config.client_ip.timeout_seconds


def service_of(slice_: EndpointSlice) -> Optional[tuple[str, str]]:
    """Return the ``(namespace, service name)`` a slice belongs to, or None.

    Examples
    --------
    >>> from k8sedu.objects import ObjectMeta, frozen
    >>> service_of(EndpointSlice(ObjectMeta(name="web-abcde", namespace="default",
    ...                                     labels=frozen({SERVICE_NAME_LABEL: "web"}))))
    ('default', 'web')
    """
    name = slice_.metadata.labels.get(SERVICE_NAME_LABEL)
    return (slice_.metadata.namespace, name) if name else None


def endpoints_map(slices: Iterable[EndpointSlice], node_name: str = "") -> dict[ServicePortName, tuple[EndpointInfo, ...]]:
    """Merge EndpointSlices into ``{ServicePortName: (EndpointInfo, ...)}``.

    Each slice port (matched to the service port by *name*: an unnamed slice
    port feeds the unnamed service port) gives every endpoint of that slice an
    ``ip:port`` entry with the slice port's number, i.e. the resolved
    targetPort. As in k/k ``endpointslicecache.go``: only IPv4 slices count
    (this is an IPv4 proxier); an endpoint uses its first address; nil
    ``ready``/``serving`` mean true and nil ``terminating`` means false;
    duplicates across slices collapse to one; and each list is sorted by its
    ``"ip:port"`` string ("Ensure endpoints are always returned in the same
    order"), so ``10.244.1.10:80`` sorts before ``10.244.1.2:80``.

    Examples
    --------
    >>> from k8sedu.objects import Endpoint, EndpointPort, ObjectMeta, frozen
    >>> s = EndpointSlice(ObjectMeta(name="web-x", namespace="default",
    ...                              labels=frozen({SERVICE_NAME_LABEL: "web"})),
    ...                   endpoints=(Endpoint(("10.244.1.2",)), Endpoint(("10.244.1.10",))),
    ...                   ports=(EndpointPort(8080),))
    >>> [str(ep) for ep in endpoints_map([s])[ServicePortName("default", "web")]]
    ['10.244.1.10:8080', '10.244.1.2:8080']
    """
    merged: dict[ServicePortName, dict[str, EndpointInfo]] = {}
    # k/k walks a Go map of slices here, so which copy of a duplicate wins is
    # arbitrary; the model takes slices in name order to stay deterministic.
    for slice_ in sorted(slices, key=lambda s: (s.metadata.namespace, s.metadata.name)):
        owner = service_of(slice_)
        if owner is None or slice_.address_type != "IPv4":
            continue
        for port in slice_.ports:
            name = ServicePortName(owner[0], owner[1], port.name, port.protocol)
            bucket = merged.setdefault(name, {})
            for ep in slice_.endpoints:
                if not ep.addresses:
                    continue
                info = _endpoint_info(ep, port.port, node_name)
                # k/k: "deduplicating potential overlapping endpoints", favouring a local copy.
                if str(info) not in bucket or info.is_local:
                    bucket[str(info)] = info
    return {name: tuple(bucket[k] for k in sorted(bucket)) for name, bucket in merged.items()}


def _endpoint_info(ep, port: int, node_name: str) -> EndpointInfo:
    cond = ep.conditions
    return EndpointInfo(
        ip=ep.addresses[0], port=port,
        ready=cond.ready is None or cond.ready,
        serving=cond.serving is None or cond.serving,
        terminating=cond.terminating is not None and cond.terminating,
        is_local=bool(node_name) and ep.node_name == node_name,
        node_name=ep.node_name, zone=ep.zone,
    )


def usable_endpoints(endpoints: Iterable[EndpointInfo]) -> tuple[EndpointInfo, ...]:
    """Return the endpoints "Cluster" traffic may use: the ready ones, or else
    the serving-and-terminating ones.

    The fallback lets connections drain during a rolling update when every
    pod is shutting down (k/k ``pkg/proxy/topology.go`` ``CategorizeEndpoints``:
    "will fall back to Serving-Terminating endpoints ... if no Ready endpoints
    are available").

    Examples
    --------
    >>> eps = (EndpointInfo("10.0.0.1", 80, ready=False, serving=True, terminating=True),
    ...        EndpointInfo("10.0.0.2", 80, ready=False, serving=False, terminating=True))
    >>> [str(e) for e in usable_endpoints(eps)]
    ['10.0.0.1:80']
    """
    endpoints = tuple(endpoints)
    ready = tuple(ep for ep in endpoints if ep.ready)
    if ready:
        return ready
    return tuple(ep for ep in endpoints if ep.serving and ep.terminating)


def count_endpoints(ep_map: Mapping[ServicePortName, tuple[EndpointInfo, ...]],
                    svc_map: Mapping[ServicePortName, ServicePortInfo]) -> int:
    """Return the number of endpoints of proxied service ports (decides large-cluster mode)."""
    return sum(len(ep_map.get(name, ())) for name in svc_map)
