"""Checks for Ingress vs LoadBalancer (notebook 09): what each design pays for in cloud load balancers.

``check_load_balancer_count(per_service, one_ingress, microservices=..., cloud=...)``
builds both designs for ``microservices`` HTTP microservices in two scratch
clusters on ``cloud``, and counts the load balancers the cloud bills for
each one (``Cluster.cloud_resources``):

- design A, "one LoadBalancer per Service": each microservice is a
  Deployment behind its own Service of type LoadBalancer;
- design B, "one Ingress": each microservice is behind a ClusterIP Service,
  one Ingress routes a path to each, and ingress-nginx serves it.

The answer is never compared with a stored number: the check asks the model,
then sends a request through design B's one address to every path, so a pass
also shows that one load balancer really reaches them all.

Exercise 9's checks take the task's own cluster: ``check_monthly_saving``
(what moving its LoadBalancer Services behind one Ingress saves a month),
``check_third_microservice`` (the learner's Ingress routes a new path without
breaking the others or adding a load balancer) and ``check_tcp_exposure``
(a plain TCP server needs a LoadBalancer Service, not an Ingress).

Examples
--------
>>> check_load_balancer_count(..., ..., microservices=3)
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with the number of cloud load balancers design A (one LoadBalancer Service per microservice) pays for, with 3 microservices
>>> check_load_balancer_count(3, 0, microservices=3)
Traceback (most recent call last):
...
k8sedu.checks.CheckFailed: Design B pays for 1 cloud load balancer, not 0.
Hint: An Ingress is only configuration, but the ingress controller must be reachable from outside: look at the TYPE of Service ingress-nginx/ingress-nginx-controller (kubectl get svc -n ingress-nginx).
"""

from __future__ import annotations

from typing import Any

from k8sedu.checks.base import CheckFailed, check, command_line, number, ok, require, run_command
from k8sedu.cloud import HOURS_PER_MONTH, CloudResources
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError

__all__ = ["check_load_balancer_count", "check_monthly_saving", "check_third_microservice", "check_tcp_exposure"]

_IMAGE = "in28min/currency-exchange:0.0.1-RELEASE"
_PORT = 8000
_SETTLE_SECONDS = 120  # longer than any provider's load balancer delay, so every address is published


def _names(microservices: int) -> list[str]:
    return [f"microservice-{i}" for i in range(1, microservices + 1)]


def _deploy(cluster: Cluster, names: list[str], service_type: str) -> None:
    """One Deployment and one Service of ``service_type`` per name, all running the currency-exchange image."""
    for name in names:
        cluster.kubectl(f"create deployment {name} --image={_IMAGE} --port={_PORT}")
        cluster.kubectl(f"expose deployment {name} --type={service_type} --port={_PORT}")


def design_per_service(microservices: int, cloud: str, seed: int = 0) -> Cluster:
    """Design A in a scratch cluster: every microservice has its own Service of type LoadBalancer."""
    cluster = Cluster(cloud=cloud, seed=seed)  # the facade's Cluster: never the learner's %kubectl one
    _deploy(cluster, _names(microservices), "LoadBalancer")
    cluster.advance(_SETTLE_SECONDS)
    return cluster


def design_one_ingress(microservices: int, cloud: str, seed: int = 0) -> Cluster:
    """Design B in a scratch cluster: ClusterIP Services, one Ingress with a path each, and ingress-nginx."""
    cluster = Cluster(cloud=cloud, seed=seed)
    cluster.install("ingress-nginx")
    names = _names(microservices)
    _deploy(cluster, names, "ClusterIP")
    rules = " ".join(f'--rule="/{name}*={name}:{_PORT}"' for name in names)
    cluster.kubectl(f"create ingress microservices --class=nginx {rules}")
    cluster.advance(_SETTLE_SECONDS)
    return cluster


def _check_count(answer: Any, billed: CloudResources, design: str) -> None:
    """Raise ``CheckFailed`` unless ``answer`` is the number of load balancers ``billed`` holds."""
    __tracebackhide__ = True
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise CheckFailed(f"The answer for design {design} should be a whole number, not {answer!r}.",
                          "Count the cloud load balancers, as cluster.cloud_resources() lists them.")
    if answer != billed.count:
        plural = "s" if billed.count != 1 else ""
        raise CheckFailed(f"Design {design} pays for {billed.count} cloud load balancer{plural}, not {answer}.",
                          _hint(answer, billed.count, design))


def _hint(answer: int, count: int, design: str) -> str:
    """A hint for the likely mistake behind ``answer``, for design ``design`` ("A" or "B")."""
    if design == "A":
        if answer < count:
            return ("The cloud controller manager's service controller creates one load balancer for every "
                    "Service of type LoadBalancer, and that load balancer leads to that one Service only.")
        return "Design A has no Ingress and no ingress controller: count the Services of type LoadBalancer."
    if answer == 0:
        return ("An Ingress is only configuration, but the ingress controller must be reachable from outside: "
                "look at the TYPE of Service ingress-nginx/ingress-nginx-controller (kubectl get svc -n ingress-nginx).")
    return ("The Ingress's backends are ClusterIP Services, which get no load balancer, and the Ingress itself "
            "is not a Service: only the Services of type LoadBalancer count (kubectl get svc -A).")


def _reach_every_path(cluster: Cluster, microservices: int) -> str:
    """Send one request per path through design B's address; return that address."""
    __tracebackhide__ = True
    address = cluster.cloud_resources().external_ips[0]
    for name in _names(microservices):
        trace = cluster.request(f"http://{address}/{name}/from/USD/to/INR", source="internet")
        if not trace.ok or not (trace.pod or "").startswith(f"{name}-"):
            raise CheckFailed(f"Through {address}, /{name} did not reach {name}: {trace.reason or trace.status}.",
                              "This is a problem of the check's own scratch cluster: please report it.")
    return address


@check
def check_load_balancer_count(per_service: Any, one_ingress: Any, microservices: int = 5,
                              cloud: str = "gcp") -> None:
    """Check the number of cloud load balancers each design pays for with ``microservices`` microservices."""
    __tracebackhide__ = True
    require(per_service, "the number of cloud load balancers design A (one LoadBalancer Service per "
                         f"microservice) pays for, with {microservices} microservices")
    require(one_ingress, "the number of cloud load balancers design B (ClusterIP Services behind one Ingress "
                         f"and ingress-nginx) pays for, with {microservices} microservices")
    billed_a = design_per_service(microservices, cloud).cloud_resources()
    _check_count(per_service, billed_a, "A")
    cluster_b = design_one_ingress(microservices, cloud)
    billed_b = cluster_b.cloud_resources()
    _check_count(one_ingress, billed_b, "B")
    address = _reach_every_path(cluster_b, microservices)
    ok(f"On {cloud} with {microservices} microservices, design A pays for {billed_a.count} load balancers "
       f"({billed_a.monthly_usd:.2f} USD/month) and design B for {billed_b.count} "
       f"({billed_b.monthly_usd:.2f} USD/month), whose one address {address} reached all {microservices} "
       "microservices by path.")


# ---------------------------------------------------------------- exercise 9, task 1: what one Ingress saves

@check
def check_monthly_saving(answer: Any, cluster: Cluster) -> None:
    """Check ``answer``: the USD a month ``cluster`` saves by moving its LoadBalancer Services behind one Ingress.

    ``cluster`` is design A (one LoadBalancer Service per microservice). The
    check builds design B with as many microservices on the same cloud in a
    scratch cluster, takes the difference of the two bills, and sends a request
    to every path through design B's one address.
    """
    __tracebackhide__ = True
    require(answer, "the USD per month the move to one Ingress saves (a number such as 12.5)")
    value = number(answer)
    if value is None:
        raise CheckFailed(f"{answer!r} is not a number of USD.", "Write a plain number such as 12.5, no currency sign.")
    billed_a = cluster.cloud_resources()
    if not billed_a.count:
        raise CheckFailed("This cluster pays for no load balancer, so there is nothing to save.",
                          "Run the task's setup cell again (it starts a fresh cluster), then this cell.")
    cluster_b = design_one_ingress(billed_a.count, billed_a.provider)
    billed_b = cluster_b.cloud_resources()
    saving = round(billed_a.monthly_usd - billed_b.monthly_usd, 2)
    if abs(value - saving) > 0.5:
        raise CheckFailed(f"{value:g} USD/month is not what the move saves.", _saving_hint(value, billed_a, billed_b))
    address = _reach_every_path(cluster_b, billed_a.count)
    ok(f"Design A pays for {billed_a.count} load balancers ({billed_a.monthly_usd:.2f} USD/month on "
       f"{billed_a.provider}); the same {billed_a.count} microservices behind one Ingress pay for "
       f"{billed_b.count}, the ingress controller's ({billed_b.monthly_usd:.2f} USD/month): {saving:.2f} USD/month "
       f"saved, and that one address {address} reached all {billed_a.count} microservices by path.")


def _saving_hint(value: float, billed_a: CloudResources, billed_b: CloudResources) -> str:
    """A hint for the likely mistake behind a wrong saving."""
    hourly = billed_a.hourly_usd - billed_b.hourly_usd
    if abs(value - billed_a.monthly_usd) <= 0.5:
        return ("That is design A's whole bill: the Ingress design still pays for one load balancer, the one in "
                "front of the ingress controller (its Service ingress-nginx-controller is of type LoadBalancer).")
    if abs(value - billed_b.monthly_usd) <= 0.5:
        return "That is what the Ingress design costs, not what it saves: subtract it from design A's bill."
    if abs(value - hourly) <= 0.005:
        return f"That is the saving per hour: the cloud bills by the hour, and its month has {HOURS_PER_MONTH} hours."
    for hours in (24 * 30, 24 * 31, 24 * 28):
        if abs(value - hourly * hours) <= 0.5:
            return (f"That counts a month as {hours} hours. Cloud price lists count a month as {HOURS_PER_MONTH} "
                    f"hours (8,760 hours a year / 12), as cloud_resources() does.")
    if value <= 0:
        return ("The microservices' Services become ClusterIP, which the cloud does not bill, and an Ingress is not "
                "a Service at all: the Ingress design pays for fewer load balancers.")
    return ("Count the load balancers each design pays for (one per Service of type LoadBalancer), and multiply "
            f"the difference by one load balancer's price per hour (cloud_resources() lists it) and by "
            f"{HOURS_PER_MONTH} hours.")


# ---------------------------------------------------------------- exercise 9, task 2: a third microservice

def _pods_of(cluster: Cluster, service: str) -> set[str]:
    """The pods Service ``service`` (namespace default) selects; none if it does not exist or selects nothing."""
    try:
        selector = dict(cluster.get("Service", service).spec.selector or {})
    except KubectlError:
        return set()
    return set(cluster.pod_names(selector)) if selector else set()


def _controller_address(cluster: Cluster) -> str:
    """The external address of ingress-nginx's LoadBalancer Service."""
    status = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx").status.load_balancer.ingress
    if not status:
        raise CheckFailed("The ingress controller's Service has no external address yet.",
                          "Run the task's setup cell again (it waits for the cloud), then this cell.")
    return status[0].ip


def _routes(cluster: Cluster) -> list[tuple[str, str]]:
    """Each (path, Service) of the Ingresses in namespace default."""
    return [(p.path, p.backend.service.name) for ing in cluster.list("Ingress") for rule in ing.spec.rules
            if rule.http for p in rule.http.paths if p.backend.service]


def _apply(cluster: Cluster, manifest: Any) -> None:
    """Apply the learner's manifest, turning a refusal into a ``CheckFailed`` with a hint for its cause."""
    __tracebackhide__ = True
    if not isinstance(manifest, str):
        raise CheckFailed(f"The manifest should be YAML in a string, not {type(manifest).__name__}.",
                          'Write it between triple quotes: manifest = """...""".')
    try:
        cluster.apply(manifest)
    except KubectlError as err:
        text = str(err)
        if manifest.strip().startswith("kubectl") or "kind:" not in manifest:
            hint = ("This task asks for an Ingress manifest, YAML that starts with apiVersion: networking.k8s.io/v1 "
                    "and kind: Ingress, not a command.")
        elif "pathType" in text:
            hint = "Every path of a networking.k8s.io/v1 Ingress needs a pathType; Prefix matches the path and below."
        elif "YAML" in text or "yaml" in text:
            hint = "The YAML does not parse: indent with spaces only, two per level, as in the Ingress above."
        else:
            hint = "Start from the Ingress currency (kubectl get ingress currency -o yaml) and change only what differs."
        raise CheckFailed(f"kubectl apply refused the manifest:\n  {text}", hint) from None


def _route_hint(cluster: Cluster, trace, service: str, path: str) -> str:
    """Why a request for ``path`` did not reach ``service``, read from the trace and the Ingresses."""
    paths = [(ing, p) for ing in cluster.list("Ingress") for rule in ing.spec.rules if rule.http
             for p in rule.http.paths if p.path == path]
    slashed = [p for ing in cluster.list("Ingress") for rule in ing.spec.rules if rule.http
               for p in rule.http.paths if p.path == path + "/"]
    hosted = [rule.host for ing in cluster.list("Ingress") for rule in ing.spec.rules if rule.http and rule.host
              for p in rule.http.paths if p.path.rstrip("/") == path]
    if "has no port" in trace.reason:
        return (f"An Ingress backend names the Service's port (kubectl get svc {service}), not the container's: "
                "the Service maps its port to the targetPort.")
    if "not found" in trace.reason:
        return f"The backend must name the Service exactly: {service}."
    if slashed and not paths:
        return (f"Your path ends in a slash: for {path}/ nginx answers a request for {path} with a redirect, "
                f"not the page. Write the path {path}, without the slash; Prefix still matches everything below it.")
    if hosted:
        return (f"Your rule has host {hosted[0]}: it only matches requests that carry Host: {hosted[0]}. The "
                "existing paths have no host, and the check's requests, like theirs, carry none: leave the "
                "host out.")
    if any(ing.spec.ingress_class_name is None for ing, _ in paths):
        return ("Your Ingress names no class, and this cluster has no default IngressClass, so no controller "
                "serves it: set spec.ingressClassName to nginx.")
    if any(p.path_type == "Exact" for _, p in paths):
        return f"pathType Exact matches {path} itself only; Prefix also matches {path}/ and everything below."
    return f"Add a rule with path {path}, pathType Prefix, backend Service {service} and its port."


@check
def check_third_microservice(manifest: Any, cluster: Cluster, service: str = "hostname",
                             path: str = "/hostname") -> None:
    """Check that after applying ``manifest``, ``path`` reaches ``service`` through the ingress controller.

    Requests go from the internet to the controller's one address: ``path``
    and a path below it must reach ``service``'s pods, every path that worked
    before must still reach its Service, and the cloud must still bill one load balancer.
    """
    __tracebackhide__ = True
    require(manifest, f"an Ingress manifest (YAML in a string) that routes {path} to Service {service}")
    before = [route for route in _routes(cluster) if route[1] != service]
    _apply(cluster, manifest)
    cluster.advance(5)
    address = _controller_address(cluster)
    for url_path in (path, f"{path}/version"):
        trace = cluster.request(f"http://{address}{url_path}", source="internet")
        if trace.pod not in _pods_of(cluster, service):
            raise CheckFailed(f"{url_path} on {address} did not reach Service {service}: "
                              f"{trace.reason or f'{trace.status} from {trace.server}'}.",
                              _route_hint(cluster, trace, service, path))
    reached = trace.pod
    for old_path, old_service in before:
        trace = cluster.request(f"http://{address}{old_path}", source="internet")
        if trace.pod not in _pods_of(cluster, old_service):
            raise CheckFailed(f"{old_path} no longer reaches Service {old_service}.",
                              "kubectl apply replaced the rules of the Ingress with your manifest's name: give your "
                              "Ingress a name of its own, or keep the existing paths in it.")
    billed = cluster.cloud_resources().count
    if billed != 1:
        raise CheckFailed(f"The cluster now pays for {billed} load balancers.",
                          "An Ingress needs no new load balancer: leave the Services' types as they are.")
    kept = f"{', '.join(p for p, _ in before)} still reach their Services; " if before else ""
    ok(f"{path} and {path}/version on {address} reach Service {service} (pod {reached}) through ingress-nginx; "
       f"{kept}the cloud still bills 1 load balancer.")


# ---------------------------------------------------------------- exercise 9, task 3: a TCP service

def _type_hint(service_type: str) -> str:
    if service_type == "NodePort":
        return ("A NodePort opens a port from 30000-32767 on every node: partners would need the nodes' addresses, "
                "which change as nodes come and go. Ask the cloud for one stable address: type LoadBalancer.")
    return ("ClusterIP, kubectl expose's default type, is reachable only from inside the cluster: choose the type "
            "that asks the cloud for an external load balancer.")


def _tcp_service(cluster: Cluster, pods: set[str], port: int):
    """The learner's Service for ``pods``: it must exist, be of type LoadBalancer and listen on ``port``."""
    __tracebackhide__ = True
    services = [s for s in cluster.list("Service") if s.spec.selector
                and pods & set(cluster.pod_names(dict(s.spec.selector)))]
    if not services:
        raise CheckFailed("No Service selects the rates-feed pods.",
                          "kubectl expose deployment copies the Deployment's selector into the Service for you.")
    balanced = [s for s in services if s.spec.type == "LoadBalancer"]
    if not balanced:
        raise CheckFailed(f"Service {services[0].metadata.name} is of type {services[0].spec.type}: partners on the "
                          "internet cannot reach it.", _type_hint(services[0].spec.type))
    service = balanced[0]
    ports = [p.port for p in service.spec.ports]
    udp = [p for p in service.spec.ports if p.port == port and (p.protocol or "TCP") != "TCP"]
    if udp and not any(p.port == port and (p.protocol or "TCP") == "TCP" for p in service.spec.ports):
        raise CheckFailed(f"Service {service.metadata.name} listens on port {port}/{udp[0].protocol}, but the rates "
                          f"feed is a TCP server: its load balancer does not forward a TCP connection to port {port}.",
                          "Leave out --protocol: a Service's ports are TCP unless you say otherwise.")
    if port not in ports:
        raise CheckFailed(f"Service {service.metadata.name} listens on port {', '.join(map(str, ports))}, but the "
                          f"partners connect to port {port}.",
                          "--port sets the port the Service and its load balancer listen on.")
    return service


def _expose_hint(text: str) -> str:
    """A hint for kubectl's refusal of the learner's command."""
    if "already exists" in text:
        return "An earlier try already created it: run the task's setup cell again (a fresh cluster), then this cell."
    if "spec.type: Unsupported value" in text:
        return "Service types are case-sensitive: ClusterIP, NodePort, LoadBalancer or ExternalName."
    return "kubectl expose --help shows the usage."


@check
def check_tcp_exposure(command: Any, cluster: Cluster, deployment: str = "rates-feed", port: int = 9376) -> None:
    """Check that ``command`` makes ``deployment``, a plain TCP server, reachable from the internet on ``port``.

    The check runs the command, waits for the cloud, refuses an Ingress (HTTP
    rules only), then connects from the internet to the Service's external
    address and follows the connection to a pod of ``deployment``.
    """
    __tracebackhide__ = True
    run_command(cluster, command_line(command, f"the kubectl command (a string) that makes {deployment} reachable "
                                               f"from the internet on port {port}"), _expose_hint)
    cluster.advance(_SETTLE_SECONDS)
    ingresses = [i.metadata.name for i in cluster.list("Ingress")]
    if ingresses:
        raise CheckFailed(f"You created Ingress {ingresses[0]}, but the rates feed does not speak HTTP.",
                          "An Ingress holds HTTP rules only (host, path), and ingress-nginx reads what arrives on "
                          "ports 80 and 443 as HTTP. Plain TCP needs a layer-4 load balancer: a LoadBalancer Service.")
    pods = set(cluster.pod_names(dict(cluster.get("Deployment", deployment).spec.selector.match_labels)))
    service = _tcp_service(cluster, pods, port)
    address = service.status.load_balancer.ingress[0].ip
    trace = cluster.request(f"http://{address}:{port}/", source="internet")
    if trace.pod not in pods:
        hint = ("--target-port must be the port the container listens on; leave it out and kubectl expose takes "
                "the container's port." if "nothing listens" in trace.reason else "Follow the trace: " + str(trace))
        raise CheckFailed(f"A connection from the internet to {address}:{port} did not reach a {deployment} pod: "
                          f"{trace.reason}.", hint)
    ok(f"Service {service.metadata.name} (type LoadBalancer) got the external address {address}; a connection from "
       f"the internet to {address}:{port} went through the cloud load balancer and kube-proxy's DNAT to pod "
       f"{trace.pod}, with no HTTP proxy in the way.")
