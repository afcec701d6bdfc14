"""A tiny netfilter: walk a packet through the rules of one table.

Mirrors what the Linux kernel's ``ip_tables`` does with the tables
``iptables-restore`` loads, in the spirit of kube-proxy's own test tracer
(k/k ``pkg/proxy/iptables/proxier_test.go``, ``tracePacket``). The mental
model: a hook (PREROUTING, FORWARD, ...) hands the packet to a built-in
chain; rules are tried top to bottom; the first rule whose every match holds
fires its target. A target that names another chain is a *jump*: the walk
continues there and comes back (to the rule after the jump) on ``RETURN`` or
at the end of that chain. ``MARK`` edits the packet's mark and the walk goes
on; ``DNAT``, ``MASQUERADE``, ``ACCEPT``, ``DROP`` and ``REJECT`` end it.
Falling off the end of the built-in chain applies its policy.

This interpreter reads the model's structured ``Rule`` objects
(``k8sedu.kube_proxy.iptables``), never their text, and records each rule
that matched, so a trace explains itself.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from k8sedu.kube_proxy.iptables import (
    KUBE_MARK_MASQ, AddrType, Comment, Conntrack, MarkMatch, PortMatch, Rule, Statistic, Table,
    kernel_probability,
)

TERMINAL_TARGETS = frozenset({"ACCEPT", "DROP", "REJECT", "DNAT", "SNAT", "MASQUERADE"})
MAX_JUMP_DEPTH = 32  # the kernel refuses rulesets that could loop; a deep stack here means a bug


@dataclass(frozen=True)
class Packet:
    """The first packet of a connection, as the rules see it.

    ``dst_local`` answers ``-m addrtype --dst-type LOCAL`` (is ``dst`` one of
    this node's own addresses?); ``ctstate`` is the conntrack state (a new
    connection is ``NEW``); ``mark`` is the packet's fwmark.
    """

    src: str
    dst: str
    dport: int
    protocol: str = "tcp"
    dst_local: bool = False
    mark: int = 0
    ctstate: str = "NEW"


@dataclass(frozen=True)
class Verdict:
    """Where a packet's walk through a table ended.

    ``target`` is the terminating target (DNAT, ACCEPT, DROP, REJECT,
    MASQUERADE), or the chain's policy if the packet fell off the end of the
    built-in chain it started in (``RETURN`` if it started in a user chain).
    ``path`` lists every rule that matched, in order, as ``(chain, rule text)``.
    """

    target: str
    to_destination: str = ""
    masquerade: bool = False
    path: tuple[tuple[str, str], ...] = ()


@lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(cidr, strict=False)


def _in(ip: str, cidr: str) -> bool:
    return ipaddress.ip_address(ip) in _network(cidr)


def match_holds(match, packet: Packet, mark: int, rng: Optional[random.Random]) -> bool:
    """Return True if one ``-m`` match holds for ``packet`` (whose mark is now ``mark``)."""
    if isinstance(match, Comment):
        return True
    if isinstance(match, PortMatch):
        return match.protocol == packet.protocol.lower() and match.dport in (0, packet.dport)
    if isinstance(match, Statistic):
        if rng is None:
            raise ValueError("a -m statistic rule was reached: trace_chain needs an rng")
        return rng.random() < kernel_probability(match.probability)
    if isinstance(match, AddrType):
        if match.dst_type != "LOCAL":
            raise ValueError(f"addrtype --dst-type {match.dst_type} is not modelled")
        return packet.dst_local
    if isinstance(match, MarkMatch):
        return ((mark & match.mask) == match.value) != match.negate
    if isinstance(match, Conntrack):
        return (packet.ctstate in match.states) != match.negate
    raise TypeError(f"netfilter: unknown match {match!r}")


def rule_matches(rule: Rule, packet: Packet, mark: Optional[int] = None,
                 rng: Optional[random.Random] = None) -> bool:
    """Return True if every part of ``rule`` holds for ``packet``, checked in iptables order.

    ``mark`` is the packet's mark now, if a MARK target changed it during the walk.

    Examples
    --------
    >>> rule = Rule("KUBE-SVC-X", "KUBE-MARK-MASQ", source="10.244.0.0/16", not_source=True)
    >>> rule_matches(rule, Packet("192.168.1.9", "10.96.0.10", 80))
    True
    >>> rule_matches(rule, Packet("10.244.1.5", "10.96.0.10", 80))
    False
    """
    if rule.source and _in(packet.src, rule.source) == rule.not_source:
        return False
    if rule.destination and _in(packet.dst, rule.destination) == rule.not_destination:
        return False
    if rule.protocol and rule.protocol != packet.protocol.lower():
        return False
    mark = packet.mark if mark is None else mark
    return all(match_holds(m, packet, mark, rng) for m in rule.matches)


def apply_xmark(mark: int, set_xmark: str) -> int:
    """Apply ``MARK --set-xmark value/mask``: clear the mask bits, then XOR the value.

    Examples
    --------
    >>> hex(apply_xmark(0x0, "0x4000/0x4000")), hex(apply_xmark(0x4000, "0x4000/0x0"))
    ('0x4000', '0x0')
    """
    value, mask = (int(part, 16) for part in set_xmark.split("/"))
    return (mark & ~mask) ^ value


def trace_chain(table: Table, chain: str, packet: Packet, rng: Optional[random.Random] = None) -> Verdict:
    """Walk ``packet`` through ``table`` starting at ``chain``; return the ``Verdict``.

    Jumps push the current position on a stack, as the kernel does; RETURN
    or the end of a user chain pops it. A jump into KUBE-MARK-MASQ sets
    ``masquerade``. ``rng`` decides ``-m statistic`` matches
    (``rng.random() < p``), so a seeded ``random.Random`` makes traces
    reproducible.

    Examples
    --------
    >>> from k8sedu.kube_proxy.iptables import Chain
    >>> t = Table.build("filter", [Chain("FORWARD", (Rule("FORWARD", "KUBE-X"),), "ACCEPT"),
    ...                            Chain("KUBE-X", (Rule("KUBE-X", "REJECT", destination="10.96.0.5"),))])
    >>> trace_chain(t, "FORWARD", Packet("10.244.1.2", "10.96.0.5", 80)).target
    'REJECT'
    >>> trace_chain(t, "FORWARD", Packet("10.244.1.2", "10.96.0.6", 80)).target
    'ACCEPT'
    """
    mark, masquerade, path = packet.mark, False, []
    stack = [(chain, 0)]
    while stack:
        name, i = stack.pop()
        rules = table.chain(name).rules
        while i < len(rules):
            rule = rules[i]
            i += 1
            if not rule_matches(rule, packet, mark, rng):
                continue
            path.append((name, rule.to_text()))
            target = rule.target
            if target in TERMINAL_TARGETS:
                return Verdict(target, rule.to_destination, masquerade, tuple(path))
            if target == "MARK":
                mark = apply_xmark(mark, rule.set_xmark)
            elif target == "RETURN":
                break
            elif target in table.chains:
                if len(stack) >= MAX_JUMP_DEPTH:
                    raise RuntimeError(f"netfilter: jumps nested deeper than {MAX_JUMP_DEPTH} at {name}")
                masquerade = masquerade or target == KUBE_MARK_MASQ
                stack += [(name, i), (target, 0)]
                break
            else:
                raise KeyError(f"netfilter: rule jumps to unknown chain or target {target!r}: {rule}")
    policy = table.chain(chain).policy
    return Verdict("RETURN" if policy == "-" else policy, "", masquerade, tuple(path))
