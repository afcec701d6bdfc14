"""Checks for Ingress (notebook 07) and ingress controllers (notebook 08).

- ``check_conversion_ingress(manifest)`` applies the learner's Ingress to a
  **scratch** cluster built like notebook 07's (a GKE-like cloud, the two
  currency Deployments and their ClusterIP Services, ingress-nginx), sends a
  request from the internet to the controller's load balancer with
  ``Host: conversion.example.com``, and checks that a currency-conversion pod
  answers it, and that another host does not reach it. The learner's own
  cluster is not touched.
- ``check_ingress_class(answer, cluster)`` creates a small Ingress with
  ``ingressClassName: <answer>`` in the learner's cluster, reads whether the
  installed controller picked it up (it writes its address into the
  Ingress's status), and deletes that Ingress again.

On success a check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still ``...``, or ``CheckFailed`` with the
mistake and a hint for it.

Examples
--------
>>> check_ingress_class(..., None)
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with the ingressClassName (a string) the installed controller serves
"""

from __future__ import annotations

from typing import Any, Optional

import yaml

from k8sedu.checks.base import CheckFailed, ok, require
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError
from k8sedu.ingress_nginx import controller_of
from k8sedu.ingress_nginx.matching import best_path, host_matches
from k8sedu.objects import Ingress

__all__ = ["check_conversion_ingress", "check_ingress_class"]

HOST = "conversion.example.com"
OTHER_HOST = "other.example.com"
REQUEST_PATH = "/currency-conversion/from/USD/to/INR/quantity/10"
CONVERSION_PORT = 8100
EXCHANGE_PORT = 8000
SETTLE_SECONDS = 60  # scratch cluster: long enough for pods, the controller and its load balancer
CHECK_INGRESS = "k8sedu-check-ingress-class"


# ---------------------------------------------------------------- notebook 07: an Ingress rule

def _scratch_cluster() -> Cluster:
    """A cluster like notebook 07's: a cloud, both microservices behind ClusterIP Services, ingress-nginx."""
    cluster = Cluster(cloud="gcp", seed=7)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    f"--replicas=2 --port={EXCHANGE_PORT}")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE "
                    f"--port={CONVERSION_PORT}")
    cluster.kubectl(f"expose deployment currency-exchange --port={EXCHANGE_PORT}")
    cluster.kubectl(f"expose deployment currency-conversion --port={CONVERSION_PORT}")
    cluster.install("ingress-nginx")
    cluster.advance(SETTLE_SECONDS)
    return cluster


def _apply(cluster: Cluster, manifest: Any) -> None:
    """Apply the learner's manifest, turning kubectl's refusal into a hint."""
    __tracebackhide__ = True
    if not isinstance(manifest, (str, dict, list)):
        raise CheckFailed(f"The answer should be YAML text or a dict, not {type(manifest).__name__}.",
                          'Write the manifest between triple quotes: manifest = """ ... """')
    if isinstance(manifest, str):
        try:
            list(yaml.safe_load_all(manifest))
        except yaml.YAMLError as err:
            raise CheckFailed(f"The YAML does not parse:\n  {err}",
                              "Indent with spaces only, and keep each level two spaces deeper "
                              "than its parent, as in the gateway-ingress manifest above.") from None
    try:
        cluster.apply(manifest)
    except KubectlError as err:
        text = str(err)
        if "pathType" in text:
            hint = ("Every path of an Ingress needs a pathType. Prefix matches /currency-conversion "
                    "and every path below it.")
        elif "no matches for kind" in text or "apiVersion" in text:
            hint = "An Ingress is apiVersion: networking.k8s.io/v1, kind: Ingress."
        else:
            hint = "Compare your manifest with the gateway-ingress manifest above, field by field."
        raise CheckFailed(f"kubectl apply refused the manifest:\n  {text}", hint) from None


def _the_ingress(cluster: Cluster) -> Ingress:
    __tracebackhide__ = True
    found = cluster.list("Ingress", None)
    if not found:
        raise CheckFailed("The manifest created no Ingress.", "Start it with apiVersion: networking.k8s.io/v1 "
                          "and kind: Ingress.")
    return found[0]


def _diagnose(cluster: Cluster, ing: Ingress, trace) -> CheckFailed:
    """Say which part of the Ingress kept the request from a currency-conversion pod."""
    controller = controller_of(cluster.core)
    served, why = controller.verdict(ing)
    if not served:
        return CheckFailed(f"ingress-nginx ignores Ingress {ing.metadata.name}: {why}.",
                           "Set spec.ingressClassName: nginx, the IngressClass the controller serves.")
    rules = [r for r in ing.spec.rules if r.http and host_matches(r.host, HOST)]
    if not rules:
        hosts = ", ".join(r.host or "(none)" for r in ing.spec.rules) or "(no rules)"
        return CheckFailed(f"No rule of Ingress {ing.metadata.name} matches host {HOST} (its hosts: {hosts}).",
                           f"Give the rule host: {HOST}, spelled exactly as the Host header.")
    paths = [p for r in rules for p in r.http.paths]
    match = best_path(paths, REQUEST_PATH)
    if match is None:
        written = ", ".join(f"{p.path} ({p.path_type})" for p in paths)
        if any(p.path_type == "Exact" for p in paths):
            hint = (f"Exact matches one path only, so {REQUEST_PATH} does not match. "
                    "Prefix matches /currency-conversion and every path below it.")
        else:
            hint = "The path must be /currency-conversion: the application's own URLs start with it."
        return CheckFailed(f"No path of the rule matches {REQUEST_PATH} (paths: {written}), so ingress-nginx "
                           f"answers {trace.status} itself.", hint)
    return _diagnose_backend(cluster, match, trace)


def _diagnose_backend(cluster: Cluster, path, trace) -> CheckFailed:
    service = path.backend.service
    if service is None:
        return CheckFailed("The path has no backend.service.", "Add backend.service.name and backend.service.port.")
    names = [s.metadata.name for s in cluster.list("Service")]
    if service.name not in names:
        return CheckFailed(f"The path sends to Service {service.name}, which does not exist, so ingress-nginx "
                           f"answers {trace.status}.",
                           f"backend.service.name is a Service's name; the cluster has {', '.join(names)}.")
    if service.name != "currency-conversion":
        return CheckFailed(f"The request reached Service {service.name}, not currency-conversion.",
                           "backend.service.name: currency-conversion.")
    port = service.port.number or service.port.name
    if port != CONVERSION_PORT:
        hint = (f"{EXCHANGE_PORT} is currency-exchange's port. " if port == EXCHANGE_PORT else "")
        return CheckFailed(f"Service currency-conversion has no port {port}, so ingress-nginx answers "
                           f"{trace.status} (its backend has no endpoints).",
                           hint + f"backend.service.port.number is the Service's port: currency-conversion "
                           f"listens on {CONVERSION_PORT} (kubectl get svc).")
    return CheckFailed(f"The request did not reach currency-conversion: {trace.reason or trace.status}.",
                       "Compare your manifest with the gateway-ingress manifest above, field by field.")


def check_conversion_ingress(manifest: Any) -> None:
    """Check an Ingress that routes ``conversion.example.com/currency-conversion...`` to currency-conversion.

    ``manifest`` is YAML text or a dict. The check applies it to a scratch
    cluster like notebook 07's (your own cluster is not changed) and sends a
    request from the internet to the ingress controller's load balancer.
    """
    __tracebackhide__ = True
    require(manifest, f"an Ingress manifest (YAML text in triple quotes) for host {HOST}")
    cluster = _scratch_cluster()
    _apply(cluster, manifest)
    ing = _the_ingress(cluster)
    lb = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx").status.load_balancer.ingress[0].ip
    url = f"http://{lb}{REQUEST_PATH}"
    trace = cluster.request(url, source="internet", headers={"Host": HOST})
    if not (trace.ok and trace.status == 200 and (trace.pod or "").startswith("currency-conversion-")):
        raise _diagnose(cluster, ing, trace)
    other = cluster.request(url, source="internet", headers={"Host": OTHER_HOST})
    if other.status == 200:
        raise CheckFailed(f"A request for host {OTHER_HOST} reaches currency-conversion too.",
                          f"A rule without host matches every host. Add host: {HOST} to the rule.")
    ok(f"From the internet, GET {REQUEST_PATH} with Host: {HOST} went through the controller's load balancer "
       f"to pod {trace.pod} (via Service currency-conversion, port {CONVERSION_PORT}); "
       f"Host: {OTHER_HOST} got {other.status}. (Checked on a scratch cluster; yours is unchanged.)")


# ---------------------------------------------------------------- notebook 08: which class

def _probe_ingress(class_name: str) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": CHECK_INGRESS, "namespace": "default"},
            "spec": {"ingressClassName": class_name,
                     "rules": [{"host": "check.example.com", "http": {"paths": [{
                         "path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": "currency-exchange", "port": {"number": EXCHANGE_PORT}}}}]}}]}}


def _picked_up(cluster: Cluster, class_name: str) -> tuple[bool, str]:
    """Create the probe Ingress, read what the controller did with it, delete it."""
    __tracebackhide__ = True
    try:
        cluster.apply(_probe_ingress(class_name))
    except KubectlError as err:
        raise CheckFailed(f"kubectl apply refused an Ingress with ingressClassName: {class_name!r}:\n  {err}",
                          _class_hint(cluster, class_name)) from None
    try:
        cluster.advance(5)
        ing = cluster.get("Ingress", CHECK_INGRESS)
        address = ",".join(a.ip or a.hostname for a in ing.status.load_balancer.ingress)
        return bool(address), address
    finally:
        cluster.kubectl(f"delete ingress {CHECK_INGRESS}")


def _class_hint(cluster: Cluster, answer: str) -> str:
    classes = {c.metadata.name: c.spec.controller for c in cluster.list("IngressClass", None)}
    listed = ", ".join(f"{n} (controller {c})" for n, c in sorted(classes.items())) or "none"
    if answer in classes.values():
        return (f"{answer} is the value of an IngressClass's spec.controller. ingressClassName names the "
                f"IngressClass object itself. IngressClasses here: {listed}.")
    if answer in classes:
        return (f"IngressClass {answer} exists, but its spec.controller is {classes[answer]}, and no controller "
                f"with that name runs here. IngressClasses: {listed}.")
    if answer == "ingress-nginx":
        return f"ingress-nginx is the project and its namespace, not a class. IngressClasses: {listed}."
    return f"kubectl get ingressclass lists the classes: {listed}."


def check_ingress_class(answer: Any, cluster: Cluster) -> None:
    """Check that ``ingressClassName: <answer>`` makes the installed controller serve an Ingress.

    The check creates Ingress ``k8sedu-check-ingress-class`` (host
    check.example.com) in ``cluster``, lets 5 simulated seconds pass, reads
    whether the controller wrote its address into the Ingress's status, then
    deletes it.
    """
    __tracebackhide__ = True
    require(answer, "the ingressClassName (a string) the installed controller serves")
    if not isinstance(answer, str) or not answer:
        raise CheckFailed(f"The answer should be a class name in quotes, not {answer!r}.",
                          "kubectl get ingressclass lists the classes by NAME.")
    if controller_of(cluster.core) is None:
        raise CheckFailed("No ingress controller is installed in this cluster.",
                          'Run the cells above, including cluster.install("ingress-nginx").')
    served, address = _picked_up(cluster, answer)
    if not served:
        raise CheckFailed(f"The controller ignored an Ingress with ingressClassName: {answer}: its ADDRESS "
                          "stayed blank.", _class_hint(cluster, answer))
    ok(f"An Ingress with ingressClassName: {answer} was picked up by ingress-nginx: it wrote ADDRESS {address}. "
       f"(The check created Ingress {CHECK_INGRESS} and deleted it again.)")
