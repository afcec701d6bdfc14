"""The iptables data model: rules, chains and tables, printed as ``iptables-save`` prints them.

kube-proxy writes text for ``iptables-restore``; the kernel parses it into
binary rules; ``iptables-save`` prints those back in a normalised form. The
model keeps rules as data (``Rule``, ``Chain``, ``Table``, and one small
dataclass per ``-m`` match, in ``matches.py``) so that ``k8sedu.netfilter`` can interpret them,
and ``Rule.to_text()`` prints the *normalised* form, exactly what a real
``iptables-save`` (v1.8.9) prints after a round trip through the kernel:
``-s``/``-d`` first with a prefix length, then ``-p``, then the matches in
the order they were written, ``--or-mark`` as ``--set-xmark``,
probabilities with 11 decimals, ``-m recent`` with its default ``--mask``
and ``--rsource``. ``tests/test_iptables_restore.py`` checks this against
the real binaries.

Nothing here knows about Services; the kube-proxy specifics live in
``names.py``, ``rules.py``, ``external.py`` and ``iptables.py``.
"""

from __future__ import annotations

import ipaddress
import time
from bisect import bisect_left, insort
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Mapping, Optional, Sequence

from k8sedu.kube_proxy.matches import Comment, Match

BUILTIN_CHAINS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
})

IPTABLES_VERSION = "v1.8.9 (nf_tables)"


def save_date(seconds: float = 0.0) -> str:
    """Return ``seconds`` since the epoch (UTC) in the ``ctime`` form iptables-save prints.

    Examples
    --------
    >>> save_date(0)
    'Thu Jan  1 00:00:00 1970'
    """
    t = time.gmtime(seconds)
    return time.strftime("%a %b ", t) + f"{t.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", t)


# ---------------------------------------------------------------- rules, chains, tables

def _cidr(address: str) -> str:
    if "/" not in address:
        return address + "/32"
    return str(ipaddress.ip_network(address, strict=False))


def or_mark(bits: int) -> str:
    """Return ``--or-mark bits`` in iptables-save's ``--set-xmark value/mask`` form."""
    return f"{bits:#x}/{bits:#x}"


def xor_mark(bits: int) -> str:
    """Return ``--xor-mark bits`` in iptables-save's ``--set-xmark value/mask`` form."""
    return f"{bits:#x}/0x0"


@dataclass(frozen=True)
class Rule:
    """One ``-A CHAIN ... [-j TARGET]`` line, as structured fields.

    ``target`` is a chain name, one of ACCEPT, DROP, REJECT, RETURN, DNAT,
    MARK, MASQUERADE, or ``""`` for a rule with no ``-j`` at all (it only
    counts packets; kube-proxy uses one as a comment at the end of
    KUBE-FW chains). The target options are ``to_destination`` (DNAT),
    ``set_xmark`` (MARK, already in ``value/mask`` form) and ``random_fully``
    (MASQUERADE); a REJECT prints its default ``--reject-with``.

    Examples
    --------
    >>> from k8sedu.kube_proxy.matches import Comment
    >>> print(Rule("KUBE-SEP-X", "KUBE-MARK-MASQ", source="10.244.1.2",
    ...            matches=(Comment("default/web"),)))
    -A KUBE-SEP-X -s 10.244.1.2/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ
    """

    chain: str
    target: str
    source: str = ""
    not_source: bool = False
    destination: str = ""
    not_destination: bool = False
    protocol: str = ""
    matches: tuple[Match, ...] = ()
    to_destination: str = ""
    set_xmark: str = ""
    random_fully: bool = False

    @property
    def comment(self) -> str:
        """The text of the rule's ``-m comment`` match, or ``""`` (kube-proxy names the Service there)."""
        return next((m.text for m in self.matches if isinstance(m, Comment)), "")

    def to_text(self) -> str:
        """Return the rule as iptables-save prints it (worked out once per rule: a save prints every rule, and
        a sync re-renders only the Services that changed)."""
        text = self.__dict__.get("_text")
        if text is None:
            text = self.__dict__["_text"] = self._render_text()
        return text

    def _render_text(self) -> str:
        parts = ["-A", self.chain]
        if self.source:
            parts += ["! -s" if self.not_source else "-s", _cidr(self.source)]
        if self.destination:
            parts += ["! -d" if self.not_destination else "-d", _cidr(self.destination)]
        if self.protocol:
            parts += ["-p", self.protocol]
        parts += [m.args() for m in self.matches]
        if self.target:
            parts += ["-j", self.target]
        parts += self._target_args()
        return " ".join(parts)

    def _target_args(self) -> list[str]:
        if self.target == "DNAT":
            return ["--to-destination", self.to_destination]
        if self.target == "MARK":
            return ["--set-xmark", self.set_xmark]
        if self.target == "MASQUERADE" and self.random_fully:
            return ["--random-fully"]
        if self.target == "REJECT":
            return ["--reject-with", "icmp-port-unreachable"]
        return []

    def __str__(self) -> str:
        return self.to_text()


INDEXED_CHAIN_RULES = 32  # chains this long get a destination index (KUBE-SERVICES has one rule per service port)


@dataclass(frozen=True)
class Chain:
    """A chain: its rules in order, and a policy (built-in chains only; ``-`` otherwise)."""

    name: str
    rules: tuple[Rule, ...] = ()
    policy: str = "-"

    def saved(self) -> tuple[str, str]:
        """The chain's ``:NAME POLICY [0:0]`` line and its rules' lines, as iptables-save prints them; worked
        out once per chain, so saving a table again after a partial sync prints only the new chains anew."""
        saved = self.__dict__.get("_saved")
        if saved is None:
            saved = self.__dict__["_saved"] = (f":{self.name} {self.policy} [0:0]",
                                               "\n".join(rule.to_text() for rule in self.rules))
        return saved

    def positions(self, dst: str, start: int = 0) -> Sequence[int]:
        """The positions from ``start`` of the rules a packet to ``dst`` can match, in order.

        A rule with ``-d <one address>`` cannot match a packet to another
        address, and the walker checks ``-d`` before any match that has a
        side effect (a ``-m statistic`` draw, a ``-m recent --set``), so
        skipping it changes nothing but the time. Long chains keep an index
        of such rules by address; this is what lets a packet through
        KUBE-SERVICES cost the same with 10 or 10,000 Services.

        Examples
        --------
        >>> rules = tuple(Rule("KUBE-SERVICES", f"KUBE-SVC-{i}", destination=f"10.96.0.{i}/32") for i in range(40))
        >>> chain = Chain("KUBE-SERVICES", rules + (Rule("KUBE-SERVICES", "KUBE-NODEPORTS"),))
        >>> list(chain.positions("10.96.0.7")), list(chain.positions("10.96.0.7", start=8))
        ([7, 40], [40])
        """
        index = self.__dict__.get("_index") if len(self.rules) >= INDEXED_CHAIN_RULES else None
        if index is None:
            if len(self.rules) < INDEXED_CHAIN_RULES:
                return range(start, len(self.rules))
            index = self.__dict__["_index"] = _destination_index(self.rules)
        exact, other, merged = index
        found = merged.get(dst)
        if found is None:
            host = _host(dst)
            if not host:  # not an address: walk every rule (the -d checks will say what is wrong)
                return range(start, len(self.rules))
            if len(merged) > 1024:
                merged.clear()
            found = merged[dst] = sorted(other + exact.get(host, []))
        return found[bisect_left(found, start):] if start else found


def _host(address: str) -> str:
    """The canonical text of one address (``''`` if it is not one)."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


def _destination_index(rules: tuple[Rule, ...]) -> tuple[dict[str, list[int]], list[int], dict[str, list[int]]]:
    """(address -> positions of the rules with ``-d`` that one address; positions of every other rule; a memo)."""
    exact: dict[str, list[int]] = {}
    other: list[int] = []
    for i, rule in enumerate(rules):
        address = rule.destination[:-3] if rule.destination.endswith("/32") else rule.destination
        host = _host(address) if address and not rule.not_destination and "/" not in address else ""
        if host:
            exact.setdefault(host, []).append(i)
        else:
            other.append(i)
    return exact, other, {}


class Chains(Mapping[str, Chain]):
    """A table's chains: looked up in a dict, listed in a given order (built-ins, then user chains sorted).

    What ``Table.from_sorted`` holds instead of an ordered dict, so that
    building it copies two C arrays instead of running a Python loop over
    tens of thousands of chains. Read-only, like the ``MappingProxyType``
    ``Table.build`` makes.
    """

    __slots__ = ("_by_name", "_order")

    def __init__(self, by_name: dict[str, Chain], order: list[str]):
        self._by_name, self._order = by_name, order

    def __getitem__(self, name: str) -> Chain:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def values(self):
        return list(map(self._by_name.__getitem__, self._order))

    def items(self):
        return list(zip(self._order, self.values()))

    def copy_dict(self) -> dict[str, Chain]:
        return dict(self._by_name)

    def order(self) -> list[str]:
        return list(self._order)

    def __repr__(self) -> str:
        return f"Chains({self._order!r})"


@dataclass(frozen=True)
class Table:
    """One netfilter table (``mangle``, ``nat`` or ``filter``): chains by name, in iptables-save order.

    Build one with ``Table.build``: built-in chains come first in hook order,
    then user chains sorted by name, as iptables-save lists them.
    """

    name: str
    chains: Mapping[str, Chain]

    @classmethod
    def build(cls, name: str, chains: Iterable[Chain]) -> "Table":
        """Return a table holding ``chains``, adding any missing built-in chain."""
        by_name = {c.name: c for c in chains}
        builtins = BUILTIN_CHAINS[name]
        ordered = {b: by_name.pop(b, Chain(b, policy="ACCEPT")) for b in builtins}
        ordered.update((n, by_name[n]) for n in sorted(by_name))
        return cls(name, MappingProxyType(ordered))

    @classmethod
    def from_sorted(cls, name: str, by_name: dict[str, Chain], user_chains: list[str]) -> "Table":
        """The table ``build`` would give, from chains by name (the dict becomes the table's: pass a copy) and
        the user chains' names already sorted: no sort and no loop in Python, so a kube-proxy that keeps its
        chains sorted assembles a 10,000-Service table in about a millisecond."""
        for b in BUILTIN_CHAINS[name]:
            by_name.setdefault(b, Chain(b, policy="ACCEPT"))
        return cls(name, Chains(by_name, list(BUILTIN_CHAINS[name]) + user_chains))

    def with_chains(self, changed: Iterable[Chain]) -> "Table":
        """This table with ``changed`` chains replacing (or joining) its own, in iptables-save order."""
        changed = {c.name: c for c in changed}
        if not isinstance(self.chains, Chains):
            return Table.build(self.name, list({**self.chains, **changed}.values()))
        by_name = self.chains.copy_dict()
        builtins = BUILTIN_CHAINS[self.name]
        user = self.chains.order()[len(builtins):]
        for chain_name in changed:
            if chain_name not in by_name and chain_name not in builtins:
                insort(user, chain_name)
        by_name.update(changed)
        return Table(self.name, Chains(by_name, list(builtins) + user))

    def chain(self, name: str) -> Chain:
        """Return the chain called ``name``; raise KeyError naming the table if missing."""
        try:
            return self.chains[name]
        except KeyError:
            raise KeyError(f"iptables: chain {name!r} does not exist in table {self.name!r}") from None

    def rules(self) -> Iterable[Rule]:
        """Yield every rule, chain by chain."""
        for chain in self.chains.values():
            yield from chain.rules

    def to_iptables_save(self, date: Optional[str] = None) -> str:
        """Return the table as ``iptables-save -t <name>`` prints it.

        With ``date`` the ``# Generated by`` / ``# Completed on`` lines are included.

        Examples
        --------
        >>> print(Table.build("filter", [Chain("KUBE-FORWARD")]).to_iptables_save(), end="")
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :KUBE-FORWARD - [0:0]
        COMMIT
        """
        lines = [f"# Generated by iptables-save {IPTABLES_VERSION} on {date}"] if date else []
        lines.append(f"*{self.name}")
        saved = [c.saved() for c in self.chains.values()]
        lines += [header for header, _ in saved]
        lines += [rules for _, rules in saved if rules]
        lines.append("COMMIT")
        if date:
            lines.append(f"# Completed on {date}")
        return "\n".join(lines) + "\n"


def iptables_save(nat: Table, filter_: Table, date: Optional[str] = None, mangle: Optional[Table] = None) -> str:
    """Return the tables as ``iptables-save`` prints them: mangle (if given), then filter, then nat.

    That is the real binary's order (v1.8.9, nft and legacy alike, whatever
    order the tables were loaded in; ``tests/test_iptables_restore.py`` checks it).

    Examples
    --------
    >>> text = iptables_save(Table.build("nat", []), Table.build("filter", []), mangle=Table.build("mangle", []))
    >>> [line for line in text.splitlines() if line.startswith("*")]
    ['*mangle', '*filter', '*nat']
    """
    first = mangle.to_iptables_save(date) if mangle is not None else ""
    return first + filter_.to_iptables_save(date) + nat.to_iptables_save(date)
