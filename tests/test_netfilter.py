"""The netfilter interpreter: matches, jumps, returns and verdicts on hand-built tables."""

from __future__ import annotations

import random

import pytest

from k8sedu.kube_proxy.matches import (
    AddrType, Comment, Conntrack, MarkMatch, PortMatch, Recent, RecentTable, Statistic,
)
from k8sedu.kube_proxy.tables import Chain, Rule, Table, or_mark
from k8sedu.kube_proxy.matches import kernel_probability
from k8sedu.netfilter import (
    Packet, apply_xmark, chain_distribution, connection_distribution, rule_matches, trace_chain, trace_connection,
)


class FixedRandom:
    """An rng whose random() returns preset values, to force statistic matches."""

    def __init__(self, *values: float):
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


POD = Packet("10.244.1.5", "10.96.0.10", 80)


@pytest.mark.parametrize("case, rule, packet, expected", [
    ("source in CIDR", Rule("C", "ACCEPT", source="10.244.0.0/16"), POD, True),
    ("source outside CIDR", Rule("C", "ACCEPT", source="10.245.0.0/16"), POD, False),
    ("negated source", Rule("C", "ACCEPT", source="10.244.0.0/16", not_source=True), POD, False),
    ("negated source, outsider", Rule("C", "ACCEPT", source="10.244.0.0/16", not_source=True),
     Packet("192.168.1.1", "10.96.0.10", 80), True),
    ("bare IP is a /32", Rule("C", "ACCEPT", destination="10.96.0.10"), POD, True),
    ("other destination", Rule("C", "ACCEPT", destination="10.96.0.11"), POD, False),
    ("negated destination", Rule("C", "ACCEPT", destination="10.96.0.11", not_destination=True), POD, True),
    ("protocol", Rule("C", "ACCEPT", protocol="tcp"), POD, True),
    ("other protocol", Rule("C", "ACCEPT", protocol="udp"), POD, False),
    ("protocol is case-insensitive on the packet", Rule("C", "ACCEPT", protocol="tcp"),
     Packet("10.244.1.5", "10.96.0.10", 80, "TCP"), True),
    ("dport", Rule("C", "ACCEPT", protocol="tcp", matches=(PortMatch("tcp", 80),)), POD, True),
    ("other dport", Rule("C", "ACCEPT", protocol="tcp", matches=(PortMatch("tcp", 443),)), POD, False),
    ("-m tcp without port", Rule("C", "ACCEPT", protocol="tcp", matches=(PortMatch("tcp"),)), POD, True),
    ("comment always matches", Rule("C", "ACCEPT", matches=(Comment("x"),)), POD, True),
    ("addrtype LOCAL, remote dst", Rule("C", "ACCEPT", matches=(AddrType("LOCAL"),)), POD, False),
    ("addrtype LOCAL, node dst", Rule("C", "ACCEPT", matches=(AddrType("LOCAL"),)),
     Packet("10.244.1.5", "172.18.0.2", 30080, dst_local=True), True),
    ("addrtype src LOCAL, pod src", Rule("C", "ACCEPT", matches=(AddrType(dst_type="", src_type="LOCAL"),)),
     POD, False),
    ("addrtype src LOCAL, node src", Rule("C", "ACCEPT", matches=(AddrType(dst_type="", src_type="LOCAL"),)),
     Packet("172.18.0.2", "10.96.0.10", 80, src_local=True), True),
    ("addrtype src LOCAL ignores dst_local", Rule("C", "ACCEPT", matches=(AddrType(dst_type="", src_type="LOCAL"),)),
     Packet("10.244.1.5", "172.18.0.2", 30080, dst_local=True), False),
    ("pod CIDR source (local-traffic detector)", Rule("C", "ACCEPT", source="10.244.0.0/16"),
     Packet("10.244.200.7", "192.168.8.8", 80), True),
    ("mark set", Rule("C", "ACCEPT", matches=(MarkMatch(0x4000, 0x4000),)),
     Packet("10.244.1.5", "10.96.0.10", 80, mark=0x4001), True),
    ("mark not set, negated", Rule("C", "ACCEPT", matches=(MarkMatch(0x4000, 0x4000, negate=True),)), POD, True),
    ("ctstate NEW", Rule("C", "ACCEPT", matches=(Conntrack(("NEW",)),)), POD, True),
    ("ctstate ESTABLISHED", Rule("C", "ACCEPT", matches=(Conntrack(("RELATED", "ESTABLISHED")),)), POD, False),
    ("negated ctstate", Rule("C", "ACCEPT", matches=(Conntrack(("RELATED", "ESTABLISHED"), negate=True),)), POD, True),
])
def test_rule_matches(case, rule, packet, expected):
    assert rule_matches(rule, packet) is expected, case


@pytest.mark.parametrize("draw, matched", [(0.49, True), (0.5, False), (0.99, False)])
def test_statistic_matches_when_rng_draw_is_below_probability(draw, matched):
    rule = Rule("C", "ACCEPT", matches=(Statistic(0.5),))
    assert rule_matches(rule, POD, rng=FixedRandom(draw)) is matched


def test_statistic_uses_the_kernels_rounded_probability():
    # 0.3333333333 becomes 715827883 / 2**31 = 0.33333333348855...
    rule = Rule("C", "ACCEPT", matches=(Statistic(0.3333333333),))
    assert rule_matches(rule, POD, rng=FixedRandom(0.33333333340))
    assert not rule_matches(rule, POD, rng=FixedRandom(0.33333333350))


def test_statistic_without_rng_is_an_error():
    with pytest.raises(ValueError, match="needs an rng"):
        rule_matches(Rule("C", "ACCEPT", matches=(Statistic(0.5),)), POD)


def test_later_matches_are_not_evaluated_after_a_failed_one():
    rule = Rule("C", "ACCEPT", destination="10.0.0.1", matches=(Statistic(0.5),))
    assert not rule_matches(rule, POD, rng=FixedRandom())  # no draw consumed


@pytest.mark.parametrize("mark, xmark, result", [
    (0x0, or_mark(0x4000), 0x4000),
    (0x1, or_mark(0x4000), 0x4001),
    (0x4001, "0x4000/0x0", 0x1),          # --xor-mark
    (0xffff, "0x10/0xff", 0xff10),        # --set-xmark clears the mask, then XORs
])
def test_mark_target_arithmetic(mark, xmark, result):
    assert apply_xmark(mark, xmark) == result


# ---------------------------------------------------------------- walking chains

def table(*chains: Chain, name: str = "nat") -> Table:
    return Table.build(name, chains)


def rules(chain: str, *specs: dict) -> Chain:
    return Chain(chain, tuple(Rule(chain, **spec) for spec in specs))


NAT = table(
    Chain("PREROUTING", (Rule("PREROUTING", "KUBE-SERVICES"),), "ACCEPT"),
    rules("KUBE-SERVICES",
          dict(target="KUBE-SVC-A", destination="10.96.0.10", protocol="tcp", matches=(PortMatch("tcp", 80),)),
          dict(target="KUBE-NODEPORTS", matches=(AddrType("LOCAL"),))),
    rules("KUBE-SVC-A",
          dict(target="KUBE-MARK-MASQ", source="10.244.0.0/16", not_source=True),
          dict(target="KUBE-SEP-1", matches=(Statistic(0.5),)),
          dict(target="KUBE-SEP-2")),
    rules("KUBE-SEP-1", dict(target="KUBE-MARK-MASQ", source="10.244.1.2"),
          dict(target="DNAT", protocol="tcp", to_destination="10.244.1.2:8080")),
    rules("KUBE-SEP-2", dict(target="DNAT", protocol="tcp", to_destination="10.244.2.2:8080")),
    rules("KUBE-MARK-MASQ", dict(target="MARK", set_xmark=or_mark(0x4000))),
    rules("KUBE-NODEPORTS"),
)


@pytest.mark.parametrize("case, packet, draws, target, to, masquerade, chains", [
    ("first endpoint", POD, [0.1], "DNAT", "10.244.1.2:8080", False,
     ["PREROUTING", "KUBE-SERVICES", "KUBE-SVC-A", "KUBE-SEP-1"]),
    ("ladder falls through to the last endpoint", POD, [0.9], "DNAT", "10.244.2.2:8080", False,
     ["PREROUTING", "KUBE-SERVICES", "KUBE-SVC-A", "KUBE-SEP-2"]),
    ("outsider is marked, then DNATed", Packet("192.168.1.9", "10.96.0.10", 80), [0.9], "DNAT",
     "10.244.2.2:8080", True,
     ["PREROUTING", "KUBE-SERVICES", "KUBE-SVC-A", "KUBE-MARK-MASQ", "KUBE-SVC-A", "KUBE-SEP-2"]),
    ("hairpin", Packet("10.244.1.2", "10.96.0.10", 80), [0.1], "DNAT", "10.244.1.2:8080", True,
     ["PREROUTING", "KUBE-SERVICES", "KUBE-SVC-A", "KUBE-SEP-1", "KUBE-MARK-MASQ", "KUBE-SEP-1"]),
    ("no rule: falls back to PREROUTING's policy", Packet("10.244.1.5", "10.96.0.99", 80), [], "ACCEPT", "",
     False, ["PREROUTING"]),
    ("empty user chain returns to its caller", Packet("10.244.1.5", "172.18.0.2", 30080, dst_local=True), [],
     "ACCEPT", "", False, ["PREROUTING", "KUBE-SERVICES"]),
])
def test_trace_chain_walks_jumps_and_returns(case, packet, draws, target, to, masquerade, chains):
    verdict = trace_chain(NAT, "PREROUTING", packet, FixedRandom(*draws))
    assert (verdict.target, verdict.to_destination, verdict.masquerade) == (target, to, masquerade), case
    assert [chain for chain, _ in verdict.path] == chains, case


def text(verdict):
    return [(chain, rule.to_text()) for chain, rule in verdict.path]


def test_path_records_the_matched_rules_which_print_as_iptables_save_prints_them():
    verdict = trace_chain(NAT, "PREROUTING", POD, FixedRandom(0.9))
    assert (verdict.target, verdict.to_destination, verdict.masquerade, verdict.mark) == (
        "DNAT", "10.244.2.2:8080", False, 0)
    assert text(verdict) == [
        ("PREROUTING", "-A PREROUTING -j KUBE-SERVICES"),
        ("KUBE-SERVICES", "-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-A"),
        ("KUBE-SVC-A", "-A KUBE-SVC-A -j KUBE-SEP-2"),
        ("KUBE-SEP-2", "-A KUBE-SEP-2 -p tcp -j DNAT --to-destination 10.244.2.2:8080"),
    ]
    assert [rule for _, rule in verdict.path] == [NAT.chain("PREROUTING").rules[0], NAT.chain("KUBE-SERVICES").rules[0],
                                                  NAT.chain("KUBE-SVC-A").rules[2], NAT.chain("KUBE-SEP-2").rules[0]]
    assert verdict.rule is NAT.chain("KUBE-SEP-2").rules[0]


def test_a_verdict_names_the_rule_that_ended_the_walk_or_none_for_the_policy():
    assert trace_chain(NAT, "PREROUTING", Packet("10.244.1.5", "10.96.0.99", 80)).rule is None
    t = table(rules("FORWARD", dict(target="REJECT", matches=(Comment("default/web has no endpoints"),))),
              name="filter")
    rule = trace_chain(t, "FORWARD", POD).rule
    assert (rule.target, rule.comment) == ("REJECT", "default/web has no endpoints")


def test_mark_set_in_a_chain_is_seen_by_later_rules():
    t = table(rules("POSTROUTING",
                    dict(target="KUBE-MARK-MASQ"),
                    dict(target="RETURN", matches=(MarkMatch(0x4000, 0x4000, negate=True),)),
                    dict(target="MASQUERADE")),
              rules("KUBE-MARK-MASQ", dict(target="MARK", set_xmark=or_mark(0x4000))))
    verdict = trace_chain(t, "POSTROUTING", POD)
    assert (verdict.target, verdict.masquerade) == ("MASQUERADE", True)


def test_return_goes_back_to_the_rule_after_the_jump():
    t = table(rules("OUTPUT", dict(target="X"), dict(target="DROP")),
              rules("X", dict(target="RETURN"), dict(target="ACCEPT")), name="filter")
    verdict = trace_chain(t, "OUTPUT", POD)
    assert verdict.target == "DROP"
    assert [c for c, _ in verdict.path] == ["OUTPUT", "X", "OUTPUT"]


def test_starting_in_a_user_chain_and_falling_off_gives_return():
    assert trace_chain(NAT, "KUBE-NODEPORTS", POD).target == "RETURN"


@pytest.mark.parametrize("terminal", ["ACCEPT", "DROP", "REJECT"])
def test_filter_verdicts_stop_the_walk(terminal):
    t = table(rules("FORWARD", dict(target=terminal), dict(target="ACCEPT")), name="filter")
    verdict = trace_chain(t, "FORWARD", POD)
    assert verdict.target == terminal and len(verdict.path) == 1


def test_jump_to_a_missing_chain_raises():
    with pytest.raises(KeyError, match="NOPE"):
        trace_chain(table(rules("OUTPUT", dict(target="NOPE"))), "OUTPUT", POD)


def test_a_jump_loop_is_detected():
    t = table(rules("OUTPUT", dict(target="A")), rules("A", dict(target="B")), rules("B", dict(target="A")))
    with pytest.raises(RuntimeError, match="deeper"):
        trace_chain(t, "OUTPUT", POD)


def test_same_seed_same_choices():
    picks = lambda seed: [trace_chain(NAT, "PREROUTING", POD, rng).to_destination
                          for rng in [random.Random(seed)] for _ in range(20)]
    assert picks(3) == picks(3)
    assert set(picks(3)) == {"10.244.1.2:8080", "10.244.2.2:8080"}


# ---------------------------------------------------------------- -m recent (session affinity)

def test_recent_set_records_the_source_and_always_matches():
    recent = RecentTable()
    assert rule_matches(Rule("C", "DNAT", matches=(Recent("L", "set"),)), POD, recent=recent, now=5.0)
    assert recent.entries() == [("L", POD.src, 5.0)]


@pytest.mark.parametrize("seen_at, now, seconds, matched", [
    (None, 10.0, 60, False),     # never seen
    (0.0, 59.9, 60, True),       # inside the window
    (0.0, 60.0, 60, False),      # the kernel's window is strict: time_after(stamp, now - seconds)
    (0.0, 5000.0, 0, True),      # no --seconds: any entry matches
])
def test_recent_rcheck_window(seen_at, now, seconds, matched):
    recent = RecentTable()
    if seen_at is not None:
        recent.set("L", POD.src, seen_at)
    rule = Rule("C", "X", matches=(Recent("L", "rcheck", seconds=seconds),))
    assert rule_matches(rule, POD, recent=recent, now=now) is matched


def test_recent_is_keyed_by_list_name_and_source():
    recent = RecentTable()
    recent.set("L", "10.244.1.9", 0.0)
    recent.set("M", POD.src, 0.0)
    assert not rule_matches(Rule("C", "X", matches=(Recent("L", "rcheck", 60),)), POD, recent=recent, now=1.0)


def test_recent_reap_purges_the_stale_entry():
    recent = RecentTable()
    recent.set("L", POD.src, 0.0)
    rule = Rule("C", "X", matches=(Recent("L", "rcheck", seconds=60, reap=True),))
    assert not rule_matches(rule, POD, recent=recent, now=61.0)
    assert len(recent) == 0


def test_recent_set_after_a_failed_match_records_nothing():
    recent = RecentTable()
    rule = Rule("C", "DNAT", matches=(PortMatch("tcp", 443), Recent("L", "set")))
    assert not rule_matches(rule, POD, recent=recent)
    assert len(recent) == 0


def test_recent_without_a_table_is_an_error():
    with pytest.raises(ValueError, match="RecentTable"):
        rule_matches(Rule("C", "X", matches=(Recent("L", "rcheck"),)), POD)


def test_recent_mode_must_be_modelled():
    with pytest.raises(ValueError, match="update"):
        Recent("L", "update")


STICKY = table(
    rules("OUTPUT", dict(target="SVC")),
    rules("SVC",
          dict(target="SEP-1", matches=(Recent("SEP-1", "rcheck", 100, True),)),
          dict(target="SEP-2", matches=(Recent("SEP-2", "rcheck", 100, True),)),
          dict(target="SEP-1", matches=(Statistic(0.5),)),
          dict(target="SEP-2")),
    rules("SEP-1", dict(target="DNAT", protocol="tcp", matches=(Recent("SEP-1", "set"),),
                        to_destination="10.244.1.2:80")),
    rules("SEP-2", dict(target="DNAT", protocol="tcp", matches=(Recent("SEP-2", "set"),),
                        to_destination="10.244.2.2:80")))


def test_affinity_walk_returns_to_the_endpoint_it_recorded():
    recent = RecentTable()
    first = trace_chain(STICKY, "OUTPUT", POD, FixedRandom(0.9), recent, now=0)
    assert first.to_destination == "10.244.2.2:80"
    again = trace_chain(STICKY, "OUTPUT", POD, FixedRandom(), recent, now=99)  # no draw needed
    assert again.to_destination == "10.244.2.2:80"
    assert text(again)[1] == ("SVC", "-A SVC -m recent --rcheck --seconds 100 --reap --name SEP-2 "
                                    "--mask 255.255.255.255 --rsource -j SEP-2")
    expired = trace_chain(STICKY, "OUTPUT", POD, FixedRandom(0.1), recent, now=300)
    assert expired.to_destination == "10.244.1.2:80"


# ---------------------------------------------------------------- rules without a target, final mark

def test_a_rule_without_target_only_counts_and_the_walk_goes_on():
    t = table(rules("FW", dict(target="", matches=(Comment("other traffic will be dropped"),))),
              rules("PREROUTING", dict(target="FW"), dict(target="DNAT", to_destination="10.0.0.1:80")))
    verdict = trace_chain(t, "PREROUTING", POD)
    assert verdict.target == "DNAT"
    assert [c for c, _ in verdict.path] == ["PREROUTING", "FW", "PREROUTING"]
    assert text(verdict)[1][1] == '-A FW -m comment --comment "other traffic will be dropped"'


def test_verdict_carries_the_final_mark():
    verdict = trace_chain(NAT, "PREROUTING", Packet("192.168.1.9", "10.96.0.10", 80), FixedRandom(0.9))
    assert (verdict.masquerade, verdict.mark) == (True, 0x4000)


# ---------------------------------------------------------------- a connection through the hooks

HOOKS_FILTER = table(
    rules("INPUT", dict(target="ACCEPT", matches=(Comment("input"),))),
    rules("FORWARD", dict(target="ACCEPT", matches=(Comment("forward"),))),
    rules("OUTPUT", dict(target="ACCEPT", matches=(Comment("output"),))),
    name="filter")
HOOKS_NAT = table(
    rules("PREROUTING", dict(target="KUBE-SERVICES")),
    rules("OUTPUT", dict(target="KUBE-SERVICES")),
    rules("KUBE-SERVICES",
          dict(target="DNAT", destination="10.96.0.10", to_destination="10.244.2.2:8080"),
          dict(target="DNAT", destination="10.96.0.11", to_destination="172.18.0.2:6443"),
          dict(target="KUBE-MARK-MASQ", matches=(AddrType("LOCAL"),))),
    rules("KUBE-MARK-MASQ", dict(target="MARK", set_xmark=or_mark(0x4000))))


@pytest.mark.parametrize("case, packet, hook, filter_chain, target, dst", [
    ("arriving, DNATed to a pod: FORWARD", Packet("10.244.1.5", "10.96.0.10", 80), "PREROUTING", "FORWARD",
     "DNAT", "10.244.2.2"),
    ("arriving for the node: INPUT", Packet("192.168.1.9", "172.18.0.2", 22, dst_local=True), "PREROUTING",
     "INPUT", "ACCEPT", "172.18.0.2"),
    ("arriving, DNATed to a hostNetwork endpoint: INPUT", Packet("10.244.1.5", "10.96.0.11", 443),
     "PREROUTING", "INPUT", "DNAT", "172.18.0.2"),
    ("sent by the node: OUTPUT both times", Packet("172.18.0.2", "10.96.0.10", 80, src_local=True), "OUTPUT",
     "OUTPUT", "DNAT", "10.244.2.2"),
    ("passing through: FORWARD", Packet("10.244.1.5", "8.8.8.8", 53), "PREROUTING", "FORWARD", "ACCEPT",
     "8.8.8.8"),
])
def test_trace_connection_follows_the_kernel_hooks(case, packet, hook, filter_chain, target, dst):
    flow = trace_connection(HOOKS_NAT, HOOKS_FILTER, packet, local_ips=("172.18.0.2",))
    assert flow.nat.path[0][0] == hook, case
    assert (flow.filter_chain, flow.target, flow.packet.dst) == (filter_chain, target, dst), case


def test_trace_connection_passes_the_nat_mark_to_filter():
    flow = trace_connection(HOOKS_NAT, table(rules("INPUT", dict(
        target="DROP", matches=(MarkMatch(0x4000, 0x4000),))), name="filter"),
        Packet("192.168.1.9", "172.18.0.2", 30080, dst_local=True))
    assert (flow.packet.mark, flow.target, flow.masquerade, flow.endpoint) == (0x4000, "DROP", True, "")


def test_filter_drop_wins_over_a_dnat():
    flow = trace_connection(HOOKS_NAT, table(rules("FORWARD", dict(target="REJECT")), name="filter"), POD)
    assert (flow.nat.target, flow.target, flow.endpoint) == ("DNAT", "REJECT", "")


# ---------------------------------------------------------------- the exact walk: every branch, weighed

def by_destination(odds):
    return {(verdict.target, verdict.to_destination): p for verdict, p in odds.items()}


def test_the_exact_walk_follows_both_branches_of_a_statistic_match():
    odds = chain_distribution(NAT, "PREROUTING", POD)
    assert by_destination(odds) == {("DNAT", "10.244.1.2:8080"): 0.5, ("DNAT", "10.244.2.2:8080"): 0.5}
    for verdict in odds:  # each outcome keeps the rules its branch matched
        assert [chain for chain, _ in verdict.path][-1] == verdict.rule.chain == verdict.path[-1][1].chain


def test_the_exact_walk_weighs_a_branch_with_the_probability_the_sampler_compares_with():
    t = table(rules("OUTPUT", dict(target="ACCEPT", matches=(Statistic(0.3333333333),)), dict(target="DROP")),
              name="filter")
    p = kernel_probability(0.3333333333)
    assert by_destination(chain_distribution(t, "OUTPUT", POD)) == {("ACCEPT", ""): p, ("DROP", ""): 1.0 - p}
    assert trace_chain(t, "OUTPUT", POD, FixedRandom(p - 1e-12)).target == "ACCEPT"
    assert trace_chain(t, "OUTPUT", POD, FixedRandom(p)).target == "DROP"


def test_sampling_lands_as_often_as_the_exact_walk_says():
    t = table(rules("OUTPUT", dict(target="SVC")),
              rules("SVC", *[dict(target="DNAT", to_destination=f"10.244.1.{i}:80",
                                  matches=(Statistic(1 / (3 - i)),)) for i in range(2)],
                    dict(target="DNAT", to_destination="10.244.1.2:80")))
    exact = {v.to_destination: p for v, p in chain_distribution(t, "OUTPUT", POD).items()}
    rng, n = random.Random(5), 6000
    drawn = [trace_chain(t, "OUTPUT", POD, rng).to_destination for _ in range(n)]
    assert sorted(exact) == sorted(set(drawn))
    assert all(abs(drawn.count(dest) / n - p) < 0.03 for dest, p in exact.items())  # sigma < 0.0065


def test_the_exact_walk_reads_the_recent_lists_but_never_writes_them():
    recent = RecentTable()
    assert by_destination(chain_distribution(STICKY, "OUTPUT", POD, recent, now=0)) == {
        ("DNAT", "10.244.1.2:80"): 0.5, ("DNAT", "10.244.2.2:80"): 0.5}
    assert len(recent) == 0  # the --set of one branch neither stays nor leaks into the other
    recent.set("SEP-2", POD.src, 0.0)
    assert by_destination(chain_distribution(STICKY, "OUTPUT", POD, recent, now=50)) == {
        ("DNAT", "10.244.2.2:80"): 1.0}
    assert by_destination(chain_distribution(STICKY, "OUTPUT", POD, recent, now=300)) == {
        ("DNAT", "10.244.1.2:80"): 0.5, ("DNAT", "10.244.2.2:80"): 0.5}
    assert recent.entries() == [("SEP-2", POD.src, 0.0)]  # neither refreshed (--set) nor reaped (--reap)


def test_the_exact_walk_needs_the_recent_lists_a_recent_match_reads():
    with pytest.raises(ValueError, match="RecentTable"):
        chain_distribution(STICKY, "OUTPUT", POD)


def test_the_exact_connection_walk_puts_each_branch_through_the_filter_table():
    filter_ = table(rules("FORWARD", dict(target="REJECT", destination="10.244.1.2")), name="filter")
    odds = {(flow.target, flow.endpoint, flow.filter_chain): p
            for flow, p in connection_distribution(NAT, filter_, POD).items()}
    assert odds == {("REJECT", "", "FORWARD"): 0.5, ("DNAT", "10.244.2.2:8080", "FORWARD"): 0.5}


def test_a_flow_says_which_table_decided_it():
    flow = trace_connection(HOOKS_NAT, table(rules("FORWARD", dict(target="REJECT")), name="filter"), POD)
    assert flow.verdict is flow.filter and flow.verdict.rule.target == "REJECT"
    allowed = trace_connection(HOOKS_NAT, HOOKS_FILTER, POD)
    assert allowed.verdict is allowed.nat and allowed.verdict.rule.target == "DNAT"
