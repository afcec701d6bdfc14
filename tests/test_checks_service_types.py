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


# ---------------------------------------------------------------- the exercises of solutions/02

from k8sedu.checks.service_types import check_expose_command, check_nodeport_manifest, check_reachable_sources

EXPOSE = "expose deployment currency-conversion --type=NodePort --port=80 --target-port=8100"


def expose_hint(cluster, command) -> str:
    with pytest.raises(CheckFailed) as err:
        check_expose_command(command, cluster)
    return err.value.hint


@pytest.mark.parametrize("command", [EXPOSE, "kubectl " + EXPOSE,
                                     "expose deployment currency-conversion --type=LoadBalancer --port=80 "
                                     "--target-port=8100"])
def test_expose_on_port_80_to_8100_on_every_node_passes(cluster, command, capsys):
    check_expose_command(command, cluster)
    out = capsys.readouterr().out
    assert out.startswith("✓ Service currency-conversion (")
    assert ":80 reached currency-conversion-" in out and "every node answers on nodePort" in out


def test_expose_placeholder_is_not_answered_yet(cluster):
    with pytest.raises(NotAnswered, match="port 80"):
        check_expose_command(..., cluster)


def test_expose_without_target_port_names_it(cluster):
    hint = expose_hint(cluster, "expose deployment currency-conversion --type=NodePort --port=80")
    assert "listen on 8100" in hint and "--target-port" in hint


def test_expose_on_the_pods_port_is_not_the_port_clients_call(cluster):
    hint = expose_hint(cluster, "expose deployment currency-conversion --type=NodePort --port=8100")
    assert "the clients call 80" in hint


def test_expose_without_type_is_a_cluster_ip(cluster):
    assert "--type=NodePort" in expose_hint(cluster, "expose deployment currency-conversion --port=80 "
                                                     "--target-port=8100")


def test_expose_with_a_lower_case_type_is_refused(cluster):
    assert "case-sensitive" in expose_hint(cluster, EXPOSE.replace("NodePort", "nodeport"))


def test_expose_needs_a_string(cluster):
    assert "in quotes" in expose_hint(cluster, 80)


NODEPORT_MANIFEST = """apiVersion: v1
kind: Service
metadata:
  name: currency-conversion
spec:
  type: NodePort
  selector:
    app: currency-conversion
  ports:
  - port: 8100
    targetPort: 8100
    nodePort: {node_port}
"""


@pytest.fixture
def taken(cluster):
    """The fixture's cluster, where Service currency-exchange already holds nodePort 30080."""
    cluster.kubectl("create service nodeport currency-exchange --tcp=8000:8000 --node-port=30080")
    cluster.advance(5)
    return cluster


def manifest_hint(cluster, manifest) -> str:
    with pytest.raises(CheckFailed) as err:
        check_nodeport_manifest(manifest, cluster)
    return err.value.hint


@pytest.mark.parametrize("node_port", ["31100", "null"])
def test_a_free_node_port_in_range_or_none_passes(taken, node_port, capsys):
    check_nodeport_manifest(NODEPORT_MANIFEST.format(node_port=node_port), taken)
    assert capsys.readouterr().out.startswith("✓ Service currency-conversion (NodePort) answers from the nodes'")


def test_the_manifest_placeholder_is_not_answered_yet(taken):
    with pytest.raises(NotAnswered, match="YAML manifest"):
        check_nodeport_manifest(..., taken)


def test_a_node_port_out_of_range_names_the_range(taken):
    assert "30000-32767" in manifest_hint(taken, NODEPORT_MANIFEST.format(node_port="8100"))


def test_a_node_port_another_service_holds_is_named(taken):
    assert "Another Service already holds" in manifest_hint(taken, NODEPORT_MANIFEST.format(node_port="30080"))


def test_a_node_port_on_a_cluster_ip_service_is_refused(taken):
    manifest = NODEPORT_MANIFEST.format(node_port="31100").replace("type: NodePort", "type: ClusterIP")
    assert "keep type: NodePort" in manifest_hint(taken, manifest)


def test_dropping_the_type_leaves_no_node_port(taken):
    manifest = NODEPORT_MANIFEST.format(node_port="31100").replace("  type: NodePort\n", "").replace(
        "    nodePort: 31100\n", "")
    assert "--type=NodePort" in manifest_hint(taken, manifest)


def test_a_wrong_target_port_is_named(taken):
    manifest = NODEPORT_MANIFEST.format(node_port="31100").replace("targetPort: 8100", "targetPort: 80")
    assert "--target-port" in manifest_hint(taken, manifest)


@pytest.mark.parametrize("manifest", ["kind: Service\n  name: [x", 42])
def test_a_manifest_that_is_not_yaml_text_is_named(taken, manifest):
    assert "YAML" in manifest_hint(taken, manifest) or "triple quotes" in manifest_hint(taken, manifest)


def test_a_renamed_service_is_named(taken):
    manifest = NODEPORT_MANIFEST.format(node_port="31100").replace("name: currency-conversion",
                                                                   "name: conversion")
    assert "metadata.name: currency-conversion" in manifest_hint(taken, manifest)


@pytest.fixture
def exposed(cluster):
    """The fixture's cluster with currency-exchange exposed as a NodePort Service."""
    cluster.kubectl("expose deployment currency-exchange --type=NodePort --port=8000")
    cluster.advance(5)
    return cluster


RIGHT_SOURCES = {"ClusterIP": {"pod", "node"}, "NodePort": {"pod", "node", "vpc"}}


def sources_hint(cluster, answer) -> str:
    with pytest.raises(CheckFailed) as err:
        check_reachable_sources(answer, cluster)
    return err.value.hint


def test_the_right_sources_pass(exposed, capsys):
    check_reachable_sources(RIGHT_SOURCES, exposed)
    out = capsys.readouterr().out
    assert "answers pod, node;" in out and "answers pod, node, vpc;" in out


def test_the_sources_placeholder_is_not_answered_yet(exposed):
    with pytest.raises(NotAnswered, match="ClusterIP"):
        check_reachable_sources(..., exposed)


def test_vpc_reaching_a_cluster_ip_is_refuted(exposed):
    answer = {**RIGHT_SOURCES, "ClusterIP": {"pod", "node", "vpc"}}
    assert "virtual" in sources_hint(exposed, answer)


def test_internet_reaching_a_kind_node_port_is_refuted(exposed):
    answer = {**RIGHT_SOURCES, "NodePort": {"pod", "node", "vpc", "internet"}}
    assert "no route" in sources_hint(exposed, answer)


def test_leaving_pods_out_of_the_node_port_is_named(exposed):
    answer = {**RIGHT_SOURCES, "NodePort": {"vpc"}}
    assert "ordinary address" in sources_hint(exposed, answer)


@pytest.mark.parametrize("answer", [{"pod", "node"}, {"ClusterIP": {"pods"}, "NodePort": set()},
                                    {"ClusterIP": 3, "NodePort": set()}])
def test_a_malformed_prediction_says_how_to_write_it(exposed, answer):
    hint = sources_hint(exposed, answer)
    assert "{" in hint or "sources are" in hint


@pytest.mark.parametrize("missing, hint", [
    ("node", "the node reaches a ClusterIP just as its pods do"),
    ("pod", "it keeps its ClusterIP, and pods reach it"),
])
def test_each_source_left_out_of_the_cluster_ip_gets_its_own_hint(exposed, missing, hint):
    answer = {**RIGHT_SOURCES, "ClusterIP": RIGHT_SOURCES["ClusterIP"] - {missing}}
    assert hint in sources_hint(exposed, answer)


@pytest.mark.parametrize("command, hint", [
    (EXPOSE.replace("--port=80 --target-port=8100", "--port=8100 --target-port=80"), "the two are swapped"),
    (EXPOSE + " --node-port=30100", "kubectl expose has no flag for the node port"),
    (EXPOSE.replace("--target-port", "--targetPort"), "kubectl knows no such flag: check its spelling"),
    ("%kubectl " + EXPOSE, "Leave out %kubectl"),
])
def test_each_expose_slip_gets_its_own_hint(cluster, command, hint):
    assert hint in expose_hint(cluster, command)


def test_a_quoted_node_port_is_a_string_not_a_number(taken):
    assert "'30100' in quotes is a string" in manifest_hint(taken, NODEPORT_MANIFEST.format(node_port="'30100'"))
