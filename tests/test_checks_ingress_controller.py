"""The ingress controller checks (notebook 08 and its exercises): right answers pass, typical mistakes fail with their
own hint."""

import pytest
from ingress_tasks import currency_cluster, failure

from k8sedu import Cluster
from k8sedu.checks.base import NotAnswered
from k8sedu.checks.ingress_controller import (CHECK_INGRESS, check_class_fix, check_controller_install,
                                              check_create_ingress, check_ingress_class)

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
    (["patch"], "not ['patch']", "in quotes"),
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
