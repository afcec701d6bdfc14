"""kubectl for Ingress and IngressClass: get columns, describe, the create-ingress generator, manifests.

References: k8s-reference.md 4.2 (get ingress columns), 4.5 (kubectl create ingress generator), 6 (describe).
The first part calls the pure modules directly; the second goes through ``cluster.kubectl`` (get, describe,
create ingress, apply, -o yaml, export, delete, exec cat nginx.conf), as a learner types it.
"""

import dataclasses

import pytest

from shared_manifests import COURSE_INGRESS
import yaml

from k8sedu import Cluster, KubectlError
from k8sedu.ingress_nginx import nginx_conf_for
from k8sedu.kubectl import describe
from k8sedu.kubectl.describe_network import describe_ingress
from k8sedu.kubectl.ingress_create import build_ingress
from k8sedu.kubectl.printers import PRINTERS, Options
from k8sedu.kubectl.table import tabulate, tabwrite
from k8sedu.manifests.networking import decode_ingress, encode_ingress
from k8sedu.objects import (IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressStatus,
                            IngressTLS)


def get_lines(objs, now, kind="Ingress", wide=False):
    printer, opts = PRINTERS[kind], Options(now, wide)
    return tabulate([printer.header(opts)] + [printer.row(o, opts) for o in objs])


def with_address(ing, *addresses):
    found = tuple(IngressLoadBalancerIngress(hostname=a) if a[0].isalpha() else IngressLoadBalancerIngress(ip=a)
                  for a in addresses)
    return dataclasses.replace(ing, status=IngressStatus(IngressLoadBalancerStatus(found)))


# ---------------------------------------------------------------- kubectl get ingress

def created_at_zero(ing):
    return dataclasses.replace(ing, metadata=dataclasses.replace(ing.metadata, creation_timestamp=0.0))


def test_get_ingress_columns_with_a_blank_address_before_any_controller():
    ing = created_at_zero(build_ingress("test-ingress", "default", default_backend="web:80"))
    assert get_lines([ing], now=59) == ["NAME           CLASS    HOSTS   ADDRESS   PORTS   AGE",
                                        "test-ingress   <none>   *                 80      59s"]


def test_get_ingress_like_the_docs_example_and_with_tls():
    base = created_at_zero(build_ingress("test-ingress", "default", ["/=web:80"], ingress_class="external-lb"))
    assert get_lines([with_address(base, "203.0.113.123")], now=59)[1].split() == \
        ["test-ingress", "external-lb", "*", "203.0.113.123", "80", "59s"]
    tls = dataclasses.replace(base, spec=dataclasses.replace(base.spec, tls=(IngressTLS(("a.com",), "cert"),)))
    assert get_lines([tls], now=59)[1].endswith("80, 443   59s")


def test_hosts_and_address_cells():
    base = created_at_zero(build_ingress("many", "default", [f"h{i}.com/=web:80" for i in range(5)]))
    row = PRINTERS["Ingress"].row(base, Options(0))
    assert row[2] == "h0.com,h1.com,h2.com + 2 more..."
    elb = "a1b2c3d4e5f6a7b8-1234567890.us-east-1.elb.amazonaws.com"
    long_one = with_address(base, elb, "198.51.100.7")
    assert PRINTERS["Ingress"].row(long_one, Options(0))[3] == "198.51.100.7,..."
    assert PRINTERS["Ingress"].row(long_one, Options(0, wide=True))[3] == f"198.51.100.7,{elb}"


# ---------------------------------------------------------------- kubectl describe ingress

def test_describe_ingress_shows_the_rules_table_with_backends_and_endpoints():
    cluster = Cluster(seed=3)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE --replicas=2 "
                    "--port=8000")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.api.create(build_ingress("gateway-ingress", "default", [
        "api.example.com/currency-exchange*=currency-exchange:8000", "api.example.com/ghost*=ghost:80"],
        ingress_class="nginx"))
    cluster.advance(60)
    ips = sorted(cluster.get("Pod", p).status.pod_ip for p in cluster.pod_names({"app": "currency-exchange"}))
    ing = cluster.get("Ingress", "gateway-ingress")
    text = tabwrite("\n".join(describe_ingress(cluster.core, ing) + describe.events_section(cluster.core, ing)) + "\n")
    endpoints = ",".join(f"{ip}:8000" for ip in ips)
    assert text.splitlines() == [
        "Name:             gateway-ingress",
        "Labels:           <none>",
        "Namespace:        default",
        "Address:          ",
        "Ingress Class:    nginx",
        "Default backend:  <default>",
        "Rules:",
        "  Host             Path  Backends",
        "  ----             ----  --------",
        "  api.example.com  ",
        f"                   /currency-exchange   currency-exchange:8000 ({endpoints})",
        '                   /ghost               ghost:80 (<error: services "ghost" not found>)',
        "Annotations:       <none>",
        "Events:            <none>"]


def test_describe_an_ingress_with_only_a_default_backend():
    cluster = Cluster(seed=3)
    ing = cluster.api.create(build_ingress("fallback", "default", default_backend="web:80"))
    lines = tabwrite("\n".join(describe_ingress(cluster.core, ing)) + "\n").splitlines()
    assert lines[5] == 'Default backend:  web:80 (<error: services "web" not found>)'
    assert lines[9].startswith("  *           *     web:80 (<error:")


# ---------------------------------------------------------------- kubectl create ingress (reference 4.5)

def test_create_ingress_rule_with_tls_gives_an_exact_path_and_a_tls_entry():
    ing = build_ingress("simple", "default", ["foo.com/bar=svc1:8080,tls=my-cert"])
    [rule] = ing.spec.rules
    [path] = rule.http.paths
    assert (rule.host, path.path, path.path_type) == ("foo.com", "/bar", "Exact")
    assert (path.backend.service.name, path.backend.service.port.number) == ("svc1", 8080)
    assert ing.spec.tls == (IngressTLS(("foo.com",), "my-cert"),)
    assert ing.spec.ingress_class_name is None


@pytest.mark.parametrize("rule,path,path_type", [
    ("foo.com/path*=svc:8080", "/path", "Prefix"),
    ("foo.com/*=svc:8080", "/", "Prefix"),
    ("foo.com/=svc:8080", "/", "Exact"),
    ("/path=svc:8080", "/path", "Exact"),
])
def test_create_ingress_path_types(rule, path, path_type):
    got = build_ingress("x", "default", [rule]).spec.rules[0].http.paths[0]
    assert (got.path, got.path_type) == (path, path_type)


def test_create_ingress_port_names_class_default_backend_annotations_and_shared_hosts():
    ing = build_ingress("ingdefault", "default", ["foo.com/*=svc:http", "foo.com/admin/*=svcadmin:8080",
                                                  "bar.com/x=svc2:80,tls"],
                        ingress_class="nginx", default_backend="defaultsvc:http",
                        annotations=["nginx.ingress.kubernetes.io/rewrite-target=/"])
    assert ing.spec.ingress_class_name == "nginx"
    assert ing.spec.default_backend.service.port.name == "http"
    assert [r.host for r in ing.spec.rules] == ["foo.com", "bar.com"]
    assert [p.path for p in ing.spec.rules[0].http.paths] == ["/", "/admin/"]
    assert ing.spec.rules[0].http.paths[0].backend.service.port.name == "http"
    assert ing.spec.tls == (IngressTLS(("bar.com",), ""),)
    assert dict(ing.metadata.annotations) == {"nginx.ingress.kubernetes.io/rewrite-target": "/"}
    assert build_ingress("catch-all", "default", ["/path=svc:port"]).spec.rules[0].host == ""


@pytest.mark.parametrize("kwargs,message", [
    ({}, "error: not enough information provided: every ingress has to either specify a default-backend (which "
         "catches all traffic) or a list of rules (which catch specific paths)"),
    ({"rules": ["foo.com=svc:80"]},
     "error: rule foo.com=svc:80 is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]"),
    ({"rules": ["foo.com/bar=svc"]},
     "error: rule foo.com/bar=svc is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]"),
    ({"default_backend": "svc"}, "error: default-backend should be in format servicename:serviceport"),
    ({"rules": ["a.com/=s:80"], "annotations": ["novalue"]},
     "error: annotation novalue is invalid and should be in format key=[value]"),
])
def test_create_ingress_flag_errors(kwargs, message):
    with pytest.raises(KubectlError) as err:
        build_ingress("x", "default", **kwargs)
    assert str(err.value) == message


def test_a_wildcard_host_rule_is_accepted_by_the_generator_and_the_server():
    cluster = Cluster(seed=1)
    stored = cluster.api.create(build_ingress("wild", "default", ["*.example.com/*=web:80"]))
    assert stored.spec.rules[0].host == "*.example.com"


# ---------------------------------------------------------------- manifests

def test_a_manifest_without_path_type_decodes_and_is_refused_by_the_server():
    doc = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "minimal-ingress"},
           "spec": {"rules": [{"http": {"paths": [{"path": "/testpath", "backend": {
               "service": {"name": "test", "port": {"number": 80}}}}]}}]}}
    ing = decode_ingress(doc, "default")
    assert ing.spec.rules[0].http.paths[0].path_type is None
    with pytest.raises(Exception) as err:
        Cluster(seed=1).api.create(ing)
    assert err.value.message.endswith("spec.rules[0].http.paths[0].pathType: Required value: pathType must be "
                                      "specified")


def test_encoding_an_ingress_follows_the_api_field_order():
    cluster = Cluster(seed=1)
    stored = cluster.api.create(build_ingress("simple", "default", ["foo.com/bar=svc1:8080,tls=my-cert"]))
    out = encode_ingress(stored)
    assert list(out) == ["apiVersion", "kind", "metadata", "spec", "status"]
    assert out["spec"] == {"tls": [{"hosts": ["foo.com"], "secretName": "my-cert"}], "rules": [
        {"host": "foo.com", "http": {"paths": [{"path": "/bar", "pathType": "Exact", "backend": {
            "service": {"name": "svc1", "port": {"number": 8080}}}}]}}]}
    assert out["status"] == {"loadBalancer": {}}
    assert encode_ingress(with_address(stored, "198.51.100.1"))["status"] == {
        "loadBalancer": {"ingress": [{"ip": "198.51.100.1"}]}}
    assert IngressRule().host == ""


# ================================================================ wired into kubectl: cluster.kubectl(...)



def course(cloud=None, controller=False, seed=3):
    """The course's two microservices behind ClusterIP Services, and its Ingress applied with kubectl."""
    cluster = Cluster(seed=seed, cloud=cloud)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE --replicas=2 "
                    "--port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE --port=8100")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("expose deployment currency-conversion --port=8100")
    if controller:
        cluster.install("ingress-nginx")
    assert cluster.kubectl("apply -f -", stdin=COURSE_INGRESS) == "ingress.networking.k8s.io/gateway-ingress created"
    return cluster


def refused(cluster, command):
    version, now = cluster.api.store.resource_version, cluster.now
    with pytest.raises(KubectlError) as err:
        cluster.kubectl(command)
    assert (cluster.api.store.resource_version, cluster.now) == (version, now)
    return str(err.value)


@pytest.mark.parametrize("word", ["ing", "ingress", "ingresses", "Ingress", "ingresses.networking.k8s.io",
                                  "ingress.networking.k8s.io", "ingresses.v1.networking.k8s.io"])
def test_every_name_kubectl_accepts_for_ingresses_resolves(word):
    cluster = course()
    assert cluster.kubectl(f"get {word}").splitlines()[1].startswith("gateway-ingress   nginx   api.example.com")
    assert cluster.kubectl(f"get {word}/gateway-ingress -o name") == "ingress.networking.k8s.io/gateway-ingress"


def test_get_all_does_not_list_ingresses_as_real_kubectl_s_all_category_does_not():
    cluster = course()
    out = cluster.kubectl("get all")
    assert "gateway-ingress" not in out and "ingress" not in out
    assert cluster.kubectl("get all,ing").splitlines()[-1].startswith("ingress.networking.k8s.io/gateway-ingress")


def test_get_ingress_without_a_controller_has_a_blank_address():
    cluster = course()
    cluster.advance(60)
    assert cluster.kubectl("get ingress") == (
        "NAME              CLASS   HOSTS             ADDRESS   PORTS   AGE\n"
        "gateway-ingress   nginx   api.example.com             80      60s")


def test_get_ingress_with_the_controller_on_kind_stays_blank_while_its_load_balancer_is_pending():
    cluster = course(controller=True)
    cluster.advance(120)
    assert "<pending>" in cluster.kubectl("get svc ingress-nginx-controller -n ingress-nginx")
    assert cluster.kubectl("get ing") == (
        "NAME              CLASS   HOSTS             ADDRESS   PORTS   AGE\n"
        "gateway-ingress   nginx   api.example.com             80      2m")


def test_get_ingress_on_a_cloud_cluster_shows_the_load_balancer_address_once_the_controller_publishes_it():
    cluster = course(cloud="gcp", controller=True)
    assert cluster.kubectl("get ing").splitlines()[1] == \
        "gateway-ingress   nginx   api.example.com             80      0s"
    cluster.advance(120)
    lb = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx").status.load_balancer.ingress[0].ip
    assert lb == "198.51.100.1"
    assert cluster.kubectl("get ing") == (
        "NAME              CLASS   HOSTS             ADDRESS        PORTS   AGE\n"
        "gateway-ingress   nginx   api.example.com   198.51.100.1   80      2m")
    assert cluster.kubectl("get ing -A").splitlines()[1].split() == \
        ["default", "gateway-ingress", "nginx", "api.example.com", "198.51.100.1", "80", "2m"]


def test_get_ingressclass_is_cluster_scoped():
    cluster = course(controller=True)
    cluster.advance(120)
    expected = ("NAME    CONTROLLER             PARAMETERS   AGE\n"
                "nginx   k8s.io/ingress-nginx   <none>       2m")
    assert cluster.kubectl("get ingressclass") == expected
    assert cluster.kubectl("get ingressclasses -A") == expected  # no NAMESPACE column for a cluster-scoped kind
    assert cluster.kubectl("get ingressclass nginx -n kube-system") == expected
    assert Cluster(seed=1).kubectl("get ingressclass") == "No resources found"


def test_describe_ingress_on_a_cloud_cluster_with_the_controller():
    cluster = course(cloud="gcp", controller=True)
    cluster.advance(120)
    ips = {app: ",".join(sorted(f"{cluster.get('Pod', p).status.pod_ip}:{port}"
                                for p in cluster.pod_names({"app": app})))
           for app, port in (("currency-exchange", 8000), ("currency-conversion", 8100))}
    assert cluster.kubectl("describe ingress gateway-ingress") == (
        "Name:             gateway-ingress\n"
        "Labels:           <none>\n"
        "Namespace:        default\n"
        "Address:          198.51.100.1\n"
        "Ingress Class:    nginx\n"
        "Default backend:  <default>\n"
        "Rules:\n"
        "  Host             Path  Backends\n"
        "  ----             ----  --------\n"
        "  api.example.com  \n"
        f"                   /currency-exchange     currency-exchange:8000 ({ips['currency-exchange']})\n"
        f"                   /currency-conversion   currency-conversion:8100 ({ips['currency-conversion']})\n"
        "Annotations:       <none>\n"
        "Events:\n"
        "  Type    Reason  Age                 From                      Message\n"
        "  ----    ------  ----                ----                      -------\n"
        "  Normal  Sync    75s (x2 over 117s)  nginx-ingress-controller  Scheduled for sync")


def test_describe_ingressclass():
    cluster = course(controller=True)
    assert cluster.kubectl("describe ingressclass nginx") == (
        "Name:         nginx\n"
        "Labels:       app.kubernetes.io/component=controller\n"
        "              app.kubernetes.io/instance=ingress-nginx\n"
        "              app.kubernetes.io/name=ingress-nginx\n"
        "              app.kubernetes.io/part-of=ingress-nginx\n"
        "              app.kubernetes.io/version=1.12.0\n"
        "Annotations:  <none>\n"
        "Controller:   k8s.io/ingress-nginx\n"
        "Events:       <none>")


def test_the_model_s_own_no_controller_note_never_shows_in_kubectl():
    cluster = course()
    cluster.advance(60)
    trace = cluster.request("http://api.example.com/currency-exchange", source="vpc")
    assert not trace.ok
    [note] = cluster.events.about("Ingress", "gateway-ingress")
    assert (note.component, note.reason) == ("k8sedu", "NoIngressController")
    assert cluster.kubectl("describe ing gateway-ingress").endswith("\nEvents:            <none>")
    assert "NoIngressController" not in cluster.kubectl("get events")
    assert "NoIngressController" not in cluster.kubectl("get events -o yaml")
    assert "NoIngressController" not in cluster.kubectl("get events -A -o wide")


# ---------------------------------------------------------------- kubectl create ingress

def test_create_ingress_creates_it_and_a_second_time_fails_with_kubectl_s_wrapping():
    cluster = Cluster(seed=1)
    assert cluster.kubectl("create ingress simple --rule=foo.com/bar=svc1:8080,tls=my-cert") == \
        "ingress.networking.k8s.io/simple created"
    stored = cluster.get("Ingress", "simple")
    assert stored.spec.rules[0].http.paths[0].path_type == "Exact"
    assert stored.spec.tls == (IngressTLS(("foo.com",), "my-cert"),)
    assert refused(cluster, "create ingress simple --rule=foo.com/bar=svc1:8080") == \
        'error: failed to create ingress: ingresses.networking.k8s.io "simple" already exists'
    assert cluster.kubectl("create ing other --rule=/=web:80 -o name") == "ingress.networking.k8s.io/other"
    assert cluster.kubectl("create ingress dry --rule=/=web:80 --dry-run=client") == \
        "ingress.networking.k8s.io/dry created (dry run)"
    assert cluster.api.try_get("Ingress", "default", "dry") is None


def test_create_ingress_for_the_course_gives_prefix_paths_a_class_and_default_backend():
    cluster = Cluster(seed=1)
    cluster.kubectl("create ingress gateway-ingress --class=nginx --default-backend=currency-exchange:8000 "
                    "--rule=api.example.com/currency-exchange*=currency-exchange:8000 "
                    "--rule=api.example.com/currency-conversion*=currency-conversion:8100 "
                    "--annotation nginx.ingress.kubernetes.io/ssl-redirect=false")
    ing = cluster.get("Ingress", "gateway-ingress")
    assert [(p.path, p.path_type) for p in ing.spec.rules[0].http.paths] == [
        ("/currency-exchange", "Prefix"), ("/currency-conversion", "Prefix")]
    assert ing.spec.ingress_class_name == "nginx"
    assert ing.spec.default_backend.service.name == "currency-exchange"
    assert dict(ing.metadata.annotations) == {"nginx.ingress.kubernetes.io/ssl-redirect": "false"}


@pytest.mark.parametrize("command, message", [
    ("create ingress x", "error: not enough information provided: every ingress has to either specify a "
                         "default-backend (which catches all traffic) or a list of rules (which catch specific paths)"),
    ("create ingress x --rule=foo.com=svc:80",
     "error: rule foo.com=svc:80 is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]"),
    ("create ingress x --default-backend=svc", "error: default-backend should be in format servicename:serviceport"),
    ("create ingress x --rule=a.com/=s:80 --annotation novalue",
     "error: annotation novalue is invalid and should be in format key=[value]"),
    ("create ingress --rule=a.com/=s:80",
     "error: exactly one NAME is required, got 0\nSee 'kubectl create ingress -h' for help and examples"),
    ("create ingress x --rule=a.com/=s:80 --foo",
     "error: unknown flag: --foo\nSee 'kubectl create ingress --help' for usage."),
    ("create ingress x --rule=a.com/=s:80,tls=My_Cert",
     'error: failed to create ingress: Ingress.networking.k8s.io "x" is invalid: spec.tls[0].secretName: Invalid '
     "value: \"My_Cert\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
     "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    ("create ingress x --rule=a.com/b=c=s:80",
     "error: rule a.com/b=c=s:80 makes kubectl 1.32 itself crash (panic: runtime error: index out of range [1] with "
     "length 1); write it as host/path=svcname:svcport[,tls[=secret]], with no ',' or '=' in the path"),
])
def test_create_ingress_refusals(command, message):
    assert refused(Cluster(seed=1), command) == message


def test_a_rule_flag_keeps_its_commas_and_the_regex_only_anchors_the_start():
    ing = build_ingress("x", "default", ["a.com/=s:80:90"])  # kubectl 1.32 takes "a.com/=s:80" and ignores ":90"
    assert ing.spec.rules[0].http.paths[0].backend.service.port.number == 80
    cluster = Cluster(seed=1)
    cluster.kubectl("create ingress two --rule=a.com/=s:80,tls=one --rule=b.com/=s:80,tls=one")
    assert cluster.get("Ingress", "two").spec.tls == (IngressTLS(("a.com", "b.com"), "one"),)


def test_create_ingress_help_is_kubectl_s():
    assert Cluster(seed=1).kubectl("create ingress --help").startswith(
        "Create an ingress with the specified name.\n\nAliases:\ningress, ing\n")


# ---------------------------------------------------------------- manifests: apply, -o yaml, export, delete

def test_apply_the_course_ingress_created_unchanged_configured():
    cluster = course()
    assert cluster.kubectl("apply -f -", stdin=COURSE_INGRESS) == "ingress.networking.k8s.io/gateway-ingress unchanged"
    assert cluster.apply(COURSE_INGRESS.replace("number: 8100", "number: 8101")) == \
        "ingress.networking.k8s.io/gateway-ingress configured"
    assert cluster.get("Ingress", "gateway-ingress").spec.rules[0].http.paths[1].backend.service.port.number == 8101
    assert cluster.get("Ingress", "gateway-ingress").metadata.generation == 2


def test_apply_keeps_the_address_the_controller_wrote():
    cluster = course(cloud="gcp", controller=True)
    cluster.advance(120)
    cluster.apply(COURSE_INGRESS.replace("/currency-conversion", "/conversion"))
    ing = cluster.get("Ingress", "gateway-ingress")
    assert ing.status.load_balancer.ingress[0].ip == "198.51.100.1"
    assert ing.spec.rules[0].http.paths[1].path == "/conversion"


def test_an_ingress_manifest_without_path_type_is_refused_with_the_server_s_words():
    cluster = Cluster(seed=1)
    with pytest.raises(KubectlError) as err:
        cluster.apply(COURSE_INGRESS.replace("        pathType: Prefix\n", "", 1))
    assert str(err.value) == ('The Ingress "gateway-ingress" is invalid: spec.rules[0].http.paths[0].pathType: '
                              "Required value: pathType must be specified")


def test_an_unknown_field_in_an_ingress_is_a_strict_decoding_error():
    with pytest.raises(KubectlError) as err:
        Cluster(seed=1).apply(COURSE_INGRESS.replace("pathType: Prefix", "pathtype: Prefix", 1))
    assert str(err.value) == (
        'Error from server (BadRequest): error when creating "STDIN": Ingress in version "v1" cannot be handled as a '
        'Ingress: strict decoding error: unknown field "spec.rules[0].http.paths[0].pathtype"')


def test_get_o_yaml_round_trips_through_apply_on_a_fresh_cluster():
    cluster = course(cloud="gcp", controller=True)
    cluster.advance(120)
    text = cluster.kubectl("get ing gateway-ingress -o yaml")
    doc = yaml.safe_load(text)
    assert doc["metadata"]["generation"] == 1
    assert doc["status"] == {"loadBalancer": {"ingress": [{"ip": "198.51.100.1"}]}}
    fresh = Cluster(seed=5)
    assert fresh.kubectl("apply -f -", stdin=text) == "ingress.networking.k8s.io/gateway-ingress created"
    again = yaml.safe_load(fresh.kubectl("get ing gateway-ingress -o yaml"))
    assert again["spec"] == doc["spec"] == yaml.safe_load(COURSE_INGRESS)["spec"]
    assert again["status"] == {"loadBalancer": {}}  # status is the controller's to write, never the manifest's


def test_export_includes_the_learner_s_ingress_and_not_the_add_on_s_objects():
    cluster = course(controller=True)
    text = cluster.export()
    assert "controller-v1.12.0/deploy/static/provider/kind/deploy.yaml" in text.splitlines()[2]
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("Deployment", "currency-conversion"), ("Deployment", "currency-exchange"),
        ("Service", "currency-conversion"), ("Service", "currency-exchange"), ("Ingress", "gateway-ingress")]
    assert docs[-1]["spec"] == yaml.safe_load(COURSE_INGRESS)["spec"] and "status" not in docs[-1]


def test_delete_ingress_and_label_and_patch_it():
    cluster = course()
    assert cluster.kubectl("label ing gateway-ingress tier=edge") == "ingress.networking.k8s.io/gateway-ingress labeled"
    assert cluster.kubectl("""patch ing gateway-ingress -p '{"spec":{"ingressClassName":"other"}}'""") == \
        "ingress.networking.k8s.io/gateway-ingress patched"
    row = cluster.kubectl("get ing --show-labels").splitlines()[1].split()
    assert (row[1], row[-1]) == ("other", "tier=edge")
    assert cluster.kubectl("delete ing gateway-ingress") == 'ingress.networking.k8s.io "gateway-ingress" deleted'
    assert cluster.kubectl("get ing") == "No resources found in default namespace."
    assert refused(cluster, "delete ing gateway-ingress") == \
        'Error from server (NotFound): ingresses.networking.k8s.io "gateway-ingress" not found'


# ---------------------------------------------------------------- exec: the controller's nginx.conf

def test_exec_cat_nginx_conf_in_the_controller_pod_only():
    cluster = course(controller=True)
    cluster.advance(60)
    [pod] = cluster.list("Pod", "ingress-nginx")
    conf = cluster.kubectl(f"exec -n ingress-nginx {pod.metadata.name} -- cat /etc/nginx/nginx.conf")
    assert conf.startswith("# Configuration checksum:") and "api.example.com" in conf
    assert conf == nginx_conf_for(cluster.core, pod).rstrip("\n")
    other = cluster.pod_names({"app": "currency-exchange"})[0]
    assert refused(cluster, f"exec {other} -- cat /etc/nginx/nginx.conf") == (
        "cat: /etc/nginx/nginx.conf: No such file or directory\ncommand terminated with exit code 1")
