"""The ``/etc/nginx/nginx.conf`` ingress-nginx writes: a readable, faithful subset.

Mirrors ``rootfs/etc/nginx/template/nginx.tmpl`` of kubernetes/ingress-nginx:
one ``server`` per host (``## start server <host>``), the catch-all ``_``
server that owns ``listen 80 default_server``, one ``location`` per path
(``location = /x`` for Exact, ``location /x/`` for Prefix), each setting
``$proxy_upstream_name`` to the backend's name and handing the request to
``proxy_pass http://upstream_balancer;``, and the internal server on 8181
that answers ``return 404;`` for the default backend.

What the real file does **not** contain are the endpoints: since v0.18
ingress-nginx keeps them in Lua (its ``upstream upstream_balancer`` holds
only the placeholder ``server 0.0.0.1``), so a Pod coming or going changes
no file and needs no reload. The model prints them as comments marked
``k8sedu:``, where the real controller would show them with
``kubectl exec <pod> -- /dbg backends all``. Headers, timeouts, Lua hooks and
TLS settings are left out.
"""

from __future__ import annotations

import hashlib

from k8sedu.ingress_nginx.config import DEFAULT_ENDPOINT_PORT, Backend, Configuration, Location, Server
from k8sedu.ingress_nginx.matching import CATCH_ALL, server_name_regex

T = "\t"


def render(config: Configuration, with_endpoints: bool = True) -> str:
    """Return the nginx.conf text for ``config``; ``with_endpoints`` adds the balancer's view as comments."""
    body = _http(config, with_endpoints)
    checksum = int(hashlib.sha256("\n".join(_http(config, False)).encode()).hexdigest()[:15], 16)
    head = [f"# Configuration checksum: {checksum}", "",
            "# setup custom paths that do not require root access", "pid /tmp/nginx/nginx.pid;", "",
            "daemon off;", "", "worker_processes 2;", "",
            "events {", f"{T}multi_accept        on;", f"{T}worker_connections  16384;",
            f"{T}use                 epoll;", "}", ""]
    return "\n".join(head + body) + "\n"


def _http(config: Configuration, with_endpoints: bool) -> list[str]:
    lines = ["http {", f'{T}lua_package_path "/etc/nginx/lua/?.lua;;";', "",
             f"{T}# k8sedu: the real file sets ~200 more http directives here (logs, timeouts, TLS, maps)", ""]
    lines += _upstream(config.backends, with_endpoints)
    for server in config.servers:
        lines += _server(server)
    lines += [f"{T}# backend for when default-backend-service is not configured or it does not have endpoints",
              f"{T}server {{", f"{T}{T}listen {DEFAULT_ENDPOINT_PORT} default_server reuseport backlog=4096;", "",
              f'{T}{T}set $proxy_upstream_name "internal";', "", f"{T}{T}access_log off;", "",
              f"{T}{T}location / {{", f"{T}{T}{T}return 404;", f"{T}{T}}}", f"{T}}}", "}"]
    return lines


def _upstream(backends: tuple[Backend, ...], with_endpoints: bool) -> list[str]:
    lines = [f"{T}upstream upstream_balancer {{",
             f"{T}{T}### Attention!!!",
             f"{T}{T}#",
             f'{T}{T}# We no longer create "upstream" section for every backend.',
             f"{T}{T}# Backends are handled dynamically using Lua.",
             f"{T}{T}###", "",
             f"{T}{T}server 0.0.0.1; # placeholder", "",
             f"{T}{T}balancer_by_lua_block {{", f"{T}{T}{T}balancer.balance()", f"{T}{T}}}", "",
             f"{T}{T}keepalive 320;", f"{T}}}", ""]
    if with_endpoints:
        lines.append(f"{T}# k8sedu: the backends the Lua balancer holds (not in the real file; "
                     "`/dbg backends all` shows them):")
        for b in backends:
            shown = " ".join(str(e) for e in b.endpoints) or f"(no endpoints: {b.problem})"
            lines.append(f"{T}#   {b.name}: {shown}")
        lines.append("")
    return lines


def _server(server: Server) -> list[str]:
    name = server_name_regex(server.hostname) or server.hostname
    default = " default_server reuseport backlog=4096" if server.hostname == CATCH_ALL else " "
    lines = [f"{T}## start server {server.hostname}", f"{T}server {{", f"{T}{T}server_name {name} ;", "",
             f"{T}{T}listen 80{default} ;", f"{T}{T}listen 443{default} ssl;", "",
             f'{T}{T}set $proxy_upstream_name "-";', ""]
    for loc in server.locations:
        lines += _location(loc)
    return lines + [f"{T}}}", f"{T}## end server {server.hostname}", ""]


def _location(loc: Location) -> list[str]:
    namespace, _, ingress = loc.ingress.partition("/")
    return [f"{T}{T}location {loc.block} {{", "",
            f'{T}{T}{T}set $namespace      "{namespace}";',
            f'{T}{T}{T}set $ingress_name   "{ingress}";',
            f'{T}{T}{T}set $service_name   "{loc.service}";',
            f'{T}{T}{T}set $service_port   "{loc.service_port}";',
            f'{T}{T}{T}set $location_path  "{loc.ingress_path}";', "",
            f"{T}{T}{T}port_in_redirect off;", "",
            f'{T}{T}{T}set $proxy_upstream_name "{loc.backend}";', "",
            f"{T}{T}{T}proxy_set_header Host $best_http_host;", "",
            f"{T}{T}{T}proxy_pass http://upstream_balancer;", "",
            f"{T}{T}}}", ""]
