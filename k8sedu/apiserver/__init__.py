"""The API server: admission, defaulting, validation and allocation in front of the store.

Mirrors kube-apiserver's request path for the objects the model keeps:
a write is checked (the namespace exists, the name is valid), defaulted
(a Service gets ``type: ClusterIP``, ``protocol: TCP``, ``targetPort`` = ``port``;
a class-less Ingress gets the default IngressClass),
validated with the real error texts, given what the registry allocates
(``generateName`` suffixes, ClusterIPs), and only then stored. A rejected write
raises a ``StatusError`` and changes nothing: not the store, not the
allocators, and not the seeded random source either (the real server draws a
``generateName`` suffix and a ClusterIP before it validates; the model puts
the random state back, so re-running a refused command hands out the same
names and addresses afterwards as before).

Pods are deleted gracefully, as the real registry does: ``delete`` only sets
``deletionTimestamp``; the kubelet removes the pod once its containers stopped.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any, Callable, Optional

from k8sedu.apiserver import errors, labels, validation
from k8sedu.apiserver.errors import FieldError, InvalidError, StatusError, raise_if_invalid
from k8sedu.apiserver.names import generate_name
from k8sedu.apiserver.services import ServiceRegistry, default_service
from k8sedu.apiserver.store import Store, WatchEvent
from k8sedu.apiserver.strategies import Strategy, strategies
from k8sedu.objects import RESOURCE_BY_KIND

_STORE_AS_SENT = Strategy()

__all__ = ["APIServer", "Store", "WatchEvent", "StatusError", "InvalidError", "FieldError", "default_service"]


class APIServer:
    """The one door to the store: every component writes through it."""

    def __init__(self, store: Store, rng: random.Random, now: Callable[[], float],
                 service_cidr: str = "10.96.0.0/12"):
        self.store = store
        self._rng = rng
        self._now = now
        self.services = ServiceRegistry(rng, service_cidr)
        self.service_ips = self.services.ips
        self._strategies = strategies(self.services, lambda: self.store.list("IngressClass"))

    def now(self) -> float:
        """The server's clock: the time it stamps on what it writes."""
        return self._now()

    # ------------------------------------------------------------ reads (delegated)

    def get(self, kind: str, namespace: str, name: str) -> Any:
        return self.store.get(kind, namespace, name)

    def try_get(self, kind: str, namespace: str, name: str) -> Optional[Any]:
        return self.store.try_get(kind, namespace, name)

    def list(self, kind: str, namespace: Optional[str] = None) -> list[Any]:
        return self.store.list(kind, namespace)

    # ------------------------------------------------------------ writes

    def strategy(self, kind: str) -> Strategy:
        """The per-kind strategy (``strategies.py``); the default stores what was sent."""
        return self._strategies.get(kind) or _STORE_AS_SENT

    def create(self, obj: Any) -> Any:
        """Admit, default, validate, allocate, then store a new object; a refusal draws nothing."""
        state = self._rng.getstate()
        try:
            return self._create(obj)
        except StatusError:
            self._rng.setstate(state)
            raise

    def _create(self, obj: Any) -> Any:
        obj = self._admit_namespace_and_name(obj)
        strategy = self.strategy(obj.kind)
        obj = strategy.prepare_for_create(obj)
        try:
            return self.store.create(obj)
        except StatusError:
            strategy.release(obj, None)  # allocated for a write that did not happen
            raise

    def update(self, obj: Any) -> Any:
        """Validate and store a new version of an existing object; a refusal draws nothing.

        Only a kind whose update may allocate (a Service) saves the random state first: the save copies the
        whole Mersenne Twister state, and most writes are status updates."""
        if not self.strategy(obj.kind).draws_on_update:
            return self._update(obj)
        state = self._rng.getstate()
        try:
            return self._update(obj)
        except StatusError:
            self._rng.setstate(state)
            raise

    def _update(self, obj: Any) -> Any:
        old = self.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name)
        raise_if_invalid(obj, labels.validate_metadata_labels(obj))
        strategy = self.strategy(obj.kind)
        new = self.store.update(strategy.prepare_for_update(obj, old))
        strategy.release(old, new)
        return new

    def delete(self, kind: str, namespace: str, name: str, grace_period: Optional[int] = None) -> Any:
        """Delete an object; a scheduled Pod only starts terminating."""
        obj = self.store.get(kind, namespace, name)
        if kind == "Pod" and obj.spec.node_name and grace_period != 0:
            return self._start_pod_termination(obj, grace_period)
        removed = self.store.delete(kind, namespace, name)
        self.strategy(kind).release(removed, None)
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
        raise_if_invalid(obj, validation.validate_name(obj) + labels.validate_metadata_labels(obj))
        return obj

    def _unused_name(self, obj: Any) -> str:
        """Generate names until one is free, as the registry retries on conflict."""
        while True:
            name = generate_name(obj.metadata.generate_name, self._rng)
            if self.store.try_get(obj.kind, obj.metadata.namespace, name) is None:
                return name

    def _start_pod_termination(self, pod: Any, grace_period: Optional[int]) -> Any:
        if pod.metadata.deletion_timestamp is not None:
            return pod
        grace = pod.spec.termination_grace_period_seconds if grace_period is None else grace_period
        meta = dataclasses.replace(pod.metadata, deletion_timestamp=self._now(),
                                   deletion_grace_period_seconds=grace)
        return self.store.update(dataclasses.replace(pod, metadata=meta))
