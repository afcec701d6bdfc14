"""``cluster.install("ingress-nginx")``: what ``kubectl apply -f deploy.yaml`` creates.

Mirrors ingress-nginx controller-v1.12.0's two static manifests, limited to
the kinds the model has. On a cloud, or on kind without kind's ingress config,
the **cloud** manifest (``deploy/static/provider/cloud/deploy.yaml``):

- namespace ``ingress-nginx``;
- Service ``ingress-nginx-controller``: type **LoadBalancer** with
  ``externalTrafficPolicy: Local`` (so the client IP survives, and only nodes
  running a controller pod take traffic), ports ``http`` 80 and ``https``
  443. On a cloud it gets a cloud load balancer, with MetalLB an address from
  the pool; on kind it stays ``<pending>`` and is reached through its NodePort;
- Service ``ingress-nginx-controller-admission`` (the validating webhook's, 443 -> 8443);
- Deployment ``ingress-nginx-controller``: one pod of
  ``registry.k8s.io/ingress-nginx/controller:v1.12.0`` with container ports
  ``http`` 80, ``https`` 443, ``webhook`` 8443, a readiness probe on
  ``:10254/healthz`` and ``nodeSelector: kubernetes.io/os: linux``;
- IngressClass ``nginx`` (controller ``k8s.io/ingress-nginx``). The manifest
  does not make it the default class; minikube's ``ingress`` addon does, which
  ``default_class=True`` reproduces.

On a kind cluster created with kind's ingress config (``Cluster(ingress_ready=True)``:
the control-plane node labelled ``ingress-ready=true``, host ports 80/443
mapped to it), the **kind** manifest (``deploy/static/provider/kind/deploy.yaml``),
which differs from the cloud one exactly here (a diff of the two at the tag):
the Service is a **NodePort** (no ``externalTrafficPolicy``); the container
publishes ``hostPort`` 80 and 443; the pod has ``nodeSelector
ingress-ready: "true"``, tolerates the control-plane taints and has
``terminationGracePeriodSeconds: 0``; the controller runs with
``--watch-ingress-without-class=true`` and ``--publish-status-address=localhost``
instead of ``--publish-service``, so every Ingress's ADDRESS is ``localhost``
and ``curl localhost/`` on the host (``source="host"``) reaches nginx through
the port mapping and the hostPort.

The ingress-nginx project is retired (``RETIREMENT``): the model keeps it
because the course and countless clusters use it; new setups should pick a
Gateway API implementation.

Left out (no such kinds in the model): the ServiceAccounts and RBAC, the
ConfigMap, the admission Jobs and the ValidatingWebhookConfiguration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from k8sedu.ingress_nginx.controller import NAMESPACE, SELECTOR, SERVICE, SYNC, VERSION, IngressNginxController
from k8sedu.ingress_nginx.matching import ClassSettings
from k8sedu.objects import (IS_DEFAULT_CLASS_ANNOTATION, Container, ContainerPort, Deployment, DeploymentSpec,
                            HTTPGetAction, IngressClass, IngressClassSpec, LabelSelector, Namespace, ObjectMeta,
                            PodSpec, PodTemplateSpec, Probe, Service, ServicePort, ServiceSpec, Taint, frozen)

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import DataPlane, Model

IMAGE = f"registry.k8s.io/ingress-nginx/controller:v{VERSION}"
CONTROLLER_CLASS = "k8s.io/ingress-nginx"
LABELS = {**SELECTOR, "app.kubernetes.io/part-of": "ingress-nginx", "app.kubernetes.io/version": VERSION}
INGRESS_READY = "ingress-ready"  # the node label kind's ingress config sets and kind's manifest selects
KIND_TOLERATIONS = (Taint("node-role.kubernetes.io/master", "NoSchedule"),
                    Taint("node-role.kubernetes.io/control-plane", "NoSchedule"))
# kubernetes.io/blog/2025/11/11/ingress-nginx-retirement/ ("Ingress NGINX Retirement: What You Need to Know"),
# also the head of the project's README
RETIREMENT = ("the ingress-nginx project is retired (announced 11 November 2025 by SIG Network and the Security "
              "Response Committee): \"Best-effort maintenance will continue until March 2026. Afterward, there "
              "will be no further releases, no bugfixes, and no updates to resolve any security vulnerabilities "
              "that may be discovered.\" The Ingress API stays; for new setups use a Gateway API implementation "
              "(https://gateway-api.sigs.k8s.io/)")
NOT_MODELLED = ("ServiceAccounts, Roles, RoleBindings, ClusterRoles, ClusterRoleBindings, the ConfigMap, "
                "the admission Jobs and the ValidatingWebhookConfiguration")


def controller_of(core: "DataPlane") -> Optional[IngressNginxController]:
    """The cluster's ingress-nginx controller, or None if it is not installed."""
    found = core.addons.get("ingress-nginx")
    return found if isinstance(found, IngressNginxController) else None


def manifest_for(core: "DataPlane") -> str:
    """Which manifest applies: ``"kind"`` on a kind cluster created with kind's ingress config (a node
    labelled ``ingress-ready=true``), else ``"cloud"``."""
    if core.cloud is None and any(n.metadata.labels.get(INGRESS_READY) == "true" for n in core.api.list("Node")):
        return "kind"
    return "cloud"


def install(core: "Model", default_class: bool = False, watch_ingress_without_class: bool = False) -> str:
    """Deploy ingress-nginx into ``core`` (the kind or the cloud manifest); return what ``kubectl apply`` prints."""
    kind = manifest_for(core) == "kind"
    settings = ClassSettings(CONTROLLER_CLASS, "nginx", watch_ingress_without_class or kind)
    controller = IngressNginxController(core.api, core.recorder("nginx-ingress-controller"), settings,
                                        publish_status_address="localhost" if kind else "")
    core.addons.add("ingress-nginx", controller)  # refuses a second install before anything changes
    core.manager.add(controller)
    api = core.api
    api.create(Namespace(ObjectMeta(name=NAMESPACE, labels=frozen({"app.kubernetes.io/instance": "ingress-nginx",
                                                                    "app.kubernetes.io/name": "ingress-nginx"}))))
    api.create(_controller_service(kind))
    api.create(_admission_service())
    api.create(_deployment(kind))
    api.create(_ingress_class(default_class))
    for key in [SYNC] + controller._ingress_keys():  # Ingresses created before the controller existed
        core.manager.enqueue(controller, key)
    core.settle()
    source = f"controller-v{VERSION}/deploy/static/provider/{'kind' if kind else 'cloud'}/deploy.yaml"
    return ("namespace/ingress-nginx created\n"
            "service/ingress-nginx-controller created\n"
            "service/ingress-nginx-controller-admission created\n"
            "deployment.apps/ingress-nginx-controller created\n"
            "ingressclass.networking.k8s.io/nginx created\n"
            f"(k8sedu: ingress-nginx {source}; the manifest's {NOT_MODELLED} are not modelled)\n"
            f"(k8sedu: {RETIREMENT})")


def _meta(name: str) -> ObjectMeta:
    return ObjectMeta(name=name, namespace=NAMESPACE, labels=frozen(LABELS))


def _controller_service(kind: bool = False) -> Service:
    ports = (ServicePort(80, "http", "http"), ServicePort(443, "https", "https"))
    if kind:  # kind's manifest: a NodePort Service, no externalTrafficPolicy
        return Service(_meta(SERVICE), ServiceSpec(ports=ports, selector=frozen(SELECTOR), type="NodePort",
                                                   ip_families=("IPv4",), ip_family_policy="SingleStack"))
    return Service(_meta(SERVICE), ServiceSpec(
        ports=ports, selector=frozen(SELECTOR), type="LoadBalancer", external_traffic_policy="Local",
        ip_families=("IPv4",), ip_family_policy="SingleStack"))


def _admission_service() -> Service:
    return Service(_meta(f"{SERVICE}-admission"), ServiceSpec(
        ports=(ServicePort(443, "webhook", "https-webhook"),), selector=frozen(SELECTOR), type="ClusterIP"))


def _deployment(kind: bool = False) -> Deployment:
    host = (80, 443) if kind else (0, 0)  # kind's manifest publishes hostPort 80 and 443
    container = Container(
        "controller", IMAGE,
        ports=(ContainerPort(80, "http", host_port=host[0]), ContainerPort(443, "https", host_port=host[1]),
               ContainerPort(8443, "webhook")),
        readiness_probe=Probe(HTTPGetAction(10254, "/healthz"), initial_delay_seconds=10, period_seconds=10))
    selector = {INGRESS_READY: "true", "kubernetes.io/os": "linux"} if kind else {"kubernetes.io/os": "linux"}
    spec = PodSpec(containers=(container,), termination_grace_period_seconds=0 if kind else 300,
                   node_selector=frozen(selector), tolerations=KIND_TOLERATIONS if kind else ())
    template = PodTemplateSpec(ObjectMeta(labels=frozen(LABELS)), spec)
    return Deployment(_meta(SERVICE), DeploymentSpec(LabelSelector(frozen(SELECTOR)), template, replicas=1))


def _ingress_class(default: bool) -> IngressClass:
    notes = frozen({IS_DEFAULT_CLASS_ANNOTATION: "true"}) if default else frozen()
    return IngressClass(ObjectMeta(name="nginx", labels=frozen(LABELS), annotations=notes),
                        IngressClassSpec(CONTROLLER_CLASS))
