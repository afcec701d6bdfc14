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

The package follows that story: ``walk`` (one table), ``hooks`` (a
connection through nat then filter) and ``exact`` (every branch, weighed).
This interpreter reads the model's structured ``Rule`` objects
(``k8sedu.kube_proxy.iptables``), never their text, and records each rule
that matched, so a trace explains itself.
"""


from k8sedu.kube_proxy.matches import RecentTable
from k8sedu.netfilter.exact import chain_distribution, connection_distribution
from k8sedu.netfilter.hooks import Flow, trace_connection
from k8sedu.netfilter.walk import Packet, Verdict, apply_xmark, match_holds, rule_matches, trace_chain

__all__ = ["Packet", "Verdict", "Flow", "RecentTable", "trace_chain", "trace_connection", "chain_distribution",
           "connection_distribution", "rule_matches", "match_holds", "apply_xmark"]
