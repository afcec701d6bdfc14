"""From Ingresses to nginx servers, locations and backends: ingress-nginx's ``getBackendServers``.

Mirrors ``internal/ingress/controller/controller.go`` (``createUpstreams``,
``createServers``, ``getBackendServers``) and ``location.go``
(``updateServerLocations``) of kubernetes/ingress-nginx v1.12:

- every Service a served Ingress names becomes a **backend** (an "upstream")
  called ``<namespace>-<service>-<port>``, holding the Service's ready pod
  endpoints read from its EndpointSlices: ingress-nginx sends traffic to pods
  itself, not to the ClusterIP;
- there is one **server** per host, plus ``_`` for host-less rules and every
  unknown host. Each server starts with ``location /`` pointing at the
  default backend (``upstream-default-backend``: the controller's own
  ``404``), or at the ``defaultBackend`` of the Ingress that created it;
- every path becomes a **location**. Ingresses are taken oldest first, and
  when two claim the same path of the same host with the same ``pathType``,
  the first keeps it (the controller logs ``Location ... already configured``);
- a ``Prefix`` path ``/foo`` becomes two locations, ``location /foo/`` and
  ``location = /foo``, so nginx's string prefixes honour the element-wise rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Optional, Sequence

from k8sedu.ingress_nginx.matching import CATCH_ALL, served_order
from k8sedu.objects import EndpointSlice, Ingress, IngressServiceBackend, Service

DEFAULT_UPSTREAM = "upstream-default-backend"
DEFAULT_ENDPOINT_PORT = 8181  # the internal server that answers "return 404;"


@dataclass(frozen=True)
class Endpoint:
    """One pod endpoint of a backend: where the Lua balancer may send a request."""

    address: str
    port: int
    pod: str = ""

    def __str__(self) -> str:
        return f"{self.address}:{self.port}"


@dataclass(frozen=True)
class Backend:
    """An upstream: a Service port and its ready endpoints (``problem`` says why there are none)."""

    name: str
    namespace: str = ""
    service: str = ""
    port: str = ""
    endpoints: tuple[Endpoint, ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class Location:
    """One ``location`` block. ``exact`` renders ``location = /x``; otherwise it is a prefix location."""

    path: str
    backend: str
    exact: bool = False
    ingress: str = ""  # "namespace/name" of the Ingress that defined it
    ingress_path: str = ""  # the path as the Ingress wrote it
    path_type: str = "Prefix"
    service: str = ""
    service_port: str = ""
    is_default_backend: bool = False

    @property
    def block(self) -> str:
        """How nginx.conf names it: ``= /foo`` or ``/foo/``."""
        return f"= {self.path}" if self.exact else self.path


@dataclass(frozen=True)
class Server:
    hostname: str
    locations: tuple[Location, ...]


@dataclass(frozen=True)
class Conflict:
    """Two Ingresses claimed the same path of one host: the older one won."""

    host: str
    path: str
    path_type: str
    winner: str
    loser: str


@dataclass(frozen=True)
class Configuration:
    """What the controller has computed: nginx's servers and the balancer's backends."""

    servers: tuple[Server, ...] = ()
    backends: tuple[Backend, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    def backend(self, name: str) -> Optional[Backend]:
        return next((b for b in self.backends if b.name == name), None)

    def server(self, hostname: str) -> Optional[Server]:
        return next((s for s in self.servers if s.hostname == hostname), None)


def upstream_name(namespace: str, service: Optional[IngressServiceBackend]) -> str:
    """``upstreamName``: ``default-currency-exchange-8000`` (or the port's name).

    Examples
    --------
    >>> from k8sedu.objects import IngressServiceBackend, ServiceBackendPort
    >>> upstream_name("default", IngressServiceBackend("web", ServiceBackendPort(name="http")))
    'default-web-http'
    """
    if service is not None:
        if service.port.number > 0:
            return f"{namespace}-{service.name}-{service.port.number}"
        if service.port.name:
            return f"{namespace}-{service.name}-{service.port.name}"
    return f"{namespace}-INVALID"


# ---------------------------------------------------------------- backends (createUpstreams)

def _backend(namespace: str, ref: IngressServiceBackend, svc: Optional[Service],
             slices: Sequence[EndpointSlice]) -> Backend:
    base = dict(name=upstream_name(namespace, ref), namespace=namespace, service=ref.name, port=str(ref.port))
    if svc is None:
        return Backend(**base, problem=f'service "{namespace}/{ref.name}" not found')
    port = next((p for p in svc.spec.ports if (ref.port.number and p.port == ref.port.number)
                 or (ref.port.name and p.name == ref.port.name)), None)
    if port is None:
        return Backend(**base, problem=f'service "{namespace}/{ref.name}" has no port {ref.port}')
    if svc.spec.type == "ExternalName":
        return Backend(**base, problem="ExternalName services behind ingress-nginx are not modelled")
    endpoints = set()
    for s in slices:
        for slice_port in s.ports:
            if slice_port.name != port.name:
                continue
            for e in s.endpoints:
                if e.conditions.ready is not False:  # ready, or unknown readiness
                    pod = e.target_ref.name if e.target_ref else ""
                    endpoints.add(Endpoint(e.addresses[0], slice_port.port, pod))
    ordered = tuple(sorted(endpoints, key=lambda e: (e.address, e.port)))
    problem = "" if ordered else f'service "{namespace}/{ref.name}" has no ready endpoints'
    return Backend(**base, endpoints=ordered, problem=problem)


def backends_for(ingresses: Sequence[Ingress], get_service: Callable[[str, str], Optional[Service]],
                 get_slices: Callable[[str, str], Sequence[EndpointSlice]]) -> tuple[Backend, ...]:
    """Every backend the Ingresses name, plus ``upstream-default-backend``, sorted by name."""
    found = {DEFAULT_UPSTREAM: Backend(DEFAULT_UPSTREAM, endpoints=(Endpoint("127.0.0.1", DEFAULT_ENDPOINT_PORT),))}
    for ing in ingresses:
        ns = ing.metadata.namespace
        refs = [ing.spec.default_backend.service] if ing.spec.default_backend else []
        refs += [p.backend.service for r in ing.spec.rules if r.http for p in r.http.paths]
        for ref in refs:
            if ref is not None and upstream_name(ns, ref) not in found:
                found[upstream_name(ns, ref)] = _backend(ns, ref, get_service(ns, ref.name),
                                                         get_slices(ns, ref.name))
    return tuple(found[name] for name in sorted(found))


# ---------------------------------------------------------------- servers (createServers, getBackendServers)

def _root(backend: str, ingress: str = "", service: str = "", port: str = "", default: bool = True) -> Location:
    return Location("/", backend, ingress=ingress, ingress_path="/", service=service, service_port=port,
                    is_default_backend=default)


def _key(ing: Ingress) -> str:
    return f"{ing.metadata.namespace}/{ing.metadata.name}"


def _create_servers(ingresses: Sequence[Ingress], upstreams: set[str]) -> dict[str, list[Location]]:
    """One server per host, each with a root location (the default backend, or the Ingress's)."""
    servers: dict[str, list[Location]] = {CATCH_ALL: [_root(DEFAULT_UPSTREAM)]}
    for ing in ingresses:
        ns, default = ing.metadata.namespace, ing.spec.default_backend
        root = _root(DEFAULT_UPSTREAM, _key(ing))
        if default is not None and default.service is not None and upstream_name(ns, default.service) in upstreams:
            # "use backend specified in Ingress as the default backend for all its rules"
            root = _root(upstream_name(ns, default.service), _key(ing), default.service.name,
                         str(default.service.port))
            if not ing.spec.rules and servers[CATCH_ALL][0].is_default_backend:
                # an Ingress with a backend but no rule configures the catch-all server
                servers[CATCH_ALL][0] = replace(root, is_default_backend=False)
        for rule in ing.spec.rules:
            servers.setdefault(rule.host or CATCH_ALL, [root])
    return servers


def _add_locations(ing: Ingress, servers: dict[str, list[Location]], conflicts: list[Conflict]) -> None:
    ns = ing.metadata.namespace
    for rule in ing.spec.rules:
        if rule.http is None:
            continue
        host = rule.host or CATCH_ALL
        locations = servers[host]
        for path in rule.http.paths:
            if path.backend.service is None:
                continue  # resource backends: "using default backend"
            svc = path.backend.service
            new = Location(path.path or "/", upstream_name(ns, svc), ingress=_key(ing), ingress_path=path.path or "/",
                           path_type=path.path_type, service=svc.name, service_port=str(svc.port))
            same = next((i for i, loc in enumerate(locations)
                         if loc.path == new.path and loc.path_type == new.path_type), None)
            if same is None:
                locations.append(new)
            elif locations[same].is_default_backend:
                locations[same] = new  # "Replacing location ... to use upstream ..."
            else:
                conflicts.append(Conflict(host, new.path, new.path_type, locations[same].ingress, _key(ing)))


def update_server_locations(locations: Sequence[Location]) -> list[Location]:
    """``location.go``: a Prefix ``/foo`` becomes ``/foo/`` plus an exact ``= /foo`` (unless an Exact exists).

    Examples
    --------
    >>> [l.block for l in update_server_locations([Location("/foo", "b", path_type="Prefix")])]
    ['/foo/', '= /foo']
    """
    exact_paths = {loc.path for loc in locations if loc.path_type == "Exact"}
    out: list[Location] = []
    for loc in locations:
        if loc.path_type == "Exact":
            out.append(_replace(loc, exact=True))
        elif loc.path == "/" or loc.path_type != "Prefix":
            out.append(loc)
        else:
            out.append(_replace(loc, path=loc.path if loc.path.endswith("/") else loc.path + "/"))
            if loc.path not in exact_paths:
                out.append(_replace(loc, exact=True))
    return _dedupe(out)


def _replace(loc: Location, **changes) -> Location:
    return replace(loc, **changes)


def _dedupe(locations: Sequence[Location]) -> list[Location]:
    """Two blocks for one nginx location would fail ``nginx -t``: keep the first (a real path beats the default)."""
    kept: dict[tuple[bool, str], Location] = {}
    for loc in locations:
        key = (loc.exact, loc.path)
        if key not in kept or (kept[key].is_default_backend and not loc.is_default_backend):
            kept[key] = loc
    return [loc for loc in locations if kept[(loc.exact, loc.path)] is loc]


def _sorted_locations(locations: Sequence[Location]) -> list[Location]:
    """ingress-nginx sorts by path (descending), then by length (longest first), stably."""
    by_path = sorted(locations, key=lambda loc: loc.path, reverse=True)
    return sorted(by_path, key=lambda loc: len(loc.path), reverse=True)


def build_configuration(ingresses: Sequence[Ingress], get_service: Callable[[str, str], Optional[Service]],
                        get_slices: Callable[[str, str], Sequence[EndpointSlice]]) -> Configuration:
    """Build the whole configuration from the Ingresses the controller serves."""
    ordered = served_order(ingresses)
    backends = backends_for(ordered, get_service, get_slices)
    servers = _create_servers(ordered, {b.name for b in backends})
    conflicts: list[Conflict] = []
    for ing in ordered:
        _add_locations(ing, servers, conflicts)
    built = tuple(Server(host, tuple(update_server_locations(_sorted_locations(locs))))
                  for host, locs in sorted(servers.items()))
    return Configuration(built, backends, tuple(conflicts))
