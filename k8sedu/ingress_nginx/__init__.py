"""ingress-nginx: the ingress controller the course installs (kubernetes/ingress-nginx controller v1.12.0).

The project is retired: Kubernetes SIG Network and the Security Response
Committee announced it on 11 November 2025
(kubernetes.io/blog/2025/11/11/ingress-nginx-retirement/): "Best-effort
maintenance will continue until March 2026. Afterward, there will be no
further releases, no bugfixes, and no updates to resolve any security
vulnerabilities that may be discovered." The Ingress API itself stays; the
announcement points new setups to Gateway API. ``install`` prints this note.

An Ingress is only configuration stored in etcd; nothing routes for it until
an ingress controller that claims its IngressClass runs in the cluster. This
package is that controller, split as the real project is:

- ``matching``: which rule a request matches (the Ingress API's rules, and
  nginx's server / location selection that ingress-nginx relies on);
- ``config``: Ingresses -> nginx servers, locations and backends;
- ``nginx_conf``: the nginx.conf it generates (a readable subset);
- ``controller``: the control loop, the published address, and nginx answering;
- ``addon``: ``cluster.install("ingress-nginx")``, the objects of its deploy.yaml;
- ``notes``: why a request for an Ingress's host went nowhere.

What its load balancer costs against N LoadBalancer Services is the cloud's
business (``k8sedu.cloud.bill``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from k8sedu.ingress_nginx.addon import controller_of, install
from k8sedu.ingress_nginx.controller import IngressNginxController

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.objects import Pod
    from k8sedu.protocols import DataPlane

NGINX_CONF = "/etc/nginx/nginx.conf"

__all__ = ["IngressNginxController", "controller_of", "install", "nginx_conf_for", "NGINX_CONF"]


def nginx_conf_for(core: "DataPlane", pod: "Pod") -> Optional[str]:
    """The text of ``/etc/nginx/nginx.conf`` in ``pod`` if it is an ingress-nginx controller pod, else None.

    For ``kubectl exec <controller pod> -- cat /etc/nginx/nginx.conf``.
    """
    controller = controller_of(core)
    if controller is None or not controller.owns(pod):
        return None
    core.settle()
    return controller.nginx_conf()
