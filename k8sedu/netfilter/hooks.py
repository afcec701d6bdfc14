"""A new connection through one node's hooks: nat, then filter, as the kernel runs them for its first packet.

A packet that arrives (from a pod or the wire) meets nat PREROUTING, then
filter INPUT if it is (still) for one of the node's own addresses, else filter
FORWARD; a packet the node sends itself meets nat OUTPUT, then filter OUTPUT.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Iterable, Optional

from k8sedu.kube_proxy.matches import RecentTable
from k8sedu.kube_proxy.tables import Table
from k8sedu.netfilter.walk import Draw, Packet, Verdict, sampler, walk_chain

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
    >>> from k8sedu.kube_proxy.tables import Chain, Rule
    >>> nat = Table.build("nat", [Chain("PREROUTING", (Rule("PREROUTING", "DNAT", destination="10.96.0.5",
    ...                                                     to_destination="10.244.2.2:8080"),), "ACCEPT")])
    >>> flow = trace_connection(nat, Table.build("filter", []), Packet("10.244.1.2", "10.96.0.5", 80))
    >>> flow.target, flow.endpoint, flow.filter_chain
    ('DNAT', '10.244.2.2:8080', 'FORWARD')
    """
    return connect(nat, filter_, packet, sampler(rng), recent, now, frozenset(local_ips))


def connect(nat: Table, filter_: Table, packet: Packet, draw: Draw, recent: Optional[RecentTable],
             now: float, local_ips: frozenset[str]) -> Flow:
    hook = "OUTPUT" if packet.src_local else "PREROUTING"
    nat_verdict = walk_chain(nat, hook, packet, draw, recent, now)
    after = replace(packet, mark=nat_verdict.mark)
    if nat_verdict.target == "DNAT":
        ip, port = nat_verdict.to_destination.rsplit(":", 1)
        after = replace(after, dst=ip, dport=int(port), dst_local=ip in local_ips)
    chain = "OUTPUT" if packet.src_local else ("INPUT" if after.dst_local else "FORWARD")
    return Flow(nat_verdict, walk_chain(filter_, chain, after, draw, recent, now), chain, after)
