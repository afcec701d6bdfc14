"""What the Ingress checks share (notebooks and exercises 07 and 08).

The course's two microservices and the requests that reach them (``ROUTES``),
and what a check does with the controller: apply the learner's manifest or
run the learner's kubectl command, turning kubectl's refusal into a hint
(``apply_manifest``, ``run_task_command``); send a request through the controller
from outside (``ask``) and say who answered it (``reached``); require that a
request reaches its Service, or name the part of the learner's Ingresses that
kept it away (``require_reach``, ``why_not``).
"""

from __future__ import annotations

from typing import Any, Optional

import yaml

from k8sedu.checks.base import CheckFailed, command_line, run_command
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError
from k8sedu.ingress_nginx import controller_of
from k8sedu.ingress_nginx.matching import best_path, host_matches
from k8sedu.objects import Ingress

HOST = "conversion.example.com"
OTHER_HOST = "other.example.com"
REQUEST_PATH = "/currency-conversion/from/USD/to/INR/quantity/10"
CONVERSION_PORT = 8100
EXCHANGE_PORT = 8000
EXCHANGE_PATH = "/currency-exchange/from/USD/to/INR"
ROUTES = {"currency-exchange": (EXCHANGE_PATH, EXCHANGE_PORT), "currency-conversion": (REQUEST_PATH, CONVERSION_PORT)}
EXCHANGE_HOST = "exchange.example.com"
UNKNOWN_HOST = "unknown.example.net"
ANY_PATH = "/some/other/path"  # a path neither application serves: host rules must send it on all the same
CONTROLLER = "controller"  # a prediction: no rule matches, the controller answers 404 itself
SAY_CONTROLLER = {CONTROLLER, "404", "default backend", "default-backend"}


def apply_manifest(cluster: Cluster, manifest: Any) -> None:
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


def ask(cluster: Cluster, path: str, host: Optional[str] = None):
    """Send one GET to the controller from outside: its load balancer on a cloud, localhost on kind."""
    lb = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx").status.load_balancer.ingress
    base, source = (f"http://{lb[0].ip}", "internet") if lb and lb[0].ip else ("http://localhost", "host")
    return cluster.request(base + path, source=source, headers={"Host": host} if host else None)


def reached(trace) -> str:
    """Who took the request: a microservice's name, ``controller`` (its own answer), or ``nothing``."""
    pod = (trace.pod or "") if trace.ok else ""
    for name in (*ROUTES, "ingress-nginx"):
        if pod.startswith(f"{name}-"):
            return CONTROLLER if name == "ingress-nginx" else name
    return "nothing"


def ingresses_in(cluster: Cluster, manifest: Any) -> list[Ingress]:
    """Apply the learner's manifest; return the Ingresses it names, as stored."""
    __tracebackhide__ = True
    apply_manifest(cluster, manifest)
    docs = list(yaml.safe_load_all(manifest)) if isinstance(manifest, str) else (
        manifest if isinstance(manifest, list) else [manifest])
    names = [d.get("metadata", {}).get("name") for d in docs if isinstance(d, dict) and d.get("kind") == "Ingress"]
    found = [i for i in cluster.list("Ingress") if i.metadata.name in names]
    if not found:
        raise CheckFailed("The manifest created no Ingress in namespace default.",
                          "Start it with apiVersion: networking.k8s.io/v1 and kind: Ingress, and leave out "
                          "metadata.namespace.")
    return found


def run_task_command(cluster: Cluster, command: Any, what: str) -> None:
    """Run the learner's kubectl command on the task's cluster (kubectl's refusal fails with a hint), then let
    5 simulated seconds pass."""
    __tracebackhide__ = True
    run_command(cluster, command_line(command, what), _refusal_hint)
    cluster.advance(5)


def _refusal_hint(text: str) -> str:
    """A hint for kubectl's refusal of the learner's Ingress command."""
    if "already exists" in text:
        return "An earlier try created it. Run the task's setup cell again for a fresh cluster, then retry."
    if "annotate" in text:
        return ("The annotation kubernetes.io/ingress.class is deprecated: patch the field "
                "spec.ingressClassName instead (kubectl patch ingress NAME -p '{\"spec\": ...}').")
    if "ingressClassName: Invalid value" in text:
        return ("ingressClassName is the NAME of an IngressClass (kubectl get ingressclass), not the "
                "CONTROLLER value of its spec.controller.")
    if "--type=json" in text:
        return "Use a merge patch: -p '{\"spec\":{\"ingressClassName\":\"...\"}}' with no --type."
    if '"kubectl edit"' in text:
        return ("kubectl edit opens an editor, which a notebook cell cannot use. Change the field with "
                "kubectl patch instead.")
    if "should be in format host/path=svcname:svcport" in text:
        return ("A rule is host/path=service:port: a bare host name (no http://), the path, then the "
                "Service's own name (no svc/) and its port number.")
    return "Read kubectl's error above; `kubectl <verb> --help` in a new cell shows the usage."


def why_not(cluster: Cluster, ings: list[Ingress], host: Optional[str], path: str, service: str,
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


def require_reach(cluster: Cluster, ings: list[Ingress], host: Optional[str], service: str, **hint) -> str:
    """Send the service's request (with ``host``); return the pod that answered, or raise why not."""
    __tracebackhide__ = True
    path = ROUTES[service][0]
    trace = ask(cluster, path, host)
    if reached(trace) != service or trace.status != 200:
        raise why_not(cluster, ings, host, path, service, trace, **hint)
    return trace.pod


def must_not_reach(cluster: Cluster, host: str, why: str, hint: str) -> None:
    """A request for ``host`` must reach neither microservice."""
    __tracebackhide__ = True
    for service, (path, _) in ROUTES.items():
        if reached(ask(cluster, path, host)) == service:
            raise CheckFailed(f"A request for host {host} reaches {service} too{why}.", hint)
