"""Validation, with the API server's own error texts.

Mirrors ``pkg/apis/core/validation`` and apimachinery's ``util/validation``:
each function returns a list of ``FieldError``; an empty list means valid.
The API server turns a non-empty list into an Invalid error and stores
nothing.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from k8sedu.apiserver import labels
from k8sedu.apiserver.errors import FieldError

DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + r"(\." + DNS1123_LABEL_FMT + ")*"

DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
               "start with an alphabetic character, and end with an alphanumeric character "
               "(e.g. 'my-name',  or 'abc-123', regex used for validation is '" + DNS1035_FMT + "')")
DNS1123_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                     "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
                     "or '123-abc', regex used for validation is '" + DNS1123_LABEL_FMT + "')")
DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                         "characters, '-' or '.', and must start and end with an alphanumeric character "
                         "(e.g. 'example.com', regex used for validation is '" + DNS1123_SUBDOMAIN_FMT + "')")


def _name_errors(value: str, path: str, fmt: str, msg: str, max_len: int) -> list[FieldError]:
    errs = []
    if len(value) > max_len:
        errs.append(FieldError(path, "Invalid value", f"must be no more than {max_len} characters", value))
    if not re.fullmatch(fmt, value):
        errs.append(FieldError(path, "Invalid value", msg, value))
    return errs


def dns1035_label(value: str, path: str) -> list[FieldError]:
    """Service names and port names' cousins: ``[a-z]([-a-z0-9]*[a-z0-9])?``, <= 63."""
    return _name_errors(value, path, DNS1035_FMT, DNS1035_MSG, 63)


def dns1123_label(value: str, path: str) -> list[FieldError]:
    """Namespace names and port names: ``[a-z0-9]([-a-z0-9]*[a-z0-9])?``, <= 63."""
    return _name_errors(value, path, DNS1123_LABEL_FMT, DNS1123_LABEL_MSG, 63)


def dns1123_subdomain(value: str, path: str) -> list[FieldError]:
    """Pod, Deployment and Ingress names: dot-separated labels, <= 253."""
    return _name_errors(value, path, DNS1123_SUBDOMAIN_FMT, DNS1123_SUBDOMAIN_MSG, 253)


def port_name_errors(name: str) -> list[str]:
    """apimachinery ``IsValidPortName``: an IANA service name (15 chars, a letter, no ``--``).

    Examples
    --------
    >>> port_name_errors("http")
    []
    >>> port_name_errors("8080")
    ['must contain at least one letter (a-z)']
    """
    errs = []
    if len(name) > 15:
        errs.append("must be no more than 15 characters")
    if not re.fullmatch(r"[-a-z0-9]+", name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def port_num_or_name_errors(port: "int | str", path: str) -> list[FieldError]:
    """``ValidatePortNumOrName``: a number in 1-65535, or a valid port name (a named ``targetPort``).

    Examples
    --------
    >>> [str(e) for e in port_num_or_name_errors("http_web", "spec.ports[0].targetPort")]
    ['spec.ports[0].targetPort: Invalid value: "http_web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']
    """
    if isinstance(port, int):
        if not 1 <= port <= 65535:
            return [FieldError(path, "Invalid value", "must be between 1 and 65535, inclusive", port)]
        return []
    return [FieldError(path, "Invalid value", msg, port) for msg in port_name_errors(port)]


NAME_RULES = {
    "Service": dns1035_label,
    "Namespace": dns1123_label,
}


def validate_name(obj: Any) -> list[FieldError]:
    """Check ``metadata.name`` with the rule of the object's kind."""
    name = obj.metadata.name
    if not name:
        return [FieldError("metadata.name", "Required value", "name or generateName is required")]
    return NAME_RULES.get(obj.kind, dns1123_subdomain)(name, "metadata.name")


def validate_service(svc: Any) -> list[FieldError]:
    """Check a defaulted Service's spec (the checks of ``ValidateService`` we model)."""
    spec = svc.spec
    errs: list[FieldError] = []
    if spec.type not in SERVICE_TYPES:
        errs.append(FieldError("spec.type", "Unsupported value",
                               f'"{spec.type}": supported values: "ClusterIP", "ExternalName", '
                               '"LoadBalancer", "NodePort"'))
        return errs
    needs_ports = spec.type != "ExternalName" and spec.cluster_ip != "None"
    if needs_ports and not spec.ports:
        errs.append(FieldError("spec.ports", "Required value"))
    errs += _port_errors(spec.ports)
    errs += labels.validate_labels(spec.selector, "spec.selector")
    errs += _type_errors(spec)
    errs += _policy_errors(spec)
    return errs


SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
EXTERNAL = ("NodePort", "LoadBalancer")


def _type_errors(spec) -> list[FieldError]:
    """The rules that depend on ``spec.type``."""
    errs: list[FieldError] = []
    if spec.type == "ExternalName":
        if spec.cluster_ip:
            errs.append(FieldError("spec.clusterIPs", "Forbidden", "may not be set for ExternalName services"))
        if not spec.external_name:
            errs.append(FieldError("spec.externalName", "Required value"))
        else:
            errs += dns1123_subdomain(spec.external_name.rstrip("."), "spec.externalName")
    if spec.type in EXTERNAL and spec.cluster_ip == "None":
        errs.append(FieldError("spec.clusterIPs[0]", "Invalid value",
                               f"may not be set to 'None' for {spec.type} services", "None"))
    if spec.type in ("ClusterIP", "ExternalName"):
        for i, port in enumerate(spec.ports):
            if port.node_port:
                errs.append(FieldError(f"spec.ports[{i}].nodePort", "Forbidden",
                                       f"may not be used when `type` is '{spec.type}'"))
    if spec.type == "LoadBalancer":
        for i, port in enumerate(spec.ports):
            if port.port == 10250:
                errs.append(FieldError(f"spec.ports[{i}]", "Invalid value",
                                       "may not expose port 10250 externally since it is used by kubelet", 10250))
    else:
        if spec.load_balancer_source_ranges:
            # validation.go spells this path with Go's capital L: specPath.Child("LoadBalancerSourceRanges").
            errs.append(FieldError(SOURCE_RANGES_PATH, "Forbidden", "may only be used when `type` is 'LoadBalancer'"))
        if spec.allocate_load_balancer_node_ports is not None:
            errs.append(FieldError("spec.allocateLoadBalancerNodePorts", "Forbidden",
                                   "may only be used when `type` is 'LoadBalancer'"))
    errs += _source_range_errors(spec.load_balancer_source_ranges)
    seen: set[tuple[str, int]] = set()
    for i, port in enumerate(spec.ports):
        if port.node_port and (port.protocol, port.node_port) in seen:
            errs.append(FieldError(f"spec.ports[{i}].nodePort", "Duplicate value", str(port.node_port)))
        seen.add((port.protocol, port.node_port))
    return errs


SOURCE_RANGES_PATH = "spec.LoadBalancerSourceRanges"


def _source_range_errors(ranges) -> list[FieldError]:
    """``GetLoadBalancerSourceRanges``: every entry (spaces trimmed) must be a CIDR; the value shown is Go's ``%v``.

    Examples
    --------
    >>> [str(e) for e in _source_range_errors(("10.0.0.0/8", "office"))]
    ['spec.LoadBalancerSourceRanges: Invalid value: "[10.0.0.0/8 office]": must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 ']
    """
    for value in ranges:
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            return [FieldError(SOURCE_RANGES_PATH, "Invalid value",
                               "must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 ",
                               "[" + " ".join(ranges) + "]")]
    return []


def _policy_errors(spec) -> list[FieldError]:
    """Traffic policies and session affinity."""
    errs: list[FieldError] = []
    if spec.external_traffic_policy:
        if spec.type not in EXTERNAL and not spec.external_ips:
            errs.append(FieldError("spec.externalTrafficPolicy", "Invalid value",
                                   "may only be set for externally-accessible services",
                                   spec.external_traffic_policy))
        elif spec.external_traffic_policy not in ("Cluster", "Local"):
            errs.append(FieldError("spec.externalTrafficPolicy", "Unsupported value",
                                   f'"{spec.external_traffic_policy}": supported values: "Cluster", "Local"'))
    if spec.internal_traffic_policy not in ("", "Cluster", "Local"):
        errs.append(FieldError("spec.internalTrafficPolicy", "Unsupported value",
                               f'"{spec.internal_traffic_policy}": supported values: "Cluster", "Local"'))
    if spec.session_affinity not in ("None", "ClientIP"):
        errs.append(FieldError("spec.sessionAffinity", "Unsupported value",
                               f'"{spec.session_affinity}": supported values: "ClientIP", "None"'))
    config = spec.session_affinity_config
    if config is not None and config.client_ip is not None:
        timeout = config.client_ip.timeout_seconds
        if not 0 < timeout <= 86400:
            errs.append(FieldError("spec.sessionAffinityConfig.clientIP.timeoutSeconds", "Invalid value",
                                   "must be greater than 0 and less than 86400", timeout))
    return errs


def _port_errors(ports) -> list[FieldError]:
    errs: list[FieldError] = []
    seen_names: set[str] = set()
    seen_ports: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        path = f"spec.ports[{i}]"
        if len(ports) > 1 and not port.name:
            errs.append(FieldError(f"{path}.name", "Required value"))
        elif port.name:
            errs += dns1123_label(port.name, f"{path}.name")
            if port.name in seen_names:
                errs.append(FieldError(f"{path}.name", "Duplicate value", f'"{port.name}"'))
            seen_names.add(port.name)
        if not 1 <= port.port <= 65535:
            errs.append(FieldError(f"{path}.port", "Invalid value",
                                   "must be between 1 and 65535, inclusive", port.port))
        if port.protocol not in ("TCP", "UDP", "SCTP"):
            errs.append(FieldError(f"{path}.protocol", "Unsupported value",
                                   f'"{port.protocol}": supported values: "SCTP", "TCP", "UDP"'))
        errs += port_num_or_name_errors(port.target_port, f"{path}.targetPort")
        key = (port.protocol, port.port)
        if key in seen_ports:
            errs.append(FieldError(path, "Duplicate value",
                                   f"{{Port:{port.port}, Protocol:\"{port.protocol}\"}}"))
        seen_ports.add(key)
    return errs
