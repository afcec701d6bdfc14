"""``kubectl create ingress NAME --rule=host/path=service:port[,tls[=secret]]``: the generator, as a pure function.

Mirrors kubectl ``pkg/cmd/create/create_ingress.go`` (v0.32):

- ``--rule`` must match ``host/path=svcname:svcport[,tls[=secret]]``
  (``ruleRegex``); ``host`` may be empty (a catch-all rule) or hold ``*``.
  The regex is anchored at the start only, as Go's ``MatchString`` uses it,
  so text after a valid rule is accepted and ignored
  (``a.com/=s:80:90`` gives port 80);
- the path type is **Exact**, unless the path ends in ``*``: then the ``*``
  is dropped and the type is **Prefix** (``foo.com/path*`` -> ``/path``,
  Prefix; ``foo.com/*`` -> ``/``, Prefix);
- a numeric port becomes ``port.number``, anything else ``port.name``;
- rules for the same host share one rule's ``paths``; ``,tls[=secret]``
  adds the host to a TLS entry (one entry per secret, each host once);
- ``--class`` sets ``spec.ingressClassName``; ``--default-backend=svc:port``
  sets ``spec.defaultBackend``; ``--annotation k=v`` adds annotations.

The errors are kubectl's own (``Validate``), printed as ``error: ...``. A
rule that passes the regex but makes kubectl 1.32 itself crash (``panic:
index out of range``: a ``,`` or an extra ``=`` in the path) is refused with
an error that says so.
"""

from __future__ import annotations

import re
from typing import Sequence

from k8sedu.errors import KubectlError
from k8sedu.objects import (HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
                            IngressServiceBackend, IngressSpec, IngressTLS, ObjectMeta, ServiceBackendPort,
                            frozen)

HOST_PATH_SVC = r"^(?P<host>[\w\*\-\.]*)(?P<path>/.*)=(?P<svcname>[\w\-]+):(?P<svcport>[\w\-]+)"
TLS = r"(,(?P<istls>tls)=?(?P<secretname>[\w\-]+)?)?"
RULE_REGEX = re.compile(HOST_PATH_SVC + TLS, re.ASCII)  # Go's \w is ASCII; only the start is anchored (no $)
INT32 = 2 ** 32


def validate(rules: Sequence[str], default_backend: str, annotations: Sequence[str]) -> None:
    """``CreateIngressOptions.Validate``: raise kubectl's error for bad flags."""
    if not default_backend and not rules:
        raise KubectlError("error: not enough information provided: every ingress has to either specify a "
                           "default-backend (which catches all traffic) or a list of rules (which catch "
                           "specific paths)")
    for rule in rules:
        if not RULE_REGEX.match(rule):
            raise KubectlError(f"error: rule {rule} is invalid and should be in format "
                               "host/path=svcname:svcport[,tls[=secret]]")
    for annotation in annotations:
        if "=" not in annotation:
            raise KubectlError(f"error: annotation {annotation} is invalid and should be in format key=[value]")
    if default_backend and len(default_backend.split(":")) != 2:
        raise KubectlError("error: default-backend should be in format servicename:serviceport")


def service_backend_port(port: str) -> ServiceBackendPort:
    """``parseServiceBackendPort``: ``intstr.Parse`` decides number or name.

    Examples
    --------
    >>> service_backend_port("8080"), service_backend_port("http")
    (ServiceBackendPort(name='', number=8080), ServiceBackendPort(name='http', number=0))
    """
    if re.fullmatch(r"[+-]?[0-9]+", port, re.ASCII) and -2 ** 63 <= int(port) < 2 ** 63:  # strconv.Atoi
        return ServiceBackendPort(number=(int(port) + INT32 // 2) % INT32 - INT32 // 2)  # FromInt: int32(i)
    return ServiceBackendPort(name=port)


def _crash(rule: str, length: int) -> KubectlError:
    """What the model says where kubectl 1.32's generator panics (it indexes a split that came out short)."""
    return KubectlError(f"error: rule {rule} makes kubectl 1.32 itself crash (panic: runtime error: index out of "
                        f"range [1] with length {length}); write it as host/path=svcname:svcport[,tls[=secret]], "
                        "with no ',' or '=' in the path")


def _backend(service: str, rule: str = "") -> IngressBackend:
    """``buildIngressBackendSvc``: ``name:port`` (what follows a second ``:`` is ignored)."""
    parts = service.split(":")
    if len(parts) < 2:
        raise _crash(rule, len(parts))
    return IngressBackend(IngressServiceBackend(parts[0], service_backend_port(parts[1])))


def http_path(path_and_service: str, rule: str = "") -> HTTPIngressPath:
    """``buildHTTPIngressPath``: ``bar=svc:80`` (what follows the host's first ``/``).

    Examples
    --------
    >>> p = http_path("path*=svc:8080")
    >>> p.path, p.path_type
    ('/path', 'Prefix')
    >>> http_path("bar=svc:8080").path_type
    'Exact'
    """
    parts = path_and_service.split("=")
    if len(parts) < 2:
        raise _crash(rule, len(parts))
    path, service = "/" + parts[0], parts[1]
    path_type = "Exact"
    if path.endswith("*"):
        path, path_type = path[:-1], "Prefix"
    return HTTPIngressPath(path, path_type, _backend(service, rule))


def _rules(rules: Sequence[str]) -> tuple[IngressRule, ...]:
    """``buildIngressRules``: one IngressRule per host, paths in flag order."""
    hosts: list[str] = []
    paths: dict[str, list[HTTPIngressPath]] = {}
    for rule in rules:
        host, rest = rule.split(",")[0].split("/", 1)
        if host not in paths:
            hosts.append(host)
            paths[host] = []
        paths[host].append(http_path(rest, rule))
    return tuple(IngressRule(h, HTTPIngressRuleValue(tuple(paths[h]))) for h in hosts)


def _tls(rules: Sequence[str]) -> tuple[IngressTLS, ...]:
    """``buildTLSRules``: one entry per secret; a host is listed once, under the first secret it came with."""
    entries: list[tuple[list[str], str]] = []
    seen: set[str] = set()
    for rule in rules:
        parts = rule.split(",")
        if len(parts) != 2:
            continue
        host = rule.split("/", 1)[0]
        secret_parts = parts[1].split("=")
        secret = secret_parts[1] if len(secret_parts) > 1 else ""
        if host in seen:
            continue
        seen.add(host)
        same = next((e for e in entries if e[1] == secret), None)
        if same is not None:
            same[0].append(host)
            continue
        hosts = [host] if host else []
        if secret or hosts:
            entries.append((hosts, secret))
    return tuple(IngressTLS(tuple(hosts), secret) for hosts, secret in entries)


def build_ingress(name: str, namespace: str, rules: Sequence[str] = (), ingress_class: str = "",
                  default_backend: str = "", annotations: Sequence[str] = ()) -> Ingress:
    """Validate the flags and return the Ingress ``kubectl create ingress`` would send.

    Examples
    --------
    >>> ing = build_ingress("simple", "default", ["foo.com/bar=svc1:8080,tls=my-cert"])
    >>> rule = ing.spec.rules[0]
    >>> rule.host, rule.http.paths[0].path, rule.http.paths[0].path_type, ing.spec.tls[0].secret_name
    ('foo.com', '/bar', 'Exact', 'my-cert')
    """
    validate(rules, default_backend, annotations)
    notes = dict(a.split("=", 1) for a in annotations)
    spec = IngressSpec(ingress_class_name=ingress_class or None,
                       default_backend=_backend(default_backend) if default_backend else None,
                       tls=_tls(rules), rules=_rules(rules))
    return Ingress(ObjectMeta(name=name, namespace=namespace, annotations=frozen(notes)), spec)
