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
