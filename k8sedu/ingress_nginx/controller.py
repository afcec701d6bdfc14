"""The ingress-nginx controller: Ingresses in the API -> nginx configuration -> routed requests.

Mirrors kubernetes/ingress-nginx v1.12 (``internal/ingress/controller``). Its
pods run two things: a Go controller and nginx.

- The **controller** watches Ingresses, IngressClasses, Services and
  EndpointSlices. On any change it rebuilds the whole configuration from the
  Ingresses it serves (``config.build_configuration``; which ones:
  ``matching.class_verdict``). When the generated nginx.conf changes it
  reloads nginx (event ``RELOAD`` on its pods); when only endpoints change it
  hands them to the Lua balancer without a reload.
- As ``--publish-service=ingress-nginx/ingress-nginx-controller`` says, it
  writes the address of *its own* Service into ``status.loadBalancer`` of
  every Ingress it serves: that is the ADDRESS column. While that Service is
  ``<pending>`` (a LoadBalancer on kind), the ADDRESS stays blank. kind's
  manifest passes ``--publish-status-address=localhost`` instead, so there
  the ADDRESS is ``localhost``.
- **nginx** answers requests: ``route`` picks the server by Host and the
  location by URI, and the balancer picks one pod endpoint of that location's
  backend, round robin (``load-balance: round_robin``, the default).

Everything here is level-based: ``reconcile(SYNC)`` rebuilds from the store,
``reconcile((namespace, name))`` fixes one Ingress's status.

Simplified: port 443 is routed like port 80 (no certificates, Secrets or
TLS handshake); ``nginx.ingress.kubernetes.io/*`` annotations (rewrite-target,
use-regex, canary...) are ignored; the admission webhook does not run; the
status is written at once (the real leader rewrites it every 60 s); round
robin starts at the backend's first endpoint (sorted by address); there is
no leader election, retry of a failed endpoint, or ExternalName backend.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import Optional, Union

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Key, Result, Watch
from k8sedu.events import Recorder
from k8sedu.ingress_nginx import config as cfg
from k8sedu.ingress_nginx import nginx_conf
from k8sedu.ingress_nginx.matching import (CATCH_ALL, ClassSettings, Redirect, class_verdict, normalize_host,
                                           select_location, select_server)
from k8sedu.objects import (Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressStatus, Pod,
                            selector_matches)
from k8sedu.protocols import Addon

VERSION = "1.12.0"
NAMESPACE = "ingress-nginx"
SERVICE = "ingress-nginx-controller"
SELECTOR = {"app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx",
            "app.kubernetes.io/name": "ingress-nginx"}
SYNC: Key = ("", "sync")  # the whole configuration; no Ingress can have an empty namespace


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class Decision:
    """What nginx does with one request.

    ``kind`` is ``"proxy"`` (to ``endpoint``), ``"not-found"`` (the default
    backend's 404), ``"unavailable"`` (503: the backend has no endpoints) or
    ``"redirect"`` (nginx's 301 to ``redirect_to``).
    """

    kind: str
    host: str
    server: str
    location: Optional[cfg.Location] = None
    backend: Optional[cfg.Backend] = None
    endpoint: Optional[cfg.Endpoint] = None
    redirect_to: str = ""


class IngressNginxController(Controller, Addon):
    """One ingress-nginx installation (its Deployment's pods share this configuration)."""

    name = "ingress-nginx-controller"

    def __init__(self, api: APIServer, recorder: Recorder, settings: ClassSettings = ClassSettings(),
                 publish_status_address: str = ""):
        self.api = api
        self.recorder = recorder
        self.settings = settings
        self.publish_status_address = publish_status_address  # --publish-status-address (kind's manifest: localhost)
        self.configuration = cfg.Configuration()
        self._loaded_conf = ""  # the nginx.conf nginx last (re)loaded
        self._next: dict[str, int] = {}  # round robin position per backend
        self._synced: dict[Key, str] = {}  # resourceVersion of each Ingress when its Sync event was recorded

    # ------------------------------------------------------------ watches

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Ingress", lambda e: (SYNC, (e.object.metadata.namespace, e.object.metadata.name))),
                Watch("IngressClass", lambda e: (SYNC, *self._ingress_keys())),
                Watch("Service", self._service_keys),
                Watch("EndpointSlice", lambda e: (SYNC,)),
                Watch("Pod", self._pod_keys))

    def _ingress_keys(self) -> list[Key]:
        return [(i.metadata.namespace, i.metadata.name) for i in self.api.list("Ingress")]

    def _service_keys(self, event) -> list[Key]:
        meta = event.object.metadata
        return [SYNC] + (self._ingress_keys() if (meta.namespace, meta.name) == (NAMESPACE, SERVICE) else [])

    def _pod_keys(self, event) -> list[Key]:
        return [SYNC] + self._ingress_keys() if self.owns(event.object) else []

    # ------------------------------------------------------------ reconcile

    def reconcile(self, key: Key) -> Optional[Result]:
        if key == SYNC:
            self._sync()
        else:
            self._sync_status(key)
        return None

    def served(self) -> list[Ingress]:
        """The Ingresses this controller serves, in the API's order."""
        classes = self.api.list("IngressClass")
        return [i for i in self.api.list("Ingress") if class_verdict(i, classes, self.settings)[0]]

    def verdict(self, ing: Ingress) -> tuple[bool, str]:
        return class_verdict(ing, self.api.list("IngressClass"), self.settings)

    def _sync(self) -> None:
        store = self.api.store
        self.configuration = cfg.build_configuration(
            self.served(), lambda ns, name: self.api.try_get("Service", ns, name),
            lambda ns, name: store.select("EndpointSlice", ns, {"kubernetes.io/service-name": name}))
        conf = nginx_conf.render(self.configuration, with_endpoints=False)
        pods = self.running_pods()
        if pods and conf != self._loaded_conf:
            self._loaded_conf = conf
            for pod in pods:
                self.recorder.event(pod, "RELOAD", "NGINX reload triggered due to a change in configuration")

    def _sync_status(self, key: Key) -> None:
        ing = self.api.try_get("Ingress", *key)
        if ing is None:
            self._synced.pop(key, None)
            return
        if not self.verdict(ing)[0] or not self.running_pods():
            return
        if self._synced.get(key) != ing.metadata.resource_version:  # the store's add/update handler
            self.recorder.event(ing, "Sync", "Scheduled for sync")
        status = IngressStatus(IngressLoadBalancerStatus(self.published_addresses()))
        if ing.status != status:
            ing = self.api.update(dataclasses.replace(ing, status=status))
            self.recorder.event(ing, "Sync", "Scheduled for sync")
        self._synced[key] = ing.metadata.resource_version

    def published_addresses(self) -> tuple[IngressLoadBalancerIngress, ...]:
        """What the controller writes into its Ingresses' status: the ADDRESS column.

        ``--publish-status-address`` (kind's manifest: ``localhost``) wins: each
        comma-separated value, an IP or else a hostname (``status.go``
        ``statusAddressFromPublishStatusAddress``). Otherwise ``--publish-service``:
        the addresses of the controller's own Service (none while <pending>).
        """
        if self.publish_status_address:
            values = [v.strip() for v in self.publish_status_address.split(",") if v.strip()]
            return tuple(IngressLoadBalancerIngress(ip=v) if _is_ip(v) else IngressLoadBalancerIngress(hostname=v)
                         for v in values)
        svc = self.api.try_get("Service", NAMESPACE, SERVICE)
        if svc is None:
            return ()
        found = [IngressLoadBalancerIngress(ip=i.ip) if i.ip else IngressLoadBalancerIngress(hostname=i.hostname)
                 for i in svc.status.load_balancer.ingress] if svc.spec.type == "LoadBalancer" else []
        found += [IngressLoadBalancerIngress(ip=ip) for ip in svc.spec.external_ips]
        return tuple(sorted(set(found), key=lambda a: (a.hostname, a.ip)))

    # ------------------------------------------------------------ the controller's pods

    def owns(self, pod: Pod) -> bool:
        """True if ``pod`` is one of this controller's pods (nginx runs in it)."""
        return pod.metadata.namespace == NAMESPACE and selector_matches(SELECTOR, pod.metadata.labels)

    # ------------------------------------------------------------ what the add-on declares (k8sedu.protocols.Addon)

    @property
    def export_note(self) -> str:
        """How to install the same controller elsewhere: the manifest this cluster used."""
        if self.publish_status_address == "localhost":  # kind's manifest, on kind's ingress config
            first = ("# This cluster ran ingress-nginx from its kind manifest. Create the kind cluster with kind's "
                     "ingress config\n#   (control-plane node label ingress-ready=true, extraPortMappings 80 and "
                     "443), then:\n")
        else:  # the export is for a kind cluster: its manifest
            first = "# This cluster ran ingress-nginx. Install it first (on kind):\n"
        return (first + "#   kubectl apply -f https://raw.githubusercontent.com/kubernetes/ingress-nginx/"
                f"controller-v{VERSION}/deploy/static/provider/kind/deploy.yaml\n")

    def installed(self, obj) -> bool:
        """Its namespace and everything in it, and the IngressClass its manifest creates."""
        meta = obj.metadata
        return (meta.namespace == NAMESPACE or (obj.kind == "Namespace" and meta.name == NAMESPACE)
                or meta.labels.get("app.kubernetes.io/part-of") == "ingress-nginx")

    # no load_balancers(): its Service is a LoadBalancer like any other, served by the cloud or MetalLB

    def serves(self, pod: Pod, port: int) -> bool:
        """nginx, not the image's app, answers on ports 80 and 443 of a running controller pod."""
        return port in (80, 443) and pod.status.phase == "Running" and self.owns(pod)

    def running_pods(self) -> list[Pod]:
        return [p for p in self.api.store.select("Pod", NAMESPACE, SELECTOR) if p.status.phase == "Running"]

    # ------------------------------------------------------------ nginx answering a request

    def route(self, host: str, uri: str) -> Decision:
        """Decide, as nginx and its Lua balancer would, what happens to a request."""
        host = normalize_host(host)
        servers = self.configuration.servers
        hostname = select_server([s.hostname for s in servers], host) if servers else CATCH_ALL
        server = self.configuration.server(hostname)
        found: Union[cfg.Location, Redirect, None] = select_location(server.locations, uri) if server else None
        if isinstance(found, Redirect):
            return Decision("redirect", host, hostname, redirect_to=found.location)
        if found is None or found.backend == cfg.DEFAULT_UPSTREAM:
            return Decision("not-found", host, hostname, found)
        backend = self.configuration.backend(found.backend)
        if backend is None or not backend.endpoints:
            return Decision("unavailable", host, hostname, found, backend)
        return Decision("proxy", host, hostname, found, backend, self._pick(backend))

    def _pick(self, backend: cfg.Backend) -> cfg.Endpoint:
        """Round robin over the backend's endpoints (per backend, like the Lua balancer's per-upstream state)."""
        position = self._next.get(backend.name, 0) % len(backend.endpoints)
        self._next[backend.name] = position + 1
        return backend.endpoints[position]

    def nginx_conf(self) -> str:
        """The nginx.conf its pods run, with the balancer's endpoints as comments."""
        return nginx_conf.render(self.configuration)
