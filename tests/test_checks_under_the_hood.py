"""check_sep_chain: the KUBE-SEP chain for a pod, read from a live node's iptables-save."""

import re

import pytest

from k8sedu import Cluster
from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.under_the_hood import (check_ptr_answer, check_rule_probability, check_sep_chain,
                                           check_terminating_conditions)

IMAGE = "in28min/currency-exchange:0.0.1-RELEASE"


@pytest.fixture(scope="module")
def cluster():
    """Three currency-exchange pods behind a ClusterIP Service, settled."""
    c = Cluster(seed=6)
    c.kubectl(f"create deployment currency-exchange --image={IMAGE} --replicas=3 --port=8000")
    c.kubectl("expose deployment currency-exchange --port=8000")
    c.advance(10)
    return c


def sep_for(cluster, ip, node="kind-worker"):
    """The currency-exchange KUBE-SEP chain whose DNAT goes to ``ip``, read independently of the check."""
    text = cluster.iptables_save(node=node)
    return re.search(rf'^-A (KUBE-SEP-\w+) .*"default/currency-exchange".*--to-destination {re.escape(ip)}:8000$',
                     text, re.M).group(1)


def pods(cluster):
    return [(name, cluster.get("Pod", name).status.pod_ip)
            for name in cluster.pod_names({"app": "currency-exchange"})]


def test_the_pods_chain_passes_and_says_where_the_rule_leads(cluster, capsys):
    name, ip = pods(cluster)[0]
    check_sep_chain(sep_for(cluster, ip), cluster, pod=name, node="kind-worker")
    out = capsys.readouterr().out
    assert out.startswith("✓ On kind-worker, rule ")
    assert f"to {ip}:8000: pod {name}." in out


def test_surrounding_spaces_and_a_leading_jump_are_forgiven(cluster, capsys):
    name, ip = pods(cluster)[1]
    check_sep_chain(f"  -j {sep_for(cluster, ip)} ", cluster, pod=name)
    assert capsys.readouterr().out.startswith("✓ ")


def test_a_chain_copied_with_its_append_flag_is_forgiven(cluster, capsys):
    name, ip = pods(cluster)[1]
    check_sep_chain(f"-A {sep_for(cluster, ip)}", cluster, pod=name)
    assert capsys.readouterr().out.startswith("✓ ")


@pytest.mark.parametrize("which", ["name", "ip", "ip:port"])
def test_the_pod_itself_instead_of_its_chain_is_named_as_such(cluster, which):
    name, ip = pods(cluster)[0]
    answer = {"name": name, "ip": ip, "ip:port": f"{ip}:8000"}[which]
    with pytest.raises(CheckFailed, match="names the pod itself") as caught:
        check_sep_chain(answer, cluster, pod=name)
    assert "Find the DNAT rule" in caught.value.hint


def test_placeholder_is_not_answered(cluster):
    name, _ = pods(cluster)[0]
    with pytest.raises(NotAnswered, match=f"KUBE-SEP chain that sends traffic to pod {name}"):
        check_sep_chain(..., cluster, pod=name)


def test_a_non_string_asks_for_quotes(cluster):
    name, _ = pods(cluster)[0]
    with pytest.raises(CheckFailed, match="in quotes") as err:
        check_sep_chain(42, cluster, pod=name)
    assert "not 42" in err.value.problem


def test_the_service_chain_is_not_the_endpoint_chain(cluster):
    name, _ = pods(cluster)[0]
    text = cluster.iptables_save(node="kind-worker")
    svc = re.search(r'"default/currency-exchange cluster IP".* -j (KUBE-SVC-\w+)$', text, re.M).group(1)
    with pytest.raises(CheckFailed, match="is a Service chain") as err:
        check_sep_chain(svc, cluster, pod=name)
    assert "one jump further, in a KUBE-SEP chain" in err.value.hint


def test_another_pods_chain_names_that_pod(cluster):
    (name, _), (other, other_ip) = pods(cluster)[:2]
    with pytest.raises(CheckFailed, match=f"which is pod {other}, not {name}") as err:
        check_sep_chain(sep_for(cluster, other_ip), cluster, pod=name)
    assert "named by a hash" in err.value.hint


def test_another_services_chain_for_a_pod_is_named_by_its_service(cluster):
    name, _ = pods(cluster)[0]
    text = cluster.iptables_save(node="kind-worker")
    dns_sep = re.search(r'^-A (KUBE-SEP-\w+) .*"kube-system/kube-dns:dns".*-j DNAT', text, re.M).group(1)
    with pytest.raises(CheckFailed, match="belongs to kube-system/kube-dns:dns") as err:
        check_sep_chain(dns_sep, cluster, pod=name)
    assert "Each Service port has its own KUBE-SEP chains" in err.value.hint


def test_a_name_the_node_does_not_have(cluster):
    name, ip = pods(cluster)[0]
    with pytest.raises(CheckFailed, match="There is no chain named") as err:
        check_sep_chain(sep_for(cluster, ip).lower(), cluster, pod=name)
    assert "case-sensitive" in err.value.hint and ip in err.value.hint


def test_a_pod_that_is_not_an_endpoint_gets_a_readiness_hint():
    c = Cluster(seed=6)
    c.kubectl(f"create deployment currency-exchange --image={IMAGE} --replicas=1 --port=8000")
    c.kubectl("expose deployment currency-exchange --port=8000")
    c.advance(1)  # the pod has an IP, but its image is still being pulled
    name = c.pod_names({"app": "currency-exchange"})[0]
    with pytest.raises(CheckFailed, match="has no KUBE-SEP chain for pod") as err:
        check_sep_chain("KUBE-SEP-ABCDEFGHIJKLMNOP", c, pod=name)
    assert "ready endpoint" in err.value.hint


def test_the_check_reads_the_live_rules_after_a_pod_is_replaced(capsys):
    c = Cluster(seed=6)
    c.kubectl(f"create deployment currency-exchange --image={IMAGE} --replicas=2 --port=8000")
    c.kubectl("expose deployment currency-exchange --port=8000")
    c.advance(10)
    before = dict(pods(c))
    old, old_ip = next(iter(before.items()))
    old_chain = sep_for(c, old_ip)
    c.kubectl(f"delete pod {old}")
    c.advance(10)
    new, new_ip = next((n, ip) for n, ip in pods(c) if n not in before)
    with pytest.raises(CheckFailed, match="There is no chain named"):
        check_sep_chain(old_chain, c, pod=new)
    check_sep_chain(sep_for(c, new_ip), c, pod=new)
    assert capsys.readouterr().out.startswith("✓ ")


# ---------------------------------------------------------------- check_rule_probability (exercise 6, task 1)

@pytest.fixture(scope="module")
def five():
    """Five ready currency-exchange pods: a ladder of 1/5, 1/4, 1/3, 1/2, then a rule without probability."""
    c = Cluster(seed=601)
    c.kubectl(f"create deployment currency-exchange --image={IMAGE} --replicas=5 --port=8000")
    c.kubectl("expose deployment currency-exchange --port=8000")
    c.advance(10)
    return c


@pytest.mark.parametrize("rule, answer, shown", [
    (1, 0.2, "--probability 0.20000000019"), (3, "1/3", "--probability 0.33333333349"),
    (3, 0.3333, "--probability 0.33333333349"), (4, 0.5, "--probability 0.50000000000"),
    (5, 1, "no probability (it always matches)"),
])
def test_the_probability_written_on_the_node_passes(five, rule, answer, shown, capsys):
    check_rule_probability(answer, five, rule=rule, node="kind-worker")
    out = capsys.readouterr().out
    assert out.startswith(f"✓ On kind-worker, endpoint rule {rule} of 5 in KUBE-SVC-")
    assert shown in out and "which is 1/5 of all of them" in out


def test_the_probability_placeholder_is_not_answered(five):
    with pytest.raises(NotAnswered, match="the probability on endpoint rule 3 of the KUBE-SVC chain"):
        check_rule_probability(..., five, rule=3)


@pytest.mark.parametrize("answer, hint", [
    (0.2, "1/5 is the share of ALL connections each endpoint ends up with"),
    ("1/2", "Off by one: count the endpoint of rule 3 itself"),
    ("3/5", "3/5 grows with the rule number, but not in the right way"),
    (0.25, "Rule 3 only sees the connections that the 2 rules above it did not take"),
    (3, "A probability lies between 0 and 1"),
    (0.33, "Close, but rounded"),
    (1, "Only the last rule (rule 5) takes every connection"),
])
def test_each_wrong_probability_gets_its_own_hint(five, answer, hint):
    with pytest.raises(CheckFailed) as caught:
        check_rule_probability(answer, five, rule=3)
    assert f"{answer} is not the probability on rule 3 of 5" in caught.value.problem
    assert hint in caught.value.hint


def test_a_percentage_is_asked_as_a_fraction(five):
    with pytest.raises(CheckFailed, match="is not a number") as caught:
        check_rule_probability("33%", five, rule=3)
    assert "not a percentage" in caught.value.hint


@pytest.mark.parametrize("answer", ["one third", None, True])
def test_a_probability_must_be_a_number(five, answer):
    with pytest.raises(CheckFailed, match="is not a number") as caught:
        check_rule_probability(answer, five, rule=3)
    assert "fraction string" in caught.value.hint


def test_a_rule_past_the_ladder_says_how_many_rules_there_are(five):
    with pytest.raises(CheckFailed, match="has 5 endpoint rules for currency-exchange, so there is no rule 6"):
        check_rule_probability(1, five, rule=6)


def test_the_ladder_is_read_live_after_scaling():
    c = Cluster(seed=601)
    c.kubectl(f"create deployment currency-exchange --image={IMAGE} --replicas=5 --port=8000")
    c.kubectl("expose deployment currency-exchange --port=8000")
    c.advance(10)
    c.kubectl("scale deployment currency-exchange --replicas=4")
    c.advance(10)
    with pytest.raises(CheckFailed):
        check_rule_probability("1/3", c, rule=3)
    check_rule_probability("1/2", c, rule=3)


# ---------------------------------------------------------------- check_terminating_conditions (task 3)

@pytest.fixture
def leaving():
    """A cluster with one currency-exchange pod just deleted (Terminating, still in the slice), and its name."""
    c = Cluster(seed=603)
    c.kubectl(f"create deployment currency-exchange --image={IMAGE} --replicas=3 --port=8000")
    c.kubectl("expose deployment currency-exchange --port=8000")
    c.advance(10)
    name = c.pod_names({"app": "currency-exchange"})[0]
    c.kubectl(f"delete pod {name} --wait=false")
    return c, name


TERMINATING = {"ready": False, "serving": True, "terminating": True}


def test_the_terminating_conditions_pass(leaving, capsys):
    c, name = leaving
    check_terminating_conditions(dict(TERMINATING), c, pod=name)
    assert capsys.readouterr().out.startswith(
        f"✓ Pod {name} is terminating and the EndpointSlice of currency-exchange lists it with ready: false, "
        "serving: true, terminating: true")


def test_the_conditions_placeholder_is_not_answered(leaving):
    c, name = leaving
    with pytest.raises(NotAnswered, match="a dict such as"):
        check_terminating_conditions(..., c, pod=name)


@pytest.mark.parametrize("wrong, problem, hint", [
    ({"ready": True}, "ready: true is not what the EndpointSlice says", "A terminating endpoint is never ready"),
    ({"serving": False}, "serving: false is not what", "serving is the readiness probe's verdict alone"),
    ({"terminating": False}, "terminating: false is not what", "deletionTimestamp"),
    ({"ready": True, "terminating": False}, "(and terminating is wrong too)", "never ready"),
])
def test_each_wrong_condition_gets_its_own_hint(leaving, wrong, problem, hint):
    c, name = leaving
    with pytest.raises(CheckFailed) as caught:
        check_terminating_conditions({**TERMINATING, **wrong}, c, pod=name)
    assert problem in caught.value.problem
    assert hint in caught.value.hint


@pytest.mark.parametrize("answer", ["ready=false", [False, True, True]])
def test_conditions_must_be_a_dict_of_three_booleans(leaving, answer):
    c, name = leaving
    with pytest.raises(CheckFailed, match="should be a dict with the keys ready, serving and terminating"):
        check_terminating_conditions(answer, c, pod=name)


@pytest.mark.parametrize("answer, problem, hint", [
    ({"ready": 0, "serving": 1, "terminating": 1}, "ready is 0, not True or False", "Each value is True or False"),
    ({"ready": "false", "serving": "true", "terminating": "true"}, "ready is 'false'", "without quotes"),
    ({"ready": False}, "it lacks serving, terminating", "condition names"),
    ({"Ready": False, "Serving": True, "Terminating": True}, "which are not conditions", "in lower case"),
    ({"ready": False, "serving": ..., "terminating": True}, "serving is still ...", 'Replace the ... after "serving"'),
])
def test_a_malformed_conditions_dict_names_its_own_mistake(leaving, answer, problem, hint):
    c, name = leaving
    with pytest.raises(CheckFailed) as caught:
        check_terminating_conditions(answer, c, pod=name)
    assert problem in caught.value.problem and hint in caught.value.hint


def test_the_dict_template_of_the_task_is_not_answered_yet(leaving):
    c, name = leaving
    with pytest.raises(NotAnswered, match=r"replace each \.\.\. in the dict with True or False"):
        check_terminating_conditions({"ready": ..., "serving": ..., "terminating": ...}, c, pod=name)


def test_a_pod_that_is_gone_or_not_deleted_asks_to_rerun_the_setup(leaving):
    c, name = leaving
    alive = next(n for n in c.pod_names({"app": "currency-exchange"}) if n != name)
    with pytest.raises(CheckFailed, match=f"Pod {alive} is not a terminating endpoint"):
        check_terminating_conditions(dict(TERMINATING), c, pod=alive)
    c.advance(30)
    with pytest.raises(CheckFailed, match=f"Pod {name} is not a terminating endpoint") as caught:
        check_terminating_conditions(dict(TERMINATING), c, pod=name)
    assert "without letting time pass" in caught.value.hint


# ---------------------------------------------------------------- check_ptr_answer (task 4)

DNSUTILS = "registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3"


@pytest.fixture(scope="module")
def lookup():
    c = Cluster(seed=604)
    c.kubectl(f"create deployment currency-exchange --image={IMAGE} --replicas=2 --port=8000")
    c.kubectl("expose deployment currency-exchange --port=8000")
    c.kubectl(f"run dnsutils --image={DNSUTILS} -- sleep infinity")
    c.advance(10)
    name = c.pod_names({"app": "currency-exchange"})[0]
    return c, name, c.get("Pod", name).status.pod_ip


@pytest.mark.parametrize("form", ["{dashed}.currency-exchange.default.svc.cluster.local.",
                                  "{dashed}.currency-exchange.default.svc.cluster.local",
                                  " {dashed}.Currency-Exchange.default.svc.CLUSTER.local "])
def test_the_endpoint_name_passes(lookup, form, capsys):
    c, _, ip = lookup
    check_ptr_answer(form.format(dashed=ip.replace(".", "-")), c, ip=ip)
    out = capsys.readouterr().out
    assert out.startswith(f"✓ From pod dnsutils, dig -x {ip} gets the PTR record "
                          f"{ip.replace('.', '-')}.currency-exchange.default.svc.cluster.local.")


def test_a_clusterip_answers_the_services_name(lookup, capsys):
    c, _, _ = lookup
    ip = c.get("Service", "currency-exchange").spec.cluster_ip
    check_ptr_answer("currency-exchange.default.svc.cluster.local", c, ip=ip)
    assert capsys.readouterr().out.startswith("✓ ")


def test_the_ptr_placeholder_is_not_answered(lookup):
    c, _, ip = lookup
    with pytest.raises(NotAnswered, match=f"the name CoreDNS answers for a PTR query on {ip}"):
        check_ptr_answer(..., c, ip=ip)


@pytest.mark.parametrize("answer, hint", [
    ("{reverse}", "is the question dig -x asks, not the answer"),
    ("{reverse}.", "is the question dig -x asks, not the answer"),
    ("currency-exchange.default.svc.cluster.local", "That is a Service's name, the answer for its ClusterIP"),
    ("{ip}.currency-exchange.default.svc.cluster.local", "with dashes, not dots"),
    ("{pod}.currency-exchange.default.svc.cluster.local", "CoreDNS does not use the pod's name"),
    ("{dashed}.currency-exchange.web.svc.cluster.local", "Look at the EndpointSlice that lists this IP"),
    ("{dashed}.default.pod.cluster.local", "That is a pod's forward name"),
    ("{dashed}.currency-exchange.default.svc", "that name is not complete"),
    (42, "Write it in quotes"),
])
def test_each_wrong_ptr_answer_gets_its_own_hint(lookup, answer, hint):
    c, name, ip = lookup
    if isinstance(answer, str):
        reverse = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
        answer = answer.format(reverse=reverse, ip=ip, pod=name, dashed=ip.replace(".", "-"))
    with pytest.raises(CheckFailed) as caught:
        check_ptr_answer(answer, c, ip=ip)
    assert hint in caught.value.hint


def test_an_ip_without_a_ptr_record_says_there_is_no_answer(lookup):
    c, _, _ = lookup
    ip = c.get("Pod", "dnsutils").status.pod_ip
    with pytest.raises(CheckFailed, match="dig -x gets no answer"):
        check_ptr_answer(f"{ip.replace('.', '-')}.dnsutils.default.svc.cluster.local", c, ip=ip)


def test_a_missing_asking_pod_is_a_failure_not_a_traceback(lookup):
    c, _, ip = lookup
    with pytest.raises(CheckFailed, match="failed in pod nope") as caught:
        check_ptr_answer("x.cluster.local", c, ip=ip, from_pod="nope")
    assert "setup cell" in caught.value.hint
