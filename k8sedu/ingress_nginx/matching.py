"""Which Ingress rule a request matches: the Kubernetes rules, and how ingress-nginx applies them.

Two layers, kept apart on purpose:

1. **What the Ingress API specifies** (kubernetes.io/docs/concepts/services-networking/ingress/):
   ``host_matches`` (an exact host, or ``*.foo.com`` covering exactly one DNS
   label, or no host at all), ``path_matches`` (``Exact``; ``Prefix`` compared
   element by element, a trailing slash ignored; ``ImplementationSpecific`` as
   ingress-nginx treats it, a plain string prefix) and ``best_path`` (the
   longest matching path wins; ``Exact`` beats ``Prefix`` on a tie).
2. **What ingress-nginx actually runs**: nginx itself. The controller turns
   rules into ``server`` blocks (one per host; ``_`` catches everything else)
   and ``location`` blocks (see ``config.py``); nginx then picks a server by
   the ``Host`` header (``select_server``) and a location by the URI
   (``select_location``). Both follow nginx's documented algorithm
   (nginx.org/en/docs/http/ngx_http_core_module.html#location and
   #server_name), so the model shows the one place they differ from the spec:
   nginx answers ``301`` to ``/foo`` when only a location ``/foo/`` exists.

Which Ingresses the controller serves at all is ``class_verdict``: the
logic of ingress-nginx's ``store.GetIngressClass``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from k8sedu.objects import INGRESS_CLASS_ANNOTATION, HTTPIngressPath, Ingress, IngressClass

CATCH_ALL = "_"  # ingress-nginx's name for the server of host-less rules and unknown hosts


# ---------------------------------------------------------------- 1. the Ingress API's rules

def normalize_host(host: str) -> str:
    """The Host header as nginx compares it: lower case, without a port or a trailing dot.

    Examples
    --------
    >>> normalize_host("API.Example.com:8080")
    'api.example.com'
    """
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].rstrip(".")


def host_matches(rule_host: str, host: str) -> bool:
    """Return True if a rule for ``rule_host`` applies to a request whose Host header is ``host``.

    Examples
    --------
    >>> host_matches("foo.bar.com", "foo.bar.com")
    True
    >>> host_matches("*.foo.com", "bar.foo.com")       # shared suffix, one extra label
    True
    >>> host_matches("*.foo.com", "baz.bar.foo.com")   # the wildcard covers one label only
    False
    >>> host_matches("*.foo.com", "foo.com")
    False
    >>> host_matches("", "anything.example")          # a rule without host matches all traffic
    True
    """
    host = normalize_host(host)
    if not rule_host:
        return True
    if rule_host.startswith("*."):
        first, dot, rest = host.partition(".")
        return bool(first) and bool(dot) and rest == rule_host[2:]
    return host == rule_host


def _elements(path: str) -> list[str]:
    return [element for element in path.split("/") if element]


def path_matches(path_type: str, path: str, request_path: str) -> bool:
    """Return True if an Ingress path of ``path_type`` matches ``request_path``.

    Examples
    --------
    >>> path_matches("Exact", "/foo", "/foo/")
    False
    >>> path_matches("Prefix", "/aaa/bbb/", "/aaa/bbb")     # a trailing slash is ignored
    True
    >>> path_matches("Prefix", "/aaa/bbb", "/aaa/bbbxyz")   # element-wise, not a string prefix
    False
    >>> path_matches("ImplementationSpecific", "/aaa/bbb", "/aaa/bbbxyz")  # ingress-nginx: plain prefix
    True
    """
    if path_type == "Exact":
        return request_path == path
    if path_type == "Prefix":
        wanted = _elements(path)
        return _elements(request_path)[:len(wanted)] == wanted
    if path_type == "ImplementationSpecific":
        return request_path.startswith(path or "/")
    raise ValueError(f"unknown pathType {path_type!r}")


def best_path(paths: Sequence[HTTPIngressPath], request_path: str) -> Optional[HTTPIngressPath]:
    """Return the path that wins for ``request_path``: the longest match, ``Exact`` first on a tie.

    Examples
    --------
    >>> from k8sedu.objects import HTTPIngressPath as P
    >>> paths = [P("/", "Prefix"), P("/aaa", "Prefix"), P("/aaa/bbb", "Prefix")]
    >>> best_path(paths, "/aaa/bbb/ccc").path
    '/aaa/bbb'
    >>> best_path([P("/foo", "Prefix"), P("/foo", "Exact")], "/foo").path_type
    'Exact'
    >>> best_path([P("/aaa", "Prefix")], "/ccc") is None   # the default backend takes it
    True
    """
    matching = [(i, p) for i, p in enumerate(paths) if path_matches(p.path_type, p.path, request_path)]
    if not matching:
        return None
    return min(matching, key=lambda ip: (-len(ip[1].path), ip[1].path_type != "Exact", ip[0]))[1]


# ---------------------------------------------------------------- which Ingresses ingress-nginx serves

@dataclass(frozen=True)
class ClassSettings:
    """The controller flags that decide which Ingresses it serves (deploy.yaml's args)."""

    controller_class: str = "k8s.io/ingress-nginx"  # --controller-class
    ingress_class: str = "nginx"  # --ingress-class: the value accepted in the old annotation
    watch_ingress_without_class: bool = False  # --watch-ingress-without-class


def class_verdict(ing: Ingress, classes: Sequence[IngressClass], settings: ClassSettings) -> tuple[bool, str]:
    """Return (served, why), as ingress-nginx's ``GetIngressClass`` decides.

    Its store only keeps the IngressClasses whose ``spec.controller`` is its
    own ``--controller-class``. Then: ``spec.ingressClassName`` must name one of
    them; otherwise the deprecated annotation must equal ``--ingress-class``;
    otherwise a class-less Ingress is served only with
    ``--watch-ingress-without-class``.

    Examples
    --------
    >>> from k8sedu.objects import IngressSpec, IngressClassSpec, ObjectMeta
    >>> nginx = IngressClass(ObjectMeta(name="nginx"), IngressClassSpec("k8s.io/ingress-nginx"))
    >>> ing = Ingress(ObjectMeta(name="web", namespace="default"))
    >>> class_verdict(ing, [nginx], ClassSettings())
    (False, 'ingress does not contain a valid IngressClass')
    >>> class_verdict(ing, [nginx], ClassSettings(watch_ingress_without_class=True))[0]
    True
    """
    name = ing.spec.ingress_class_name
    if name is not None:
        mine = {c.metadata.name: c for c in classes if c.spec.controller == settings.controller_class}
        if name not in mine:
            return False, f'no object matching key "{name}" in local store'
        return True, f"ingressClassName {name}: IngressClass {name} names controller {settings.controller_class}"
    annotation = ing.metadata.annotations.get(INGRESS_CLASS_ANNOTATION)
    if annotation is not None:
        if annotation != settings.ingress_class:
            return False, "ingress class annotation is not equal to the expected by Ingress Controller"
        return True, f"annotation {INGRESS_CLASS_ANNOTATION}: {annotation}"
    if settings.watch_ingress_without_class:
        return True, "no class, and the controller runs with --watch-ingress-without-class"
    return False, "ingress does not contain a valid IngressClass"


def served_order(ingresses: Sequence[Ingress]) -> list[Ingress]:
    """Sort as ingress-nginx does (``sortIngressSlice``): oldest first; same age: the *higher* ns/name first.

    The order decides conflicts: the first Ingress to claim a host's path keeps it.
    """
    by_name = sorted(ingresses, key=lambda i: f"{i.metadata.namespace}/{i.metadata.name}", reverse=True)
    return sorted(by_name, key=lambda i: i.metadata.creation_timestamp or 0.0)


# ---------------------------------------------------------------- 2. nginx: server and location selection

def server_name_regex(hostname: str) -> Optional[str]:
    """ingress-nginx's ``buildServerName``: ``*.foo.com`` becomes a regex covering one label.

    Examples
    --------
    >>> print(server_name_regex("*.foo.com"))
    ~^(?<subdomain>[\\w-]+)\\.foo\\.com$
    >>> server_name_regex("foo.com") is None
    True
    """
    if not hostname.startswith("*"):
        return None
    parts = hostname.replace("*.", "", 1).split(".")
    return r"~^(?<subdomain>[\w-]+)\." + r"\.".join(parts) + "$"


def _regex_matches(hostname: str, host: str) -> bool:
    pattern = server_name_regex(hostname)[1:].replace("(?<subdomain>", "(?P<subdomain>")
    return re.match(pattern, host) is not None


def select_server(hostnames: Sequence[str], host: str) -> str:
    """Return the server nginx picks for a Host header: exact name, else the first matching regex, else ``_``.

    Examples
    --------
    >>> names = ["_", "*.foo.com", "api.foo.com"]
    >>> select_server(names, "api.foo.com"), select_server(names, "www.foo.com"), select_server(names, "a.b.foo.com")
    ('api.foo.com', '*.foo.com', '_')
    """
    host = normalize_host(host)
    if host in hostnames and host != CATCH_ALL:
        return host
    for name in hostnames:  # regex server names are tried in the order of the configuration
        if name.startswith("*") and _regex_matches(name, host):
            return name
    return CATCH_ALL  # the default_server of port 80


@dataclass(frozen=True)
class Redirect:
    """nginx's automatic ``301`` for a URI that only lacks the trailing slash of a prefix location."""

    location: str  # the path it redirects to


def select_location(locations: Sequence, uri: str):
    """Return the location nginx uses for ``uri`` (objects with ``exact`` and ``path``), or a ``Redirect``.

    nginx's static location tree: an exact (``=``) location equal to the URI
    wins; then a prefix location equal to the URI; then, if a location
    ``<uri>/`` exists, nginx answers ``301`` to it (its auto-redirect, because
    the location ends in ``/`` and uses ``proxy_pass``); else the longest prefix.

    Examples
    --------
    >>> from types import SimpleNamespace as L
    >>> locs = [L(exact=False, path="/"), L(exact=False, path="/foo/"), L(exact=True, path="/foo")]
    >>> select_location(locs, "/foo").exact, select_location(locs, "/foo/bar").path
    (True, '/foo/')
    >>> select_location([L(exact=False, path="/"), L(exact=False, path="/bar/")], "/bar")
    Redirect(location='/bar/')
    """
    for wanted_exact in (True, False):
        for loc in locations:
            if loc.exact == wanted_exact and loc.path == uri:
                return loc
    if any(loc.path == uri + "/" for loc in locations):
        return Redirect(uri + "/")
    prefixes = [loc for loc in locations if not loc.exact and uri.startswith(loc.path)]
    return max(prefixes, key=lambda loc: len(loc.path)) if prefixes else None
