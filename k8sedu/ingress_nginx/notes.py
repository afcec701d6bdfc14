"""Why a request for an Ingress's host went nowhere, in one sentence a learner can act on.

Public DNS knows nothing about an Ingress: its ``host`` is only a value the
controller compares with the ``Host`` header. So a request by that name
fails at DNS, and the reason depends on the cluster: no controller at all (the
Ingress is only configuration), a controller that ignores this Ingress (its
class), or a controller that serves it at an address nobody published in DNS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from k8sedu import load_balancers
from k8sedu.ingress_nginx.addon import controller_of
from k8sedu.ingress_nginx.controller import NAMESPACE, SERVICE
from k8sedu.ingress_nginx.matching import host_matches
from k8sedu.objects import Ingress

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import DataPlane

NO_CONTROLLER = "an Ingress is only configuration: no ingress controller is installed, so nothing listens for it"


def ingresses_for_host(core: "DataPlane", host: str) -> list[Ingress]:
    """The Ingresses with a rule naming ``host`` (exactly or by wildcard), in the API's order."""
    return [i for i in core.api.list("Ingress")
            if any(r.host and host_matches(r.host, host) for r in i.spec.rules)]


def why_nowhere(core: "DataPlane", host: str) -> tuple[str, Optional[Ingress]]:
    """Return (explanation, the Ingress it is about), or ("", None) if no Ingress names ``host``."""
    found = ingresses_for_host(core, host)
    if not found:
        return "", None
    ing = found[0]
    key = f"{ing.metadata.namespace}/{ing.metadata.name}"
    controller = controller_of(core)
    if controller is None:
        return f"{host} is a host of Ingress {key}, but {NO_CONTROLLER} (its ADDRESS is blank)", ing
    served, why = controller.verdict(ing)
    if not served:
        return (f"{host} is a host of Ingress {key}, but ingress-nginx ignores that Ingress ({why}); "
                "set spec.ingressClassName: nginx"), ing
    addresses = [a.ip or a.hostname for a in controller.published_addresses()]
    if not addresses:
        svc = core.api.try_get("Service", NAMESPACE, SERVICE)
        why_pending = load_balancers.why_pending(core, svc) if svc is not None else "the controller's Service is missing"
        return (f"{host} is a host of Ingress {key}, served by ingress-nginx, which has no external address yet: "
                f"Service {NAMESPACE}/{SERVICE} is <pending> because {why_pending}; reach the controller through "
                f"that Service's NodePort with headers={{'Host': '{host}'}}"), ing
    if addresses == ["localhost"]:  # kind's manifest: --publish-status-address=localhost
        return (f"{host} is a host of Ingress {key}, served by ingress-nginx at localhost (kind's manifest): "
                "only the host that runs kind reaches it, through the port mapping: request "
                f"http://localhost/... with source=\"host\" and headers={{'Host': '{host}'}}"), ing
    return (f"{host} is a host of Ingress {key}, served by ingress-nginx at {', '.join(addresses)}, but no public "
            f"DNS record points {host} there: send the request to that address with "
            f"headers={{'Host': '{host}'}}"), ing
