"""The Service-types check (notebook 02): it runs the learner's command, then asks the model who can reach what."""

import pytest

from k8sedu.checks import CheckFailed, NotAnswered
from k8sedu.checks.service_types import check_nodeport_command
from k8sedu.cluster import Cluster

RIGHT = "expose deployment currency-conversion --type=NodePort --port=8100"


@pytest.fixture
def cluster():
    """currency-conversion (port 8100, 2 replicas) and currency-exchange, running, with no Service yet."""
    cluster = Cluster(seed=3)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE "
                    "--replicas=2 --port=8100")
    cluster.advance(10)
    return cluster


def failure(cluster, command) -> CheckFailed:
    with pytest.raises(CheckFailed) as err:
        check_nodeport_command(command, cluster)
    return err.value


@pytest.mark.parametrize("command", [
    RIGHT,
    "kubectl " + RIGHT,
    "create service nodeport currency-conversion --tcp=8100:8100",
    "expose deployment currency-conversion --type=NodePort --port=80 --target-port=8100",
])
def test_a_nodeport_on_every_node_passes(cluster, command, capsys):
    check_nodeport_command(command, cluster)
    printed = capsys.readouterr().out
    assert printed.startswith("✓ Service currency-conversion (NodePort) answers from the nodes' network on every node")
    node_port = cluster.get("Service", "currency-conversion").spec.ports[0].node_port
    for ip in ("172.18.0.2", "172.18.0.3", "172.18.0.4"):
        assert f"{ip}:{node_port}" in printed


def test_a_load_balancer_passes_through_its_node_port_and_says_so(cluster, capsys):
    check_nodeport_command("expose deployment currency-conversion --type=LoadBalancer --port=8100", cluster)
    printed = capsys.readouterr().out
    assert printed.startswith("✓ Service currency-conversion (LoadBalancer)")
    assert "<pending>" in printed


def test_the_placeholder_is_not_answered_yet(cluster):
    with pytest.raises(NotAnswered, match="not answered yet"):
        check_nodeport_command(..., cluster)
    assert cluster.list("Service", "default", {"app": "currency-conversion"}) == []


def test_a_command_must_be_a_string(cluster):
    err = failure(cluster, ["expose", "deployment", "currency-conversion"])
    assert "in quotes" in err.hint


def test_a_cluster_ip_fails_with_the_models_reason(cluster):
    err = failure(cluster, "expose deployment currency-conversion --port=8100")
    assert "is type ClusterIP" in err.problem
    assert "only reachable inside the cluster" in err.problem  # the model's own reason, from a vpc request
    assert "--type=NodePort" in err.hint


def test_the_wrong_pod_port_fails_with_a_target_port_hint(cluster):
    err = failure(cluster, "expose deployment currency-conversion --type=NodePort --port=8000")
    assert "nothing listens on port 8000" in err.problem
    assert "--target-port" in err.hint and "8100" in err.hint


def test_a_lower_case_type_is_refused_by_kubectl(cluster):
    err = failure(cluster, "expose deployment currency-conversion --type=nodeport --port=8100")
    assert 'Unsupported value: "nodeport"' in err.problem
    assert "case-sensitive" in err.hint


def test_a_second_try_after_a_wrong_one_is_told_to_delete_the_first(cluster):
    failure(cluster, "expose deployment currency-conversion --port=8100")
    err = failure(cluster, RIGHT)
    assert "AlreadyExists" in err.problem
    assert "kubectl delete service currency-conversion" in err.hint


def test_running_the_right_answer_twice_still_passes(cluster, capsys):
    check_nodeport_command(RIGHT, cluster)
    check_nodeport_command(RIGHT, cluster)
    assert capsys.readouterr().out.count("✓ Service currency-conversion (NodePort)") == 2


def test_exposing_the_other_deployment_finds_no_service_for_these_pods(cluster):
    err = failure(cluster, "expose deployment currency-exchange --type=NodePort --port=8000")
    assert "no Service selects the pods of deployment currency-conversion" in err.problem
    assert "kubectl expose deployment currency-conversion" in err.hint


def test_an_external_name_is_a_dns_alias_not_a_node_port(cluster):
    err = failure(cluster, "create service externalname currency-conversion --external-name=www.example.com")
    assert "ExternalName" in err.problem
    assert "--type=NodePort" in err.hint


def test_patching_a_service_that_does_not_exist_says_to_create_it(cluster):
    err = failure(cluster, """patch service currency-conversion -p '{"spec":{"type":"NodePort"}}'""")
    assert "NotFound" in err.problem
    assert "kubectl expose deployment currency-conversion" in err.hint


def test_patching_a_cluster_ip_to_node_port_passes(cluster, capsys):
    cluster.kubectl("expose deployment currency-conversion --port=8100")
    check_nodeport_command("""patch service currency-conversion -p '{"spec":{"type":"NodePort"}}'""", cluster)
    assert capsys.readouterr().out.startswith("✓ Service currency-conversion (NodePort)")
