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


# ---------------------------------------------------------------- exercises 07 and 08: the tasks' clusters

from k8sedu.checks.ingress import (check_class_fix, check_controller_install, check_create_ingress,  # noqa: E402
                                   check_gateway_ingress, check_host_ingress, check_path_predictions)


def currency_cluster(seed: int, kind: bool = False, controller: bool = True) -> Cluster:
    """Both microservices behind ClusterIP Services, as the exercises' setup cells build them."""
    cluster = Cluster(seed=seed, ingress_ready=True) if kind else Cluster(cloud="gcp", seed=seed)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE "
                    "--port=8100")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("expose deployment currency-conversion --port=8100")
    if controller:
        cluster.install("ingress-nginx")
    cluster.advance(60)
    return cluster


def passes(check, *args) -> str:
    check(*args)
    return "passed"


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


# ---------------------------------------------------------------- exercises 08

def bare_cluster() -> Cluster:
    cluster = currency_cluster(81, kind=True, controller=False)
    cluster.kubectl("create ingress gateway-ingress --class=nginx "
                    "--rule=api.example.com/currency-exchange*=currency-exchange:8000")
    return cluster


def test_installing_ingress_nginx_makes_the_ingress_work(capsys):
    cluster = bare_cluster()
    check_controller_install("ingress-nginx", cluster, "api.example.com")
    check_controller_install("ingress-nginx", cluster, "api.example.com")  # a second run does not install twice
    assert capsys.readouterr().out.count("ADDRESS localhost") == 2


def test_the_addon_placeholder_is_not_answered():
    with pytest.raises(NotAnswered, match="add-on"):
        check_controller_install(..., bare_cluster(), "api.example.com")


@pytest.mark.parametrize("wrong, hint", [
    ("nginx", "the IngressClass the controller creates"),
    ("metallb", "reads no Ingress rules"),
    ("ingress", "minikube's add-on"),
    ("nginx-ingress", "F5 NGINX's Ingress Controller"),
    ("traefik", "which name did it use"),
    (None, "in quotes"),
])
def test_wrong_addons_get_their_own_hint(wrong, hint):
    assert hint in failure(check_controller_install, wrong, bare_cluster(), "api.example.com").hint


def shop_cluster() -> Cluster:
    cluster = currency_cluster(82, kind=True)
    cluster.kubectl("create ingress shop --class=ingress-nginx --rule=shop.example.com/*=currency-exchange:8000")
    cluster.advance(30)
    return cluster


FIX = """patch ingress shop -p '{"spec":{"ingressClassName":"nginx"}}'"""


@pytest.mark.parametrize("command", [FIX, "kubectl " + FIX, FIX.replace("-p", "--type=merge -p")])
def test_patching_the_class_to_nginx_passes(command, capsys):
    check_class_fix(command, shop_cluster(), "shop")
    assert capsys.readouterr().out.startswith("✓ Ingress shop (class nginx)")


def test_removing_the_class_passes_because_kinds_controller_watches_ingresses_without_class(capsys):
    check_class_fix("""patch ingress shop --type=merge -p '{"spec":{"ingressClassName":null}}'""",
                    shop_cluster(), "shop")
    out = capsys.readouterr().out
    assert out.startswith("✓ Ingress shop (class <none>)")
    assert "--watch-ingress-without-class=true; naming the class nginx works on every install" in out


def test_the_fix_placeholder_is_not_answered():
    with pytest.raises(NotAnswered, match="kubectl command"):
        check_class_fix(..., shop_cluster(), "shop")


@pytest.mark.parametrize("wrong, problem, hint", [
    (FIX.replace('"nginx"', '"k8s.io/ingress-nginx"'), "Invalid value", "not the CONTROLLER value"),
    (FIX.replace('"nginx"', '"external-lb"'), "still ignores", "kubectl get ingressclass lists the classes"),
    ("get ingress shop", "is still ingress-nginx", "not a label or an annotation"),
    ("""patch ingress shop -p '{"ingressClassName":"nginx"}'""", "is still ingress-nginx", "it sits under spec"),
    ("label ingress shop ingressClassName=nginx", "is still ingress-nginx", "not a label or an annotation"),
    (FIX.replace('"nginx"', '"ingress-nginx"'), "still ignores", "the project and its namespace"),
    ("edit ingress shop", "refused", "kubectl edit opens an editor"),
    ("annotate ingress shop kubernetes.io/ingress.class=nginx", "refused", "is deprecated"),
    ("""patch ingress shop --type=json -p='[{"op":"replace","path":"/spec/ingressClassName","value":"nginx"}]'""",
     "refused", "Use a merge patch"),
    ("delete ingress shop", "is gone", "do not delete it"),
    (["patch"], "not list", "in quotes"),
])
def test_class_fix_mistakes_get_their_own_hint(wrong, problem, hint):
    err = failure(check_class_fix, wrong, shop_cluster(), "shop")
    assert problem in err.problem and hint in err.hint


CREATE = "create ingress conversion --class=nginx --rule=conversion.example.com/currency-conversion*=currency-conversion:8100"


def test_the_create_ingress_command_passes(capsys):
    check_create_ingress(CREATE, currency_cluster(83, kind=True))
    assert capsys.readouterr().out.startswith("✓ Ingress conversion sends conversion.example.com/")


def test_the_create_placeholder_is_not_answered():
    with pytest.raises(NotAnswered, match="create ingress"):
        check_create_ingress(..., currency_cluster(83, kind=True))


@pytest.mark.parametrize("wrong, problem, hint", [
    (CREATE.replace("conversion*=", "conversion="), "No path matches", "a path ending in * becomes pathType Prefix"),
    (CREATE.replace(":8100", ":8000"), "port 8000", "8000 is currency-exchange's port"),
    (CREATE.replace("conversion.example.com", ""), "other.example.com reaches currency-conversion",
     "Put the host in front of the path"),
    (CREATE.replace("--class=nginx", "--class=ingress-nginx"), "ingress-nginx ignores", "ingressClassName: nginx"),
    (CREATE.replace("currency-conversion*", "conversion*"), "No path matches", "Use the path /currency-conversion"),
    ("get ingress", "created no Ingress", "create ingress NAME"),
    (CREATE.replace("--rule", "--rules"), "refused", "--help"),
    (CREATE.replace("/currency-conversion*", "/*"),
     "path /currency-exchange/from/USD/to/INR reaches currency-conversion", "covers every path of the host"),
    (CREATE.replace(" --class=nginx", ""), "its class is <none>, not nginx", "--watch-ingress-without-class=true"),
    (CREATE.replace(":8100", ""), "refused", "A rule is host/path=service:port"),
    (CREATE.replace("=currency-conversion:", "=svc/currency-conversion:"), "refused", "no svc/"),
])
def test_create_mistakes_get_their_own_hint(wrong, problem, hint):
    err = failure(check_create_ingress, wrong, currency_cluster(83, kind=True))
    assert problem in err.problem and hint in err.hint


def test_running_the_create_command_twice_says_to_rerun_the_setup():
    cluster = currency_cluster(83, kind=True)
    check_create_ingress(CREATE, cluster)
    assert "Run the task's setup cell again" in failure(check_create_ingress, CREATE, cluster).hint
