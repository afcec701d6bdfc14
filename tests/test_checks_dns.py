"""The DNS checks of notebook 04: a name that reaches a Service in another namespace with one query."""

import pytest

from k8sedu import Cluster
from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.dns import check_one_query_name

IMAGE = "registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3"


@pytest.fixture(scope="module")
def cluster():
    """currency-conversion behind a Service in namespace ``web``; a dnsutils pod in ``default`` asks."""
    cluster = Cluster(seed=4)
    cluster.kubectl("create namespace web")
    cluster.kubectl("create deployment currency-conversion -n web "
                    "--image=in28min/currency-conversion:0.0.1-RELEASE --replicas=2 --port=8100")
    cluster.kubectl("expose deployment currency-conversion -n web --port=8100")
    cluster.kubectl(f"run dnsutils --image={IMAGE} -- sleep infinity")
    cluster.advance(10)
    return cluster


def _pod_name(cluster):
    """The per-endpoint name of one currency-conversion pod: ``<dashed IP>.currency-conversion.web.svc...``."""
    pod = cluster.get("Pod", cluster.pod_names({"app": "currency-conversion"}, "web")[0], "web")
    return f"{pod.status.pod_ip.replace('.', '-')}.currency-conversion.web.svc.cluster.local"


def test_the_absolute_fqdn_passes_in_one_query(cluster, capsys):
    check_one_query_name("currency-conversion.web.svc.cluster.local.", cluster)
    out = capsys.readouterr().out
    assert out.startswith("✓ currency-conversion.web.svc.cluster.local. reaches Service currency-conversion")
    assert "in one query: currency-conversion.web.svc.cluster.local. NOERROR" in out


def test_names_are_case_insensitive(cluster, capsys):
    check_one_query_name("Currency-Conversion.WEB.svc.cluster.local.", cluster)
    assert capsys.readouterr().out.startswith("✓ ")


def test_the_placeholder_is_not_answered(cluster):
    with pytest.raises(NotAnswered, match="not answered yet"):
        check_one_query_name(..., cluster)


@pytest.mark.parametrize("answer, problem, hint", [
    ("currency-conversion", "does not resolve (NXDOMAIN)", "Add the Service's namespace"),
    ("currency-conversion.default.svc.cluster.local.", "does not resolve (NXDOMAIN)",
     "the Service's own namespace: web"),
    ("conversion.web.svc.cluster.local.", "does not resolve (NXDOMAIN)", "<service>.<namespace>.svc.cluster.local"),
    ("currency-conversion.web", "only after 2 queries", "has 1 dot, fewer than ndots:5"),
    ("currency-conversion.web.svc", "only after 3 queries", "fewer than ndots:5"),
    ("currency-conversion.web.svc.cluster.local", "only after 4 queries", "the search list is skipped"),
    ("kubernetes.default.svc.cluster.local.", "but Service currency-conversion has ClusterIP",
     "Use the name of Service currency-conversion"),
    ("http://currency-conversion.web.svc.cluster.local.:8100/", "is a URL or has a port", "only the host name"),
    ("currency-conversion..web.svc.cluster.local.", "has an empty label", "single dots"),
    (42, "should be a DNS name in a string", "Write it in quotes"),
])
def test_each_typical_mistake_gets_its_own_hint(cluster, answer, problem, hint):
    with pytest.raises(CheckFailed) as caught:
        check_one_query_name(answer, cluster)
    assert problem in caught.value.problem
    assert hint in caught.value.hint


def test_one_pods_name_is_not_the_services_name(cluster):
    """A per-endpoint name has 5 dots: it is tried as it is first, so it too takes one query."""
    with pytest.raises(CheckFailed) as caught:
        check_one_query_name(_pod_name(cluster), cluster)
    assert "but Service currency-conversion has ClusterIP" in caught.value.problem
    assert "names one endpoint (one pod)" in caught.value.hint


def test_it_needs_a_running_pod_in_the_asking_namespace(cluster):
    with pytest.raises(CheckFailed, match="no Running pod in namespace prod"):
        check_one_query_name("currency-conversion.web.svc.cluster.local.", cluster, from_namespace="prod")


def test_it_asks_from_the_named_pod(cluster, capsys):
    check_one_query_name("currency-conversion.web.svc.cluster.local.", cluster, from_pod="dnsutils")
    assert capsys.readouterr().out.startswith("✓ ")
    with pytest.raises(CheckFailed, match='pods "nope" not found'):
        check_one_query_name("currency-conversion.web.svc.cluster.local.", cluster, from_pod="nope")


def test_it_needs_the_service(cluster):
    with pytest.raises(CheckFailed, match='services "currency-exchange" not found'):
        check_one_query_name("currency-exchange.web.svc.cluster.local.", cluster, service="currency-exchange")


def test_the_other_direction_works_too(cluster, capsys):
    """From ``web`` to a Service in ``default``: the same rule, the other namespace."""
    check_one_query_name("kubernetes.default.svc.cluster.local.", cluster, service="kubernetes",
                         namespace="default", from_namespace="web")
    assert capsys.readouterr().out.startswith("✓ kubernetes.default.svc.cluster.local. reaches Service kubernetes")
