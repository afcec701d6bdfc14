"""The API server: admission, defaulting, validation and allocation in front of the store.

Mirrors kube-apiserver's request path for the objects the model keeps:
a write is checked (the namespace exists, the name is valid), defaulted
(a Service gets ``type: ClusterIP``, ``protocol: TCP``, ``targetPort`` = ``port``),
validated with the real error texts, given what the registry allocates
(``generateName`` suffixes, ClusterIPs), and only then stored. A rejected write
raises a ``StatusError`` and changes nothing.

Pods are deleted gracefully, as the real registry does: ``delete`` only sets
``deletionTimestamp``; the kubelet removes the pod once its containers stopped.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any, Callable, Optional

from k8sedu.apiserver import errors, validation
from k8sedu.apiserver.errors import FieldError, InvalidError, StatusError
from k8sedu.apiserver.ipallocator import IPAllocator, RangeFull
from k8sedu.apiserver.names import generate_name
from k8sedu.apiserver.store import Store, WatchEvent
from k8sedu.objects import RESOURCE_BY_KIND, Service, ServicePort

__all__ = ["APIServer", "Store", "WatchEvent", "StatusError", "InvalidError", "FieldError"]

SUPPORTED_SERVICE_TYPES = ("ClusterIP",)


class APIServer:
    """The one door to the store: every component writes through it."""

    def __init__(self, store: Store, rng: random.Random, now: Callable[[], float],
                 service_cidr: str = "10.96.0.0/12"):
        self.store = store
        self._rng = rng
        self._now = now
        self.service_ips = IPAllocator(service_cidr, rng)

    # ------------------------------------------------------------ reads (delegated)

    def get(self, kind: str, namespace: str, name: str) -> Any:
        return self.store.get(kind, namespace, name)

    def try_get(self, kind: str, namespace: str, name: str) -> Optional[Any]:
        return self.store.try_get(kind, namespace, name)

    def list(self, kind: str, namespace: Optional[str] = None) -> list[Any]:
        return self.store.list(kind, namespace)

    # ------------------------------------------------------------ writes

    def create(self, obj: Any) -> Any:
        """Admit, default, validate, allocate, then store a new object."""
        obj = self._admit_namespace_and_name(obj)
        if obj.kind == "Service":
            obj = self._prepare_new_service(obj)
        elif obj.kind == "Deployment":
            self._raise_if_invalid(obj, validation.validate_deployment(obj))
        try:
            return self.store.create(obj)
        except StatusError:
            if obj.kind == "Service":
                self.service_ips.release(obj.spec.cluster_ip)
            raise

    def update(self, obj: Any) -> Any:
        """Validate and store a new version of an existing object."""
        old = self.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name)
        if obj.kind == "Service":
            obj = self._prepare_service_update(obj, old)
        elif obj.kind == "Deployment":
            self._raise_if_invalid(obj, validation.validate_deployment(obj))
        return self.store.update(obj)

    def delete(self, kind: str, namespace: str, name: str, grace_period: Optional[int] = None) -> Any:
        """Delete an object; a scheduled Pod only starts terminating."""
        obj = self.store.get(kind, namespace, name)
        if kind == "Pod" and obj.spec.node_name and grace_period != 0:
            return self._start_pod_termination(obj, grace_period)
        removed = self.store.delete(kind, namespace, name)
        if kind == "Service":
            self.service_ips.release(removed.spec.cluster_ip)
        return removed

    def remove(self, kind: str, namespace: str, name: str) -> Any:
        """Remove an object now (the kubelet's final delete of a terminated pod)."""
        return self.store.delete(kind, namespace, name)

    # ------------------------------------------------------------ admission

    def _admit_namespace_and_name(self, obj: Any) -> Any:
        meta = obj.metadata
        if RESOURCE_BY_KIND[obj.kind].namespaced:
            if not meta.namespace:
                obj = dataclasses.replace(obj, metadata=dataclasses.replace(meta, namespace="default"))
            if self.store.try_get("Namespace", "", obj.metadata.namespace) is None:
                raise errors.namespace_not_found(obj.metadata.namespace)
        if not obj.metadata.name and obj.metadata.generate_name:
            obj = dataclasses.replace(obj, metadata=dataclasses.replace(
                obj.metadata, name=self._unused_name(obj)))
        self._raise_if_invalid(obj, validation.validate_name(obj))
        return obj

    def _unused_name(self, obj: Any) -> str:
        """Generate names until one is free, as the registry retries on conflict."""
        while True:
            name = generate_name(obj.metadata.generate_name, self._rng)
            if self.store.try_get(obj.kind, obj.metadata.namespace, name) is None:
                return name

    @staticmethod
    def _raise_if_invalid(obj: Any, errs: list[FieldError]) -> None:
        if errs:
            raise InvalidError(obj.kind, obj.metadata.name, errs)

    def _start_pod_termination(self, pod: Any, grace_period: Optional[int]) -> Any:
        if pod.metadata.deletion_timestamp is not None:
            return pod
        grace = pod.spec.termination_grace_period_seconds if grace_period is None else grace_period
        meta = dataclasses.replace(pod.metadata, deletion_timestamp=self._now(),
                                   deletion_grace_period_seconds=grace)
        return self.store.update(dataclasses.replace(pod, metadata=meta))

    # ------------------------------------------------------------ services

    def _prepare_new_service(self, svc: Service) -> Service:
        svc = default_service(svc)
        self._raise_if_invalid(svc, validation.validate_service(svc))
        self._raise_if_unsupported(svc)
        return self._allocate_cluster_ip(svc)

    def _prepare_service_update(self, svc: Service, old: Service) -> Service:
        svc = default_service(svc)
        if not svc.spec.cluster_ip:  # the ClusterIP is immutable: keep the allocated one
            svc = dataclasses.replace(svc, spec=dataclasses.replace(
                svc.spec, cluster_ip=old.spec.cluster_ip, cluster_ips=old.spec.cluster_ips))
        errs = validation.validate_service(svc)
        if svc.spec.cluster_ip != old.spec.cluster_ip:
            errs.append(FieldError("spec.clusterIPs[0]", "Invalid value",
                                   "may not change once set", svc.spec.cluster_ip))
        self._raise_if_invalid(svc, errs)
        self._raise_if_unsupported(svc)
        return svc

    @staticmethod
    def _raise_if_unsupported(svc: Service) -> None:
        if svc.spec.type not in SUPPORTED_SERVICE_TYPES:
            raise StatusError("BadRequest", f"k8sedu does not model Services of type {svc.spec.type} "
                              "yet: this part of the course uses ClusterIP Services", 400)

    def _allocate_cluster_ip(self, svc: Service) -> Service:
        spec = svc.spec
        if spec.cluster_ip == "None":
            return dataclasses.replace(svc, spec=dataclasses.replace(spec, cluster_ips=("None",)))
        try:
            if spec.cluster_ip:
                self.service_ips.allocate(spec.cluster_ip)
                ip = spec.cluster_ip
            else:
                ip = self.service_ips.allocate_next()
        except (ValueError, RangeFull) as err:
            shown = errors.FieldError("spec.clusterIPs", "Invalid value",
                                      f"failed to allocate IP {spec.cluster_ip}: {err}",
                                      _GoList(spec.cluster_ip))
            raise InvalidError("Service", svc.metadata.name, [shown]) from None
        return dataclasses.replace(svc, spec=dataclasses.replace(spec, cluster_ip=ip, cluster_ips=(ip,)))


class _GoList:
    """Prints like Go's %v of a []string: ``["10.96.0.5"]``."""

    def __init__(self, item: str):
        self.item = item

    def __str__(self) -> str:
        return f'["{self.item}"]'


def default_service(svc: Service) -> Service:
    """Fill in what ``SetDefaults_Service`` and the registry fill in.

    Examples
    --------
    >>> from k8sedu.objects import ObjectMeta, ServiceSpec
    >>> s = default_service(Service(ObjectMeta(name="web"), ServiceSpec(ports=(ServicePort(port=80),))))
    >>> s.spec.type, s.spec.ports[0].protocol, s.spec.ports[0].target_port
    ('ClusterIP', 'TCP', 80)
    """
    spec = svc.spec
    ports = tuple(dataclasses.replace(p, protocol=p.protocol or "TCP",
                                      target_port=p.target_port or p.port) for p in spec.ports)
    kind = spec.type or "ClusterIP"
    external = kind in ("NodePort", "LoadBalancer")
    spec = dataclasses.replace(
        spec,
        type=kind,
        ports=ports,
        session_affinity=spec.session_affinity or "None",
        external_traffic_policy=(spec.external_traffic_policy or "Cluster") if external else "",
        internal_traffic_policy="" if kind == "ExternalName" else (spec.internal_traffic_policy or "Cluster"),
        ip_families=() if kind == "ExternalName" else (spec.ip_families or ("IPv4",)),
        ip_family_policy="" if kind == "ExternalName" else (spec.ip_family_policy or "SingleStack"),
    )
    return dataclasses.replace(svc, spec=spec)
