"""The checks of exercise 5 (service discovery): they reject plausible wrong answers with their hint and accept
the right ones. (The generator and the blank exercises: test_exercise_generator.py.)"""

import re
from pathlib import Path

import pytest

from k8sedu import Cluster, checks
from k8sedu.checks import CheckFailed, NotAnswered

ROOT = Path(__file__).resolve().parent.parent



# ---------------------------------------------------------------- (c) and (d): the checks

@pytest.fixture
def cluster():
    """The exercise's starting point, plus the client in namespace test of task 3."""
    cluster = Cluster(seed=11)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE --port=8100")
    cluster.kubectl("create namespace test")
    cluster.kubectl("create deployment currency-conversion -n test --image=in28min/currency-conversion:0.0.1-RELEASE "
                    "--port=8100")
    cluster.advance(10)
    return cluster


def _client(cluster):
    return cluster.pod_names({"app": "currency-conversion"})[0]


@pytest.mark.parametrize("call", [
    lambda c: checks.check_scaled_service(c, "currency-exchange", 4, command=...),
    lambda c: checks.check_probability(..., n=4),
    lambda c: checks.check_fqdn(..., c, from_namespace="test"),
    lambda c: checks.check_query_count(..., c, "currency-exchange.default.svc", from_pod=_client(c)),
], ids=["scale", "probability", "fqdn", "queries"])
def test_a_placeholder_is_not_answered_yet(cluster, call):
    with pytest.raises(NotAnswered, match=r"^not answered yet: replace \.\.\. with "):
        call(cluster)


def test_not_answered_and_check_failed_are_assertion_errors():
    assert issubclass(NotAnswered, AssertionError) and issubclass(CheckFailed, AssertionError)


@pytest.mark.parametrize("command, problem, hint", [
    ("scale deployment currency-exchange --replicas=3", "asks for 3 replicas, not 4",
     "--replicas sets how many replicas the Deployment runs in all"),
    ("scale deployment currency-exchange --replicas=+2", "asks for 2 replicas, not 4",
     "--replicas sets how many replicas the Deployment runs in all"),
    ("scale currency-exchange --replicas=4", "kubectl refused the command", "%kubectl scale --help"),
    ("scale service currency-exchange --replicas=4", "kubectl refused the command", "A Service has no replicas"),
    ("scale svc/currency-exchange --replicas=4", "kubectl refused the command", "A Service has no replicas"),
    ("scale deployment currency-exchange 4", "kubectl refused the command", "with the flag --replicas=N"),
    ("scale deployment currency_exchange --replicas=4", "not found", "this one is called currency-exchange"),
    (4, "should be a kubectl command line in a string, not 4", "Write it in quotes"),
])
def test_scaling_wrongly_is_rejected_with_a_hint(cluster, command, problem, hint):
    with pytest.raises(CheckFailed) as caught:
        checks.check_scaled_service(cluster, "currency-exchange", 4, command=command)
    assert problem in caught.value.problem
    assert hint in caught.value.hint
    assert str(caught.value) == f"{caught.value.problem}\nHint: {caught.value.hint}"


def test_scaling_the_replicaset_is_undone_and_rejected(cluster):
    rs = cluster.list("ReplicaSet", selector={"app": "currency-exchange"})[0].metadata.name
    with pytest.raises(CheckFailed, match="asks for 2 replicas, not 4") as caught:
        checks.check_scaled_service(cluster, "currency-exchange", 4, command=f"scale rs {rs} --replicas=4")
    assert "its controller puts back any change made to its ReplicaSet" in caught.value.hint


def test_a_service_selecting_the_wrong_label_is_named_in_the_hint():
    cluster = Cluster(seed=11)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE --replicas=2 "
                    "--port=8000")
    cluster.kubectl("expose deployment currency-exchange --port=8000 --selector=app=currency")
    cluster.advance(10)
    with pytest.raises(CheckFailed, match="The Service selects app=currency, but the pods are labelled "
                                          "app=currency-exchange"):
        checks.check_scaled_service(cluster, "currency-exchange", 2)


def test_scaling_right_is_accepted_and_reaches_kube_proxy(cluster, capsys):
    checks.check_scaled_service(cluster, "currency-exchange", 4, command="kubectl scale deploy/currency-exchange --replicas=4")
    assert capsys.readouterr().out.startswith("✓ deployment/currency-exchange runs 4 ready pods")
    save = cluster.iptables_save(node="kind-worker")
    assert len(re.findall(r'"default/currency-exchange -> ', save)) == 4


@pytest.mark.parametrize("answer, n, rule, hint", [
    (0.5, 4, 1, "0.5 is the first rule's value for 2 endpoints"),
    (0.25, 4, 2, "1/4 is right for rule 1 only"),
    (1.5, 3, 1, "between 0 and 1"),
    ("one quarter", 4, 1, "Write a number"),
    (0.75, 4, 1, "the share of connections that rule 1 lets through"),
    (1, 4, 1, "Only the last rule (rule 4) takes every connection"),
    (0.33, 3, 1, "Close, but rounded"),
    ("25%", 4, 1, "not a percentage"),
])
def test_a_wrong_probability_is_rejected_with_a_hint(answer, n, rule, hint):
    with pytest.raises(CheckFailed) as caught:
        checks.check_probability(answer, n=n, rule=rule)
    assert hint in str(caught.value)


@pytest.mark.parametrize("answer, n, rule, printed", [
    (0.25, 4, 1, "--probability 0.25000000000 (1/4)"),
    ("1/3", 4, 2, "--probability 0.33333333349 (1/3)"),
    (1 / 3, 3, 1, "--probability 0.33333333349 (1/3)"),
    (1, 2, 2, "no probability: it always matches"),
])
def test_the_right_probability_is_accepted(answer, n, rule, printed, capsys):
    checks.check_probability(answer, n=n, rule=rule)
    out = capsys.readouterr().out
    assert out.startswith("✓ ") and printed in out


def test_checking_a_probability_leaves_the_learners_cluster_current():
    from k8sedu import notebook
    mine = Cluster(seed=3)
    checks.check_probability(0.5, n=2)
    assert notebook.current() is mine


@pytest.mark.parametrize("answer, problem, hint", [
    ("currency-exchange", "does not resolve (NXDOMAIN)", "lives in namespace default"),
    ("currency-exchange.test.svc.cluster.local", "does not resolve", "lives in namespace default"),
    ("currency-exchange.default", "only because the resolver completed it from the search list",
     "spells out every label"),
    ("kubernetes.default.svc.cluster.local", "but Service currency-exchange has ClusterIP", "Use the name of Service"),
    ("http://currency-exchange.default.svc.cluster.local:8000", "is a URL or has a port", "host name part"),
])
def test_a_wrong_fqdn_is_rejected_with_a_hint(cluster, answer, problem, hint):
    with pytest.raises(CheckFailed) as caught:
        checks.check_fqdn(answer, cluster, from_namespace="test")
    assert problem in caught.value.problem
    assert hint in caught.value.hint


@pytest.mark.parametrize("answer, queries", [
    ("currency-exchange.default.svc.cluster.local", "4 queries"),
    ("currency-exchange.default.svc.cluster.local.", "1 query"),
    ("CURRENCY-EXCHANGE.default.svc.cluster.local", "4 queries"),
])
def test_the_fqdn_is_accepted_with_or_without_the_trailing_dot(cluster, answer, queries, capsys):
    checks.check_fqdn(answer, cluster, from_namespace="test")
    out = capsys.readouterr().out
    assert out.startswith(f"✓ {answer} is the FQDN of Service currency-exchange") and queries in out


def test_query_count_check_names_a_missing_client_pod(cluster):
    with pytest.raises(CheckFailed, match='pods "nope" not found'):
        checks.check_query_count(1, cluster, "currency-exchange", from_pod="nope")


def test_fqdn_check_needs_a_running_pod_in_the_namespace(cluster):
    with pytest.raises(CheckFailed, match="no Running pod in namespace prod"):
        checks.check_fqdn("currency-exchange.default.svc.cluster.local", cluster, from_namespace="prod")


@pytest.mark.parametrize("answer, hint", [
    (1, "fewer than ndots:5"),
    (4, "appends each search domain in turn"),
    ("3", "whole number"),
])
def test_a_wrong_query_count_is_rejected_with_a_hint(cluster, answer, hint):
    with pytest.raises(CheckFailed) as caught:
        checks.check_query_count(answer, cluster, "currency-exchange.default.svc", from_pod=_client(cluster))
    assert hint in str(caught.value)


def test_the_right_query_count_is_accepted(cluster, capsys):
    checks.check_query_count(3, cluster, "currency-exchange.default.svc", from_pod=_client(cluster))
    assert capsys.readouterr().out.startswith("✓ currency-exchange.default.svc takes 3 queries")


# ---------------------------------------------------------------- the probability, read from the task's own cluster

def _ladder(replicas):
    """Exercise 5, task 2: currency-exchange with ``replicas`` ready pods behind a ClusterIP Service."""
    ladder = Cluster(seed=12, current=False)
    ladder.kubectl(f"create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                   f"--replicas={replicas} --port=8000")
    ladder.kubectl("expose deployment currency-exchange --port=8000")
    ladder.advance(10)
    return ladder


@pytest.mark.parametrize("answer, rule, printed", [(1 / 4, 1, "0.25000000000"), ("1/2", 3, "0.50000000000")])
def test_the_probability_is_read_from_the_given_cluster(answer, rule, printed, capsys):
    checks.check_probability(answer, n=4, rule=rule, cluster=_ladder(4))
    assert f"carries --probability {printed}" in capsys.readouterr().out


def test_a_wrong_probability_on_the_given_cluster_gets_the_same_hint():
    with pytest.raises(CheckFailed) as caught:
        checks.check_probability(0.5, n=4, cluster=_ladder(4))
    assert caught.value.hint.startswith("0.5 is the first rule's value for 2 endpoints.")


def test_a_given_cluster_with_another_endpoint_count_points_back_to_the_setup_cell():
    with pytest.raises(CheckFailed) as caught:
        checks.check_probability(0.25, n=4, cluster=_ladder(3))
    assert caught.value.problem == "Service currency-exchange has 3 endpoint rules in kube-proxy's chain, not 4."
    assert "setup cell again" in caught.value.hint
