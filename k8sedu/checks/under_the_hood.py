"""Checks for notebook 06 (under the hood): reading kube-proxy's chains on a live node.

- ``check_sep_chain(answer, cluster, pod, node=...)`` checks that ``answer`` is
  the ``KUBE-SEP-...`` chain through which kube-proxy on ``node`` sends
  ClusterIP traffic to ``pod``. It reads the node's ``iptables-save`` at the
  moment of the check, follows ``KUBE-SERVICES`` to the Service's ``KUBE-SVC``
  chain, and from there to the ``KUBE-SEP`` chain whose DNAT rule names the
  pod's IP. A wrong answer gets a hint for its own mistake: the Service's
  chain instead of an endpoint's, another pod's chain, another Service's chain
  for the same pod, or a name the node does not have.

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

import re
from dataclasses import dataclass
from typing import Any, Optional

from k8sedu.cluster import Cluster
from k8sedu.checks.base import CheckFailed, ok, require
from k8sedu.errors import KubectlError

__all__ = ["check_sep_chain"]


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
        raise CheckFailed(f"Pod {pod} has no IP yet.", "Let time pass with cluster.advance(10), then check again.")
    return ip


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
    chain = answer.strip().removeprefix("-j ").strip()
    node = node or cluster.list("Node")[-1].metadata.name
    text = cluster.iptables_save(node=node)
    ladder = _ladder(text, service, namespace)
    ip = _pod_ip(cluster, pod, namespace)
    expected = next((sep for sep in ladder.seps if ladder.targets.get(sep, "").rpartition(":")[0] == ip),
                    None) if ladder else None
    if expected is None:
        raise CheckFailed(f"kube-proxy on {node} has no KUBE-SEP chain for pod {pod} ({ip}) behind Service {service}.",
                          "kube-proxy writes a KUBE-SEP chain only for a ready endpoint: let time pass with "
                          "cluster.advance(10), and check that the pod is Ready.")
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
