"""check_stable_address (notebook 01): only an address that belongs to the Service survives a bad day."""

import pytest

from k8sedu import Cluster
from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.why_services import (check_expose_command, check_fixed_service, check_stable_address,
                                        check_traffic_share)


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


# ---------------------------------------------------------------- exercise 01: the checks of its tasks

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: currency-exchange
spec:
  selector:
    app: currency-exchange
  ports:
  - port: 8000
    targetPort: 8000
"""
BROKEN_SERVICE = SERVICE.replace("app: currency-exchange", "app: exchange").replace("targetPort: 8000",
                                                                                      "targetPort: 8080")
CANARY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: currency-exchange-canary
spec:
  replicas: 1
  selector:
    matchLabels:
      app: currency-exchange
      track: canary
  template:
    metadata:
      labels:
        app: currency-exchange
        track: canary
    spec:
      containers:
      - name: currency-exchange
        image: in28min/currency-exchange:0.0.1-RELEASE
        ports:
        - containerPort: 8000
"""


@pytest.fixture
def shop():
    """The exercise's starting point: currency-exchange (2 replicas) and a client, no Service yet."""
    cluster = Cluster(seed=111, current=False)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE "
                    "--port=8100")
    cluster.advance(10)
    return cluster


def _raises(check, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as caught:
        check(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize("command", ["expose deployment currency-exchange --port=8000",
                                     "kubectl create service clusterip currency-exchange --tcp=8000:8000"])
def test_exposing_the_deployment_survives_a_rollout(shop, command, capsys):
    check_expose_command(command, shop, from_pod=_client(shop))
    assert "and again after a rollout replaced every pod" in capsys.readouterr().out


def test_an_expose_placeholder_is_not_answered_yet(shop):
    with pytest.raises(NotAnswered, match="the kubectl command"):
        check_expose_command(..., shop, from_pod=_client(shop))


@pytest.mark.parametrize("command, problem, hint", [
    ("expose deployment currency-exchange --port=80", "could not reach currency-exchange",
     "The Service listens on port 80, but the client calls port 8000"),
    ("expose deployment currency-exchange --port=8000 --target-port=80", "nothing listens on port 80",
     "The Service forwards to port 80 of the pods, but they listen on 8000"),
    ("expose deployment currency-conversion --port=8000", "There is no Service named currency-exchange",
     "A Service is named after what you expose"),
    ("expose deployment currency-exchange --port=8000 --type=clusterip", "Unsupported value",
     "Type names are case-sensitive"),
    ("expose deployment exchange --port=8000", "not found", "kubectl expose needs an existing object"),
    ("get services", "There is no Service named currency-exchange", "kubectl expose deployment <name> creates"),
    (None, "should be a kubectl command line in a string", "Write it in quotes"),
    ("%kubectl expose deployment currency-exchange --port=8000", 'unknown command "%kubectl"', "Leave out %kubectl"),
    ("expose currency-exchange --port=8000", 'resource type "currency-exchange"', "expose <kind> <name>"),
    ("create service currency-exchange --port=8000", "unknown flag: --port",
     "kubectl create service needs the type as a subcommand"),
])
def test_each_wrong_expose_gets_its_own_hint(shop, command, problem, hint):
    failure = _raises(check_expose_command, command, shop, from_pod=_client(shop))
    assert problem in failure.problem and hint in failure.hint


def test_exposing_one_pod_breaks_at_the_rollout(shop):
    pod = shop.pod_names({"app": "currency-exchange"})[0]
    failure = _raises(check_expose_command, f"expose pod {pod} --port=8000 --name=currency-exchange", shop,
                      from_pod=_client(shop))
    assert failure.problem.startswith("After `kubectl rollout restart` replaced every pod")
    assert "pod-template-hash is one ReplicaSet's label" in failure.hint


@pytest.fixture
def unreached(shop):
    shop.apply(BROKEN_SERVICE)
    shop.advance(5)
    return shop


def test_the_fixed_service_reaches_every_pod(unreached, capsys):
    check_fixed_service(SERVICE, unreached, from_pod=_client(unreached))
    assert capsys.readouterr().out.startswith("✓ 400 calls to currency-exchange:8000 were spread over its 2 pods")


def test_a_service_placeholder_is_not_answered_yet(unreached):
    with pytest.raises(NotAnswered, match="corrected YAML manifest"):
        check_fixed_service(..., unreached, from_pod=_client(unreached))


@pytest.mark.parametrize("manifest, problem, hint", [
    (BROKEN_SERVICE, "selects app=exchange, but the currency-exchange pods are labelled app=currency-exchange",
     "A Service finds its pods by their labels only"),
    (BROKEN_SERVICE.replace("targetPort: 8080", "targetPort: 8000"), "selects app=exchange",
     "A Service finds its pods by their labels only"),
    (SERVICE.replace("targetPort: 8000", "targetPort: 8080"), "nothing listens on port 8080",
     "The Service forwards to port 8080 of the pods, but they listen on 8000"),
    (SERVICE.replace("  - port: 8000", "  - port: 80"), "could not reach currency-exchange",
     "The Service listens on port 80, but the client calls port 8000"),
    (SERVICE.replace("  ports", "\tports"), "error converting YAML", "indent with spaces only"),
    (3, "should be YAML text in a string", "triple quotes"),
])
def test_each_wrong_service_gets_its_own_hint(unreached, manifest, problem, hint):
    failure = _raises(check_fixed_service, manifest, unreached, from_pod=_client(unreached))
    assert problem in failure.problem and hint in failure.hint


def test_a_renamed_service_leaves_the_broken_one_in_place(unreached):
    failure = _raises(check_fixed_service, SERVICE.replace("name: currency-exchange", "name: exchange"), unreached,
                      from_pod=_client(unreached))
    assert "selects app=exchange" in failure.problem


@pytest.fixture
def canary(shop):
    shop.kubectl("expose deployment currency-exchange --port=8000")
    shop.apply(CANARY)
    shop.advance(10)
    return shop


@pytest.mark.parametrize("share", ["1/3", 1 / 3, 0.333])
def test_the_canary_gets_a_third(canary, share, capsys):
    check_traffic_share(share, canary, from_pod=_client(canary), pods_of="currency-exchange-canary")
    out = capsys.readouterr().out
    assert out.startswith("✓ Service currency-exchange has 3 Ready endpoints, 1 of them currency-exchange-canary's")


def test_a_share_placeholder_is_not_answered_yet(canary):
    with pytest.raises(NotAnswered, match="the share"):
        check_traffic_share(..., canary, from_pod=_client(canary), pods_of="currency-exchange-canary")


@pytest.mark.parametrize("share, hint", [
    (0.5, "The Service does not split traffic between Deployments (2 of them here)"),
    (0, "The Service's name does not matter: it selects by labels"),
    (0.25, "all equally likely. Count them"),
    ("a third", "Write a number such as 0.25"),
    (3, "Write a number such as 0.25"),
])
def test_each_wrong_share_gets_its_own_hint(canary, share, hint):
    failure = _raises(check_traffic_share, share, canary, from_pod=_client(canary), pods_of="currency-exchange-canary")
    assert hint in failure.hint
