"""Pod and pod template validation, with the API server's texts.

Mirrors ``pkg/apis/core/validation`` (``ValidatePodSpec``,
``validateContainers``, ``validateContainerPorts``, ``validateProbe``) and
``pkg/apis/apps/validation`` (``ValidateReplicaSetSpec``,
``ValidatePodTemplateSpecForReplicaSet``) for the fields the model keeps: a
pod needs at least one container; each container a DNS-1123 label as name,
unique in the pod, and an image; container ports lie in 1-65535 with a known
protocol; probe times are not negative. A ReplicaSet's replicas are not
negative and its selector matches its template's labels. Refused here, such
objects never reach the controllers and the kubelet, which could not run them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from k8sedu.apiserver.errors import FieldError
from k8sedu.apiserver.labels import validate_labels
from k8sedu.apiserver.validation import dns1123_label, port_num_or_name_errors

NEGATIVE = "must be greater than or equal to 0"  # isNegativeErrorMsg
PORT_RANGE = "must be between 1 and 65535, inclusive"
PROTOCOLS = ("SCTP", "TCP", "UDP")
PROBE_FIELDS = (("initialDelaySeconds", "initial_delay_seconds"), ("timeoutSeconds", "timeout_seconds"),
                ("periodSeconds", "period_seconds"), ("successThreshold", "success_threshold"),
                ("failureThreshold", "failure_threshold"))


def nonnegative(value: int, path: str) -> list[FieldError]:
    """``ValidateNonnegativeField``."""
    return [FieldError(path, "Invalid value", NEGATIVE, value)] if value < 0 else []


PROBE_DEFAULTS = {"timeout_seconds": 1, "period_seconds": 10, "success_threshold": 1, "failure_threshold": 3}


def default_pod_spec(spec: Any) -> Any:
    """``SetDefaults_Probe``, run by the API server as it decodes: a probe's 0 times and thresholds get defaults.

    A probe sent with ``periodSeconds: 0`` is stored with 10, as the real server stores it (and the kubelet
    never meets a zero period).

    >>> from k8sedu.objects import Container, HTTPGetAction, PodSpec, Probe
    >>> spec = default_pod_spec(PodSpec((Container("c", "nginx", readiness_probe=Probe(HTTPGetAction(80), period_seconds=0,
    ...     timeout_seconds=0, success_threshold=0, failure_threshold=0)),)))
    >>> p = spec.containers[0].readiness_probe; (p.period_seconds, p.timeout_seconds, p.success_threshold, p.failure_threshold)
    (10, 1, 1, 3)
    """
    containers = tuple(dataclasses.replace(c, readiness_probe=_default_probe(c.readiness_probe),
                                           liveness_probe=_default_probe(c.liveness_probe)) for c in spec.containers)
    return spec if containers == spec.containers else dataclasses.replace(spec, containers=containers)


def _default_probe(probe: Any) -> Any:
    if probe is None:
        return None
    zero = {field: value for field, value in PROBE_DEFAULTS.items() if getattr(probe, field) == 0}
    return dataclasses.replace(probe, **zero) if zero else probe


def validate_pod(pod: Any) -> list[FieldError]:
    """``ValidatePodCreate`` for what the model keeps (the API server checked the metadata)."""
    return validate_pod_spec(pod.spec, "spec")


def validate_pod_spec(spec: Any, path: str) -> list[FieldError]:
    """``validateContainers`` for ``spec.containers``.

    Examples
    --------
    >>> from k8sedu.objects import Container, PodSpec
    >>> [str(e) for e in validate_pod_spec(PodSpec(), "spec")]
    ['spec.containers: Required value']
    >>> [str(e) for e in validate_pod_spec(PodSpec((Container("web", ""), Container("web", "nginx"))), "spec")]
    ['spec.containers[0].image: Required value', 'spec.containers[1].name: Duplicate value: "web"']
    """
    if not spec.containers:
        return [FieldError(f"{path}.containers", "Required value")]
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, container in enumerate(spec.containers):
        at = f"{path}.containers[{i}]"
        errs += _container_errors(container, at)
        if container.name in names:
            errs.append(FieldError(f"{at}.name", "Duplicate value", f'"{container.name}"'))
        names.add(container.name)
        errs += _probe_errors(container.liveness_probe, f"{at}.livenessProbe")
        errs += _probe_errors(container.readiness_probe, f"{at}.readinessProbe")
    return errs


def _container_errors(container: Any, path: str) -> list[FieldError]:
    """``validateContainerCommon``: name, image, ports."""
    errs: list[FieldError] = []
    if not container.name:
        errs.append(FieldError(f"{path}.name", "Required value"))
    else:
        errs += dns1123_label(container.name, f"{path}.name")
    if not container.image:
        errs.append(FieldError(f"{path}.image", "Required value"))
    return errs + _container_port_errors(container.ports, f"{path}.ports")


def _container_port_errors(ports, path: str) -> list[FieldError]:
    """``validateContainerPorts``: a name used once, containerPort required and in range, hostPort in range."""
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        at = f"{path}[{i}]"
        if port.name:
            found = port_num_or_name_errors(port.name, f"{at}.name")
            if found:
                errs += found
            elif port.name in names:
                errs.append(FieldError(f"{at}.name", "Duplicate value", f'"{port.name}"'))
            names.add(port.name)
        if port.container_port == 0:
            errs.append(FieldError(f"{at}.containerPort", "Required value"))
        elif not 1 <= port.container_port <= 65535:
            errs.append(FieldError(f"{at}.containerPort", "Invalid value", PORT_RANGE, port.container_port))
        if port.host_port and not 1 <= port.host_port <= 65535:
            errs.append(FieldError(f"{at}.hostPort", "Invalid value", PORT_RANGE, port.host_port))
        if not port.protocol:
            errs.append(FieldError(f"{at}.protocol", "Required value"))
        elif port.protocol not in PROTOCOLS:
            errs.append(FieldError(f"{at}.protocol", "Unsupported value",
                                   f'"{port.protocol}": supported values: "SCTP", "TCP", "UDP"'))
    return errs


def _probe_errors(probe: Any, path: str) -> list[FieldError]:
    """``validateProbe``: the handler's port, and no negative times or thresholds."""
    if probe is None:
        return []
    errs: list[FieldError] = []
    for handler, name in ((probe.http_get, "httpGet"), (probe.tcp_socket, "tcpSocket")):
        if handler is not None:
            errs += port_num_or_name_errors(handler.port, f"{path}.{name}.port")
    for field, attr in PROBE_FIELDS:
        errs += nonnegative(getattr(probe, attr), f"{path}.{field}")
    return errs


def validate_template(template: Any, path: str) -> list[FieldError]:
    """``ValidatePodTemplateSpec``: the template's labels and its pod spec."""
    return (validate_labels(template.metadata.labels, f"{path}.metadata.labels")
            + validate_pod_spec(template.spec, f"{path}.spec"))


def selector_errors(spec: Any) -> list[FieldError]:
    """``ValidateLabelSelector`` and ``ValidatePodTemplateSpecForReplicaSet``'s match of the template."""
    errs = validate_labels(spec.selector.match_labels, "spec.selector.matchLabels")
    if not spec.selector.match_labels:
        return errs + [FieldError("spec.selector", "Required value")]
    labels = spec.template.metadata.labels
    if not spec.selector.matches(labels):
        shown = "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"
        errs.append(FieldError("spec.template.metadata.labels", "Invalid value",
                               "`selector` does not match template `labels`", _Raw(shown)))
    return errs


def validate_replicaset(rs: Any) -> list[FieldError]:
    """``ValidateReplicaSet``: replicas, selector, template (the API server checked the metadata).

    Examples
    --------
    >>> from k8sedu.objects import (Container, LabelSelector, ObjectMeta, PodSpec, PodTemplateSpec, ReplicaSet,
    ...                             ReplicaSetSpec)
    >>> tpl = PodTemplateSpec(ObjectMeta(labels={"app": "db"}), PodSpec((Container("c", "nginx"),)))
    >>> [str(e) for e in validate_replicaset(ReplicaSet(ObjectMeta(name="web"),
    ...      ReplicaSetSpec(LabelSelector({"app": "web"}), tpl, replicas=-1)))]
    ['spec.replicas: Invalid value: -1: must be greater than or equal to 0', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"db"}: `selector` does not match template `labels`']
    """
    return (nonnegative(rs.spec.replicas, "spec.replicas")
            + selector_errors(rs.spec)
            + validate_template(rs.spec.template, "spec.template"))


def validate_deployment(dep: Any) -> list[FieldError]:
    """``ValidateDeploymentSpec``: replicas, selector (it must match the template's labels), template."""
    return (nonnegative(dep.spec.replicas, "spec.replicas")
            + selector_errors(dep.spec)
            + validate_template(dep.spec.template, "spec.template"))


class _Raw:
    """A value printed bare in an error body (Go's %v of a map)."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text
