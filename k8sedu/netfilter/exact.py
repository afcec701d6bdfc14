"""The exact walk: every branch of the ``-m statistic`` matches, weighed with the kernel's probabilities.

Where one new connection goes, and how likely, read from the very rules and
walker that route it, without drawing a random number or writing a
``recent`` list: the traffic graph's shares come from here, so the graph and
``send()`` cannot disagree.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional, TypeVar

from k8sedu.kube_proxy.matches import RecentTable
from k8sedu.kube_proxy.tables import Table
from k8sedu.netfilter.hooks import Flow, connect
from k8sedu.netfilter.walk import Draw, Packet, Verdict, walk_chain

T = TypeVar("T")

def chain_distribution(table: Table, chain: str, packet: Packet, recent: Optional[RecentTable] = None,
                       now: float = 0.0) -> dict[Verdict, float]:
    """Every verdict ``trace_chain`` can reach for ``packet``, with its exact probability.

    Each ``-m statistic`` match splits the walk in two, weighed with the
    kernel's probability (``kernel_probability``, the value ``trace_chain``
    compares its draw with); ``-m recent`` reads ``recent`` as it is now and
    writes nothing (each branch works on a copy). No random number is drawn.

    Examples
    --------
    >>> from k8sedu.kube_proxy.tables import Chain, Rule
    >>> from k8sedu.kube_proxy.matches import Statistic
    >>> ladder = (Rule("SVC", "DNAT", matches=(Statistic(0.5),), to_destination="10.244.1.2:80"),
    ...           Rule("SVC", "DNAT", to_destination="10.244.2.2:80"))
    >>> nat = Table.build("nat", [Chain("SVC", ladder)])
    >>> odds = chain_distribution(nat, "SVC", Packet("10.244.3.3", "10.96.0.5", 80))
    >>> sorted((v.to_destination, p) for v, p in odds.items())
    [('10.244.1.2:80', 0.5), ('10.244.2.2:80', 0.5)]
    """
    return _explore(lambda draw: walk_chain(table, chain, packet, draw, _copy(recent), now))


def connection_distribution(nat: Table, filter_: Table, packet: Packet, recent: Optional[RecentTable] = None,
                            now: float = 0.0, local_ips: Iterable[str] = ()) -> dict[Flow, float]:
    """Every ``Flow`` ``trace_connection`` can give one new connection, with its exact probability."""
    local = frozenset(local_ips)
    return _explore(lambda draw: connect(nat, filter_, packet, draw, _copy(recent), now, local))


def _copy(recent: Optional[RecentTable]) -> Optional[RecentTable]:
    return recent.copy() if recent is not None else None


class _Branch:
    """One branch of the exact walk: replays earlier decisions, takes each new match, notes its alternative."""

    def __init__(self, replay: tuple[bool, ...]):
        self.replay = replay
        self.taken: list[bool] = []
        self.alternatives: list[tuple[bool, ...]] = []
        self.probability = 1.0

    def __call__(self, p: float) -> bool:
        i = len(self.taken)
        hit = self.replay[i] if i < len(self.replay) else p > 0.0
        if i >= len(self.replay) and 0.0 < p < 1.0:
            self.alternatives.append(tuple(self.taken) + (False,))
        self.taken.append(hit)
        self.probability *= p if hit else 1.0 - p
        return hit


def _explore(run: Callable[[Draw], T]) -> dict[T, float]:
    """Run ``run`` once per combination of statistic outcomes; sum the probability of each result."""
    odds: dict[T, float] = {}
    pending: list[tuple[bool, ...]] = [()]
    while pending:
        branch = _Branch(pending.pop())
        result = run(branch)
        odds[result] = odds.get(result, 0.0) + branch.probability
        pending += branch.alternatives
    return odds
