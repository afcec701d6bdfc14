"""check_sep_chain: the KUBE-SEP chain for a pod, read from a live node's iptables-save."""

import re

import pytest

from k8sedu import Cluster
from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.under_the_hood import check_sep_chain

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
