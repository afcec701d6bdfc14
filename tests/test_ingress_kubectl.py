"""The pure kubectl parts for Ingress: get columns, describe, the create-ingress generator, manifests.

References: k8s-reference.md 4.2 (get ingress columns), 4.5 (kubectl create ingress generator), 6 (describe).
These modules are wired into ``cluster.kubectl`` by the kubectl layer; here they are called directly.
"""

import dataclasses

import pytest

from k8sedu import Cluster, KubectlError
from k8sedu.kubectl import describe
from k8sedu.kubectl.ingress_create import build_ingress
from k8sedu.kubectl.ingress_manifest import decode_ingress, encode_ingress
from k8sedu.kubectl.ingress_print import PRINTERS, describe_ingress
from k8sedu.kubectl.printers import Options
from k8sedu.kubectl.table import tabulate, tabwrite
from k8sedu.objects import (IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressStatus,
                            IngressTLS)


def get_lines(objs, now, kind="Ingress", wide=False):
    printer = PRINTERS[kind]
    return tabulate([list(printer.columns)] + [printer.row(o, Options(now, wide)) for o in objs])


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
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1 --replicas=2 "
                    "--port=8000")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.api.create(build_ingress("gateway-ingress", "default", [
        "api.example.com/currency-exchange*=currency-exchange:8000", "api.example.com/ghost*=ghost:80"],
        ingress_class="nginx"))
    cluster.advance(60)
    ips = sorted(cluster.get("Pod", p).status.pod_ip for p in cluster.pod_names({"app": "currency-exchange"}))
    ing = cluster.get("Ingress", "gateway-ingress")
    text = tabwrite("\n".join(describe_ingress(cluster, ing) + describe._events(cluster, ing)) + "\n")
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
    lines = tabwrite("\n".join(describe_ingress(cluster, ing)) + "\n").splitlines()
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
