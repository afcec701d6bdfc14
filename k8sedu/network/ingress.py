"""The ingress-nginx hop: nginx in a controller pod routes by Host and path, or answers itself.

Mirrors what a request meets inside an ingress-nginx controller pod: nginx
picks a ``server`` block by the ``Host`` header and a ``location`` by the
path, then its Lua balancer sends the request to one pod endpoint of the
matched Service directly (the Service's ClusterIP and kube-proxy play no
part). When no rule matches, the default backend answers 404; when the
Service has no ready endpoints, 503; for a prefix location ending in ``/``
asked without its slash, nginx's own 301. Those pages are nginx's stock
error pages. Without a controller, an Ingress is only configuration, and a
request for its host finds nothing: ``ingress_note`` says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

from k8sedu.events import Recorder
from k8sedu.network.trace import Request, Trace

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import DataPlane
    from k8sedu.ingress_nginx.config import Endpoint
    from k8sedu.ingress_nginx.controller import Decision, IngressNginxController
    from k8sedu.objects import Pod

NGINX_REASONS = {301: "Moved Permanently", 404: "Not Found", 503: "Service Temporarily Unavailable"}


def through_ingress_nginx(req: Request, controller: "IngressNginxController",
                          nginx_pod: "Pod", seen_source: str) -> Union[Trace, "Endpoint"]:
    """Let nginx pick a server (Host), a location (path), then one pod endpoint.

    Returns nginx's own answer (301, 404 or 503, showing ``seen_source`` as the
    client nginx saw), or the endpoint it proxies the request to, for the pod
    network to carry on.
    """
    where = f"ingress-nginx ({nginx_pod.metadata.name})"
    decision = controller.route(req.target.host_header, req.target.path)
    if decision.kind == "redirect":
        return _nginx_answer(req, nginx_pod, "redirected", _redirect_reason(decision, req.target.path), 301,
                             seen_source)
    if decision.kind == "not-found":
        return _nginx_answer(req, nginx_pod, "no match", _not_found_reason(decision, req.target.path), 404,
                             seen_source)
    loc = decision.location
    req.record(where, "matched", f"host {decision.host}, path {loc.ingress_path} ({loc.path_type}) of ingress "
               f"{loc.ingress} -> service {loc.service}:{loc.service_port} (nginx: server {decision.server}, "
               f"location {loc.block})")
    backend = decision.backend
    if decision.kind == "unavailable":
        problem = backend.problem if backend else f"upstream {loc.backend} is unknown"
        why = f"upstream {loc.backend} has no endpoints ({problem}): nginx answers 503"
        return _nginx_answer(req, nginx_pod, "unavailable", why, 503, seen_source)
    req.record(where, "proxied", f"upstream {backend.name} has {len(backend.endpoints)} endpoint(s) "
               f"({', '.join(str(e) for e in backend.endpoints)}); round robin picked {decision.endpoint}: "
               "ingress-nginx sends to a pod endpoint itself, not to the Service's ClusterIP")
    return decision.endpoint


def _redirect_reason(decision: "Decision", path: str) -> str:
    return (f"host {decision.host}: no location equals {path}, but location {decision.redirect_to} "
            f"exists, so nginx answers 301 Moved Permanently to {decision.redirect_to} (its automatic "
            "redirect for a prefix location ending in '/'; a client that follows redirects then matches)")


def _not_found_reason(decision: "Decision", path: str) -> str:
    return (f"no Ingress rule matches host {decision.host}, path {path}: the request fell to "
            f"location / of server {decision.server}, the default backend (upstream-default-backend), and "
            "the controller answers 404 itself")


def _nginx_answer(req: Request, nginx_pod: "Pod", action: str, why: str, status: int, seen_source: str) -> Trace:
    """End the request with nginx's own page, answered from the controller pod."""
    name = nginx_pod.metadata.name
    req.record(f"ingress-nginx ({name})", action, why)
    return req.answered(status, f"pod/{name}", nginx_page(status), pod=name, client_ip_seen=seen_source,
                        reason=why)


def ingress_note(core: "DataPlane", host: str) -> str:
    """If ``host`` belongs to an Ingress, why the request found nothing; record it when no controller runs.

    Without a controller the note is also a Warning event (``NoIngressController``)
    about the Ingress in ``core.events``: it exists, but nothing acts on it.
    """
    from k8sedu.ingress_nginx import controller_of, notes as ingress_notes  # loaded when a host is asked about

    note, ing = ingress_notes.why_nowhere(core, host)
    if ing is not None and controller_of(core) is None:
        Recorder(core.events, lambda: core.now, "k8sedu").event(
            ing, "NoIngressController", ingress_notes.NO_CONTROLLER, type="Warning")
    return note


def nginx_page(status: int) -> str:
    """nginx's stock error page for ``status``.

    Examples
    --------
    >>> print(nginx_page(404))
    <html>
    <head><title>404 Not Found</title></head>
    <body>
    <center><h1>404 Not Found</h1></center>
    <hr><center>nginx</center>
    </body>
    </html>
    """
    title = f"{status} {NGINX_REASONS[status]}"
    return (f"<html>\n<head><title>{title}</title></head>\n<body>\n<center><h1>{title}</h1></center>\n"
            "<hr><center>nginx</center>\n</body>\n</html>")
