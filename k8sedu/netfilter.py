"""A tiny netfilter: walk a packet through the rules of one table.

Mirrors what the Linux kernel's ``ip_tables`` does with the tables
``iptables-restore`` loads, in the spirit of kube-proxy's own test tracer
(k/k ``pkg/proxy/iptables/proxier_test.go``, ``tracePacket``). The mental
model: a hook (PREROUTING, FORWARD, ...) hands the packet to a built-in
chain; rules are tried top to bottom; the first rule whose every match holds
fires its target. A target that names another chain is a *jump*: the walk
continues there and comes back (to the rule after the jump) on ``RETURN`` or
at the end of that chain. ``MARK`` edits the packet's mark and the walk goes
on; ``DNAT``, ``MASQUERADE``, ``ACCEPT``, ``DROP`` and ``REJECT`` end it; a
rule with no target only counts the packet. Falling off the end of the
built-in chain applies its policy.

Two matches have state outside the packet: ``-m statistic`` draws from the
caller's seeded ``rng``, and ``-m recent`` (ClientIP session affinity)
reads and writes a ``RecentTable`` at the caller's simulated time ``now``.
``trace_connection`` strings the tables together the way the kernel's hooks
do for the first packet of a connection: nat PREROUTING then filter INPUT
or FORWARD for a packet that arrives, nat OUTPUT then filter OUTPUT for one
the node sends itself.

There is one walker and two ways to decide a ``statistic`` match: draw
(``trace_chain``, ``trace_connection``: what one connection does), or follow
both branches with the kernel's probabilities (``chain_distribution``,
``connection_distribution``: where one new connection goes, and how likely,
read from the same rules without drawing a number or writing a ``recent`` list).

This interpreter reads the model's structured ``Rule`` objects
(``k8sedu.kube_proxy.iptables``), never their text, and records each rule
that matched, so a trace explains itself.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, Iterable, Optional, TypeVar

from k8sedu.kube_proxy.names import KUBE_MARK_MASQ
from k8sedu.kube_proxy.matches import (
    AddrType, Comment, Conntrack, MarkMatch, PortMatch, Recent, RecentTable, Statistic, kernel_probability,
)
from k8sedu.kube_proxy.tables import Rule, Table

__all__ = ["Packet", "Verdict", "Flow", "RecentTable", "trace_chain", "trace_connection", "chain_distribution",
           "connection_distribution", "rule_matches", "match_holds", "apply_xmark"]

TERMINAL_TARGETS = frozenset({"ACCEPT", "DROP", "REJECT", "DNAT", "SNAT", "MASQUERADE"})
MAX_JUMP_DEPTH = 32  # the kernel refuses rulesets that could loop; a deep stack here means a bug

Draw = Callable[[float], bool]
"""Decides one ``-m statistic`` match from the kernel's probability: a sample, or one branch of the exact walk."""

T = TypeVar("T")


@dataclass(frozen=True)
class Packet:
    """The first packet of a connection, as the rules see it.

    ``dst_local`` answers ``-m addrtype --dst-type LOCAL`` (is ``dst`` one of
    this node's own addresses?) and ``src_local`` answers ``--src-type
    LOCAL`` (did the node itself send it?); ``ctstate`` is the conntrack
    state (a new connection is ``NEW``); ``mark`` is the packet's fwmark.
    """

    src: str
    dst: str
    dport: int
    protocol: str = "tcp"
    dst_local: bool = False
    mark: int = 0
    ctstate: str = "NEW"
    src_local: bool = False


@dataclass(frozen=True)
class Verdict:
    """Where a packet's walk through a table ended.

    ``target`` is the terminating target (DNAT, ACCEPT, DROP, REJECT,
    MASQUERADE), or the chain's policy if the packet fell off the end of the
    built-in chain it started in (``RETURN`` if it started in a user chain).
    ``path`` lists every rule that matched, in order, as ``(chain, Rule)``
    (``rule.to_text()`` prints it as iptables-save does); ``mark`` is the
    packet's mark when the walk ended.
    """

    target: str
    to_destination: str = ""
    masquerade: bool = False
    path: tuple[tuple[str, Rule], ...] = ()
    mark: int = 0

    @property
    def rule(self) -> Optional[Rule]:
        """The rule whose target ended the walk, or None if the packet fell off to the chain's policy."""
        last = self.path[-1][1] if self.path else None
        return last if last is not None and last.target in TERMINAL_TARGETS else None


@lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(cidr, strict=False)


def _in(ip: str, cidr: str) -> bool:
    return ipaddress.ip_address(ip) in _network(cidr)


def _sampler(rng: Optional[random.Random]) -> Draw:
    """Decide ``-m statistic`` as the kernel does: one random number per evaluated match."""
    def draw(p: float) -> bool:
        if rng is None:
            raise ValueError("a -m statistic rule was reached: trace_chain needs an rng")
        return rng.random() < p
    return draw


def match_holds(match, packet: Packet, mark: int, rng: Optional[random.Random],
                recent: Optional[RecentTable] = None, now: float = 0.0) -> bool:
    """Return True if one ``-m`` match holds for ``packet`` (whose mark is now ``mark``).

    ``-m recent --set`` records ``packet.src`` in ``recent`` as a side effect,
    as the kernel does when it evaluates the match.
    """
    return _holds(match, packet, mark, _sampler(rng), recent, now)


def _holds(match, packet: Packet, mark: int, draw: Draw, recent: Optional[RecentTable], now: float) -> bool:
    if isinstance(match, Comment):
        return True
    if isinstance(match, PortMatch):
        return match.protocol == packet.protocol.lower() and match.dport in (0, packet.dport)
    if isinstance(match, Statistic):
        return draw(kernel_probability(match.probability))
    if isinstance(match, AddrType):
        return _addrtype_holds(match, packet)
    if isinstance(match, MarkMatch):
        return ((mark & match.mask) == match.value) != match.negate
    if isinstance(match, Conntrack):
        return (packet.ctstate in match.states) != match.negate
    if isinstance(match, Recent):
        return _recent_holds(match, packet, recent, now)
    raise TypeError(f"netfilter: unknown match {match!r}")


def _addrtype_holds(match: AddrType, packet: Packet) -> bool:
    for kind, wanted, is_local in (("src", match.src_type, packet.src_local),
                                   ("dst", match.dst_type, packet.dst_local)):
        if wanted and wanted != "LOCAL":
            raise ValueError(f"addrtype --{kind}-type {wanted} is not modelled")
        if wanted and not is_local:
            return False
    return True


def _recent_holds(match: Recent, packet: Packet, recent: Optional[RecentTable], now: float) -> bool:
    if recent is None:
        raise ValueError("a -m recent rule was reached (ClientIP session affinity): trace_chain needs the "
                         "node's RecentTable, e.g. recent=proxy.recent, now=<simulated seconds>")
    if match.mode == "set":
        recent.set(match.name, packet.src, now)
        return True
    return recent.check(match.name, packet.src, now, match.seconds, match.reap)


def rule_matches(rule: Rule, packet: Packet, mark: Optional[int] = None,
                 rng: Optional[random.Random] = None, recent: Optional[RecentTable] = None,
                 now: float = 0.0) -> bool:
    """Return True if every part of ``rule`` holds for ``packet``, checked in iptables order.

    ``mark`` is the packet's mark now, if a MARK target changed it during the
    walk. Matches are evaluated left to right and stop at the first that
    fails, so a ``--set`` after a failed match records nothing.

    Examples
    --------
    >>> rule = Rule("KUBE-SVC-X", "KUBE-MARK-MASQ", source="10.244.0.0/16", not_source=True)
    >>> rule_matches(rule, Packet("192.168.1.9", "10.96.0.10", 80))
    True
    >>> rule_matches(rule, Packet("10.244.1.5", "10.96.0.10", 80))
    False
    """
    return _rule_holds(rule, packet, packet.mark if mark is None else mark, _sampler(rng), recent, now)


def _rule_holds(rule: Rule, packet: Packet, mark: int, draw: Draw, recent: Optional[RecentTable],
                now: float) -> bool:
    if rule.source and _in(packet.src, rule.source) == rule.not_source:
        return False
    if rule.destination and _in(packet.dst, rule.destination) == rule.not_destination:
        return False
    if rule.protocol and rule.protocol != packet.protocol.lower():
        return False
    return all(_holds(m, packet, mark, draw, recent, now) for m in rule.matches)


def apply_xmark(mark: int, set_xmark: str) -> int:
    """Apply ``MARK --set-xmark value/mask``: clear the mask bits, then XOR the value.

    Examples
    --------
    >>> hex(apply_xmark(0x0, "0x4000/0x4000")), hex(apply_xmark(0x4000, "0x4000/0x0"))
    ('0x4000', '0x0')
    """
    value, mask = (int(part, 16) for part in set_xmark.split("/"))
    return (mark & ~mask) ^ value


def trace_chain(table: Table, chain: str, packet: Packet, rng: Optional[random.Random] = None,
                recent: Optional[RecentTable] = None, now: float = 0.0) -> Verdict:
    """Walk ``packet`` through ``table`` starting at ``chain``; return the ``Verdict``.

    Jumps push the current position on a stack, as the kernel does; RETURN
    or the end of a user chain pops it. A jump into KUBE-MARK-MASQ sets
    ``masquerade``. ``rng`` decides ``-m statistic`` matches
    (``rng.random() < p``), so a seeded ``random.Random`` makes traces
    reproducible; ``recent`` and ``now`` (simulated seconds) serve ``-m
    recent`` (pass ``KubeProxy.recent``, one table per node).

    Examples
    --------
    >>> from k8sedu.kube_proxy.tables import Chain
    >>> t = Table.build("filter", [Chain("FORWARD", (Rule("FORWARD", "KUBE-X"),), "ACCEPT"),
    ...                            Chain("KUBE-X", (Rule("KUBE-X", "REJECT", destination="10.96.0.5"),))])
    >>> trace_chain(t, "FORWARD", Packet("10.244.1.2", "10.96.0.5", 80)).target
    'REJECT'
    >>> trace_chain(t, "FORWARD", Packet("10.244.1.2", "10.96.0.6", 80)).target
    'ACCEPT'
    """
    return _walk(table, chain, packet, _sampler(rng), recent, now)


def _walk(table: Table, chain: str, packet: Packet, draw: Draw, recent: Optional[RecentTable],
          now: float) -> Verdict:
    """The one walker: ``draw`` decides each statistic match it reaches."""
    mark, masquerade, path = packet.mark, False, []
    stack = [(chain, 0)]
    while stack:
        name, i = stack.pop()
        rules = table.chain(name).rules
        while i < len(rules):
            rule = rules[i]
            i += 1
            if not _rule_holds(rule, packet, mark, draw, recent, now):
                continue
            path.append((name, rule))
            target = rule.target
            if target in TERMINAL_TARGETS:
                return Verdict(target, rule.to_destination, masquerade, tuple(path), mark)
            if target == "MARK":
                mark = apply_xmark(mark, rule.set_xmark)
            elif target == "RETURN":
                break
            elif target:  # a jump; a rule with no target only counts the packet
                _check_jump(table, rule, stack)
                masquerade = masquerade or target == KUBE_MARK_MASQ
                stack += [(name, i), (target, 0)]
                break
    policy = table.chain(chain).policy
    return Verdict("RETURN" if policy == "-" else policy, "", masquerade, tuple(path), mark)


def _check_jump(table: Table, rule: Rule, stack: list) -> None:
    if rule.target not in table.chains:
        raise KeyError(f"netfilter: rule jumps to unknown chain or target {rule.target!r}: {rule}")
    if len(stack) >= MAX_JUMP_DEPTH:
        raise RuntimeError(f"netfilter: jumps nested deeper than {MAX_JUMP_DEPTH} at {rule.chain}")


# ---------------------------------------------------------------- a connection through the hooks

@dataclass(frozen=True)
class Flow:
    """The first packet of a connection through one node's nat, then filter, table.

    ``filter_chain`` is the hook the filter table saw it at (INPUT, FORWARD
    or OUTPUT) and ``packet`` the packet as it saw it: after DNAT, with the
    mark the nat table set.
    """

    nat: Verdict
    filter: Verdict
    filter_chain: str
    packet: Packet

    @property
    def target(self) -> str:
        """The outcome: DROP or REJECT (filter), else DNAT (to an endpoint) or ACCEPT (untouched)."""
        if self.filter.target in ("DROP", "REJECT"):
            return self.filter.target
        return "DNAT" if self.nat.target == "DNAT" else self.filter.target

    @property
    def verdict(self) -> Verdict:
        """The table's verdict that decided the outcome: filter's if it dropped the connection, else nat's."""
        return self.filter if self.target in ("DROP", "REJECT") else self.nat

    @property
    def endpoint(self) -> str:
        """``"ip:port"`` the connection was DNATed to and allowed through, else ``""``."""
        return self.nat.to_destination if self.target == "DNAT" else ""

    @property
    def masquerade(self) -> bool:
        """True if POSTROUTING will SNAT the connection to the node's address."""
        return self.nat.masquerade


def trace_connection(nat: Table, filter_: Table, packet: Packet, rng: Optional[random.Random] = None,
                     recent: Optional[RecentTable] = None, now: float = 0.0,
                     local_ips: Iterable[str] = ()) -> Flow:
    """Trace a new connection through the hooks the kernel runs, in order.

    A packet from outside (``src_local`` false) meets nat PREROUTING, then
    filter INPUT if it is (still) for one of this node's addresses, else
    filter FORWARD. A packet the node sends (``src_local``) meets nat OUTPUT,
    then filter OUTPUT. After a DNAT the destination is the endpoint, local
    only if it is in ``local_ips`` (a hostNetwork endpoint).

    Examples
    --------
    >>> from k8sedu.kube_proxy.tables import Chain
    >>> nat = Table.build("nat", [Chain("PREROUTING", (Rule("PREROUTING", "DNAT", destination="10.96.0.5",
    ...                                                     to_destination="10.244.2.2:8080"),), "ACCEPT")])
    >>> flow = trace_connection(nat, Table.build("filter", []), Packet("10.244.1.2", "10.96.0.5", 80))
    >>> flow.target, flow.endpoint, flow.filter_chain
    ('DNAT', '10.244.2.2:8080', 'FORWARD')
    """
    return _connect(nat, filter_, packet, _sampler(rng), recent, now, frozenset(local_ips))


def _connect(nat: Table, filter_: Table, packet: Packet, draw: Draw, recent: Optional[RecentTable],
             now: float, local_ips: frozenset[str]) -> Flow:
    hook = "OUTPUT" if packet.src_local else "PREROUTING"
    nat_verdict = _walk(nat, hook, packet, draw, recent, now)
    after = replace(packet, mark=nat_verdict.mark)
    if nat_verdict.target == "DNAT":
        ip, port = nat_verdict.to_destination.rsplit(":", 1)
        after = replace(after, dst=ip, dport=int(port), dst_local=ip in local_ips)
    chain = "OUTPUT" if packet.src_local else ("INPUT" if after.dst_local else "FORWARD")
    return Flow(nat_verdict, _walk(filter_, chain, after, draw, recent, now), chain, after)


# ---------------------------------------------------------------- the exact walk: every branch, weighed

def chain_distribution(table: Table, chain: str, packet: Packet, recent: Optional[RecentTable] = None,
                       now: float = 0.0) -> dict[Verdict, float]:
    """Every verdict ``trace_chain`` can reach for ``packet``, with its exact probability.

    Each ``-m statistic`` match splits the walk in two, weighed with the
    kernel's probability (``kernel_probability``, the value ``trace_chain``
    compares its draw with); ``-m recent`` reads ``recent`` as it is now and
    writes nothing (each branch works on a copy). No random number is drawn.

    Examples
    --------
    >>> from k8sedu.kube_proxy.tables import Chain
    >>> from k8sedu.kube_proxy.matches import Statistic
    >>> ladder = (Rule("SVC", "DNAT", matches=(Statistic(0.5),), to_destination="10.244.1.2:80"),
    ...           Rule("SVC", "DNAT", to_destination="10.244.2.2:80"))
    >>> nat = Table.build("nat", [Chain("SVC", ladder)])
    >>> odds = chain_distribution(nat, "SVC", Packet("10.244.3.3", "10.96.0.5", 80))
    >>> sorted((v.to_destination, p) for v, p in odds.items())
    [('10.244.1.2:80', 0.5), ('10.244.2.2:80', 0.5)]
    """
    return _explore(lambda draw: _walk(table, chain, packet, draw, _copy(recent), now))


def connection_distribution(nat: Table, filter_: Table, packet: Packet, recent: Optional[RecentTable] = None,
                            now: float = 0.0, local_ips: Iterable[str] = ()) -> dict[Flow, float]:
    """Every ``Flow`` ``trace_connection`` can give one new connection, with its exact probability."""
    local = frozenset(local_ips)
    return _explore(lambda draw: _connect(nat, filter_, packet, draw, _copy(recent), now, local))


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


def _explore(walk: Callable[[Draw], T]) -> dict[T, float]:
    """Run ``walk`` once per combination of statistic outcomes; sum the probability of each result."""
    odds: dict[T, float] = {}
    pending: list[tuple[bool, ...]] = [()]
    while pending:
        branch = _Branch(pending.pop())
        result = walk(branch)
        odds[result] = odds.get(result, 0.0) + branch.probability
        pending += branch.alternatives
    return odds
