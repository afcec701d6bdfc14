"""The check of notebook 03: a MetalLB pool that takes two LoadBalancer Services out of <pending>.

The right pool passes and says what it verified; each typical wrong pool
fails with the hint for that mistake; ``...`` is not answered yet.
"""

import pytest

from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.scenarios import check_metallb_pool


def hint_of(addresses) -> str:
    with pytest.raises(CheckFailed) as err:
        check_metallb_pool(addresses)
    return err.value.hint


@pytest.mark.parametrize("pool", ["172.18.255.200-172.18.255.250", "172.18.255.200/30", " 172.18.100.1-172.18.100.2 "])
def test_a_free_range_on_the_kind_network_gives_both_services_a_reachable_external_ip(pool, capsys):
    check_metallb_pool(pool)
    out = capsys.readouterr().out
    assert out.startswith("✓ MetalLB assigned 172.18.")
    assert "to currency-exchange" in out and "to currency-conversion" in out
    assert "answered by pod currency-exchange-" in out and "answered by pod currency-conversion-" in out


def test_the_placeholder_is_not_answered_yet():
    with pytest.raises(NotAnswered, match="IPAddressPool"):
        check_metallb_pool(...)


@pytest.mark.parametrize("answer", [5, "", None, ["172.18.255.200-172.18.255.250"]])
def test_a_pool_that_is_not_a_string_asks_for_quotes(answer):
    assert "quotes" in hint_of(answer)


@pytest.mark.parametrize("pool", ["172.18.255.250-172.18.255.200", "172.18.255.x", "172.18.255.200 to 172.18.255.250"])
def test_a_pool_metallb_cannot_read_shows_its_error_and_the_syntax(pool):
    with pytest.raises(CheckFailed, match="MetalLB cannot use this pool") as err:
        check_metallb_pool(pool)
    assert "joined by '-'" in err.value.hint


def test_one_address_leaves_the_second_service_pending():
    with pytest.raises(CheckFailed, match="still <pending>") as err:
        check_metallb_pool("172.18.255.200/32")
    assert "its own address" in err.value.hint


def test_the_service_range_is_refused_because_clusterips_are_virtual():
    assert "virtual" in hint_of("10.96.255.200-10.96.255.250")


def test_the_pod_range_is_refused():
    with pytest.raises(CheckFailed, match="pod range 10.244.0.0/16"):
        check_metallb_pool("10.244.255.200-10.244.255.250")


def test_a_home_lan_range_is_not_on_the_nodes_network():
    with pytest.raises(CheckFailed, match="not on the nodes' network 172.18.0.0/16") as err:
        check_metallb_pool("192.168.1.240-192.168.1.250")
    assert "ARP" in err.value.hint


@pytest.mark.parametrize("pool, holder", [("172.18.0.2-172.18.0.10", "kind-control-plane"),
                                          ("172.18.0.0/28", "kind-control-plane"),
                                          ("172.18.0.1/32", "the host")])
def test_a_pool_holding_a_machine_s_address_is_refused(pool, holder):
    with pytest.raises(CheckFailed, match=f"the address of {holder}") as err:
        check_metallb_pool(pool)
    assert "fight over it" in err.value.hint


def test_an_ipv6_only_pool_cannot_serve_ipv4_services():
    with pytest.raises(CheckFailed, match="no IPv4 address"):
        check_metallb_pool("fc00::/120")


TAKEN = "172.18.255.200-172.18.255.250"


def test_a_pool_overlapping_another_cluster_s_pool_is_refused():
    with pytest.raises(CheckFailed, match="another kind cluster's MetalLB") as err:
        check_metallb_pool("172.18.255.240-172.18.255.254", taken=TAKEN)
    assert "ARP" in err.value.hint


def test_a_pool_beside_another_cluster_s_pool_passes(capsys):
    check_metallb_pool("172.18.254.1-172.18.254.10", taken=TAKEN)
    assert capsys.readouterr().out.startswith("✓ MetalLB assigned 172.18.254.")


# ---------------------------------------------------------------- the exercises of solutions/03

from k8sedu.checks.scenarios import check_external_name, check_load_balancer_pool, check_service_manifest
from k8sedu.cluster import Cluster

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector:
    app: {app}
  ports:
  - port: 8000
    targetPort: {target}
"""


def service(name="currency-exchange", app="currency-exchange", target=8000) -> str:
    return SERVICE.format(name=name, app=app, target=target)


@pytest.fixture
def shop():
    """currency-exchange (2 pods) behind a Service whose selector has a typo; a currency-conversion client."""
    cluster = Cluster(seed=31)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE "
                    "--port=8100")
    cluster.apply(service(app="currency-exchnage"))
    cluster.advance(10)
    return cluster


def failure_of(check_function, answer, cluster) -> CheckFailed:
    with pytest.raises(CheckFailed) as err:
        check_function(answer, cluster)
    return err.value


def test_the_fixed_selector_passes(shop, capsys):
    check_service_manifest(service(), shop)
    out = capsys.readouterr().out
    assert out.startswith("✓ Service currency-exchange selects app=currency-exchange")
    assert "reached currency-exchange-" in out


def test_the_selector_placeholder_is_not_answered_yet(shop):
    with pytest.raises(NotAnswered, match="manifest"):
        check_service_manifest(..., shop)


def test_the_typo_left_in_names_the_labels(shop):
    err = failure_of(check_service_manifest, service(app="currency-exchnage"), shop)
    assert "labelled app=currency-exchange" in err.problem and "letter for letter" in err.hint


def test_the_client_s_label_selects_the_wrong_pods(shop):
    err = failure_of(check_service_manifest, service(app="currency-conversion"), shop)
    assert "selects currency-conversion-" in err.problem


def test_a_changed_target_port_is_named(shop):
    assert "targetPort is the pods' port" in failure_of(check_service_manifest, service(target=8100), shop).hint


def test_a_renamed_service_is_named(shop):
    err = failure_of(check_service_manifest, service(name="currency-exchange-svc"), shop)
    assert "keep metadata.name: currency-exchange" in err.hint


@pytest.mark.parametrize("manifest", ["spec: [", 8000])
def test_a_manifest_that_is_not_yaml_text_is_named(shop, manifest):
    hint = failure_of(check_service_manifest, manifest, shop).hint
    assert "YAML" in hint


@pytest.fixture
def pending():
    """Three LoadBalancer Services on a kind-like cluster, all <pending>: nothing provisions them."""
    cluster = Cluster(seed=32)
    for name, port in (("currency-exchange", 8000), ("currency-conversion", 8100)):
        cluster.kubectl(f"create deployment {name} --image=in28min/{name}:0.0.1-RELEASE --port={port}")
        cluster.kubectl(f"expose deployment {name} --type=LoadBalancer --port={port}")
    cluster.kubectl("create deployment web --image=nginx --port=80")
    cluster.kubectl("expose deployment web --type=LoadBalancer --port=80")
    cluster.advance(10)
    return cluster


def test_a_free_pool_of_the_nodes_network_fixes_every_pending_service(pending, capsys):
    check_load_balancer_pool("172.18.255.200-172.18.255.250", pending)
    check_load_balancer_pool("172.18.255.200-172.18.255.250", pending)  # a second run still passes
    out = capsys.readouterr().out
    assert out.count("✓ MetalLB took every LoadBalancer Service out of <pending>") == 2
    assert "web got 172.18.255." in out


def test_the_pool_placeholder_is_not_answered_yet(pending):
    with pytest.raises(NotAnswered, match="IPAddressPool"):
        check_load_balancer_pool(..., pending)


def test_a_pool_too_small_for_three_services_is_counted(pending):
    err = failure_of(check_load_balancer_pool, "172.18.255.200/31", pending)
    assert "holds 2 addresses, and 3" in err.problem and "/30 four" in err.hint
    assert "metallb" not in pending.core.addons  # refused before installing: the learner can try again


@pytest.mark.parametrize("pool, hint", [("10.96.200.0/29", "virtual"), ("192.168.1.240-192.168.1.250", "ARP"),
                                        ("172.18.0.1-172.18.0.9", "fight over it"), ("172.18.255.x", "joined by '-'"),
                                        (["172.18.255.200/29"], "quotes")])
def test_each_wrong_pool_gets_its_own_hint(pending, pool, hint):
    assert hint in failure_of(check_load_balancer_pool, pool, pending).hint


EXTERNAL = """apiVersion: v1
kind: Service
metadata:
  name: rates
spec:
  type: ExternalName
  externalName: {target}
"""


@pytest.fixture
def rates():
    """currency-exchange pods calling http://rates/, a ClusterIP Service in front of an in-cluster stub."""
    cluster = Cluster(seed=33)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--port=8000")
    cluster.kubectl("create deployment rates-stub --image=nginx --port=80")
    cluster.apply("apiVersion: v1\nkind: Service\nmetadata:\n  name: rates\nspec:\n  selector:\n"
                  "    app: rates-stub\n  ports:\n  - port: 80\n")
    cluster.advance(10)
    return cluster


def test_an_external_name_to_the_provider_passes(rates, capsys):
    check_external_name(EXTERNAL.format(target="example.com"), rates)
    out = capsys.readouterr().out
    assert out.startswith("✓ From pod currency-exchange-") and "rates is a CNAME to example.com" in out
    assert rates.get("Service", "rates").spec.cluster_ip in (None, "")


def test_the_external_name_placeholder_is_not_answered_yet(rates):
    with pytest.raises(NotAnswered, match="DNS alias"):
        check_external_name(..., rates)


def test_a_url_as_external_name_is_refused_by_the_api_server(rates):
    err = failure_of(check_external_name, EXTERNAL.format(target="https://example.com/v1"), rates)
    assert "spec.externalName: Invalid value" in err.problem and "no scheme" in err.hint


def test_a_misspelt_external_name_does_not_resolve(rates):
    err = failure_of(check_external_name, EXTERNAL.format(target="exmaple.com"), rates)
    assert "does not resolve" in err.problem and "spelling" in err.hint


def test_forgetting_the_type_is_named(rates):
    manifest = EXTERNAL.format(target="example.com").replace("  type: ExternalName\n", "")
    assert "type: ExternalName" in failure_of(check_external_name, manifest, rates).hint


def test_a_cluster_ip_service_still_selecting_the_stub_is_named(rates):
    err = failure_of(check_external_name, "apiVersion: v1\nkind: Service\nmetadata:\n  name: rates\nspec:\n"
                                          "  selector:\n    app: rates-stub\n  ports:\n  - port: 80\n", rates)
    assert "is type ClusterIP" in err.problem and "ExternalName" in err.hint


def test_another_service_name_is_named(rates):
    err = failure_of(check_external_name, EXTERNAL.format(target="example.com").replace("name: rates",
                                                                                        "name: rates-api"), rates)
    assert "the Service's metadata.name is that name" in err.hint


def test_an_ip_as_external_name_is_a_name_made_of_digits(rates):
    err = failure_of(check_external_name, EXTERNAL.format(target="93.184.215.14"), rates)
    assert "does not resolve" in err.problem and "externalName is a DNS name, never an address" in err.hint
