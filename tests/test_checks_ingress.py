"""The Ingress checks (notebook 07 and its exercises): right answers pass, typical mistakes fail with their own hint."""

import pytest
from ingress_tasks import currency_cluster, failure

from k8sedu.checks.base import NotAnswered
from k8sedu.checks.ingress import (check_conversion_ingress, check_gateway_ingress, check_host_ingress,
                                   check_path_predictions)

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


# ---------------------------------------------------------------- exercises 07

GATEWAY = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: gateway-ingress
spec:
  ingressClassName: nginx
  rules:
  - http:
      paths:
      - path: /currency-exchange
        pathType: Prefix
        backend:
          service:
            name: currency-exchange
            port:
              number: 8000
      - path: /currency-conversion
        pathType: Prefix
        backend:
          service:
            name: currency-conversion
            port:
              number: 8100
"""


def test_the_fixed_gateway_reaches_both_microservices(capsys):
    check_gateway_ingress(GATEWAY, currency_cluster(71))
    out = capsys.readouterr().out
    assert out.startswith("✓ ") and "reached pod currency-exchange-" in out and "pod currency-conversion-" in out


def test_the_gateway_placeholder_is_not_answered():
    with pytest.raises(NotAnswered, match="not answered yet"):
        check_gateway_ingress(..., currency_cluster(71))


@pytest.mark.parametrize("wrong, problem, hint", [
    (GATEWAY.replace("        pathType: Prefix\n", "", 1), "pathType: Required value", "needs a pathType"),
    (GATEWAY.replace("number: 8100", "number: 8000"), "port 8000, which it does not have",
     "8000 is currency-exchange's port"),
    (GATEWAY.replace("number: 8100", "number: 80"), "port 80", "currency-conversion listens on 8100"),
    (GATEWAY.replace("pathType: Prefix", "pathType: Exact"), "No path matches", "Exact matches one path only"),
    (GATEWAY.replace("name: currency-conversion", "name: currency-exchange"),
     "not currency-conversion", "set backend.service.name: currency-conversion"),
    (GATEWAY.replace("  ingressClassName: nginx\n", ""), "ingress-nginx ignores", "ingressClassName: nginx"),
    (GATEWAY.replace("kind: Ingress", "kind: Service"), "", ""),
    (GATEWAY.replace("  rules:", " rules:"), "does not parse", "Indent with spaces"),
    (GATEWAY.replace("port:\n              number: 8100", "port: 8100"), "ServiceBackendPort",
     "a map with one key"),
    (["not", "a manifest"], "", ""),
    (3.5, "not float", "triple quotes"),
])
def test_gateway_mistakes_get_their_own_hint(wrong, problem, hint):
    err = failure(check_gateway_ingress, wrong, currency_cluster(71))
    assert problem in err.problem and hint in err.hint


BY_HOST = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: by-host
spec:
  ingressClassName: nginx
  rules:
  - host: exchange.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: currency-exchange
            port:
              number: 8000
  - host: conversion.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: currency-conversion
            port:
              number: 8100
"""


def test_one_host_per_microservice_passes(capsys):
    check_host_ingress(BY_HOST, currency_cluster(72))
    out = capsys.readouterr().out
    assert out.startswith("✓ ") and "unknown.example.net reached neither" in out


def test_an_ingress_left_by_an_earlier_try_is_named_in_the_hint():
    cluster = currency_cluster(72)
    failure(check_host_ingress, BY_HOST.replace("  - host: conversion.example.com\n    http:", "  - http:"), cluster)
    err = failure(check_host_ingress, BY_HOST.replace("name: by-host", "name: by-host-2"), cluster)
    assert "unknown.example.net reaches currency-conversion" in err.problem
    assert "Ingress by-host from an earlier try is still in the cluster" in err.hint


def test_the_host_placeholder_is_not_answered():
    with pytest.raises(NotAnswered, match="exchange.example.com"):
        check_host_ingress(..., currency_cluster(72))


SWAPPED = (BY_HOST.replace("exchange.example.com", "X").replace("conversion.example.com", "exchange.example.com")
           .replace("X", "conversion.example.com"))


@pytest.mark.parametrize("wrong, problem, hint", [
    (SWAPPED, "whose backend is Service currency-conversion", "set backend.service.name: currency-exchange"),
    (BY_HOST.replace("  - host: conversion.example.com\n    http:", "  - http:"),
     "unknown.example.net reaches currency-conversion", "A rule without host matches every host"),
    (BY_HOST.replace("conversion.example.com", "conversion.example.org"), "No rule matches host",
     "host: conversion.example.com"),
    (BY_HOST.replace("path: /\n        pathType: Prefix", "path: /\n        pathType: Exact", 1),
     "No path matches host exchange.example.com", "Exact matches one path only"),
    (BY_HOST.replace("number: 8100", "number: 8000"), "port 8000", "8000 is currency-exchange's port"),
    (BY_HOST.replace("path: /\n", "path: /currency-exchange\n", 1).replace("path: /\n", "path: /currency-conversion\n"),
     "path /some/other/path reaches no microservice", "whatever its path"),
    (BY_HOST.replace("host: conversion.example.com", "host: '*.example.com'"), "other.example.com reaches",
     "A wildcard host"),
    (BY_HOST.replace("host: exchange.example.com", "host: http://exchange.example.com"), "Invalid value",
     "host is a bare DNS name"),
])
def test_host_mistakes_get_their_own_hint(wrong, problem, hint):
    err = failure(check_host_ingress, wrong, currency_cluster(72))
    assert problem in err.problem and hint in err.hint


PATH_QUIZ = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "path-quiz"},
             "spec": {"ingressClassName": "nginx", "rules": [{"host": "quiz.example.com", "http": {"paths": [
                 {"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": n}}}}
                 for p, t, s, n in [("/currency-exchange", "Prefix", "currency-exchange", 8000),
                                    ("/currency-exchange/from/EUR", "Prefix", "currency-conversion", 8100),
                                    ("/currency-exchange/from/USD/to/INR", "Exact", "currency-conversion", 8100)]]}}]}}
PREDICTION = {"/currency-exchange/from/EUR/to/INR": "currency-conversion",
              "/currency-exchange/from/EURO/to/INR": "currency-exchange",
              "/currency-exchange/from/USD/to/INR": "currency-conversion",
              "/currency-exchange/from/USD/to/INR/": "currency-exchange",
              "/currency-exchangeXYZ/from/USD/to/INR": "controller",
              "/Currency-Exchange/from/USD/to/INR": "404"}


@pytest.fixture(scope="module")
def quiz():
    cluster = currency_cluster(73)
    cluster.apply(PATH_QUIZ)
    cluster.advance(5)
    return cluster


QUIZ_PATHS = list(PREDICTION)


def test_right_predictions_pass(quiz, capsys):
    check_path_predictions(PREDICTION, quiz, "quiz.example.com", QUIZ_PATHS)
    assert capsys.readouterr().out.startswith("✓ All 6 predictions match")


def test_the_prediction_placeholder_is_not_answered(quiz):
    with pytest.raises(NotAnswered, match="controller"):
        check_path_predictions(..., quiz, "quiz.example.com", QUIZ_PATHS)


@pytest.mark.parametrize("path, said, hint", [
    ("/currency-exchange/from/EUR/to/INR", "currency-exchange", "the longest, /currency-exchange/from/EUR"),
    ("/currency-exchange/from/EURO/to/INR", "currency-conversion", "/currency-exchange/from/EUR does not match"),
    ("/currency-exchange/from/USD/to/INR", "currency-exchange", "the longest, /currency-exchange/from/USD/to/INR"),
    ("/currency-exchange/from/USD/to/INR/", "currency-conversion", "Exact means equal character for character"),
    ("/currency-exchangeXYZ/from/USD/to/INR", "currency-exchange", "Prefix compares whole path elements"),
    ("/Currency-Exchange/from/USD/to/INR", "currency-exchange", "case-sensitive"),
    ("/currency-exchange/from/USD/to/INR", "banana", 'Each value is "currency-exchange"'),
])
def test_each_wrong_prediction_gets_its_own_hint(quiz, path, said, hint):
    err = failure(check_path_predictions, {**PREDICTION, path: said}, quiz, "quiz.example.com", QUIZ_PATHS)
    assert path in err.problem and hint in err.hint


@pytest.mark.parametrize("wrong", [["/currency-exchange"], "currency-exchange", 0.5])
def test_a_prediction_that_is_not_a_dict_fails(quiz, wrong):
    assert "one entry per path" in failure(check_path_predictions, wrong, quiz, "quiz.example.com", QUIZ_PATHS).hint


@pytest.mark.parametrize("partial", [{}, {"/currency-exchange/from/EUR/to/INR": "currency-conversion"},
                                     {p.rstrip("/"): v for p, v in PREDICTION.items()}])
def test_a_prediction_must_cover_every_path(quiz, partial):
    err = failure(check_path_predictions, partial, quiz, "quiz.example.com", QUIZ_PATHS)
    assert "no prediction for" in err.problem and "spelled exactly" in err.hint
