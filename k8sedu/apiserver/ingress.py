"""Ingress and IngressClass: admission and validation, with the API server's own texts.

Mirrors two parts of kube-apiserver:

1. the **DefaultIngressClass** admission plugin
   (k/k ``plugin/pkg/admission/network/defaultingressclass/admission.go``): on
   *create* only, an Ingress with neither ``spec.ingressClassName`` nor the old
   ``kubernetes.io/ingress.class`` annotation gets the name of the IngressClass
   annotated ``ingressclass.kubernetes.io/is-default-class: "true"``. Since
   Kubernetes 1.25 (k/k PR #110974) several default classes are no longer an
   error: the newest one wins (ties: the lower name). Before 1.25 the plugin
   refused with ``N default IngressClasses were found, only 1 allowed``.
2. **validation** (k/k ``pkg/apis/networking/validation/validation.go``,
   ``ValidateIngressCreate`` / ``ValidateIngressSpec`` / ``ValidateIngressClass``),
   with the messages of apimachinery's ``util/validation``: a path needs a
   ``pathType``; ``Exact`` and ``Prefix`` paths must be absolute; a host is a
   DNS name (never an IP) or a ``*.`` wildcard; an Ingress needs a
   ``defaultBackend`` or ``rules``; a backend names a Service (a DNS-1035
   label, as Service names are) and one port, by number or by name.

Each ``validate_*`` returns a list of ``FieldError``; the API server raises an
Invalid error when it is not empty.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Optional

from k8sedu.apiserver.errors import FieldError
from k8sedu.apiserver.validation import dns1035_label, dns1123_subdomain, port_name_errors
from k8sedu.objects import (INGRESS_CLASS_ANNOTATION, PATH_TYPES, Ingress, IngressBackend, IngressClass,
                            IngressSpec)

WILDCARD_FMT = r"\*\." + r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
WILDCARD_MSG = ("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must "
                "consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character "
                "(e.g. '*.example.com', regex used for validation is "
                r"'\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")
PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"


class GoValue:
    """A bad value that Go prints with ``%#v`` (e.g. ``[]networking.IngressRule(nil)``)."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------- admission

def default_class(classes: list[IngressClass]) -> Optional[IngressClass]:
    """Return the default IngressClass: the newest of those marked default (ties: lower name), or None.

    Examples
    --------
    >>> from k8sedu.objects import ObjectMeta, frozen
    >>> def cls(name, t, default):
    ...     notes = frozen({"ingressclass.kubernetes.io/is-default-class": "true"} if default else {})
    ...     return IngressClass(ObjectMeta(name=name, creation_timestamp=t, annotations=notes))
    >>> default_class([cls("nginx", 10, True), cls("traefik", 20, False)]).metadata.name
    'nginx'
    >>> default_class([cls("nginx", 10, True), cls("haproxy", 20, True)]).metadata.name
    'haproxy'
    >>> default_class([cls("nginx", 10, False)]) is None
    True
    """
    defaults = [c for c in classes if c.is_default]
    if not defaults:
        return None
    defaults.sort(key=lambda c: c.metadata.name)
    defaults.sort(key=lambda c: c.metadata.creation_timestamp or 0.0, reverse=True)  # stable: newest first
    return defaults[0]


def admit_ingress(ing: Ingress, classes: list[IngressClass]) -> Ingress:
    """DefaultIngressClass: give a class-less new Ingress the default class's name."""
    if ing.spec.ingress_class_name is not None or INGRESS_CLASS_ANNOTATION in ing.metadata.annotations:
        return ing
    chosen = default_class(classes)
    if chosen is None:
        return ing
    return dataclasses.replace(ing, spec=dataclasses.replace(ing.spec, ingress_class_name=chosen.metadata.name))


# ---------------------------------------------------------------- Ingress

def validate_ingress(ing: Ingress, create: bool = True) -> list[FieldError]:
    """``ValidateIngressCreate`` (``create``) or ``ValidateIngressUpdate``, name checks aside."""
    errs = validate_ingress_spec(ing.spec, "spec")
    annotation = ing.metadata.annotations.get(INGRESS_CLASS_ANNOTATION)
    if create and annotation is not None and ing.spec.ingress_class_name is not None \
            and annotation != ing.spec.ingress_class_name:
        errs.append(FieldError(f"annotations.{INGRESS_CLASS_ANNOTATION}", "Invalid value",
                               "must match `ingressClassName` when both are specified", annotation))
    return errs


def validate_ingress_spec(spec: IngressSpec, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if not spec.rules and spec.default_backend is None:
        errs.append(FieldError(path, "Invalid value", "either `defaultBackend` or `rules` must be specified",
                               GoValue("[]networking.IngressRule(nil)")))
    if spec.default_backend is not None:
        errs += validate_backend(spec.default_backend, f"{path}.defaultBackend")
    for i, rule in enumerate(spec.rules):
        errs += _rule_errors(rule, f"{path}.rules[{i}]")
    for i, tls in enumerate(spec.tls):
        for j, host in enumerate(tls.hosts):
            errs += _host_name_errors(host, f"{path}.tls[{i}].hosts[{j}]")
        if tls.secret_name:
            errs += dns1123_subdomain(tls.secret_name, f"{path}.tls[{i}].secretName")
    if spec.ingress_class_name is not None:
        errs += dns1123_subdomain(spec.ingress_class_name, f"{path}.ingressClassName")
    return errs


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _host_name_errors(host: str, path: str) -> list[FieldError]:
    if "*" in host:
        errs = []
        if len(host) > 253:
            errs.append(FieldError(path, "Invalid value", "must be no more than 253 characters", host))
        if not re.fullmatch(WILDCARD_FMT, host):
            errs.append(FieldError(path, "Invalid value", WILDCARD_MSG, host))
        return errs
    return dns1123_subdomain(host, path)


def _rule_errors(rule, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if rule.host:
        if _is_ip(rule.host):
            errs.append(FieldError(f"{path}.host", "Invalid value", "must be a DNS name, not an IP address",
                                   rule.host))
        errs += _host_name_errors(rule.host, f"{path}.host")
    if rule.http is not None:
        if not rule.http.paths:
            errs.append(FieldError(f"{path}.http.paths", "Required value"))
        for i, http_path in enumerate(rule.http.paths):
            errs += validate_path(http_path, f"{path}.http.paths[{i}]")
    return errs


def validate_path(http_path, path: str) -> list[FieldError]:
    """``validateHTTPIngressPath``: pathType first, then the path for its type, then the backend."""
    if http_path.path_type is None:
        return [FieldError(f"{path}.pathType", "Required value", "pathType must be specified")]
    errs: list[FieldError] = []
    value = http_path.path
    if http_path.path_type in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errs.append(FieldError(f"{path}.path", "Invalid value", "must be an absolute path", value))
        for seq in INVALID_PATH_SEQUENCES:
            if value and seq in value:
                errs.append(FieldError(f"{path}.path", "Invalid value", f"must not contain '{seq}'", value))
        for suffix in INVALID_PATH_SUFFIXES:
            if value.endswith(suffix):
                errs.append(FieldError(f"{path}.path", "Invalid value", f"cannot end with '{suffix}'", value))
    elif http_path.path_type == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errs.append(FieldError(f"{path}.path", "Invalid value", "must be an absolute path", value))
    else:
        supported = ", ".join(f'"{t}"' for t in sorted(PATH_TYPES))
        errs.append(FieldError(f"{path}.pathType", "Unsupported value",
                               f'"{http_path.path_type}": supported values: {supported}'))
    return errs + validate_backend(http_path.backend, f"{path}.backend")


def validate_backend(backend: IngressBackend, path: str) -> list[FieldError]:
    """``validateIngressBackend``: exactly one of service / resource; a service needs a name and one port."""
    if backend.service is not None and backend.resource is not None:
        return [FieldError(path, "Invalid value", "cannot set both resource and service backends", "")]
    if backend.resource is not None:
        ref = backend.resource
        errs = [] if ref.kind else [FieldError(f"{path}.resource.kind", "Required value")]
        return errs + ([] if ref.name else [FieldError(f"{path}.resource.name", "Required value")])
    if backend.service is None:
        return [FieldError(path, "Invalid value", "resource or service backend is required", "")]
    service = backend.service
    errs: list[FieldError] = []
    if not service.name:
        errs.append(FieldError(f"{path}.service.name", "Required value"))
    else:
        errs += dns1035_label(service.name, f"{path}.service.name")
    port = service.port
    if port.name and port.number:
        errs.append(FieldError(path, "Invalid value", "cannot set both port name & port number", ""))
    elif port.name:
        errs += [FieldError(f"{path}.service.port.name", "Invalid value", msg, port.name)
                 for msg in port_name_errors(port.name)]
    elif port.number:
        if not 1 <= port.number <= 65535:
            errs.append(FieldError(f"{path}.service.port.number", "Invalid value", PORT_RANGE_MSG, port.number))
    else:
        errs.append(FieldError(path, "Required value", "port name or number is required"))
    return errs


# ---------------------------------------------------------------- IngressClass

def validate_ingress_class(cls: IngressClass, old: Optional[IngressClass] = None) -> list[FieldError]:
    """``ValidateIngressClass`` (+ ``validateIngressClassSpecUpdate`` when ``old`` is given)."""
    errs: list[FieldError] = []
    controller = cls.spec.controller
    if old is not None and controller != old.spec.controller:
        errs.append(FieldError("spec.controller", "Invalid value", "field is immutable", controller))
    if not controller:
        return errs + [FieldError("spec.controller", "Required value")]
    return errs + _domain_prefixed_path_errors(controller, "spec.controller")


def _domain_prefixed_path_errors(value: str, path: str) -> list[FieldError]:
    """apimachinery ``IsDomainPrefixedPath``: ``example.com/name``."""
    host, slash, rest = value.partition("/")
    if not slash or not host or not rest:
        return [FieldError(path, "Invalid value", 'must be a domain-prefixed path (such as "acme.io/foo")', value)]
    return dns1123_subdomain(host, path)
