"""kube-proxy's rules as last written, kept ready to be read as whole tables.

A partial sync re-renders only the service ports that changed
(``KubeProxy.sync``); reading the result as a table (a packet's walk,
``iptables-save``) should cost about the same on a 10-Service and a
10,000-Service cluster, as the kernel's tables do. So this keeps, in the
listing order: each port's share of every shared chain (KUBE-SERVICES,
KUBE-NODEPORTS...), and every chain a port owns (KUBE-SVC/SEP/EXT/FW/SVL-*)
by name with the names sorted. Assembling a table is then a few copies of
C arrays. ``assemble_nat_table``/``assemble_filter_table`` stay the
from-scratch reference (tests compare the two).
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import chain as concat
from typing import Any, Optional

from k8sedu.kube_proxy.iptables import (
    SHARED_FILTER_CHAINS, SHARED_NAT_CHAINS, ServicePortRules, frame_chains, shared_chain,
)
from k8sedu.kube_proxy.tables import Chain, Chains, Rule, Table


class RuleSet:
    """Every service port's rules, in listing order (``key``: the port's sort key and name)."""

    def __init__(self) -> None:
        self._keys: list[Any] = []
        self._ports: dict[Any, ServicePortRules] = {}
        # each port's share of each shared chain, aligned with _keys
        self._nat: dict[str, list[tuple[Rule, ...]]] = {c: [] for c in SHARED_NAT_CHAINS}
        self._filter: dict[str, list[tuple[Rule, ...]]] = {c: [] for c in SHARED_FILTER_CHAINS}
        self._owned = Chains.of("nat")  # the ports' own nat chains by name (persistent: tables share them)
        self._built: dict[tuple[str, str], Chain] = {}  # (table, shared chain) -> as assembled, until a share changes

    def put(self, key: Any, rules: ServicePortRules) -> None:
        """Set (or replace) the rules of one port."""
        i = bisect_left(self._keys, key)
        old = self._ports.get(key)
        if old is None:
            self._keys.insert(i, key)
        self._ports[key] = rules
        for table, shares, written in (("nat", self._nat, rules.nat_rules),
                                       ("filter", self._filter, rules.filter_rules)):
            for name, share in _split(written, tuple(shares)).items():
                if old is None:
                    shares[name].insert(i, share)
                    changed = bool(share)
                else:
                    changed = shares[name][i] != share
                    shares[name][i] = share
                if changed:
                    self._built.pop((table, name), None)
        changes: dict[str, Optional[Chain]] = {c.name: None for c in old.nat_chains} if old is not None else {}
        changes.update((c.name, c) for c in rules.nat_chains)
        self._owned = self._owned.replace(changes)

    def remove(self, key: Any) -> None:
        """Drop one port's rules."""
        old = self._ports.pop(key)
        i = bisect_left(self._keys, key)
        del self._keys[i]
        for table, all_shares in (("nat", self._nat), ("filter", self._filter)):
            for name, shares in all_shares.items():
                if shares.pop(i):
                    self._built.pop((table, name), None)
        self._disown(old)

    def _disown(self, rules: ServicePortRules) -> None:
        self._owned = self._owned.replace({c.name: None for c in rules.nat_chains})

    def ports(self) -> list[ServicePortRules]:
        return [self._ports[k] for k in self._keys]

    def nat_table(self) -> Table:
        """``assemble_nat_table(self.ports())``, from the kept pieces."""
        frame = frame_chains("nat", [self._shared_chain("nat", name) for name in self._nat])
        return Table("nat", self._owned.replace({c.name: c for c in frame}))

    def filter_table(self) -> Table:
        """``assemble_filter_table(self.ports())``, from the kept pieces (filter has no per-port chains)."""
        return Table.build("filter", frame_chains("filter", [self._shared_chain("filter", name)
                                                             for name in self._filter]))

    def _shared_chain(self, table: str, name: str) -> Chain:
        """A shared chain, assembled again only when a port's share of it changed, so a chain of 10,000 rules
        (and its destination index) outlives the syncs that leave it be."""
        chain = self._built.get((table, name))
        if chain is None:
            shares = (self._nat if table == "nat" else self._filter)[name]
            chain = self._built[(table, name)] = shared_chain(table, name, tuple(concat.from_iterable(shares)))
        return chain


def _split(rules: tuple[Rule, ...], chains: tuple[str, ...]) -> dict[str, tuple[Rule, ...]]:
    """One port's rules by the shared chain they go in (each chain's share in the port's order)."""
    shares: dict[str, list[Rule]] = {name: [] for name in chains}
    for rule in rules:
        shares[rule.chain].append(rule)
    return {name: tuple(share) for name, share in shares.items()}
