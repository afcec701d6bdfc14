"""The Service registry: what the API server does to a Service before storing it.

Mirrors ``pkg/registry/core/service`` (``strategy.go``, ``storage/alloc.go``)
and ``pkg/apis/core/v1/defaults.go``:

1. **drop** fields that a type change made meaningless, when the user left
   them as they were (``dropTypeDependentFields``): node ports when leaving
   NodePort/LoadBalancer, the ClusterIP when becoming ExternalName, the load
   balancer status when leaving LoadBalancer;
2. **default**: ``type: ClusterIP``, ``protocol: TCP``, ``targetPort`` =
   ``port``, ``sessionAffinity: None``, the traffic policies, and
   ``allocateLoadBalancerNodePorts: true`` for LoadBalancers;
3. **validate**, with the API server's texts (``validation.validate_service``);
4. **allocate** a ClusterIP from the service CIDR and NodePorts from
   30000-32767 (unique per protocol), plus a health-check node port for a
   LoadBalancer with ``externalTrafficPolicy: Local``; and release what an
   update or a delete no longer uses.

A rejected request allocates nothing and changes nothing.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Optional

from k8sedu.apiserver import errors, validation
from k8sedu.apiserver.errors import FieldError, InvalidError, StatusError, raise_if_invalid
from k8sedu.apiserver.ipallocator import IPAllocator, RangeFull
from k8sedu.apiserver.portallocator import PortAllocator
from k8sedu.objects import (ClientIPConfig, LoadBalancerStatus, Service, ServicePort, ServiceStatus,
                            SessionAffinityConfig)

EXTERNAL_TYPES = ("NodePort", "LoadBalancer")


class _GoValue:
    """An error value printed as Go's %v would print it (e.g. ``["10.96.0.5"]``)."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text


def needs_cluster_ip(svc: Service) -> bool:
    return svc.spec.type != "ExternalName" and svc.spec.cluster_ip != "None"


def needs_node_ports(svc: Service) -> bool:
    spec = svc.spec
    if spec.type == "NodePort":
        return True
    return spec.type == "LoadBalancer" and spec.allocate_load_balancer_node_ports is not False


def needs_health_check_port(svc: Service) -> bool:
    return svc.spec.type == "LoadBalancer" and svc.spec.external_traffic_policy == "Local"


# ---------------------------------------------------------------- 1. drop

def drop_type_dependent_fields(new: Service, old: Service) -> Service:
    """Wipe what the new type cannot use, if the user left it unchanged."""
    spec, old_spec = new.spec, old.spec
    if new.spec.type == "ExternalName" and spec.cluster_ip == old_spec.cluster_ip:
        spec = dataclasses.replace(spec, cluster_ip="", cluster_ips=(), ip_families=(), ip_family_policy="")
    if new.spec.type not in EXTERNAL_TYPES or (new.spec.type == "LoadBalancer"
                                               and spec.allocate_load_balancer_node_ports is False):
        old_ports = {(p.name, p.port, p.protocol): p.node_port for p in old_spec.ports}
        ports = tuple(dataclasses.replace(p, node_port=0) if p.node_port
                      and old_ports.get((p.name, p.port, p.protocol)) == p.node_port else p for p in spec.ports)
        spec = dataclasses.replace(spec, ports=ports)
    if new.spec.type not in EXTERNAL_TYPES and spec.external_traffic_policy == old_spec.external_traffic_policy:
        spec = dataclasses.replace(spec, external_traffic_policy="")
    if new.spec.type != "LoadBalancer":
        if spec.health_check_node_port == old_spec.health_check_node_port:
            spec = dataclasses.replace(spec, health_check_node_port=0)
        if spec.allocate_load_balancer_node_ports == old_spec.allocate_load_balancer_node_ports:
            spec = dataclasses.replace(spec, allocate_load_balancer_node_ports=None)
        if spec.load_balancer_class == old_spec.load_balancer_class:
            spec = dataclasses.replace(spec, load_balancer_class="")
    status = new.status
    if new.spec.type != "LoadBalancer" and old_spec.type == "LoadBalancer":
        status = ServiceStatus(LoadBalancerStatus())
    return dataclasses.replace(new, spec=spec, status=status)


# ---------------------------------------------------------------- 2. default

def default_service(svc: Service) -> Service:
    """Fill in what ``SetDefaults_Service`` and the registry fill in.

    Examples
    --------
    >>> from k8sedu.objects import ObjectMeta, ServiceSpec
    >>> s = default_service(Service(ObjectMeta(name="web"), ServiceSpec(ports=(ServicePort(port=80),))))
    >>> s.spec.type, s.spec.ports[0].protocol, s.spec.ports[0].target_port, s.spec.external_traffic_policy
    ('ClusterIP', 'TCP', 80, '')
    >>> s = default_service(Service(ObjectMeta(name="web"), ServiceSpec(type="LoadBalancer")))
    >>> s.spec.external_traffic_policy, s.spec.allocate_load_balancer_node_ports
    ('Cluster', True)
    """
    spec = svc.spec
    kind = spec.type or "ClusterIP"
    external = kind in EXTERNAL_TYPES
    ports = tuple(dataclasses.replace(p, protocol=p.protocol or "TCP", target_port=p.target_port or p.port)
                  for p in spec.ports)
    affinity_config = spec.session_affinity_config
    if spec.session_affinity == "ClientIP" and (affinity_config is None or affinity_config.client_ip is None):
        affinity_config = SessionAffinityConfig(ClientIPConfig())
    elif spec.session_affinity in ("", "None"):
        affinity_config = None
    allocate_lb = spec.allocate_load_balancer_node_ports
    if kind == "LoadBalancer" and allocate_lb is None:
        allocate_lb = True
    spec = dataclasses.replace(
        spec,
        type=kind,
        ports=ports,
        session_affinity=spec.session_affinity or "None",
        session_affinity_config=affinity_config,
        external_traffic_policy=(spec.external_traffic_policy or "Cluster") if external else spec.external_traffic_policy,
        internal_traffic_policy="" if kind == "ExternalName" else (spec.internal_traffic_policy or "Cluster"),
        ip_families=() if kind == "ExternalName" else (spec.ip_families or ("IPv4",)),
        ip_family_policy="" if kind == "ExternalName" else (spec.ip_family_policy or "SingleStack"),
        allocate_load_balancer_node_ports=allocate_lb,
    )
    return dataclasses.replace(svc, spec=spec)


# ---------------------------------------------------------------- 4. allocate

class ServiceRegistry:
    """Defaulting, validation and allocation for Services; owns the IP and port allocators."""

    def __init__(self, rng: random.Random, service_cidr: str, node_ports: tuple[int, int] = (30000, 32767)):
        self.ips = IPAllocator(service_cidr, rng)
        self.node_ports = {proto: PortAllocator(rng, *node_ports) for proto in ("TCP", "UDP", "SCTP")}

    def prepare_create(self, svc: Service) -> Service:
        """Default, validate and allocate a new Service; raise InvalidError and allocate nothing."""
        svc = default_service(svc)
        raise_if_invalid(svc, validation.validate_service(svc))
        return self._allocate(svc, old=None)

    def prepare_update(self, svc: Service, old: Service) -> Service:
        """Apply a type change's drops, then default, validate and allocate what is new."""
        svc = default_service(drop_type_dependent_fields(svc, old))
        if needs_cluster_ip(svc) and needs_cluster_ip(old) and not svc.spec.cluster_ip:
            svc = dataclasses.replace(svc, spec=dataclasses.replace(
                svc.spec, cluster_ip=old.spec.cluster_ip, cluster_ips=old.spec.cluster_ips))
        errs = validation.validate_service(svc)
        if needs_cluster_ip(old) and needs_cluster_ip(svc) and svc.spec.cluster_ip != old.spec.cluster_ip:
            errs.append(FieldError("spec.clusterIPs[0]", "Invalid value", "may not change once set",
                                   svc.spec.cluster_ip))
        if old.headless != svc.headless and svc.spec.type != "ExternalName" and old.spec.type != "ExternalName":
            errs.append(FieldError("spec.clusterIPs[0]", "Invalid value", "may not change once set",
                                   svc.spec.cluster_ip))
        raise_if_invalid(svc, errs)
        return self._allocate(svc, old)

    def release_unused(self, old: Service, new: Optional[Service]) -> None:
        """After an update or delete, give back what ``old`` held and ``new`` does not."""
        new_ip = new.spec.cluster_ip if new is not None else ""
        if old.spec.cluster_ip and old.spec.cluster_ip != new_ip:
            self.ips.release(old.spec.cluster_ip)
        kept = _node_ports(new) if new is not None else set()
        for proto, port in _node_ports(old) - kept:
            self.node_ports[proto].release(port)

    # ------------------------------------------------------------ internals

    def _allocate(self, svc: Service, old: Optional[Service]) -> Service:
        taken: list[tuple[str, object]] = []
        try:
            svc = self._allocate_cluster_ip(svc, old, taken)
            svc = self._allocate_node_ports(svc, old, taken)
            return self._allocate_health_check_port(svc, old, taken)
        except StatusError:  # Invalid, or Internal for a full range
            self._undo(taken)
            raise

    def _allocate_cluster_ip(self, svc: Service, old: Optional[Service], taken) -> Service:
        spec = svc.spec
        if spec.cluster_ip == "None":
            return dataclasses.replace(svc, spec=dataclasses.replace(spec, cluster_ips=("None",)))
        if not needs_cluster_ip(svc) or (old is not None and spec.cluster_ip == old.spec.cluster_ip
                                         and spec.cluster_ip):
            return svc
        if not spec.cluster_ip:
            try:
                ip = self.ips.allocate_next()
            except RangeFull as err:
                raise errors.internal_error(f"failed to allocate a serviceIP: {err}") from None
            taken.append(("ip", ip))
            return dataclasses.replace(svc, spec=dataclasses.replace(spec, cluster_ip=ip, cluster_ips=(ip,)))
        try:
            self.ips.allocate(spec.cluster_ip)
            ip = spec.cluster_ip
        except ValueError as err:
            raise InvalidError("Service", svc.metadata.name, [FieldError(
                "spec.clusterIPs", "Invalid value", f"failed to allocate IP {spec.cluster_ip}: {err}",
                _GoValue(f'["{spec.cluster_ip}"]'))]) from None
        taken.append(("ip", ip))
        return dataclasses.replace(svc, spec=dataclasses.replace(spec, cluster_ip=ip, cluster_ips=(ip,)))

    def _allocate_node_ports(self, svc: Service, old: Optional[Service], taken) -> Service:
        if not needs_node_ports(svc):
            return svc
        held = _node_ports(old) if old is not None else set()
        ports = []
        for i, port in enumerate(svc.spec.ports):
            allocator = self.node_ports[port.protocol]
            number = port.node_port
            if number and (port.protocol, number) in held:
                ports.append(port)
                continue
            if not number:
                number = _next_node_port(allocator)
            else:
                try:
                    allocator.allocate(number)
                except ValueError as err:
                    raise InvalidError("Service", svc.metadata.name, [FieldError(
                        f"spec.ports[{i}].nodePort", "Invalid value", str(err), port.node_port)]) from None
            taken.append(("port", (port.protocol, number)))
            ports.append(dataclasses.replace(port, node_port=number))
        return dataclasses.replace(svc, spec=dataclasses.replace(svc.spec, ports=tuple(ports)))

    def _allocate_health_check_port(self, svc: Service, old: Optional[Service], taken) -> Service:
        spec = svc.spec
        if not needs_health_check_port(svc):
            if spec.health_check_node_port and (old is None or old.spec.health_check_node_port != spec.health_check_node_port):
                raise InvalidError("Service", svc.metadata.name, [FieldError(
                    "spec.healthCheckNodePort", "Forbidden",
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'")])
            return svc
        if old is not None and spec.health_check_node_port == old.spec.health_check_node_port and spec.health_check_node_port:
            return svc
        allocator = self.node_ports["TCP"]
        try:
            if spec.health_check_node_port:
                allocator.allocate(spec.health_check_node_port)
                number = spec.health_check_node_port
            else:
                number = _next_node_port(allocator)
        except ValueError as err:
            raise InvalidError("Service", svc.metadata.name, [FieldError(
                "spec.healthCheckNodePort", "Invalid value",
                f"failed to allocate requested HealthCheck NodePort {spec.health_check_node_port}: {err}",
                spec.health_check_node_port)]) from None
        taken.append(("port", ("TCP", number)))
        return dataclasses.replace(svc, spec=dataclasses.replace(spec, health_check_node_port=number))

    def _undo(self, taken) -> None:
        for what, value in taken:
            if what == "ip":
                self.ips.release(value)
            else:
                proto, port = value
                self.node_ports[proto].release(port)


def _next_node_port(allocator: PortAllocator) -> int:
    """``AllocateNext``, or the registry's Internal error when the range is full (``initNodePorts``)."""
    try:
        return allocator.allocate_next()
    except ValueError as err:
        raise errors.internal_error(f"failed to allocate a nodePort: {err}") from None


def _node_ports(svc: Service) -> set[tuple[str, int]]:
    ports = {(p.protocol, p.node_port) for p in svc.spec.ports if p.node_port}
    if svc.spec.health_check_node_port:
        ports.add(("TCP", svc.spec.health_check_node_port))
    return ports
