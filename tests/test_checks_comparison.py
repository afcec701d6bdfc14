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


# ---------------------------------------------------------------- exercise 9: the tasks' own clusters

from k8sedu import Cluster  # noqa: E402
from k8sedu.checks.comparison import check_monthly_saving, check_tcp_exposure, check_third_microservice  # noqa: E402

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"


@pytest.fixture
def bills():
    """Task 1: six microservices on aws, each behind its own LoadBalancer Service (design A)."""
    cluster = Cluster(cloud="aws", seed=91, current=False)
    for name in ["catalog", "cart", "checkout", "payments", "search", "reviews"]:
        cluster.kubectl(f"create deployment {name} --image={AGNHOST} --port=9376 -- /agnhost serve-hostname")
        cluster.kubectl(f"expose deployment {name} --type=LoadBalancer --port=80 --target-port=9376")
    cluster.advance(120)
    return cluster


def test_the_saving_of_one_ingress_passes_and_names_both_bills(bills, capsys):
    check_monthly_saving((6 - 1) * 0.0225 * 730, bills)
    out = capsys.readouterr().out
    assert out.startswith("✓ Design A pays for 6 load balancers (98.55 USD/month on aws)")
    assert "pay for 1, the ingress controller's (16.43 USD/month): 82.12 USD/month saved" in out
    assert "reached all 6 microservices by path" in out


def test_the_saving_is_not_answered_while_it_is_a_placeholder(bills):
    with pytest.raises(NotAnswered, match="USD per month"):
        check_monthly_saving(..., bills)


@pytest.mark.parametrize("answer, hint", [
    (98.55, "design A's whole bill"),
    (16.43, "what the Ingress design costs, not what it saves"),
    (0.1125, "the saving per hour"),
    (0, "which the cloud does not bill"),
    (-82.12, "pays for fewer load balancers"),
    (50, "Count the load balancers each design pays for"),
    (5 * 0.0225 * 720, "That counts a month as 720 hours"),
    (5 * 0.0225 * 744, "That counts a month as 744 hours"),
    ("lots", "Write a plain number"),
])
def test_each_wrong_saving_gets_its_own_hint(bills, answer, hint):
    with pytest.raises(CheckFailed) as failed:
        check_monthly_saving(answer, bills)
    assert hint in failed.value.hint


def test_a_cluster_without_load_balancers_has_nothing_to_save():
    with pytest.raises(CheckFailed, match="pays for no load balancer"):
        check_monthly_saving(10, Cluster(cloud="aws", seed=91, current=False))


@pytest.fixture
def shop():
    """Task 2: the capstone's currency system behind Ingress currency, plus Service hostname (port 80 -> 9376)."""
    cluster = Cluster(cloud="gcp", seed=92, current=False)
    cluster.install("ingress-nginx")
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE "
                    "--port=8100")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("expose deployment currency-conversion --port=8100")
    cluster.kubectl('create ingress currency --class=nginx --rule="/currency-exchange*=currency-exchange:8000" '
                    '--rule="/currency-conversion*=currency-conversion:8100"')
    cluster.kubectl(f"create deployment hostname --image={AGNHOST} --replicas=2 --port=9376 -- /agnhost serve-hostname")
    cluster.kubectl("expose deployment hostname --port=80 --target-port=9376")
    cluster.advance(60)
    return cluster


def ingress(name="hostname", class_line="  ingressClassName: nginx\n", path_type="Prefix", service="hostname",
            port=80):
    """The task 2 Ingress, with one field changed at a time."""
    path_type_line = f"        pathType: {path_type}\n" if path_type else ""
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\nspec:\n{class_line}"
            f"  rules:\n  - http:\n      paths:\n      - path: /hostname\n{path_type_line}        backend:\n"
            f"          service:\n            name: {service}\n            port:\n              number: {port}\n")


def test_a_separate_ingress_for_the_third_microservice_passes(shop, capsys):
    check_third_microservice(ingress(), shop)
    out = capsys.readouterr().out
    assert out.startswith("✓ /hostname and /hostname/version on 198.51.100.1 reach Service hostname (pod hostname-")
    assert "/currency-exchange, /currency-conversion still reach their Services; the cloud still bills 1" in out


def test_adding_the_path_to_the_existing_ingress_passes_too(shop, capsys):
    paths = "".join(f"      - path: /{name}\n        pathType: Prefix\n        backend:\n          service:\n"
                    f"            name: {name}\n            port:\n              number: {port}\n"
                    for name, port in [("currency-exchange", 8000), ("currency-conversion", 8100), ("hostname", 80)])
    manifest = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: currency\nspec:\n"
                "  ingressClassName: nginx\n  rules:\n  - http:\n      paths:\n" + paths)
    check_third_microservice(manifest, shop)
    assert capsys.readouterr().out.startswith("✓ /hostname and /hostname/version")
    assert len(shop.list("Ingress")) == 1


def test_the_manifest_is_not_answered_while_it_is_a_placeholder(shop):
    with pytest.raises(NotAnswered, match="an Ingress manifest"):
        check_third_microservice(..., shop)


@pytest.mark.parametrize("manifest, problem, hint", [
    (ingress(path_type=None), "kubectl apply refused", "needs a pathType"),
    (ingress(port=9376), "did not reach Service hostname", "names the Service's port"),
    (ingress(service="host-name"), "did not reach Service hostname", "must name the Service exactly: hostname"),
    (ingress(class_line=""), "did not reach Service hostname", "set spec.ingressClassName to nginx"),
    (ingress(path_type="Exact"), "/hostname/version on 198.51.100.1 did not reach", "pathType Exact matches"),
    (ingress(name="currency"), "/currency-exchange no longer reaches", "give your Ingress a name of its own"),
    ("kind: Ingress\n  name: [", "kubectl apply refused", "The YAML does not parse"),
    ({"kind": "Ingress"}, "should be YAML in a string, not dict", "between triple quotes"),
    (ingress().replace("path: /hostname", "path: /hostname/"), "nginx answers 301", "Your path ends in a slash"),
    (ingress().replace("  - http:", "  - host: hostname.example.com\n    http:"), "did not reach Service hostname",
     "Your rule has host hostname.example.com"),
    ("kubectl expose deployment hostname --type=LoadBalancer --port=80", "kubectl apply refused",
     "asks for an Ingress manifest"),
])
def test_each_wrong_ingress_gets_its_own_hint(shop, manifest, problem, hint):
    with pytest.raises(CheckFailed) as failed:
        check_third_microservice(manifest, shop)
    assert problem in failed.value.problem
    assert hint in failed.value.hint


@pytest.fixture
def feed():
    """Task 3: a plain TCP server (agnhost serve-hostname --tcp) on gcp, with ingress-nginx installed."""
    cluster = Cluster(cloud="gcp", seed=93, current=False)
    cluster.install("ingress-nginx")
    cluster.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "rates-feed", "labels": {"app": "rates-feed"}},
                   "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "rates-feed"}},
                            "template": {"metadata": {"labels": {"app": "rates-feed"}},
                                         "spec": {"containers": [{
                                             "name": "rates-feed", "image": AGNHOST,
                                             "args": ["serve-hostname", "--tcp", "--http=false", "--port=9376"],
                                             "ports": [{"containerPort": 9376}]}]}}}})
    cluster.advance(60)
    return cluster


@pytest.mark.parametrize("command", ["expose deployment rates-feed --type=LoadBalancer --port=9376",
                                     "kubectl create service loadbalancer rates-feed --tcp=9376:9376"])
def test_a_loadbalancer_service_on_the_partners_port_passes(feed, command, capsys):
    check_tcp_exposure(command, feed)
    out = capsys.readouterr().out
    assert out.startswith("✓ Service rates-feed (type LoadBalancer) got the external address 198.51.100.2")
    assert "to pod rates-feed-" in out


def test_the_command_is_not_answered_while_it_is_a_placeholder(feed):
    with pytest.raises(NotAnswered, match="reachable from the internet on port 9376"):
        check_tcp_exposure(..., feed)


@pytest.mark.parametrize("command, problem, hint", [
    ('create ingress feed --class=nginx --rule="/*=rates-feed:9376"', "does not speak HTTP", "layer-4 load balancer"),
    ("expose deployment rates-feed --port=9376", "is of type ClusterIP", "only from inside the cluster"),
    ("expose deployment rates-feed --type=NodePort --port=9376", "is of type NodePort", "30000-32767"),
    ("expose deployment rates-feed --type=LoadBalancer --port=80", "listens on port 80", "--port sets the port"),
    ("expose deployment rates-feed --type=LoadBalancer --port=9376 --target-port=80", "did not reach a rates-feed pod",
     "--target-port must be the port the container listens on"),
    ("expose deployment rates-fed --type=LoadBalancer --port=9376", "kubectl refused", "kubectl expose --help"),
    ("expose deployment rates-feed --type=LoadBalancer --port=9376 --protocol=UDP", "listens on port 9376/UDP",
     "Leave out --protocol"),
    ("expose deployment rates-feed --type=loadbalancer --port=9376", "kubectl refused", "case-sensitive"),
    (42, "should be a kubectl command line in a string, not 42", "Write it in quotes"),
])
def test_each_wrong_exposure_gets_its_own_hint(feed, command, problem, hint):
    with pytest.raises(CheckFailed) as failed:
        check_tcp_exposure(command, feed)
    assert problem in failed.value.problem
    assert hint in failed.value.hint


def test_running_the_command_twice_points_back_to_the_setup_cell(feed):
    command = "expose deployment rates-feed --type=LoadBalancer --port=9376"
    feed.kubectl(command)
    with pytest.raises(CheckFailed) as failed:
        check_tcp_exposure(command, feed)
    assert "run the task's setup cell again" in failed.value.hint
