"""Checks for notebook 06 (under the hood): reading kube-proxy's chains on a live node.

- ``check_sep_chain(answer, cluster, pod, node=...)`` checks that ``answer`` is
  the ``KUBE-SEP-...`` chain through which kube-proxy on ``node`` sends
  ClusterIP traffic to ``pod``. It reads the node's ``iptables-save`` at the
  moment of the check, follows ``KUBE-SERVICES`` to the Service's ``KUBE-SVC``
  chain, and from there to the ``KUBE-SEP`` chain whose DNAT rule names the
  pod's IP. A wrong answer gets a hint for its own mistake: the Service's
  chain instead of an endpoint's, another pod's chain, another Service's chain
  for the same pod, or a name the node does not have.

- ``check_rule_probability(answer, cluster, rule, ...)`` reads the
  ``--probability`` kube-proxy wrote on endpoint rule ``rule`` of a Service's
  ``KUBE-SVC`` chain on a live node. Hints name the usual slips: the share
  every endpoint gets (1/n) given as a rule's probability, an off-by-one in
  the count of rules left, a value that is not a probability.
- ``check_terminating_conditions(answer, cluster, pod, ...)`` compares the
  learner's ``{"ready", "serving", "terminating"}`` with the conditions the
  EndpointSlice controller wrote for a terminating pod, one hint per field.
- ``check_ptr_answer(answer, cluster, ip, from_pod=...)`` runs ``dig -x`` for
  ``ip`` in a pod and compares the learner's name with CoreDNS's PTR answer;
  hints for the reverse query name, the Service's name for a pod IP, the
  pod's own name and the IP with dots.

On success a check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still ``...``, or ``CheckFailed`` with the
mistake and a hint.

Examples
--------
>>> check_sep_chain(..., Cluster(seed=0), pod="any")
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with the name of the KUBE-SEP chain that sends traffic to pod any (a string such as "KUBE-SEP-ABCDEFGHIJKLMNOP")
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Optional

from k8sedu.cluster import Cluster
from k8sedu.checks.base import CheckFailed, NotAnswered, check, number, ok, require
from k8sedu.errors import KubectlError

__all__ = ["check_ptr_answer", "check_rule_probability", "check_sep_chain",
           "check_terminating_conditions"]


@dataclass(frozen=True)
class Ladder:
    """A Service port's ``KUBE-SVC`` chain on one node and where each of its endpoint rules leads."""

    svc_chain: str
    seps: tuple[str, ...]            # KUBE-SEP chains, in rule order
    targets: dict[str, str]          # KUBE-SEP chain -> "ip:port" of its DNAT, for every chain on the node
    owners: dict[str, str]           # KUBE-SEP chain -> the comment naming its Service port


def _ladder(text: str, service: str, namespace: str) -> Optional[Ladder]:
    """Read ``service``'s KUBE-SVC chain and every KUBE-SEP chain's DNAT target from ``iptables-save`` text."""
    entry = re.search(rf'^-A KUBE-SERVICES .*--comment "{re.escape(namespace)}/{re.escape(service)}(:\S+)? '
                      rf'cluster IP".* -j (KUBE-SVC-\w+)$', text, re.M)
    if entry is None:
        return None
    svc_chain = entry.group(2)
    seps = tuple(re.findall(rf"^-A {svc_chain} .* -j (KUBE-SEP-\w+)$", text, re.M))
    targets = dict(re.findall(r"^-A (KUBE-SEP-\w+) .*-j DNAT --to-destination (\S+)$", text, re.M))
    owners = dict(re.findall(r'^-A (KUBE-SEP-\w+) .*--comment "?([^" ]+)"? .*-j DNAT', text, re.M))
    return Ladder(svc_chain, seps, targets, owners)


def _pod_ip(cluster: Cluster, pod: str, namespace: str) -> str:
    __tracebackhide__ = True
    try:
        ip = cluster.get("Pod", pod, namespace).status.pod_ip
    except KubectlError as err:
        raise CheckFailed(str(err), "The pod this question names is gone: run the cells above again.") from None
    if not ip:
        raise CheckFailed(f"Pod {pod} has no IP yet.", "Let time pass (advance(10) on the task's cluster), then "
                          "check again.")
    return ip


@check
def check_sep_chain(answer: Any, cluster: Cluster, pod: str, node: Optional[str] = None,
                    service: str = "currency-exchange", namespace: str = "default") -> None:
    """Check that ``answer`` is the KUBE-SEP chain kube-proxy on ``node`` uses to DNAT ``service`` traffic to ``pod``.

    ``node`` defaults to the last node of the cluster (every node has the same rules).
    """
    __tracebackhide__ = True
    require(answer, f'the name of the KUBE-SEP chain that sends traffic to pod {pod} '
                    '(a string such as "KUBE-SEP-ABCDEFGHIJKLMNOP")')
    if not isinstance(answer, str) or not answer.strip():
        raise CheckFailed(f"The answer should be a chain name in a string, not {answer!r}.",
                          'Copy the name from iptables-save, in quotes, e.g. "KUBE-SEP-ABCDEFGHIJKLMNOP".')
    chain = answer.strip()
    for prefix in ("-A ", "-j ", "-N ", ":"):
        chain = chain.removeprefix(prefix).strip()
    chain = chain.split()[0] if chain else chain
    node = node or cluster.list("Node")[-1].metadata.name
    text = cluster.iptables_save(node=node)
    ladder = _ladder(text, service, namespace)
    ip = _pod_ip(cluster, pod, namespace)
    expected = next((sep for sep in ladder.seps if ladder.targets.get(sep, "").rpartition(":")[0] == ip),
                    None) if ladder else None
    if expected is None:
        raise CheckFailed(f"kube-proxy on {node} has no KUBE-SEP chain for pod {pod} ({ip}) behind Service {service}.",
                          "kube-proxy writes a KUBE-SEP chain only for a ready endpoint: let time pass (advance(10) "
                          "on the task's cluster), and check that the pod is Ready.")
    if chain == expected:
        rule = ladder.seps.index(chain) + 1
        ok(f"On {node}, rule {rule} of {len(ladder.seps)} in {ladder.svc_chain} jumps to {chain}, whose DNAT "
           f"sends the packet to {ladder.targets[chain]}: pod {pod}.")
        return
    raise CheckFailed(*_mistake(chain, pod, ip, node, ladder, cluster, namespace))


def _mistake(chain: str, pod: str, ip: str, node: str, ladder: Ladder, cluster: Cluster,
             namespace: str) -> tuple[str, str]:
    """The problem and the hint for a wrong chain name."""
    find = (f"Find the DNAT rule whose --to-destination starts with {pod}'s IP ({ip}), "
            "and take the chain it belongs to (the name after -A).")
    pods = {p.metadata.name for p in cluster.list("Pod", namespace)}
    if chain in pods or chain == ip or chain.rpartition(":")[0] == ip:
        return (f"{chain!r} names the pod itself; the question asks for the name of the iptables chain that "
                "sends packets to it (it starts with KUBE-SEP-).", find)
    if chain.startswith("KUBE-SVC-"):
        return (f"{chain} is a Service chain: it only picks an endpoint, it rewrites no address.",
                f"The DNAT happens one jump further, in a KUBE-SEP chain. {find}")
    if chain in ladder.targets and chain not in ladder.seps:
        return (f"{chain} belongs to {ladder.owners.get(chain, 'another Service port')}, not to "
                f"{ladder.svc_chain}'s Service.",
                f"Each Service port has its own KUBE-SEP chains, even for the same pod. {find}")
    if chain in ladder.targets:
        target = ladder.targets[chain]
        other = _pod_with_ip(cluster, target.rpartition(":")[0], namespace)
        return (f"{chain} sends the packet to {target}, which is pod {other}, not {pod}.",
                f"Chains are named by a hash, not by the order of the pods. {find}")
    return (f"There is no chain named {chain!r} in iptables-save on {node}.",
            f"Chain names are case-sensitive and have 16 characters after KUBE-SEP-: copy the name. {find}")


def _pod_with_ip(cluster: Cluster, ip: str, namespace: str) -> str:
    return next((p.metadata.name for p in cluster.list("Pod", namespace) if p.status.pod_ip == ip), f"with IP {ip}")


# ---------------------------------------------------------------- the probability ladder

@check
def check_rule_probability(answer: Any, cluster: Cluster, rule: int, node: Optional[str] = None,
                           service: str = "currency-exchange", namespace: str = "default") -> None:
    """Check ``answer`` against the probability on endpoint rule ``rule`` (1-based) of ``service``'s KUBE-SVC chain.

    Why: the rising ladder 1/n, 1/(n-1), ..., 1 is how kube-proxy gives every
    endpoint the same share; reading it means knowing that each rule only
    sees what the rules above it let through. The value is read from the
    node's ``iptables-save`` at the moment of the check.
    """
    __tracebackhide__ = True
    require(answer, f"the probability on endpoint rule {rule} of the KUBE-SVC chain (a number such as 0.75, "
                    'or a fraction in a string such as "3/4")')
    value = number(answer)
    if value is None:
        hint = ('Write the probability as a fraction of 1, not a percentage: 50% is 0.5 (or "1/2").'
                if isinstance(answer, str) and answer.strip().endswith("%") else
                'Write a number such as 0.75, or a fraction string such as "3/4".')
        raise CheckFailed(f"{answer!r} is not a number.", hint)
    node = node or cluster.list("Node")[-1].metadata.name
    text = cluster.iptables_save(node=node)
    ladder = _ladder(text, service, namespace)
    n = len(ladder.seps) if ladder else 0
    if not 1 <= rule <= n:
        raise CheckFailed(f"kube-proxy on {node} has {n} endpoint rules for {service}, so there is no rule {rule}.",
                          "Let time pass (advance(10) on the task's cluster) so every pod is ready, then check again.")
    line = next(l for l in text.splitlines() if l.startswith(f"-A {ladder.svc_chain} ") and
                l.endswith(f"-j {ladder.seps[rule - 1]}"))
    found = re.search(r"--probability (\S+)", line)
    written = float(found.group(1)) if found else 1.0
    if abs(value - written) < 5e-4:
        shown = f"--probability {found.group(1)}" if found else "no probability (it always matches)"
        ok(f"On {node}, endpoint rule {rule} of {n} in {ladder.svc_chain} carries {shown}: it keeps 1 in "
           f"{n - rule + 1} of the connections that reach it, which is 1/{n} of all of them.")
        return
    raise CheckFailed(f"{answer} is not the probability on rule {rule} of {n} in {ladder.svc_chain}.",
                      _ladder_hint(value, n, rule))


def _ladder_hint(value: float, n: int, rule: int) -> str:
    sees = (f"Rule {rule} only sees the connections that the {rule - 1} rule{'s' if rule > 2 else ''} above it "
            f"did not take, and {n - rule + 1} endpoints are left to share them.")
    if not 0 <= value <= 1:
        return "A probability lies between 0 and 1."
    if abs(value - 1 / (n - rule + 1)) < 0.01:
        return ('Close, but rounded: kube-proxy writes 11 decimals. Give more digits, or the exact fraction as a '
                'string such as "1/3".')
    if rule < n and abs(value - 1) < 5e-4:
        return (f"Only the last rule (rule {n}) takes every connection that reaches it, and it carries no "
                f"--probability. {sees}")
    if rule > 1 and abs(value - 1 / n) < 5e-4:
        return f"1/{n} is the share of ALL connections each endpoint ends up with, not the rule's probability. {sees}"
    if n - rule > 0 and abs(value - 1 / (n - rule)) < 5e-4:
        return f"Off by one: count the endpoint of rule {rule} itself among those left. {sees}"
    if rule > 1 and abs(value - rule / n) < 5e-4:
        return f"{rule}/{n} grows with the rule number, but not in the right way. {sees}"
    return sees


# ---------------------------------------------------------------- a terminating endpoint

CONDITIONS = ("ready", "serving", "terminating")


@check
def check_terminating_conditions(answer: Any, cluster: Cluster, pod: str, service: str = "currency-exchange",
                                 namespace: str = "default") -> None:
    """Check ``answer`` (a dict of the three conditions) against the EndpointSlice entry of terminating ``pod``.

    Why: during its grace period a deleted pod stays in the slice; its
    conditions decide whether kube-proxy still sends it traffic.
    """
    __tracebackhide__ = True
    require(answer, 'a dict such as {"ready": True, "serving": True, "terminating": False}')
    _check_condition_dict(answer)
    live = _endpoint_conditions(cluster, pod, service, namespace)
    wrong = [name for name in CONDITIONS if answer[name] != live[name]]
    if not wrong:
        ok(f"Pod {pod} is terminating and the EndpointSlice of {service} lists it with "
           + ", ".join(f"{name}: {str(live[name]).lower()}" for name in CONDITIONS)
           + ": kube-proxy sends it no new connections while it shuts down.")
        return
    name = wrong[0]
    raise CheckFailed(f"{name}: {str(answer[name]).lower()} is not what the EndpointSlice says for pod {pod}"
                      + (f" (and {', '.join(wrong[1:])} {'is' if len(wrong) == 2 else 'are'} wrong too)."
                         if len(wrong) > 1 else "."), _CONDITION_HINTS[name])


def _check_condition_dict(answer: Any) -> None:
    """Raise ``NotAnswered`` or ``CheckFailed`` unless ``answer`` is a dict of the three conditions, each a bool."""
    __tracebackhide__ = True
    example = 'Write it like {"ready": True, "serving": True, "terminating": False}.'
    if not isinstance(answer, dict):
        raise CheckFailed(f"The answer should be a dict with the keys ready, serving and terminating, not "
                          f"{type(answer).__name__}.", example)
    if answer and all(v is Ellipsis for v in answer.values()):
        raise NotAnswered("not answered yet: replace each ... in the dict with True or False")
    missing = [name for name in CONDITIONS if name not in answer]
    extra = [str(key) for key in answer if key not in CONDITIONS]
    if missing or extra:
        said = (f"it lacks {', '.join(missing)}" if missing else "") + ("; " if missing and extra else "") + \
               (f"it has {', '.join(extra)}, which {'is not a condition' if len(extra) == 1 else 'are not conditions'}"
                if extra else "")
        raise CheckFailed(f"The dict needs exactly the keys ready, serving and terminating: {said}.",
                          "The keys are the EndpointSlice's condition names, in lower case, in quotes.")
    for name in CONDITIONS:
        value = answer[name]
        if value is Ellipsis:
            raise CheckFailed(f"{name} is still ... .", f"Replace the ... after \"{name}\" with True or False.")
        if not isinstance(value, bool):
            hint = ("Write True or False without quotes: they are Python's booleans, not strings."
                    if isinstance(value, str) else "Each value is True or False.")
            raise CheckFailed(f"{name} is {value!r}, not True or False.", hint)


_CONDITION_HINTS = {
    "ready": "A terminating endpoint is never ready, whatever its probe says: ready is what kube-proxy uses to "
             "pick endpoints for new connections.",
    "serving": "serving is the readiness probe's verdict alone, terminating or not: the container is still "
               "running during the grace period and still passes its probe.",
    "terminating": "The pod has a deletionTimestamp (kubectl delete set it), and that is exactly what "
                   "terminating reports.",
}


def _endpoint_conditions(cluster: Cluster, pod: str, service: str, namespace: str) -> dict[str, bool]:
    __tracebackhide__ = True
    for piece in cluster.list("EndpointSlice", namespace, {"kubernetes.io/service-name": service}):
        for endpoint in piece.endpoints:
            if endpoint.target_ref is not None and endpoint.target_ref.name == pod:
                c = endpoint.conditions
                live = {"ready": c.ready is not False, "serving": c.serving is not False,
                        "terminating": bool(c.terminating)}
                if live["terminating"]:
                    return live
    raise CheckFailed(f"Pod {pod} is not a terminating endpoint of {service} (it is gone already, or it was never "
                      "deleted).", "Run the task's setup cell again, then check without letting time pass: the "
                                   "container exits soon after its SIGTERM, and then the pod leaves the slice.")


# ---------------------------------------------------------------- reverse lookups

@check
def check_ptr_answer(answer: Any, cluster: Cluster, ip: str, from_pod: str = "dnsutils",
                     namespace: str = "default") -> None:
    """Check that ``answer`` is the name CoreDNS gives for a PTR query on ``ip`` (``dig -x``), asked from ``from_pod``.

    Why: reverse lookups show how CoreDNS's kubernetes plugin maps an address
    back to the Service or the endpoint it belongs to.
    """
    __tracebackhide__ = True
    require(answer, f"the name CoreDNS answers for a PTR query on {ip} (a string)")
    if not isinstance(answer, str) or not answer.strip():
        raise CheckFailed(f"The answer should be a DNS name in a string, not {answer!r}.",
                          "Write it in quotes, as dig would print it.")
    try:
        printed = cluster.kubectl(f"exec -n {namespace} {from_pod} -- dig +short -x {ip}")
    except KubectlError as err:
        raise CheckFailed(f"dig -x {ip} failed in pod {from_pod}: {err}",
                          "Run the task's setup cell again: it starts the dnsutils pod.") from None
    names = [line.strip().rstrip(".").lower() for line in printed.splitlines() if line.strip()]
    given = answer.strip().rstrip(".").lower()
    if given in names:
        record = " ".join(printed.split())
        ok(f"From pod {from_pod}, dig -x {ip} gets the PTR record {record} (the reverse name "
           f"{ipaddress.ip_address(ip).reverse_pointer} asked of CoreDNS)")
        return
    raise CheckFailed(f"{answer.strip()!r} is not what CoreDNS answers for {ip}: dig -x gets "
                      f"{'a different name' if names else 'no answer'}.", _ptr_hint(given, ip, cluster, names))


def _ptr_hint(given: str, ip: str, cluster: Cluster, names: list[str]) -> str:
    reverse = ipaddress.ip_address(ip).reverse_pointer
    if given == reverse:
        return (f"{reverse} is the question dig -x asks, not the answer. The answer is a name inside the "
                "cluster's zone, cluster.local.")
    labels = given.split(".")
    dashed = ip.replace(".", "-")
    if given.endswith(".pod.cluster.local") and given.startswith(dashed + "."):
        return ("That is a pod's forward name (an A record under pod.cluster.local). A PTR query on an endpoint's "
                "IP gets the endpoint's name under its Service instead: look at the EndpointSlice that lists "
                "this IP.")
    if any(name.startswith(given + ".") for name in names):
        return ("You are on the right track, but that name is not complete: CoreDNS answers with a fully "
                "qualified name, down to the cluster domain.")
    if given.startswith(ip + ".") or ip in given:
        return ("The IP is in the name with dashes, not dots: each dot would start a new label.")
    services = {f"{s.metadata.name}.{s.metadata.namespace}.svc.cluster.local" for s in cluster.list("Service", None)}
    if given in services:
        return (f"That is a Service's name, the answer for its ClusterIP. {ip} is a pod's IP: CoreDNS names the "
                "endpoint, one label more on the left of its Service's name.")
    pods = {p.metadata.name for p in cluster.list("Pod", None)}
    if labels[0] in pods:
        return ("CoreDNS does not use the pod's name: an endpoint without spec.hostname is named by its IP, "
                "with dashes.")
    return "Look at the EndpointSlice that lists this IP: which Service does it belong to, and how is an endpoint named?"
