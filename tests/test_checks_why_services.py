"""check_stable_address (notebook 01): only an address that belongs to the Service survives a bad day."""

import pytest

from k8sedu import Cluster
from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.why_services import check_stable_address


@pytest.fixture
def cluster():
    """currency-exchange (2 replicas) behind a ClusterIP Service, and a currency-conversion client."""
    cluster = Cluster(seed=1)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE "
                    "--port=8100")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.advance(10)
    return cluster


def _client(cluster):
    return cluster.pod_names({"app": "currency-conversion"})[0]


def _exchange_pod(cluster):
    name = cluster.pod_names({"app": "currency-exchange"})[0]
    return name, cluster.get("Pod", name).status.pod_ip


def _fails(cluster, answer):
    with pytest.raises(CheckFailed) as caught:
        check_stable_address(answer, cluster, from_pod=_client(cluster))
    assert str(caught.value) == f"{caught.value.problem}\nHint: {caught.value.hint}"
    return caught.value


def test_a_placeholder_is_not_answered_yet(cluster):
    with pytest.raises(NotAnswered, match=r"^not answered yet: replace \.\.\. with the address"):
        check_stable_address(..., cluster, from_pod=_client(cluster))


@pytest.mark.parametrize("answer", ["currency-exchange", "currency-exchange.default",
                                    "currency-exchange.default.svc.cluster.local", " currency-exchange "])
def test_the_services_name_survives_a_rollout_and_a_recreated_service(cluster, answer, capsys):
    old_ip = cluster.get("Service", "currency-exchange").spec.cluster_ip
    old_pods = set(cluster.pod_names({"app": "currency-exchange"}))
    check_stable_address(answer, cluster, from_pod=_client(cluster))
    out = capsys.readouterr().out
    assert out.startswith(f"✓ {answer.strip()} reached currency-exchange-")
    assert "after the rollout replaced every pod" in out and f"ClusterIP {old_ip} -> " in out
    assert not old_pods & set(cluster.pod_names({"app": "currency-exchange"}))
    assert cluster.get("Service", "currency-exchange").spec.cluster_ip != old_ip


def test_a_pod_ip_breaks_when_the_rollout_replaces_its_pod(cluster):
    name, ip = _exchange_pod(cluster)
    failure = _fails(cluster, ip)
    assert "after `kubectl rollout restart` replaced every pod" in failure.problem
    assert f"no pod has IP {ip}" in failure.problem
    assert f"{ip} was the IP of pod {name}" in failure.hint


def test_a_pods_dns_name_is_its_ip_in_disguise(cluster):
    name, ip = _exchange_pod(cluster)
    failure = _fails(cluster, f"{ip.replace('.', '-')}.default.pod.cluster.local")
    assert f"is a DNS name for {ip}, and {ip} was the IP of pod {name}" in failure.hint


def test_a_pod_name_does_not_resolve(cluster):
    name, _ = _exchange_pod(cluster)
    failure = _fails(cluster, name)
    assert "before anything changes" in failure.problem and "NXDOMAIN" in failure.problem
    assert "is a pod's name. CoreDNS has records for Services, not for pod names" in failure.hint


def test_the_clusterip_breaks_when_the_service_is_recreated(cluster):
    ip = cluster.get("Service", "currency-exchange").spec.cluster_ip
    failure = _fails(cluster, ip)
    assert "after the Service was deleted and created again" in failure.problem
    assert "A ClusterIP lives as long as its Service object" in failure.hint


def test_a_recreated_nodeport_service_keeps_its_type(cluster, capsys):
    cluster.kubectl("""patch service currency-exchange -p '{"spec":{"type":"NodePort"}}'""")
    check_stable_address("currency-exchange", cluster, from_pod=_client(cluster))
    assert capsys.readouterr().out.startswith("✓ ")
    assert cluster.get("Service", "currency-exchange").spec.type == "NodePort"


@pytest.mark.parametrize("answer, hint", [
    ("172.18.0.3", "That is a node's IP"),
    ("localhost", "localhost is the client pod itself"),
    ("10.244.1.77", "No pod has IP 10.244.1.77 any more"),
    ("currency-conversion", "currency-conversion is not the name of a Service in namespace default"),
])
def test_other_wrong_addresses_get_their_own_hint(cluster, answer, hint):
    failure = _fails(cluster, answer)
    assert "before anything changes" in failure.problem
    assert failure.hint.startswith(hint)


def test_the_clients_own_ip_is_not_currency_exchange(cluster):
    failure = _fails(cluster, cluster.get("Pod", _client(cluster)).status.pod_ip)
    assert failure.hint.startswith("That is the IP of a pod that is not a currency-exchange pod")


@pytest.mark.parametrize("answer, problem, hint", [
    ("http://currency-exchange:8000", "is more than an address", "Give only what goes between http:// and :8000"),
    ("currency-exchange:8000", "is more than an address", "Give only what goes between"),
    (5, "should be an address in a string", "Write it in quotes"),
    ("", "should be an address in a string", "Write it in quotes"),
])
def test_an_answer_that_is_not_a_host_is_rejected_before_touching_the_cluster(cluster, answer, problem, hint):
    pods = cluster.pod_names({"app": "currency-exchange"})
    failure = _fails(cluster, answer)
    assert problem in failure.problem and hint in failure.hint
    assert cluster.pod_names({"app": "currency-exchange"}) == pods


def test_a_missing_service_is_named(cluster):
    cluster.kubectl("delete service currency-exchange")
    failure = _fails(cluster, "currency-exchange")
    assert 'services "currency-exchange" not found' in failure.problem


def test_a_clusterip_no_service_has_any_more_is_named(cluster):
    old_ip = cluster.get("Service", "currency-exchange").spec.cluster_ip
    cluster.kubectl("delete service currency-exchange")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    assert cluster.get("Service", "currency-exchange").spec.cluster_ip != old_ip
    failure = _fails(cluster, old_ip)
    assert "before anything changes" in failure.problem
    assert failure.hint.startswith("That is an address from the Service range, but no Service has it now")


def test_the_name_of_a_pod_that_is_gone_is_still_a_pod_name(cluster):
    failure = _fails(cluster, "currency-exchange-86cb49dbf8-zzzzz")
    assert "is a pod's name. CoreDNS has records for Services, not for pod names" in failure.hint
