"""The walker: one packet through the rules of one table, as ``ip_tables`` runs them.

Rules are tried top to bottom; the first whose every match holds fires its
target. A jump to a user chain pushes the position on a stack and comes back
on ``RETURN`` or at the end of that chain; ``MARK`` edits the mark and goes on;
``DNAT``, ``MASQUERADE``, ``ACCEPT``, ``DROP`` and ``REJECT`` end the walk;
falling off the built-in chain applies its policy. A ``-m statistic`` match is
decided by a ``Draw``: a sample from the caller's seeded random source here,
one branch of the exact walk in ``exact.py``.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional

from k8sedu.kube_proxy.names import KUBE_MARK_MASQ
from k8sedu.kube_proxy.matches import (
    AddrType, Comment, Conntrack, MarkMatch, Multiport, PortMatch, Recent, RecentTable, Statistic,
    kernel_probability,
)
from k8sedu.kube_proxy.tables import Rule, Table

TERMINAL_TARGETS = frozenset({"ACCEPT", "DROP", "REJECT", "DNAT", "SNAT", "MASQUERADE"})
MAX_JUMP_DEPTH = 32  # the kernel refuses rulesets that could loop; a deep stack here means a bug

Draw = Callable[[float], bool]
"""Decides one ``-m statistic`` match from the kernel's probability: a sample, or one branch of the exact walk."""


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


def sampler(rng: Optional[random.Random]) -> Draw:
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
    return _holds(match, packet, mark, sampler(rng), recent, now)


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
    if isinstance(match, Multiport):
        return packet.dport in match.dports
    raise TypeError(f"netfilter: unknown match {match!r}")


def _addrtype_holds(match: AddrType, packet: Packet) -> bool:
    for kind, wanted, is_local, negate in (("src", match.src_type, packet.src_local, False),
                                           ("dst", match.dst_type, packet.dst_local, match.dst_negate)):
        if wanted and wanted != "LOCAL":
            raise ValueError(f"addrtype --{kind}-type {wanted} is not modelled")
        if wanted and is_local == negate:
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
    return _rule_holds(rule, packet, packet.mark if mark is None else mark, sampler(rng), recent, now)


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
    return walk_chain(table, chain, packet, sampler(rng), recent, now)


def walk_chain(table: Table, chain: str, packet: Packet, draw: Draw, recent: Optional[RecentTable],
          now: float) -> Verdict:
    """The one walker: ``draw`` decides each statistic match it reaches."""
    mark, masquerade, path = packet.mark, False, []
    stack = [(chain, 0)]
    while stack:
        name, start = stack.pop()
        current = table.chain(name)
        rules = current.rules
        for i in current.positions(packet.dst, start):  # every rule from start that could match, in order
            rule = rules[i]
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
                stack += [(name, i + 1), (target, 0)]
                break
    policy = table.chain(chain).policy
    return Verdict("RETURN" if policy == "-" else policy, "", masquerade, tuple(path), mark)


def _check_jump(table: Table, rule: Rule, stack: list) -> None:
    if rule.target not in table.chains:
        raise KeyError(f"netfilter: rule jumps to unknown chain or target {rule.target!r}: {rule}")
    if len(stack) >= MAX_JUMP_DEPTH:
        raise RuntimeError(f"netfilter: jumps nested deeper than {MAX_JUMP_DEPTH} at {rule.chain}")
