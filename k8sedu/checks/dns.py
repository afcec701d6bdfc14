"""Checks for FQDNs and Kubernetes DNS (notebook 04): which name reaches a Service, and at what cost.

- ``check_one_query_name(answer, cluster, service=..., namespace=..., from_namespace=...)``
  resolves the learner's name from a Running pod in ``from_namespace``, as
  that pod's resolver would (its ``/etc/resolv.conf``: search list, ndots),
  and passes if the name reaches the Service's ClusterIP with exactly one
  DNS query. Each typical mistake gets its own hint: a short name from
  another namespace (NXDOMAIN), the caller's namespace instead of the
  Service's, a name without its trailing dot (the search list runs first),
  one pod's name instead of the Service's.

On success a check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still ``...``, or ``CheckFailed`` saying
what is wrong, with a hint.
"""

from __future__ import annotations

from typing import Any, Optional

from k8sedu.checks.base import CheckFailed, ok, require
from k8sedu.checks.discovery import _running_pod
from k8sedu.cluster import Cluster
from k8sedu.coredns import ZONE
from k8sedu.errors import KubectlError

__all__ = ["check_one_query_name"]


def check_one_query_name(answer: Any, cluster: Cluster, service: str = "currency-conversion",
                         namespace: str = "web", from_namespace: str = "default",
                         from_pod: Optional[str] = None) -> None:
    """Check that ``answer`` reaches ``service`` in ``namespace`` from ``from_namespace`` in one DNS query.

    Why: a name in a config file or a script should work from wherever it
    runs, and should not make the pod's resolver walk its search list first.
    The name is resolved from ``from_pod`` if given, else from the first
    Running pod in ``from_namespace`` (every pod there has the same search list).
    """
    __tracebackhide__ = True
    require(answer, f"a DNS name (a string) that reaches Service {service} in namespace {namespace} "
                    "with exactly one query")
    name = _name(answer)
    cluster_ip = _cluster_ip(cluster, service, namespace)
    client = from_pod or _running_pod(cluster, from_namespace)
    try:
        dns = cluster.resolve(name, from_pod=client, namespace=from_namespace)
    except KubectlError as err:
        raise CheckFailed(str(err), f"This check resolves the name from pod {client} in namespace "
                                    f"{from_namespace}, which must be Running: run the cells above again.") from None
    tried = " -> ".join(f"{query} {rcode}" for query, rcode in dns.queries)
    where = f"From pod {client} in namespace {from_namespace}"
    if dns.rcode != "NOERROR":
        raise CheckFailed(f"{where}, {name!r} does not resolve ({dns.rcode}). The resolver tried: {tried}.",
                          _not_found_hint(name, service, namespace, from_namespace))
    if cluster_ip not in dns.addresses:
        raise CheckFailed(f"{name!r} resolves to {', '.join(dns.addresses)}, but Service {service} has "
                          f"ClusterIP {cluster_ip}.", _wrong_address_hint(name, service, namespace))
    if len(dns.queries) != 1:
        raise CheckFailed(f"{where}, {name!r} reaches {service}, but only after {len(dns.queries)} queries: "
                          f"{tried}.", _too_many_hint(name, len(dns.queries)))
    ok(f"{name} reaches Service {service} ({cluster_ip}) from namespace {from_namespace} "
       f"in one query: {tried}.")


def _name(answer: Any) -> str:
    """The answer as a DNS name, or ``CheckFailed`` if it is not one."""
    __tracebackhide__ = True
    if not isinstance(answer, str) or not answer.strip():
        raise CheckFailed(f"The answer should be a DNS name in a string, not {answer!r}.",
                          "Write it in quotes, like the names given to nslookup above.")
    name = answer.strip()
    if "/" in name or ":" in name:
        raise CheckFailed(f"{name!r} is a URL or has a port; a DNS name has neither.",
                          "Give only the host name, the part nslookup would resolve.")
    if ".." in name or name.startswith(".") or " " in name:
        raise CheckFailed(f"{name!r} has an empty label: two dots in a row, a leading dot or a space.",
                          "Labels are separated by single dots; only the root, at the very end, is empty.")
    return name


def _cluster_ip(cluster: Cluster, service: str, namespace: str) -> str:
    __tracebackhide__ = True
    try:
        return cluster.get("Service", service, namespace).spec.cluster_ip
    except KubectlError as err:
        raise CheckFailed(str(err), f"This check needs Service {service} in namespace {namespace}: "
                                    "run the cells above again.") from None


def _labels(name: str) -> list[str]:
    return name.rstrip(".").lower().split(".")


def _not_found_hint(name: str, service: str, namespace: str, from_namespace: str) -> str:
    labels = _labels(name)
    if labels == [service]:
        return (f"A short name is completed with the caller's namespace first ({from_namespace}.svc.{ZONE}), "
                f"but {service} lives in {namespace}. Add the Service's namespace to the name.")
    if len(labels) > 1 and labels[0] == service and labels[1] == from_namespace != namespace:
        return (f"{from_namespace} is the namespace of the pod that asks. The namespace label is the "
                f"Service's own namespace: {namespace}.")
    return (f"A Service's name is <service>.<namespace>.svc.{ZONE}: here the Service is {service} "
            f"and the namespace {namespace}. Compare with the names the resolver tried.")


def _wrong_address_hint(name: str, service: str, namespace: str) -> str:
    labels = _labels(name)
    if labels[1:3] == [service, namespace]:
        return (f"{labels[0]} names one endpoint (one pod) of the Service, so you get that pod's IP. "
                "When the pod is replaced its IP changes: name the Service itself.")
    return f"Use the name of Service {service} in namespace {namespace}."


def _too_many_hint(name: str, queries: int) -> str:
    if queries > 1 and len(_labels(name)) >= 2 and not name.endswith("."):
        dots = name.count(".")
        return (f"The name has {dots} dot{'' if dots == 1 else 's'}, fewer than ndots:5, so the resolver tries each "
                "search domain first and the name as it is last. Spell the name out completely and end it "
                "with a dot: a trailing dot marks it absolute, and the search list is skipped.")
    return "Spell the name out completely, down to the cluster domain, and end it with a dot."
