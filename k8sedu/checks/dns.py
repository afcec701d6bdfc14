"""Checks for FQDNs and Kubernetes DNS (notebook 04): which name reaches a Service, and at what cost.

- ``check_one_query_name(answer, cluster, service=..., namespace=..., from_namespace=...)``
  resolves the learner's name from a Running pod in ``from_namespace``, as
  that pod's resolver would (its ``/etc/resolv.conf``: search list, ndots),
  and passes if the name reaches the Service's ClusterIP with exactly one
  DNS query. Each typical mistake gets its own hint: a short name from
  another namespace (NXDOMAIN), the caller's namespace instead of the
  Service's, a name without its trailing dot (the search list runs first),
  one pod's name instead of the Service's.
- ``check_config_host(manifest, cluster, ...)`` applies the learner's fixed
  ConfigMap, reads the host name it holds, and sends a request from the
  client pod to that host: it passes if the request reaches a pod of the
  Service. Hints name the caller's namespace used instead of the Service's,
  a short name, a URL instead of a host, a ConfigMap moved out of the pods'
  namespace.
- predicting the number of queries uses ``discovery.check_query_count``
  (notebook 5's check), whose hints name the mistake behind the number.

On success a check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still ``...``, or ``CheckFailed`` saying
what is wrong, with a hint.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Optional

import yaml

from k8sedu.checks.base import CheckFailed, check, dns_name, ok, require
from k8sedu.checks.discovery import _running_pod
from k8sedu.cluster import Cluster
from k8sedu.coredns import ZONE
from k8sedu.errors import KubectlError

__all__ = ["check_config_host", "check_one_query_name"]


@check
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
    name = dns_name(answer)
    if _is_ip(name):
        raise CheckFailed(f"{name!r} is an IP address, not a DNS name.",
                          "An address needs no lookup, but it is not the Service's name: a ClusterIP changes when "
                          "the Service is created again, while CoreDNS keeps the Service's name pointing at the "
                          "current one. Give the Service's DNS name.")
    if ".." in name or name.startswith(".") or " " in name:
        raise CheckFailed(f"{name!r} has an empty label: two dots in a row, a leading dot or a space.",
                          "Labels are separated by single dots; only the root, at the very end, is empty.")
    return name


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


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


# ---------------------------------------------------------------- a host name in a ConfigMap

@check
def check_config_host(manifest: Any, cluster: Cluster, configmap: str = "exchange-config",
                      key: str = "CURRENCY_EXCHANGE_HOST", namespace: str = "web",
                      service: str = "currency-exchange", service_namespace: str = "default",
                      port: int = 8000, path: str = "/currency-exchange/from/USD/to/INR") -> None:
    """Apply the learner's ConfigMap; check that the host it holds takes a request from ``namespace`` to ``service``.

    Why: a wrong namespace in a DNS name is a classic outage. The check does
    what the application would: it reads the host from the ConfigMap in the
    pods' namespace and sends an HTTP request to it from a Running pod there.
    """
    __tracebackhide__ = True
    require(manifest, f"the fixed ConfigMap {configmap} as YAML text (a string)")
    _apply(manifest, cluster)
    _applied_where(manifest, configmap, namespace)
    host = _config_value(cluster, configmap, key, namespace)
    name = _host(host, key)
    _cluster_ip(cluster, service, service_namespace)
    client = _running_pod(cluster, namespace)
    trace = cluster.request(f"http://{name}:{port}{path}", from_pod=client, namespace=namespace)
    dns = cluster.resolve(name, from_pod=client, namespace=namespace)
    if dns.rcode != "NOERROR":
        tried = " -> ".join(f"{query} {rcode}" for query, rcode in dns.queries)
        raise CheckFailed(f"{key} is {name!r}: from pod {client} in namespace {namespace} it does not resolve "
                          f"({dns.rcode}). The resolver tried: {tried}.",
                          _not_found_hint(name, service, service_namespace, namespace))
    backends = set(cluster.pod_names(dict(cluster.get("Service", service, service_namespace).spec.selector),
                                     service_namespace))
    if not trace.ok or trace.pod not in backends:
        raise CheckFailed(f"{key} is {name!r}: it resolves to {', '.join(dns.addresses)}, and a request to it "
                          f"does not reach a {service} pod ({trace.reason or trace.status}).",
                          _wrong_address_hint(name, service, service_namespace))
    ok(f"ConfigMap {configmap} in {namespace} says {key}={name}: from pod {client} it resolves to "
       f"{', '.join(dns.addresses)} and a request reaches pod {trace.pod} of Service {service} "
       f"in {service_namespace} (HTTP {trace.status}).")


def _apply(manifest: Any, cluster: Cluster) -> None:
    __tracebackhide__ = True
    if not isinstance(manifest, str) or not manifest.strip():
        raise CheckFailed(f"The answer should be a manifest in a string, not {manifest!r}.",
                          'Write the YAML between triple quotes: manifest = """ ... """.')
    try:
        cluster.apply(manifest)
    except (KubectlError, yaml.YAMLError) as err:
        raise CheckFailed(f"kubectl apply refused the manifest:\n  {err}",
                          "Start from the ConfigMap the setup cell printed and change only the value; "
                          "keep its indentation (spaces, not tabs).") from None


def _applied_where(manifest: str, configmap: str, namespace: str) -> None:
    """Fail if the manifest has no ConfigMap ``configmap`` for ``namespace`` (kubectl's default is ``default``)."""
    __tracebackhide__ = True
    placed = [(doc.get("metadata") or {}).get("namespace") or "default"
              for doc in yaml.safe_load_all(manifest) if isinstance(doc, dict) and doc.get("kind") == "ConfigMap"
              and (doc.get("metadata") or {}).get("name") == configmap]
    if placed and namespace not in placed:
        raise CheckFailed(f"Your manifest puts ConfigMap {configmap} in namespace {placed[0]}, but the application's "
                          f"pods run in {namespace}.",
                          f"A pod reads ConfigMaps from its own namespace only: keep metadata.namespace: {namespace} "
                          "and fix the value instead.")
    if not placed:
        raise CheckFailed(f"Your manifest has no ConfigMap named {configmap}.",
                          f"Keep kind: ConfigMap and metadata.name: {configmap}; the application reads that one.")


def _config_value(cluster: Cluster, configmap: str, key: str, namespace: str) -> Any:
    __tracebackhide__ = True
    try:
        data = cluster.get("ConfigMap", configmap, namespace).data or {}
    except KubectlError:
        raise CheckFailed(f"There is no ConfigMap {configmap} in namespace {namespace}.",
                          f"Keep metadata.name: {configmap} and metadata.namespace: {namespace}: a pod reads "
                          "ConfigMaps from its own namespace only.") from None
    if key not in data:
        raise CheckFailed(f"ConfigMap {configmap} has no key {key} (it has: {', '.join(sorted(data)) or 'none'}).",
                          f"The application reads {key}: fix its value, keep the key.")
    return data[key]


def _host(value: Any, key: str) -> str:
    __tracebackhide__ = True
    if not isinstance(value, str) or not value.strip():
        raise CheckFailed(f"{key} is {value!r}, not a host name.", "Write the Service's DNS name as the value.")
    if "/" in value or ":" in value:
        raise CheckFailed(f"{key} is {value!r}: a URL or a host with a port.",
                          "The application adds the scheme and the port itself: give only the host name.")
    return _name(value)
