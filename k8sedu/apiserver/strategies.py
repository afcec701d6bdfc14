"""Per-kind strategies: what the API server does to one kind of object before it stores a write.

Mirrors kube-apiserver's registry strategies (``k8s.io/apiserver``
``rest.RESTCreateStrategy`` and ``RESTUpdateStrategy``; for example
``pkg/registry/core/service/strategy.go``): each resource has its own
PrepareForCreate and PrepareForUpdate (admission, defaulting, allocation) and
Validate / ValidateUpdate, and the Service registry gives back its IPs and
ports when a write is undone or an object goes. ``strategies`` returns the
table, one row per kind; a kind without a row is stored as it comes, after
the namespace and name checks every kind gets.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

from k8sedu.apiserver import admission, configmaps, endpoints, ingress, podspec
from k8sedu.apiserver.errors import raise_if_invalid
from k8sedu.apiserver.services import ServiceRegistry


class Strategy:
    """The default: store what was sent."""

    draws_on_update = False  # whether ``prepare_for_update`` may draw from the seeded source (allocators)

    def prepare_for_create(self, obj: Any) -> Any:
        """Admit, default, validate and allocate a new object; raise ``InvalidError`` to refuse it."""
        return obj

    def prepare_for_update(self, obj: Any, old: Any) -> Any:
        """The same for a new version of ``old``."""
        return obj

    def release(self, old: Any, new: Optional[Any]) -> None:
        """Give back what ``old`` held and ``new`` (None after a delete or an undone create) does not."""


class ServiceStrategy(Strategy):
    """Services: defaulting, validation, type changes, ClusterIP and NodePort allocation (``ServiceRegistry``)."""

    draws_on_update = True  # a type change allocates a ClusterIP or NodePorts at random

    def __init__(self, registry: ServiceRegistry):
        self.registry = registry

    def prepare_for_create(self, obj: Any) -> Any:
        return self.registry.prepare_create(obj)

    def prepare_for_update(self, obj: Any, old: Any) -> Any:
        return self.registry.prepare_update(obj, old)

    def release(self, old: Any, new: Optional[Any]) -> None:
        self.registry.release_unused(old, new)


class PodStrategy(Strategy):
    """Pods: the DefaultTolerationSeconds admission plugin on create (``admission.admit_pod``), then validation."""

    def prepare_for_create(self, obj: Any) -> Any:
        obj = admission.admit_pod(dataclasses.replace(obj, spec=podspec.default_pod_spec(obj.spec)))
        raise_if_invalid(obj, podspec.validate_pod(obj))
        return obj


class ValidatedStrategy(Strategy):
    """A kind whose writes are only validated, by ``validate(obj)`` (create and update alike)."""

    def __init__(self, validate: Callable[[Any], list]):
        self.validate = validate

    def prepare_for_create(self, obj: Any) -> Any:
        raise_if_invalid(obj, self.validate(obj))
        return obj

    def prepare_for_update(self, obj: Any, old: Any) -> Any:
        return self.prepare_for_create(obj)


class DeploymentStrategy(Strategy):
    """Deployments: the selector must match the template's labels, and so on (apps/validation)."""

    def prepare_for_create(self, obj: Any) -> Any:
        raise_if_invalid(obj, podspec.validate_deployment(obj))
        return obj

    def prepare_for_update(self, obj: Any, old: Any) -> Any:
        return self.prepare_for_create(obj)


class IngressStrategy(Strategy):
    """Ingresses: the DefaultIngressClass admission plugin on create, then networking/validation."""

    def __init__(self, ingress_classes: Callable[[], list]):
        self.ingress_classes = ingress_classes

    def prepare_for_create(self, obj: Any) -> Any:
        obj = ingress.admit_ingress(obj, self.ingress_classes())
        raise_if_invalid(obj, ingress.validate_ingress(obj, create=True))
        return obj

    def prepare_for_update(self, obj: Any, old: Any) -> Any:
        raise_if_invalid(obj, ingress.validate_ingress(obj, create=False))
        return obj


class IngressClassStrategy(Strategy):
    """IngressClasses: ``spec.controller`` is a domain-prefixed path and may not change."""

    def prepare_for_create(self, obj: Any) -> Any:
        raise_if_invalid(obj, ingress.validate_ingress_class(obj))
        return obj

    def prepare_for_update(self, obj: Any, old: Any) -> Any:
        raise_if_invalid(obj, ingress.validate_ingress_class(obj, old))
        return obj


class ConfigMapStrategy(Strategy):
    """ConfigMaps: config keys, no key in both data and binaryData, and ``immutable`` (``configmaps``)."""

    def prepare_for_create(self, obj: Any) -> Any:
        raise_if_invalid(obj, configmaps.validate_configmap(obj))
        return obj

    def prepare_for_update(self, obj: Any, old: Any) -> Any:
        raise_if_invalid(obj, configmaps.validate_configmap(obj, old))
        return obj


def strategies(services: ServiceRegistry, ingress_classes: Callable[[], list]) -> dict[str, Strategy]:
    """The table: one strategy per kind that needs more than the name checks."""
    return {
        "Service": ServiceStrategy(services),
        "Pod": PodStrategy(),
        "Deployment": DeploymentStrategy(),
        "Ingress": IngressStrategy(ingress_classes),
        "IngressClass": IngressClassStrategy(),
        "ConfigMap": ConfigMapStrategy(),
        "ReplicaSet": ValidatedStrategy(podspec.validate_replicaset),
        "Endpoints": ValidatedStrategy(endpoints.validate_endpoints),
        "EndpointSlice": ValidatedStrategy(endpoints.validate_endpoint_slice),
    }
