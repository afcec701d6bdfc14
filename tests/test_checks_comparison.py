"""The check of notebook 09: how many cloud load balancers each design pays for, asked of the live model."""

import pytest

from k8sedu.checks import CheckFailed, NotAnswered
from k8sedu.checks.comparison import check_load_balancer_count, design_one_ingress, design_per_service


def test_design_a_pays_for_one_load_balancer_per_microservice():
    billed = design_per_service(3, "gcp").cloud_resources()
    assert billed.count == 3
    assert len(set(billed.external_ips)) == 3


def test_design_b_pays_only_for_the_ingress_controllers_load_balancer():
    billed = design_one_ingress(3, "gcp").cloud_resources()
    assert [lb.service for lb in billed.load_balancers] == ["ingress-nginx/ingress-nginx-controller"]


def test_the_right_counts_pass_and_say_what_was_verified(capsys):
    check_load_balancer_count(4, 1, microservices=4, cloud="aws")
    out = capsys.readouterr().out
    assert out.startswith("✓ On aws with 4 microservices, design A pays for 4 load balancers")
    assert "reached all 4 microservices by path" in out


@pytest.mark.parametrize("per_service, one_ingress", [(..., 1), (4, ...), (..., ...)])
def test_a_placeholder_is_not_answered_yet(per_service, one_ingress):
    with pytest.raises(NotAnswered, match="not answered yet"):
        check_load_balancer_count(per_service, one_ingress, microservices=4)


@pytest.mark.parametrize("per_service, one_ingress, problem, hint", [
    (1, 1, "Design A pays for 4 cloud load balancers, not 1.", "one load balancer for every Service of type"),
    (5, 1, "Design A pays for 4 cloud load balancers, not 5.", "Design A has no Ingress"),
    (4, 0, "Design B pays for 1 cloud load balancer, not 0.", "ingress-nginx/ingress-nginx-controller"),
    (4, 4, "Design B pays for 1 cloud load balancer, not 4.", "backends are ClusterIP Services"),
    (4, 5, "Design B pays for 1 cloud load balancer, not 5.", "the Ingress itself is not a Service"),
    ("4", 1, "The answer for design A should be a whole number, not '4'.", "Count the cloud load balancers"),
    (4, True, "The answer for design B should be a whole number, not True.", "Count the cloud load balancers"),
])
def test_each_typical_mistake_gets_its_own_hint(per_service, one_ingress, problem, hint):
    with pytest.raises(CheckFailed) as failed:
        check_load_balancer_count(per_service, one_ingress, microservices=4)
    assert failed.value.problem == problem
    assert hint in failed.value.hint
