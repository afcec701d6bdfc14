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

from k8sedu.checks.base import CheckFailed, ok, require
from k8sedu.cloud import CloudResources
from k8sedu.cluster import Cluster

__all__ = ["check_load_balancer_count"]

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
