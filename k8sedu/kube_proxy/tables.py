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

import heapq
import ipaddress
import time
from bisect import bisect_left
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
        if len(self.rules) < INDEXED_CHAIN_RULES:
            return range(start, len(self.rules))
        if "_index" not in self.__dict__:
            self.__dict__["_index"] = _destination_index(self.rules)
        exact, other, merged = self.__dict__["_index"]
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
    """A table's chains, persistent: ``replace`` gives a new Chains and leaves this one as it was.

    What a kube-proxy's table holds instead of an ordered dict, so that a
    partial sync on a 10,000-Service node costs about what it costs on a
    3-Service one: a Chains is a shared *base* (a dict and its user chains'
    names, sorted; never changed once made) and a small *delta* of chains
    replaced, added or removed (``None``) since. Lookups read the delta, then
    the base; when the delta grows past about the square root of the base it
    is folded into a new base. Listing (iptables-save order: built-ins in
    hook order, then user chains sorted) is worked out when first asked.
    Read-only, like the ``MappingProxyType`` that ``Table.build`` makes.
    """

    __slots__ = ("_builtins", "_base", "_users", "_delta", "_order")

    def __init__(self, builtins: tuple[str, ...], base: dict[str, Chain], users: list[str],
                 delta: Optional[dict[str, Optional[Chain]]] = None):
        self._builtins, self._base, self._users, self._delta = builtins, base, users, delta or {}
        self._order: Optional[list[str]] = None

    @classmethod
    def of(cls, table: str, chains: Iterable[Chain] = ()) -> "Chains":
        """The chains of a ``table`` (its built-ins added, empty, where missing)."""
        builtins = BUILTIN_CHAINS[table]
        base = {b: Chain(b, policy="ACCEPT") for b in builtins}
        base.update((c.name, c) for c in chains)
        return cls(builtins, base, sorted(n for n in base if n not in builtins))

    def replace(self, changes: Mapping[str, Optional[Chain]]) -> "Chains":
        """These chains with ``changes`` applied (a name to ``None`` removes that chain)."""
        delta = {**self._delta, **changes}
        if len(delta) <= max(512, 8 * int(len(self._base) ** 0.5)):
            return Chains(self._builtins, self._base, self._users, delta)
        base = dict(self._base)
        for name, chain in delta.items():
            if chain is None:
                base.pop(name, None)
            else:
                base[name] = chain
        users = Chains(self._builtins, self._base, self._users, delta).order()[len(self._builtins):]
        return Chains(self._builtins, base, users)

    def __getitem__(self, name: str) -> Chain:
        chain = self._delta[name] if name in self._delta else self._base[name]
        if chain is None:
            raise KeyError(name)
        return chain

    def __contains__(self, name: object) -> bool:
        if name in self._delta:
            return self._delta[name] is not None
        return name in self._base

    def __iter__(self):
        return iter(self.order())

    def __len__(self) -> int:
        return len(self.order())

    def order(self) -> list[str]:
        """Built-ins in hook order, then the user chains sorted."""
        if self._order is None:
            gone = {n for n, c in self._delta.items() if c is None}
            new = sorted(n for n, c in self._delta.items()
                         if c is not None and n not in self._base and n not in self._builtins)
            users = [n for n in self._users if n not in gone] if gone else self._users
            merged = list(heapq.merge(users, new)) if new else list(users)
            self._order = list(self._builtins) + merged
        return self._order

    def values(self):
        return [self[name] for name in self.order()]

    def items(self):
        return [(name, self[name]) for name in self.order()]

    def __repr__(self) -> str:
        return f"Chains({self.order()!r})"


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

    def with_chains(self, changed: Iterable[Chain]) -> "Table":
        """This table with ``changed`` chains replacing (or joining) its own, in iptables-save order."""
        changes = {c.name: c for c in changed}
        if isinstance(self.chains, Chains):
            return Table(self.name, self.chains.replace(changes))
        return Table.build(self.name, list({**self.chains, **changes}.values()))

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
