"""Checks for service discovery (notebook 05): scaling, FQDNs, DNS queries, kube-proxy's probabilities.

A check cell in a notebook or exercise calls one of these functions with the
learner's answer, and usually with the cluster the learner built:

- ``check_scaled_service(cluster, name, replicas, command=...)`` runs the
  learner's kubectl command, lets a few simulated seconds pass, then follows
  the change through the Deployment, the ready endpoints and kube-proxy's rules.
- ``check_fqdn(answer, cluster, from_namespace=...)`` resolves the name from a
  pod in that namespace and checks it is the Service's fully qualified name.
- ``check_probability(answer, n)`` builds a scratch cluster with ``n``
  endpoints and reads the probability kube-proxy wrote on a ``KUBE-SVC`` rule.
- ``check_query_count(answer, cluster, name, from_pod)`` counts the DNS queries
  the pod's resolver really sends for ``name``.

On success a check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still the placeholder ``...``, or
``CheckFailed`` saying what is wrong, with a hint. Both are ``AssertionError``
subclasses, so pytest and nbval count them as failures, and
``pytest --nbval-lax exercises/`` grades a folder of notebooks.

Examples
--------
>>> check_probability(..., n=4)
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with the probability on rule 1 of the KUBE-SVC chain for 4 endpoints (a number such as 0.75)
>>> check_probability(0.25, n=4)
✓ With 4 endpoints, rule 1 of the KUBE-SVC chain carries --probability 0.25000000000 (1/4).
>>> check_probability(0.5, n=4)
Traceback (most recent call last):
...
k8sedu.checks.CheckFailed: 0.5 is not what kube-proxy writes on rule 1 of 4.
Hint: 0.5 is the first rule's value for 2 endpoints. Rule 1 sees every new connection, and its endpoint must get 1 in 4 of them.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from k8sedu.cluster import Cluster
from k8sedu.coredns import ZONE
from k8sedu.checks.base import CheckFailed, check, command_line, dns_name, number, ok, require, run_command
from k8sedu.errors import KubectlError

__all__ = ["check_fqdn", "check_probability", "check_query_count",
           "check_scaled_service"]

SETTLE_SECONDS = 10  # simulated time a check lets pass after running the learner's command
_SCRATCH_IMAGE = "in28min/currency-exchange:0.0.1-RELEASE"


def _service_rules(cluster: Cluster, service: str, namespace: str, node: str) -> list[str]:
    """The ``-A KUBE-SVC-...`` rules that pick an endpoint, as ``iptables-save`` prints them."""
    text = cluster.iptables_save(node=node)
    entry = re.search(rf'^-A KUBE-SERVICES .*--comment "{re.escape(namespace)}/{re.escape(service)}(:\S+)? '
                      rf'cluster IP".* -j (KUBE-SVC-\w+)$', text, re.M)
    if entry is None:
        return []
    return [line for line in text.splitlines()
            if line.startswith(f"-A {entry.group(2)} ") and " -j KUBE-SEP-" in line]


def _probability(rule: str) -> Optional[str]:
    found = re.search(r"--probability (\S+)", rule)
    return found.group(1) if found else None


# ---------------------------------------------------------------- scaling

@check
def check_scaled_service(cluster: Cluster, name: str, replicas: int, command: Any = None,
                         namespace: str = "default") -> None:
    """Check that Deployment and Service ``name`` run ``replicas`` ready pods, all load-balanced.

    If ``command`` is given it is a kubectl command line: the check runs it on
    ``cluster`` and lets ``SETTLE_SECONDS`` simulated seconds pass first.
    """
    __tracebackhide__ = True
    if command is not None:
        command = command_line(command, f"the kubectl command line (a string) that scales {name} to {replicas} "
                                        "replicas")
        run_command(cluster, command, lambda text: _refusal_hint(text, command, name))
        cluster.advance(SETTLE_SECONDS)
    try:
        deployment = cluster.get("Deployment", name, namespace)
        service = cluster.get("Service", name, namespace)
    except KubectlError as err:
        raise CheckFailed(str(err), f"This check expects a Deployment and a Service both named {name}.") from None
    if deployment.spec.replicas != replicas:
        if command is not None and not re.search(r"(^|[\s/])(rs|replicasets?)([\s/.]|$)", command):
            hint = (f"--replicas sets how many replicas the Deployment runs in all (not how many to add): "
                    f"the task asks for {replicas}.")
        else:
            hint = ("Scale the Deployment itself: it owns the replica count, and its controller puts back "
                    "any change made to its ReplicaSet.")
        raise CheckFailed(f"deployment/{name} asks for {deployment.spec.replicas} replicas, not {replicas}.", hint)
    _check_selector(cluster, deployment, service, namespace)
    _check_ready_endpoints(cluster, name, replicas, namespace)
    node = cluster.list("Node")[-1].metadata.name
    rules = _service_rules(cluster, name, namespace, node)
    if len(rules) != replicas:
        raise CheckFailed(f"kube-proxy on {node} has {len(rules)} endpoint rules for {name}, not {replicas}.",
                          "kube-proxy writes one KUBE-SEP jump per ready endpoint; let time pass (advance(10) on "
                          "the task's cluster) and check again.")
    ok(f"deployment/{name} runs {replicas} ready pods, the Service has {replicas} ready endpoints, and "
        f"kube-proxy on {node} spreads new connections over {replicas} KUBE-SEP chains.")


def _refusal_hint(error: str, command: str, name: str) -> str:
    """A hint for the reason kubectl refused a scaling command."""
    words = command.split()
    if re.search(r"(^|\s)(svc|services?)([/\s]|$)", command):
        return (f"A Service has no replicas: it only selects pods by label. Scale the Deployment {name}, "
                "which owns them; the Service picks up the new pods by itself.")
    if "replicas" in error and "required" in error:
        return "Give the new count with the flag --replicas=N; a bare number is not an argument of kubectl scale."
    if "not found" in error.lower() and name not in words and f"deployment/{name}" not in command \
            and f"deploy/{name}" not in command:
        return f"Check the name: %kubectl get deploy lists the Deployments; this one is called {name}."
    return "%kubectl scale --help, in a new cell, shows the usage of kubectl scale."


def _check_selector(cluster: Cluster, deployment, service, namespace: str) -> None:
    __tracebackhide__ = True
    selector = dict(service.spec.selector)
    pods = cluster.pod_names(dict(deployment.spec.selector.match_labels), namespace)
    selected = set(cluster.pod_names(selector, namespace)) if selector else set()
    if pods and not selected.intersection(pods):
        wanted = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "nothing (no selector)"
        labels = ",".join(f"{k}={v}" for k, v in sorted(deployment.spec.template.metadata.labels.items()))
        raise CheckFailed(f"The Service selects {wanted}, but the pods are labelled {labels}.",
                          "A Service finds its pods by labels only; its selector must match the pod template's "
                          "labels (kubectl expose copies them for you).")


def _check_ready_endpoints(cluster: Cluster, name: str, replicas: int, namespace: str) -> None:
    __tracebackhide__ = True
    slices = cluster.list("EndpointSlice", namespace, {"kubernetes.io/service-name": name})
    ready = sorted(e.addresses[0] for s in slices for e in s.endpoints if e.conditions.ready is not False)
    if len(ready) != replicas:
        raise CheckFailed(f"Service {name} has {len(ready)} ready endpoints ({', '.join(ready) or 'none'}), "
                          f"not {replicas}.",
                          "Pods join the EndpointSlice as ready only once they are Running and Ready; "
                          "let time pass (advance(10) on the task's cluster) and check again.")


# ---------------------------------------------------------------- DNS

@check
def check_fqdn(answer: Any, cluster: Cluster, from_namespace: str = "default",
               service: str = "currency-exchange", namespace: str = "default") -> None:
    """Check that ``answer`` is the fully qualified name of ``service`` and resolves from ``from_namespace``.

    The name is resolved from the first Running pod in ``from_namespace``.
    """
    __tracebackhide__ = True
    require(answer, f"the fully qualified DNS name of Service {service} (a string)")
    name = dns_name(answer)
    client = _running_pod(cluster, from_namespace)
    try:
        svc = cluster.get("Service", service, namespace)
    except KubectlError as err:
        raise CheckFailed(str(err), f"This check needs Service {service} in namespace {namespace}: "
                                    "run the setup cell at the top again.") from None
    dns = cluster.resolve(name, from_pod=client, namespace=from_namespace)
    tried = " -> ".join(f"{q} {rcode}" for q, rcode in dns.queries)
    if dns.rcode != "NOERROR":
        raise CheckFailed(f"From pod {client} in namespace {from_namespace}, {name!r} does not resolve "
                          f"({dns.rcode}). The resolver tried: {tried}.",
                          f"Service {service} lives in namespace {namespace}. Look at the names the resolver "
                          "tried: which part of the Service's name is missing?")
    if svc.spec.cluster_ip not in dns.addresses:
        raise CheckFailed(f"{name!r} resolves to {', '.join(dns.addresses)}, but Service {service} has "
                          f"ClusterIP {svc.spec.cluster_ip}.",
                          f"Use the name of Service {service} in namespace {namespace}.")
    fqdn = f"{service}.{namespace}.svc.{ZONE}"
    if name.rstrip(".").lower() != fqdn:
        raise CheckFailed(f"{name!r} works from namespace {from_namespace}, but only because the resolver "
                          f"completed it from the search list: {tried}.",
                          "A fully qualified name spells out every label, down to the cluster domain that "
                          "ends each search domain in /etc/resolv.conf.")
    ok(f"{name} is the FQDN of Service {service}: it resolves to {svc.spec.cluster_ip} from namespace "
        f"{from_namespace} ({len(dns.queries)} quer{'y' if len(dns.queries) == 1 else 'ies'}: {tried}).")


def _running_pod(cluster: Cluster, namespace: str) -> str:
    __tracebackhide__ = True
    for pod in cluster.list("Pod", namespace):
        if pod.status.phase == "Running" and not pod.terminating:
            return pod.metadata.name
    raise CheckFailed(f"There is no Running pod in namespace {namespace} to resolve the name from.",
                      f"Run the cell that creates a client pod in namespace {namespace}, then let 10 seconds pass "
                      "(advance(10) on the task's cluster).")


@check
def check_query_count(answer: Any, cluster: Cluster, name: str, from_pod: str,
                      namespace: str = "default") -> None:
    """Check ``answer`` against the number of DNS queries ``from_pod`` really sends to resolve ``name``.

    Why: every miss on the search list is a round trip to CoreDNS, and
    predicting them is reading ``/etc/resolv.conf`` correctly. The hint names
    the likely miscount (the name tried first, the first hit not stopping
    the walk, the last try forgotten, AAAA queries counted).
    """
    __tracebackhide__ = True
    require(answer, f"the number of DNS queries (a whole number) the pod sends for {name!r}")
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise CheckFailed(f"The answer should be a whole number of queries, not {answer!r}.",
                          "Count the names the resolver tries, up to and including the one that answers.")
    try:
        dns = cluster.resolve(name, from_pod=from_pod, namespace=namespace)
        resolv = cluster.core.resolv_conf(cluster.get("Pod", from_pod, namespace))
    except KubectlError as err:
        raise CheckFailed(str(err), f"This check resolves the name from pod {from_pod}, which must be Running: "
                                    "run the cells above again (the task's setup cell).") from None
    tried = " -> ".join(f"{q} {rcode}" for q, rcode in dns.queries)
    if answer == len(dns.queries):
        ok(f"{name} takes {answer} quer{'y' if answer == 1 else 'ies'} from {from_pod}: {tried}")
        return
    raise CheckFailed(f"{answer} is not the number of queries {from_pod} sends for {name!r}.",
                      _query_hint(answer, name, resolv, dns))


def _query_hint(answer: int, name: str, resolv, dns) -> str:
    """A hint for the likely miscount of the resolver's queries."""
    dots = name.rstrip(".").count(".")
    searched = not name.endswith(".") and dots < resolv.ndots
    rule = (f"{name!r} has {dots} dot{'' if dots == 1 else 's'}, fewer than ndots:{resolv.ndots}, so the "
            f"resolver appends each search domain in turn ({', '.join(resolv.search)}), then tries the name as it "
            "is.")
    if answer < 1:
        return "Every lookup sends at least one query."
    if searched and answer == 1:
        return f"The name is not tried as it is first. {rule}"
    if searched and answer == len(resolv.search) + 1 and dns.rcode == "NOERROR":
        return f"The resolver stops at the first name that exists. {rule} Which try is the first that exists?"
    if searched and answer == len(resolv.search) and dns.rcode != "NOERROR":
        return f"You counted the search domains but not the last try, the name as it is. {rule}"
    if answer == 2 * len(dns.queries):
        return ("You may have counted an AAAA query next to each A query, as a real resolver often sends. Like "
                "notebook 4, count one query per name the resolver tries.")
    if searched:
        return f"{rule} Write down each name it builds and ask which is the first that exists."
    return "Look at the dots and the trailing dot: is the search list used first, last, or not at all?"


# ---------------------------------------------------------------- kube-proxy

@check
def check_probability(answer: Any, n: int, rule: int = 1, cluster: Optional[Cluster] = None,
                      service: str = "currency-exchange", namespace: str = "default") -> None:
    """Check ``answer`` against the probability kube-proxy writes on ``rule`` (1-based) for ``n`` endpoints.

    The value is read back from ``iptables-save``: on ``cluster``, from the
    rules of ``service`` (which must have ``n`` ready endpoints), else from a
    scratch cluster with a Deployment of ``n`` replicas behind a ClusterIP Service.
    """
    __tracebackhide__ = True
    if not 1 <= rule <= n:
        raise ValueError(f"rule must be between 1 and n={n}, got {rule}")
    require(answer, f"the probability on rule {rule} of the KUBE-SVC chain for {n} endpoints (a number such as 0.75)")
    value = number(answer)
    if value is None:
        raise CheckFailed(f"{answer!r} is not a number.", _not_a_number_hint(answer))
    rules = _scratch_rules(n) if cluster is None else _cluster_rules(cluster, service, namespace, n)
    printed = _probability(rules[rule - 1])
    expected = float(printed) if printed else 1.0
    share = f"1/{n - rule + 1}"
    if abs(value - expected) < 5e-4:
        shown = f"--probability {printed}" if printed else "no probability: it always matches"
        ok(f"With {n} endpoints, rule {rule} of the KUBE-SVC chain carries {shown} ({share}).")
        return
    raise CheckFailed(f"{answer} is not what kube-proxy writes on rule {rule} of {n}.", _probability_hint(value, n, rule))


def _not_a_number_hint(answer: Any) -> str:
    if isinstance(answer, str) and answer.strip().endswith("%"):
        return "Write the probability as a fraction of 1, not a percentage: 50% is 0.5 (or \"1/2\")."
    return "Write a number such as 0.75, or a fraction string such as '3/4'."


def _probability_hint(value: float, n: int, rule: int) -> str:
    if not 0 <= value <= 1:
        return "A probability lies between 0 and 1."
    share = 1 / (n - rule + 1)
    if abs(value - share) < 0.01:
        return ("Close, but rounded: kube-proxy writes 11 decimals. Give more digits, or the exact fraction "
                "as a string such as \"1/3\".")
    if rule == 1 and n > 2 and abs(value - (1 - 1 / n)) < 5e-4:
        return (f"{value:g} is the share of connections that rule 1 lets through to the rules below it. "
                f"--probability is the chance that the rule itself matches: its endpoint must get 1 in {n} "
                "of all connections.")
    if rule < n and abs(value - 1) < 5e-4:
        return (f"Only the last rule (rule {n}) takes every connection that reaches it, and it carries no "
                f"--probability. Rule {rule} must let some through to the endpoints below it.")
    if rule == 1:
        hint = f"Rule 1 sees every new connection, and its endpoint must get 1 in {n} of them."
    else:
        earlier = "rule 1 lets" if rule == 2 else f"rules 1 to {rule - 1} let"
        hint = (f"Rule {rule} sees only the connections that {earlier} through, yet its endpoint "
                f"must get 1 in {n} of all connections.")
    if rule == 1 and n != 2 and abs(value - 0.5) < 5e-4:
        return f"0.5 is the first rule's value for 2 endpoints. {hint}"
    if rule > 1 and abs(value - 1 / n) < 5e-4:
        return f"1/{n} is right for rule 1 only. {hint}"
    return hint


def _cluster_rules(cluster: Cluster, service: str, namespace: str, n: int) -> list[str]:
    """The KUBE-SVC endpoint rules of ``service`` on ``cluster``'s last node, which must number ``n``."""
    __tracebackhide__ = True
    rules = _service_rules(cluster, service, namespace, cluster.list("Node")[-1].metadata.name)
    if len(rules) != n:
        raise CheckFailed(f"Service {service} has {len(rules)} endpoint rules in kube-proxy's chain, not {n}.",
                          f"Run the task's setup cell again (it starts {n} ready pods), then this cell.")
    return rules


def _scratch_rules(n: int) -> list[str]:
    """Build a cluster with ``n`` ready endpoints behind one Service; return its KUBE-SVC endpoint rules."""
    scratch = Cluster(seed=0)  # the facade's Cluster: a scratch cluster never becomes the learner's %kubectl one
    scratch.kubectl(f"create deployment currency-exchange --image={_SCRATCH_IMAGE} --replicas={n} --port=8000")
    scratch.kubectl("expose deployment currency-exchange --port=8000")
    scratch.advance(SETTLE_SECONDS)
    return _service_rules(scratch, "currency-exchange", "default", "kind-worker")
