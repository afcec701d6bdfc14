"""Checks for Ingress (notebook 07 and its exercises).

- ``check_conversion_ingress(manifest)`` applies the learner's Ingress to a
  **scratch** cluster built like notebook 07's (a GKE-like cloud, the two
  currency Deployments and their ClusterIP Services, ingress-nginx), sends a
  request from the internet to the controller's load balancer with
  ``Host: conversion.example.com``, and checks that a currency-conversion pod
  answers it, and that another host does not reach it. The learner's own
  cluster is not touched.
- ``check_gateway_ingress``, ``check_host_ingress`` and ``check_path_predictions``
  apply the learner's Ingress to the task's cluster, or take predictions, and
  send the requests through the controller to see who answers.

On success a check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still ``...``, or ``CheckFailed`` with the
mistake and a hint for it.

Examples
--------
>>> check_conversion_ingress(...)
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with an Ingress manifest (YAML text in triple quotes) for host conversion.example.com
"""

from __future__ import annotations

from typing import Any, Sequence

from k8sedu.checks.base import CheckFailed, check, ok, require
from k8sedu.checks.ingress_traffic import (ANY_PATH, CONTROLLER, CONVERSION_PORT, EXCHANGE_HOST, EXCHANGE_PATH,
                                           EXCHANGE_PORT, HOST, OTHER_HOST, REQUEST_PATH, ROUTES, SAY_CONTROLLER,
                                           UNKNOWN_HOST, apply_manifest, ask, ingresses_in, must_not_reach, reached,
                                           require_reach)
from k8sedu.cluster import Cluster
from k8sedu.ingress_nginx import controller_of
from k8sedu.ingress_nginx.matching import best_path, host_matches, path_matches
from k8sedu.objects import Ingress

SETTLE_SECONDS = 60  # scratch cluster: long enough for pods, the controller and its load balancer


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


@check
def check_conversion_ingress(manifest: Any) -> None:
    """Check an Ingress that routes ``conversion.example.com/currency-conversion...`` to currency-conversion.

    ``manifest`` is YAML text or a dict. The check applies it to a scratch
    cluster like notebook 07's (your own cluster is not changed) and sends a
    request from the internet to the ingress controller's load balancer.
    """
    __tracebackhide__ = True
    require(manifest, f"an Ingress manifest (YAML text in triple quotes) for host {HOST}")
    cluster = _scratch_cluster()
    apply_manifest(cluster, manifest)
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


# ---------------------------------------------------------------- exercises 07: write, fix and predict Ingresses

@check
def check_gateway_ingress(manifest: Any, cluster: Cluster) -> None:
    """Check an Ingress that sends /currency-exchange... and /currency-conversion... to their own Services.

    The check applies ``manifest`` to ``cluster`` and sends both requests from
    outside, without a Host header, through the controller: each must reach a
    pod of its own microservice. That is what the Ingress is for, whatever it
    looks like.
    """
    __tracebackhide__ = True
    require(manifest, "the fixed Ingress manifest (YAML text in triple quotes)")
    ings = ingresses_in(cluster, manifest)
    pods = {service: require_reach(cluster, ings, None, service) for service in ROUTES}
    ok(f"Without a Host header, {EXCHANGE_PATH} reached pod {pods['currency-exchange']} and "
       f"{REQUEST_PATH} reached pod {pods['currency-conversion']}: one address, two microservices.")


@check
def check_host_ingress(manifest: Any, cluster: Cluster) -> None:
    """Check host-based routing: exchange.example.com to currency-exchange, conversion.example.com to conversion.

    The check applies ``manifest`` to ``cluster``, sends each host its
    service's request, and then checks that a third host reaches neither
    service (a rule without host would catch it).
    """
    __tracebackhide__ = True
    require(manifest, f"an Ingress manifest (YAML text in triple quotes) for {EXCHANGE_HOST} and {HOST}")
    ings = ingresses_in(cluster, manifest)
    hosts = {"currency-exchange": EXCHANGE_HOST, "currency-conversion": HOST}
    pods = {service: require_reach(cluster, ings, host, service) for service, host in hosts.items()}
    for service, host in hosts.items():
        who = reached(ask(cluster, ANY_PATH, host))
        if who != service:
            raise CheckFailed(f"A request for host {host}, path {ANY_PATH} reaches "
                              f"{'no microservice' if who in (CONTROLLER, 'nothing') else who}, not {service}.",
                              f"Every request for {host} belongs to {service}, whatever its path: give its rule "
                              "the path / with pathType Prefix, which matches every path.")
    names = {i.metadata.name for i in ings}
    stale = sorted(i.metadata.name for i in cluster.list("Ingress") if i.metadata.name not in names)
    left = (f" Ingress {', '.join(stale)} from an earlier try is still in the cluster: run the task's setup cell "
            "again for a fresh cluster." if stale else "")
    must_not_reach(cluster, UNKNOWN_HOST, " (a host no rule names)",
                    "A rule without host matches every host. Give each rule its host." + left)
    must_not_reach(cluster, OTHER_HOST, " (a host no rule names)",
                    "A wildcard host such as *.example.com matches every name one label deeper in example.com. "
                    "Name each host exactly." + left)
    ok(f"Host {EXCHANGE_HOST} reached pod {pods['currency-exchange']}, host {HOST} reached pod "
       f"{pods['currency-conversion']}, and host {UNKNOWN_HOST} reached neither (the controller's 404).")


def _prediction_hint(ings: list[Ingress], path: str, truth: str) -> str:
    """Explain the matching rule the learner got wrong for ``path``."""
    paths = [p for i in ings for r in i.spec.rules if r.http for p in r.http.paths]
    matching = [p for p in paths if path_matches(p.path_type, p.path, path)]
    if not matching:
        near = [p.path for p in paths if path.lower().startswith(p.path.lower().rstrip("/"))]
        if near and not path.startswith(near[0].rstrip("/")):
            return "Matching is case-sensitive: a path that differs only in capital letters matches nothing."
        if near:
            return (f"Prefix compares whole path elements split at /: {path.split('/')[1]} is not "
                    f"{near[0].split('/')[1]}. Nothing matches, so the controller answers 404 itself.")
        return "No path of the Ingress covers this one, so the controller answers 404 itself."
    match = best_path(paths, path)
    if len(matching) > 1:
        listed = ", ".join(p.path for p in matching)
        return (f"Several paths match ({listed}); the longest, {match.path} ({match.path_type}), wins, so the "
                f"request goes to {truth}, even if the application there has no such URL.")
    exact = [p.path for p in paths if p.path_type == "Exact" and path.rstrip("/") == p.path]
    if exact:
        return (f"Exact means equal character for character: {path} is not {exact[0]} (mind the trailing "
                f"slash), so only the Prefix path {match.path} matches.")
    near = [p.path for p in paths if p.path_type == "Prefix" and p not in matching and path.startswith(p.path)]
    if near:
        return (f"Prefix compares whole path elements split at /, so {near[0]} does not match {path}; only "
                f"{match.path} does, and it goes to {truth}.")
    return (f"Prefix {match.path} matches the path itself, a trailing slash, and every path below it, "
            f"so the controller sends it to {truth}.")


@check
def check_path_predictions(answer: Any, cluster: Cluster, host: str, paths: Sequence[str]) -> None:
    """Check predictions of where the controller sends each of ``paths``, by sending each request for ``host``.

    ``answer`` maps each path to ``"currency-exchange"``, ``"currency-conversion"``
    or ``"controller"`` (no rule matches: the controller answers 404 itself).
    The truth is which pod the live controller handed the request to.
    """
    __tracebackhide__ = True
    require(answer, 'a dict: each path -> "currency-exchange", "currency-conversion" or "controller"')
    if not isinstance(answer, dict):
        raise CheckFailed(f"The answer should be a dict of path -> where it goes, not {type(answer).__name__}.",
                          'Write {"/a/path": "currency-exchange", ...} with one entry per path of the task.')
    missing = [p for p in paths if p not in answer]
    if missing:
        raise CheckFailed(f"There is no prediction for {missing[0]}.",
                          "Give one entry per path of the task, each path spelled exactly as listed.")
    ings = [i for i in cluster.list("Ingress") if any(r.host == host for r in i.spec.rules)]
    for path in paths:
        said = answer[path].strip().lower() if isinstance(answer[path], str) else answer[path]
        if said not in (*ROUTES, *SAY_CONTROLLER):
            raise CheckFailed(f"The prediction for {path} is {said!r}.",
                              'Each value is "currency-exchange", "currency-conversion" or "controller".')
        truth = reached(ask(cluster, path, host))
        if (CONTROLLER if said in SAY_CONTROLLER else said) != truth:
            raise CheckFailed(f"{path}: you said {said}, but the controller sent it to {truth}.",
                              _prediction_hint(ings, path, truth))
    ok(f"All {len(paths)} predictions match where ingress-nginx sent the requests for host {host}.")
