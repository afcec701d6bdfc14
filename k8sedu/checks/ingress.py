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

import re
from typing import Any, Optional, Sequence

import yaml

from k8sedu.checks.base import CheckFailed, check, ok, require
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError
from k8sedu.ingress_nginx import controller_of
from k8sedu.ingress_nginx.matching import best_path, host_matches, path_matches
from k8sedu.objects import Ingress

__all__ = ["check_class_fix", "check_controller_install", "check_conversion_ingress", "check_create_ingress",
           "check_gateway_ingress", "check_host_ingress", "check_ingress_class", "check_path_predictions"]

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
            hint = ("Every path of an Ingress needs a pathType (the error names which one). Prefix matches "
                    "the path and every path below it.")
        elif "no matches for kind" in text or "apiVersion" in text:
            hint = "An Ingress is apiVersion: networking.k8s.io/v1, kind: Ingress."
        elif "ServiceBackendPort" in text:
            hint = ("backend.service.port is not a number but a map with one key: write port:, then "
                    "number: 8100 indented below it.")
        elif ".host: Invalid value" in text:
            hint = ("host is a bare DNS name, such as exchange.example.com: no http://, no port, no path, "
                    "and in lower case.")
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


@check
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


# ---------------------------------------------------------------- exercises 07 and 08: shared helpers

EXCHANGE_PATH = "/currency-exchange/from/USD/to/INR"
ROUTES = {"currency-exchange": (EXCHANGE_PATH, EXCHANGE_PORT), "currency-conversion": (REQUEST_PATH, CONVERSION_PORT)}
EXCHANGE_HOST = "exchange.example.com"
UNKNOWN_HOST = "unknown.example.net"
ANY_PATH = "/some/other/path"  # a path neither application serves: host rules must send it on all the same
CONTROLLER = "controller"  # a prediction: no rule matches, the controller answers 404 itself
SAY_CONTROLLER = {CONTROLLER, "404", "default backend", "default-backend"}


def _ask(cluster: Cluster, path: str, host: Optional[str] = None):
    """Send one GET to the controller from outside: its load balancer on a cloud, localhost on kind."""
    lb = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx").status.load_balancer.ingress
    base, source = (f"http://{lb[0].ip}", "internet") if lb and lb[0].ip else ("http://localhost", "host")
    return cluster.request(base + path, source=source, headers={"Host": host} if host else None)


def _reached(trace) -> str:
    """Who took the request: a microservice's name, ``controller`` (its own answer), or ``nothing``."""
    pod = (trace.pod or "") if trace.ok else ""
    for name in (*ROUTES, "ingress-nginx"):
        if pod.startswith(f"{name}-"):
            return CONTROLLER if name == "ingress-nginx" else name
    return "nothing"


def _ingresses_in(cluster: Cluster, manifest: Any) -> list[Ingress]:
    """Apply the learner's manifest; return the Ingresses it names, as stored."""
    __tracebackhide__ = True
    _apply(cluster, manifest)
    docs = list(yaml.safe_load_all(manifest)) if isinstance(manifest, str) else (
        manifest if isinstance(manifest, list) else [manifest])
    names = [d.get("metadata", {}).get("name") for d in docs if isinstance(d, dict) and d.get("kind") == "Ingress"]
    found = [i for i in cluster.list("Ingress") if i.metadata.name in names]
    if not found:
        raise CheckFailed("The manifest created no Ingress in namespace default.",
                          "Start it with apiVersion: networking.k8s.io/v1 and kind: Ingress, and leave out "
                          "metadata.namespace.")
    return found


def _run(cluster: Cluster, command: Any, what: str) -> None:
    """Run the learner's kubectl command on the task's cluster, turning a refusal into a hint."""
    __tracebackhide__ = True
    require(command, what)
    if not isinstance(command, str):
        raise CheckFailed(f"The command should be a string, not {type(command).__name__}.",
                          'Write it in quotes, as you would type it after "kubectl".')
    try:
        cluster.kubectl(command)
    except KubectlError as err:
        text = str(err)
        if "already exists" in text:
            hint = "An earlier try created it. Run the task's setup cell again for a fresh cluster, then retry."
        elif "annotate" in text:
            hint = ("The annotation kubernetes.io/ingress.class is deprecated: patch the field "
                    "spec.ingressClassName instead (kubectl patch ingress NAME -p '{\"spec\": ...}').")
        elif "ingressClassName: Invalid value" in text:
            hint = ("ingressClassName is the NAME of an IngressClass (kubectl get ingressclass), not the "
                    "CONTROLLER value of its spec.controller.")
        elif "--type=json" in text:
            hint = "Use a merge patch: -p '{\"spec\":{\"ingressClassName\":\"...\"}}' with no --type."
        elif '"kubectl edit"' in text:
            hint = ("kubectl edit opens an editor, which a notebook cell cannot use. Change the field with "
                    "kubectl patch instead.")
        elif "should be in format host/path=svcname:svcport" in text:
            hint = ("A rule is host/path=service:port: a bare host name (no http://), the path, then the "
                    "Service's own name (no svc/) and its port number.")
        else:
            hint = "Read kubectl's error above; `kubectl <verb> --help` in a new cell shows the usage."
        raise CheckFailed(f"kubectl refused the command:\n  {text}", hint) from None
    cluster.advance(5)


def _why_not(cluster: Cluster, ings: list[Ingress], host: Optional[str], path: str, service: str,
             trace, exact_hint: str = "Prefix matches a path and every path below it.") -> CheckFailed:
    """Name the part of the learner's Ingresses that kept ``host`` + ``path`` from ``service``."""
    controller = controller_of(cluster.core)
    served = [i for i in ings if controller.verdict(i)[0]]
    if not served:
        why = controller.verdict(ings[0])[1]
        return CheckFailed(f"ingress-nginx ignores Ingress {ings[0].metadata.name}: {why}.",
                           "Set spec.ingressClassName: nginx, the IngressClass the controller serves.")
    rules = [r for i in served for r in i.spec.rules if r.http and r.host and host and host_matches(r.host, host)]
    rules = rules or [r for i in served for r in i.spec.rules if r.http and not r.host]
    if not rules:
        hosts = ", ".join(r.host or "(none)" for i in served for r in i.spec.rules) or "(no rules)"
        return CheckFailed(f"No rule matches host {host} (the hosts: {hosts}).",
                           f"Give a rule host: {host}, spelled exactly as the Host header.")
    paths = [p for r in rules for p in r.http.paths]
    match = best_path(paths, path)
    where = f"host {host}, path {path}" if host else f"path {path}"
    if match is None:
        written = ", ".join(f"{p.path} ({p.path_type})" for p in paths)
        hint = (f"Exact matches one path only, so {path} does not match. {exact_hint}"
                if any(p.path_type == "Exact" for p in paths) else
                f"Use the path /{service}: the application's own URLs start with it.")
        return CheckFailed(f"No path matches {where} (paths: {written}), so the controller answers "
                           f"{trace.status} itself.", hint)
    backend = match.backend.service
    port = backend.port.number or backend.port.name if backend else None
    want = ROUTES[service][1]
    if backend is None or backend.name != service:
        name = backend.name if backend else "(none)"
        return CheckFailed(f"{where} matched path {match.path}, whose backend is Service {name}, not {service}.",
                           f"Requests for {where} belong to {service}: set backend.service.name: {service} "
                           "on the path (and host) that match them.")
    if port != want:
        other = next((n for n, (_, p) in ROUTES.items() if p == port and n != service), None)
        hint = f"{port} is {other}'s port. " if other else ""
        return CheckFailed(f"{where} goes to Service {service} port {port}, which it does not have, so "
                           f"nginx answers {trace.status}.",
                           hint + f"backend.service.port.number is the Service's port: {service} listens on "
                           f"{want} (kubectl get svc).")
    return CheckFailed(f"{where} did not reach {service}: {trace.reason or trace.status}.",
                       "Compare your Ingress with the gateway-ingress of notebook 7, field by field.")


def _require_reach(cluster: Cluster, ings: list[Ingress], host: Optional[str], service: str, **hint) -> str:
    """Send the service's request (with ``host``); return the pod that answered, or raise why not."""
    __tracebackhide__ = True
    path = ROUTES[service][0]
    trace = _ask(cluster, path, host)
    if _reached(trace) != service or trace.status != 200:
        raise _why_not(cluster, ings, host, path, service, trace, **hint)
    return trace.pod


def _must_not_reach(cluster: Cluster, host: str, why: str, hint: str) -> None:
    """A request for ``host`` must reach neither microservice."""
    __tracebackhide__ = True
    for service, (path, _) in ROUTES.items():
        if _reached(_ask(cluster, path, host)) == service:
            raise CheckFailed(f"A request for host {host} reaches {service} too{why}.", hint)


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
    ings = _ingresses_in(cluster, manifest)
    pods = {service: _require_reach(cluster, ings, None, service) for service in ROUTES}
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
    ings = _ingresses_in(cluster, manifest)
    hosts = {"currency-exchange": EXCHANGE_HOST, "currency-conversion": HOST}
    pods = {service: _require_reach(cluster, ings, host, service) for service, host in hosts.items()}
    for service, host in hosts.items():
        reached = _reached(_ask(cluster, ANY_PATH, host))
        if reached != service:
            raise CheckFailed(f"A request for host {host}, path {ANY_PATH} reaches "
                              f"{'no microservice' if reached in (CONTROLLER, 'nothing') else reached}, not {service}.",
                              f"Every request for {host} belongs to {service}, whatever its path: give its rule "
                              "the path / with pathType Prefix, which matches every path.")
    names = {i.metadata.name for i in ings}
    stale = sorted(i.metadata.name for i in cluster.list("Ingress") if i.metadata.name not in names)
    left = (f" Ingress {', '.join(stale)} from an earlier try is still in the cluster: run the task's setup cell "
            "again for a fresh cluster." if stale else "")
    _must_not_reach(cluster, UNKNOWN_HOST, " (a host no rule names)",
                    "A rule without host matches every host. Give each rule its host." + left)
    _must_not_reach(cluster, OTHER_HOST, " (a host no rule names)",
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
        truth = _reached(_ask(cluster, path, host))
        if (CONTROLLER if said in SAY_CONTROLLER else said) != truth:
            raise CheckFailed(f"{path}: you said {said}, but the controller sent it to {truth}.",
                              _prediction_hint(ings, path, truth))
    ok(f"All {len(paths)} predictions match where ingress-nginx sent the requests for host {host}.")


# ---------------------------------------------------------------- exercises 08: make a controller serve an Ingress

INSTALL_HINTS = {
    "nginx": "nginx is the IngressClass the controller creates, and the proxy inside it. The add-on is the project.",
    "metallb": "MetalLB gives LoadBalancer Services an address; it reads no Ingress rules. You need an ingress "
               "controller.",
    "ingress": "ingress is the name of minikube's add-on. Here the add-on is called after the controller project.",
    "nginx-ingress": "nginx-ingress is another project, F5 NGINX's Ingress Controller. The notebook installed the "
                     "Kubernetes project's controller: the words are the other way round.",
}


@check
def check_controller_install(addon: Any, cluster: Cluster, host: str) -> None:
    """Check that installing ``addon`` makes the cluster's Ingress for ``host`` work.

    The check installs the add-on (unless a controller already runs), lets 30
    simulated seconds pass, then checks the Ingress got an ADDRESS and that a
    request from the laptop for ``host`` reaches currency-exchange.
    """
    __tracebackhide__ = True
    require(addon, "the name of the add-on to install (a string)")
    if not isinstance(addon, str) or not addon.strip():
        raise CheckFailed(f"The answer should be an add-on name in quotes, not {addon!r}.",
                          "An add-on name looks like the project's name, in quotes.")
    if addon.strip().lower() in INSTALL_HINTS:
        raise CheckFailed(f"{addon} is not the ingress controller's add-on.", INSTALL_HINTS[addon.strip().lower()])
    if controller_of(cluster.core) is None:
        try:
            cluster.install(addon.strip())
        except KubectlError as err:
            raise CheckFailed(f"The install failed:\n  {err}", "The notebook installed the controller with "
                              "cluster.install(...): which name did it use?") from None
        cluster.advance(30)
    ing = next(i for i in cluster.list("Ingress") if any(r.host == host for r in i.spec.rules))
    address = ",".join(a.ip or a.hostname for a in ing.status.load_balancer.ingress)
    pod = _require_reach(cluster, [ing], host, "currency-exchange")
    ok(f"ingress-nginx runs: Ingress {ing.metadata.name} has ADDRESS {address}, and a request for {host} "
       f"reached pod {pod}.")


@check
def check_class_fix(command: Any, cluster: Cluster, ingress: str) -> None:
    """Check a kubectl command that makes the installed controller serve Ingress ``ingress``.

    The check runs the command on ``cluster``, lets 5 simulated seconds pass,
    then asks the controller whether it serves the Ingress (it wrote an
    ADDRESS) and sends a request for its host.
    """
    __tracebackhide__ = True
    try:
        before = cluster.get("Ingress", ingress).spec.ingress_class_name
    except KubectlError:
        before = None
    _run(cluster, command, f"the kubectl command (a string) that fixes Ingress {ingress}'s class")
    try:
        ing = cluster.get("Ingress", ingress)
    except KubectlError:
        raise CheckFailed(f"Ingress {ingress} is gone.", "Fix the Ingress, do not delete it. Run the task's "
                          "setup cell again.") from None
    served, why = controller_of(cluster.core).verdict(ing)
    tried = re.search(r"ingressClassName\W+([\w./-]+)", command)
    if not served and ing.spec.ingress_class_name == before and not (tried and tried.group(1) == before):
        raise CheckFailed(f"kubectl ran the command, but spec.ingressClassName of Ingress {ingress} is still "
                          f"{before}, so ingress-nginx still ignores it.",
                          "The class is the field spec.ingressClassName, not a label or an annotation; in a "
                          "patch it sits under spec: -p '{\"spec\":{\"ingressClassName\":...}}'.")
    if not served:
        raise CheckFailed(f"ingress-nginx still ignores Ingress {ingress}: {why}.",
                          _class_hint(cluster, ing.spec.ingress_class_name or ""))
    host = ing.spec.rules[0].host
    pod = _require_reach(cluster, [ing], host, "currency-exchange")
    note = ("" if ing.spec.ingress_class_name else " It has no class now: kind's ingress-nginx serves such an Ingress "
            "only because it runs with --watch-ingress-without-class=true; naming the class nginx works on every "
            "install.")
    ok(f"Ingress {ingress} (class {ing.spec.ingress_class_name or '<none>'}) is served by ingress-nginx: a request "
       f"for {host} reached pod {pod}.{note}")


@check
def check_create_ingress(command: Any, cluster: Cluster) -> None:
    """Check a ``kubectl create ingress`` command for conversion.example.com/currency-conversion... .

    The check runs the command on ``cluster``, sends the currency-conversion
    request for host conversion.example.com, which must reach a
    currency-conversion pod, and one for another host, which must not.
    """
    __tracebackhide__ = True
    before = {i.metadata.name for i in cluster.list("Ingress")}
    _run(cluster, command, f"the kubectl create ingress command (a string) for host {HOST}")
    ings = [i for i in cluster.list("Ingress") if i.metadata.name not in before]
    if not ings:
        raise CheckFailed("The command created no Ingress.", "Start it with create ingress NAME ...")
    pod = _require_reach(cluster, ings, HOST, "currency-conversion",
                         exact_hint="In --rule, a path ending in * becomes pathType Prefix.")
    _must_not_reach(cluster, OTHER_HOST, "", f"Put the host in front of the path: --rule={HOST}/...")
    if _reached(_ask(cluster, EXCHANGE_PATH, HOST)) == "currency-conversion":
        raise CheckFailed(f"A request for host {HOST}, path {EXCHANGE_PATH} reaches currency-conversion too.",
                          "The path of your rule covers every path of the host. Give the path /currency-conversion, "
                          "with a * after it so that everything below it matches too.")
    classes = sorted({i.spec.ingress_class_name or "<none>" for i in ings})
    if classes != ["nginx"]:
        raise CheckFailed(f"The Ingress works, but its class is {', '.join(classes)}, not nginx.",
                          "It works here only because kind's ingress-nginx runs with "
                          "--watch-ingress-without-class=true, which other installs do not. The task asks for "
                          "class nginx: add --class=nginx.")
    ok(f"Ingress {ings[0].metadata.name} sends {HOST}{REQUEST_PATH} to pod {pod}; host {OTHER_HOST} does not "
       "reach currency-conversion.")
