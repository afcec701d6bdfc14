"""The DNS checks of notebook 04 and exercise 4: a one-query name across namespaces, a host fixed in a ConfigMap,
a predicted number of queries."""

import pytest

from k8sedu import Cluster
from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.discovery import check_query_count
from k8sedu.checks.dns import check_config_host, check_one_query_name

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
    ("10.96.0.10", "is an IP address, not a DNS name", "a ClusterIP changes when the Service is created again"),
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


# ---------------------------------------------------------------- check_config_host (exercise 4, task 1)

CONFIG = """apiVersion: v1
kind: ConfigMap
metadata:
  name: exchange-config
  namespace: {namespace}
data:
  CURRENCY_EXCHANGE_HOST: {host}
"""


@pytest.fixture
def broken():
    """currency-exchange in ``default``; currency-conversion in ``web`` reads a host that names ``web``."""
    c = Cluster(seed=401)
    c.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
              "--replicas=2 --port=8000")
    c.kubectl("expose deployment currency-exchange --port=8000")
    c.kubectl("create namespace web")
    c.apply(CONFIG.format(namespace="web", host="currency-exchange.web.svc.cluster.local"))
    c.kubectl("create deployment currency-conversion -n web --image=in28min/currency-conversion:0.0.1-RELEASE "
              "--port=8100")
    c.advance(10)
    return c


@pytest.mark.parametrize("host", ["currency-exchange.default.svc.cluster.local", "currency-exchange.default",
                                  "currency-exchange.default.svc.cluster.local."])
def test_a_host_in_the_services_namespace_passes_and_the_request_arrives(broken, host, capsys):
    check_config_host(CONFIG.format(namespace="web", host=host), broken)
    out = capsys.readouterr().out
    assert out.startswith(f"✓ ConfigMap exchange-config in web says CURRENCY_EXCHANGE_HOST={host}")
    assert "a request reaches pod currency-exchange-" in out and "(HTTP 200)" in out
    assert broken.get("ConfigMap", "exchange-config", "web").data["CURRENCY_EXCHANGE_HOST"] == host


def test_the_yaml_kubectl_printed_with_the_value_fixed_passes(broken, capsys):
    printed = broken.kubectl("get configmap exchange-config -n web -o yaml")
    check_config_host(printed.replace("exchange.web.svc", "exchange.default.svc"), broken)
    assert capsys.readouterr().out.startswith("✓ ")


def test_the_config_placeholder_is_not_answered(broken):
    with pytest.raises(NotAnswered, match="the fixed ConfigMap exchange-config"):
        check_config_host(..., broken)


@pytest.mark.parametrize("manifest, problem, hint", [
    (CONFIG.format(namespace="web", host="currency-exchange.web.svc.cluster.local"), "does not resolve (NXDOMAIN)",
     "The namespace label is the Service's own namespace: default"),
    (CONFIG.format(namespace="web", host="currency-exchange"), "does not resolve (NXDOMAIN)",
     "Add the Service's namespace"),
    (CONFIG.format(namespace="web", host="exchange.default.svc.cluster.local"), "does not resolve (NXDOMAIN)",
     "<service>.<namespace>.svc.cluster.local"),
    (CONFIG.format(namespace="web", host="kubernetes.default.svc.cluster.local"),
     "does not reach a currency-exchange pod", "Use the name of Service currency-exchange in namespace default"),
    (CONFIG.format(namespace="web", host='"http://currency-exchange.default:8000"'), "a URL or a host with a port",
     "adds the scheme and the port itself"),
    (CONFIG.format(namespace="default", host="currency-exchange.default.svc.cluster.local"),
     "puts ConfigMap exchange-config in namespace default", "keep metadata.namespace: web"),
    (CONFIG.format(namespace="web", host="x").replace("exchange-config", "exchange-cfg"),
     "no ConfigMap named exchange-config", "metadata.name: exchange-config"),
    (CONFIG.format(namespace="web", host="x").replace("CURRENCY_EXCHANGE_HOST", "HOST"),
     "has no key CURRENCY_EXCHANGE_HOST", "fix its value, keep the key"),
    ("data: [unclosed", "kubectl apply refused the manifest", "keep its indentation"),
    ("kind: ConfigMap\n", "kubectl apply refused the manifest", "Start from the ConfigMap"),
    (42, "should be a manifest in a string", "triple quotes"),
    (CONFIG.format(namespace="web", host="10.96.0.10"), "is an IP address, not a DNS name",
     "Give the Service's DNS name"),
])
def test_each_config_mistake_gets_its_own_hint(broken, manifest, problem, hint):
    with pytest.raises(CheckFailed) as caught:
        check_config_host(manifest, broken)
    assert problem in caught.value.problem
    assert hint in caught.value.hint


def test_a_cluster_without_the_service_says_so_without_a_traceback():
    c = Cluster(seed=401)
    c.kubectl("create namespace web")
    c.kubectl("run client -n web --image=registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3 -- sleep infinity")
    c.advance(10)
    with pytest.raises(CheckFailed, match='services "currency-exchange" not found') as caught:
        check_config_host(CONFIG.format(namespace="web", host="currency-exchange.default.svc.cluster.local"), c)
    assert "run the cells above again" in caught.value.hint


# ---------------------------------------------------------------- check_query_count (exercise 4, task 2)

@pytest.fixture(scope="module")
def shop():
    c = Cluster(seed=402)
    c.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE --port=8000")
    c.kubectl("expose deployment currency-exchange --port=8000")
    c.kubectl("create namespace web")
    c.kubectl(f"run dnsutils -n web --image={IMAGE} -- sleep infinity")
    c.advance(10)
    return c


@pytest.mark.parametrize("name, queries", [("currency-exchange.default.svc", 3), ("currency-exchange.default", 2),
                                           ("currency-exchange", 4), ("currency-exchange.default.svc.cluster.local.", 1),
                                           ("example.com", 4)])
def test_the_real_count_passes(shop, name, queries, capsys):
    check_query_count(queries, shop, name, from_pod="dnsutils", namespace="web")
    assert capsys.readouterr().out.startswith(f"✓ {name} takes {queries} quer")


def test_the_prediction_placeholder_is_not_answered(shop):
    with pytest.raises(NotAnswered, match="the number of DNS queries"):
        check_query_count(..., shop, "currency-exchange.default.svc", from_pod="dnsutils", namespace="web")


@pytest.mark.parametrize("name, answer, hint", [
    ("currency-exchange.default.svc", 1, "The name is not tried as it is first"),
    ("currency-exchange.default.svc", 4, "The resolver stops at the first name that exists"),
    ("currency-exchange.default.svc", 2, "Write down each name it builds"),
    ("currency-exchange", 3, "You counted the search domains but not the last try"),
    ("currency-exchange.default.svc.cluster.local.", 4, "is the search list used first, last, or not at all"),
    ("currency-exchange.default.svc", 0, "at least one query"),
    ("currency-exchange.default.svc", 6, "counted an AAAA query next to each A query"),
])
def test_each_wrong_count_gets_its_own_hint(shop, name, answer, hint):
    with pytest.raises(CheckFailed) as caught:
        check_query_count(answer, shop, name, from_pod="dnsutils", namespace="web")
    assert f"{answer} is not the number of queries dnsutils sends" in caught.value.problem
    assert hint in caught.value.hint


@pytest.mark.parametrize("answer", ["3", 3.0, True])
def test_a_count_must_be_a_whole_number(shop, answer):
    with pytest.raises(CheckFailed, match="should be a whole number of queries"):
        check_query_count(answer, shop, "currency-exchange.default.svc", from_pod="dnsutils", namespace="web")


def test_the_prediction_asks_a_pod_that_exists(shop):
    with pytest.raises(CheckFailed, match='pods "nope" not found'):
        check_query_count(3, shop, "currency-exchange.default.svc", from_pod="nope", namespace="web")
