"""The Ingress checks (notebooks 07 and 08): right answers pass, typical mistakes fail with their own hint."""

import pytest

from k8sedu import Cluster
from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.ingress import CHECK_INGRESS, check_conversion_ingress, check_ingress_class

RIGHT = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: conversion
spec:
  ingressClassName: nginx
  rules:
  - host: conversion.example.com
    http:
      paths:
      - path: /currency-conversion
        pathType: Prefix
        backend:
          service:
            name: currency-conversion
            port:
              number: 8100
"""


def failure(check, *args) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        check(*args)
    return info.value


# ---------------------------------------------------------------- notebook 07: check_conversion_ingress

def test_the_right_ingress_reaches_a_currency_conversion_pod(capsys):
    check_conversion_ingress(RIGHT)
    out = capsys.readouterr().out
    assert out.startswith("✓ ") and "pod currency-conversion-" in out and "yours is unchanged" in out


def test_the_same_ingress_as_a_dict_passes(capsys):
    import yaml
    check_conversion_ingress(yaml.safe_load(RIGHT))
    assert capsys.readouterr().out.startswith("✓ ")


def test_a_trailing_slash_on_the_prefix_path_is_fine(capsys):
    check_conversion_ingress(RIGHT.replace("path: /currency-conversion", "path: /currency-conversion/"))
    assert capsys.readouterr().out.startswith("✓ ")


def test_the_placeholder_is_not_answered():
    with pytest.raises(NotAnswered, match="not answered yet"):
        check_conversion_ingress(...)


@pytest.mark.parametrize("wrong, problem, hint", [
    (RIGHT.replace("number: 8100", "number: 8000"), "has no port 8000", "8000 is currency-exchange's port"),
    (RIGHT.replace("number: 8100", "number: 80"), "has no port 80", "listens on 8100"),
    (RIGHT.replace("        pathType: Prefix\n", ""), "pathType: Required value", "needs a pathType"),
    (RIGHT.replace("name: currency-conversion", "name: currency-conversion-service"),
     "currency-conversion-service, which does not exist", "the cluster has currency-conversion"),
    (RIGHT.replace("name: currency-conversion", "name: currency-exchange"),
     "reached Service currency-exchange", "backend.service.name: currency-conversion"),
    (RIGHT.replace("pathType: Prefix", "pathType: Exact"), "No path of the rule matches", "Exact matches one path"),
    (RIGHT.replace("  ingressClassName: nginx\n", ""), "ingress-nginx ignores", "ingressClassName: nginx"),
    (RIGHT.replace("  - host: conversion.example.com\n    http:", "  - http:"),
     "other.example.com reaches currency-conversion too", "Add host: conversion.example.com"),
    (RIGHT.replace("conversion.example.com", "api.example.com"), "No rule of Ingress", "host: conversion.example.com"),
    (RIGHT.replace("path: /currency-conversion", "path: /conversion"), "No path of the rule matches",
     "The path must be /currency-conversion"),
    (RIGHT.replace("  rules:", " rules:"), "does not parse", "Indent with spaces"),
    (42, "not int", "triple quotes"),
])
def test_typical_mistakes_get_their_own_hint(wrong, problem, hint):
    err = failure(check_conversion_ingress, wrong)
    assert problem in err.problem and hint in err.hint


# ---------------------------------------------------------------- notebook 08: check_ingress_class

@pytest.fixture(scope="module")
def kind_with_controller():
    cluster = Cluster(seed=8, ingress_ready=True)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.install("ingress-nginx")
    cluster.apply({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                   "metadata": {"name": "external-lb"}, "spec": {"controller": "example.com/ingress-controller"}})
    cluster.advance(30)
    return cluster


def test_the_class_the_controller_serves_passes_and_leaves_no_ingress_behind(kind_with_controller, capsys):
    check_ingress_class("nginx", kind_with_controller)
    out = capsys.readouterr().out
    assert out.startswith("✓ ") and "ADDRESS localhost" in out and "deleted it again" in out
    assert kind_with_controller.list("Ingress") == []


def test_the_class_placeholder_is_not_answered(kind_with_controller):
    with pytest.raises(NotAnswered, match="ingressClassName"):
        check_ingress_class(..., kind_with_controller)


@pytest.mark.parametrize("wrong, hint", [
    ("external-lb", "its spec.controller is example.com/ingress-controller"),
    ("k8s.io/ingress-nginx", "the value of an IngressClass's spec.controller"),
    ("ingress-nginx", "the project and its namespace"),
    ("traefik", "kubectl get ingressclass lists the classes"),
    ("", "kubectl get ingressclass lists the classes by NAME"),
    (None, "kubectl get ingressclass lists the classes by NAME"),
])
def test_wrong_classes_get_their_own_hint_and_leave_no_ingress_behind(kind_with_controller, wrong, hint):
    err = failure(check_ingress_class, wrong, kind_with_controller)
    assert hint in err.hint
    assert CHECK_INGRESS not in [i.metadata.name for i in kind_with_controller.list("Ingress")]


def test_without_a_controller_the_class_check_says_to_install_one():
    err = failure(check_ingress_class, "nginx", Cluster(seed=1))
    assert "No ingress controller" in err.problem and 'install("ingress-nginx")' in err.hint
