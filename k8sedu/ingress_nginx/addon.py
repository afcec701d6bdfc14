"""``cluster.install("ingress-nginx")``: what ``kubectl apply -f deploy.yaml`` creates.

Mirrors ingress-nginx's cloud manifest
(``deploy/static/provider/cloud/deploy.yaml``, controller-v1.12.0), limited to
the kinds the model has:

- namespace ``ingress-nginx``;
- Service ``ingress-nginx-controller``: type **LoadBalancer** with
  ``externalTrafficPolicy: Local`` (so the client IP survives, and only nodes
  running a controller pod take traffic), ports ``http`` 80 and ``https``
  443. On a cloud it gets a cloud load balancer, with MetalLB an address from
  the pool; on kind it stays ``<pending>`` and is reached through its NodePort;
- Service ``ingress-nginx-controller-admission`` (the validating webhook's, 443 -> 8443);
- Deployment ``ingress-nginx-controller``: one pod of
  ``registry.k8s.io/ingress-nginx/controller:v1.12.0`` with container ports
  ``http`` 80, ``https`` 443, ``webhook`` 8443 and a readiness probe on
  ``:10254/healthz``;
- IngressClass ``nginx`` (controller ``k8s.io/ingress-nginx``). The manifest
  does not make it the default class; minikube's ``ingress`` addon does, which
  ``default_class=True`` reproduces.

Left out (no such kinds in the model): the ServiceAccounts and RBAC, the
ConfigMap, the admission Jobs and the ValidatingWebhookConfiguration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from k8sedu.ingress_nginx.controller import NAMESPACE, SELECTOR, SERVICE, SYNC, VERSION, IngressNginxController
from k8sedu.ingress_nginx.matching import ClassSettings
from k8sedu.objects import (IS_DEFAULT_CLASS_ANNOTATION, Container, ContainerPort, Deployment, DeploymentSpec,
                            HTTPGetAction, IngressClass, IngressClassSpec, LabelSelector, Namespace, ObjectMeta,
                            PodSpec, PodTemplateSpec, Probe, Service, ServicePort, ServiceSpec, frozen)

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import DataPlane, Model

IMAGE = f"registry.k8s.io/ingress-nginx/controller:v{VERSION}"
CONTROLLER_CLASS = "k8s.io/ingress-nginx"
LABELS = {**SELECTOR, "app.kubernetes.io/part-of": "ingress-nginx", "app.kubernetes.io/version": VERSION}
NOT_MODELLED = ("ServiceAccounts, Roles, RoleBindings, ClusterRoles, ClusterRoleBindings, the ConfigMap, "
                "the admission Jobs and the ValidatingWebhookConfiguration")


def controller_of(core: "DataPlane") -> Optional[IngressNginxController]:
    """The cluster's ingress-nginx controller, or None if it is not installed."""
    found = core.addons.get("ingress-nginx")
    return found if isinstance(found, IngressNginxController) else None


def install(core: "Model", default_class: bool = False, watch_ingress_without_class: bool = False) -> str:
    """Deploy ingress-nginx into ``core``; return the lines ``kubectl apply`` would print."""
    settings = ClassSettings(CONTROLLER_CLASS, "nginx", watch_ingress_without_class)
    controller = IngressNginxController(core.api, core.recorder("nginx-ingress-controller"), settings)
    core.addons.add("ingress-nginx", controller)  # refuses a second install before anything changes
    core.manager.add(controller)
    api = core.api
    api.create(Namespace(ObjectMeta(name=NAMESPACE, labels=frozen({"app.kubernetes.io/instance": "ingress-nginx",
                                                                    "app.kubernetes.io/name": "ingress-nginx"}))))
    api.create(_controller_service())
    api.create(_admission_service())
    api.create(_deployment())
    api.create(_ingress_class(default_class))
    for key in [SYNC] + controller._ingress_keys():  # Ingresses created before the controller existed
        core.manager.enqueue(controller, key)
    core.settle()
    return ("namespace/ingress-nginx created\n"
            "service/ingress-nginx-controller created\n"
            "service/ingress-nginx-controller-admission created\n"
            "deployment.apps/ingress-nginx-controller created\n"
            "ingressclass.networking.k8s.io/nginx created\n"
            f"(k8sedu: the manifest's {NOT_MODELLED} are not modelled)")


def _meta(name: str) -> ObjectMeta:
    return ObjectMeta(name=name, namespace=NAMESPACE, labels=frozen(LABELS))


def _controller_service() -> Service:
    ports = (ServicePort(80, "http", "http"), ServicePort(443, "https", "https"))
    return Service(_meta(SERVICE), ServiceSpec(
        ports=ports, selector=frozen(SELECTOR), type="LoadBalancer", external_traffic_policy="Local",
        ip_families=("IPv4",), ip_family_policy="SingleStack"))


def _admission_service() -> Service:
    return Service(_meta(f"{SERVICE}-admission"), ServiceSpec(
        ports=(ServicePort(443, "webhook", "https-webhook"),), selector=frozen(SELECTOR), type="ClusterIP"))


def _deployment() -> Deployment:
    container = Container(
        "controller", IMAGE,
        ports=(ContainerPort(80, "http"), ContainerPort(443, "https"), ContainerPort(8443, "webhook")),
        readiness_probe=Probe(HTTPGetAction(10254, "/healthz"), initial_delay_seconds=10, period_seconds=10))
    template = PodTemplateSpec(ObjectMeta(labels=frozen(LABELS)),
                               PodSpec(containers=(container,), termination_grace_period_seconds=300))
    return Deployment(_meta(SERVICE), DeploymentSpec(LabelSelector(frozen(SELECTOR)), template, replicas=1))


def _ingress_class(default: bool) -> IngressClass:
    notes = frozen({IS_DEFAULT_CLASS_ANNOTATION: "true"}) if default else frozen()
    return IngressClass(ObjectMeta(name="nginx", labels=frozen(LABELS), annotations=notes),
                        IngressClassSpec(CONTROLLER_CLASS))
