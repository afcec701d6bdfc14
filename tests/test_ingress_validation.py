"""Ingress and IngressClass through the API server: the DefaultIngressClass admission and the exact error texts.

Texts from k/k pkg/apis/networking/validation/validation.go and apimachinery util/validation; the
admission from plugin/pkg/admission/network/defaultingressclass (newest default wins since 1.25).
"""

import dataclasses

import pytest

from k8sedu.apiserver import InvalidError
from k8sedu.errors import from_status
from k8sedu.objects import (HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressClass,
                            IngressClassSpec, IngressRule, IngressServiceBackend, IngressSpec, IngressTLS,
                            ObjectMeta, ServiceBackendPort, TypedLocalObjectReference, frozen)

DEFAULT = {"ingressclass.kubernetes.io/is-default-class": "true"}


def backend(name="currency-exchange", number=8000, port_name=""):
    return IngressBackend(IngressServiceBackend(name, ServiceBackendPort(port_name, number)))


def one_path(path="/currency-exchange", path_type="Prefix", back=None, host="api.example.com"):
    return IngressSpec(ingress_class_name="nginx", rules=(IngressRule(host, HTTPIngressRuleValue((
        HTTPIngressPath(path, path_type, back or backend()),))),))


def create(api, spec, name="gateway", annotations=None):
    return api.create(Ingress(ObjectMeta(name=name, namespace="default", annotations=frozen(annotations)), spec))


def error_text(api, spec, **kw):
    with pytest.raises(InvalidError) as err:
        create(api, spec, **kw)
    return str(from_status(err.value))


PREFIX = 'The Ingress "gateway" is invalid: '
P0 = "spec.rules[0].http.paths[0]"

INVALID = [
    ("no pathType", one_path(path_type=None), f"{P0}.pathType: Required value: pathType must be specified"),
    ("unknown pathType", one_path(path_type="InvalidType"),
     f'{P0}.pathType: Unsupported value: "InvalidType": supported values: "Exact", "ImplementationSpecific", '
     '"Prefix"'),
    ("relative Prefix path", one_path(path="currency-exchange"),
     f'{P0}.path: Invalid value: "currency-exchange": must be an absolute path'),
    ("empty Exact path", one_path(path="", path_type="Exact"),
     f'{P0}.path: Invalid value: "": must be an absolute path'),
    ("relative ImplementationSpecific path", one_path(path="x", path_type="ImplementationSpecific"),
     f'{P0}.path: Invalid value: "x": must be an absolute path'),
    ("double slash", one_path(path="/a//b"), f"{P0}.path: Invalid value: \"/a//b\": must not contain '//'"),
    ("dot-dot suffix", one_path(path="/a/.."), f"{P0}.path: Invalid value: \"/a/..\": cannot end with '/..'"),
    ("IP host", one_path(host="203.0.113.7"),
     'spec.rules[0].host: Invalid value: "203.0.113.7": must be a DNS name, not an IP address'),
    ("bare wildcard", one_path(host="*"),
     "spec.rules[0].host: Invalid value: \"*\": a wildcard DNS-1123 subdomain must start with '*.', followed by "
     "a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with "
     "an alphanumeric character (e.g. '*.example.com', regex used for validation is "
     r"'\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    ("upper-case host", one_path(host="API.example.com"),
     "spec.rules[0].host: Invalid value: \"API.example.com\": a lowercase RFC 1123 subdomain must consist of "
     "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
     "(e.g. 'example.com', regex used for validation is "
     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    ("neither rules nor defaultBackend", IngressSpec(ingress_class_name="nginx"),
     "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"),
    ("no paths", IngressSpec(rules=(IngressRule("a.com", HTTPIngressRuleValue(())),)),
     "spec.rules[0].http.paths: Required value"),
    ("service name", one_path(back=backend(name="Currency_Exchange")),
     f'{P0}.backend.service.name: Invalid value: "Currency_Exchange": a DNS-1035 label must consist of lower '
     "case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric "
     "character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"),
    ("no service name", one_path(back=backend(name="")), f"{P0}.backend.service.name: Required value"),
    ("no port", one_path(back=backend(number=0)), f"{P0}.backend: Required value: port name or number is required"),
    ("both ports", one_path(back=backend(number=80, port_name="http")),
     f'{P0}.backend: Invalid value: "": cannot set both port name & port number'),
    ("port out of range", one_path(back=backend(number=70000)),
     f"{P0}.backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ("numeric port name", one_path(back=backend(number=0, port_name="8080")),
     f'{P0}.backend.service.port.name: Invalid value: "8080": must contain at least one letter (a-z)'),
    ("no backend", one_path(back=IngressBackend()),
     f'{P0}.backend: Invalid value: "": resource or service backend is required'),
    ("two backends", one_path(back=IngressBackend(backend().service, TypedLocalObjectReference("Bucket", "b"))),
     f'{P0}.backend: Invalid value: "": cannot set both resource and service backends'),
    ("tls wildcard", dataclasses.replace(one_path(), tls=(IngressTLS(("*",)),)),
     'spec.tls[0].hosts[0]: Invalid value: "*": a wildcard DNS-1123 subdomain must start with'),
]


@pytest.mark.parametrize("case,spec,message", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_ingresses_are_refused_with_the_api_servers_words(api, case, spec, message):
    assert error_text(api, spec).startswith(PREFIX + message)
    assert api.list("Ingress") == []


def test_several_errors_are_listed_as_kubectl_lists_them(api):
    spec = IngressSpec(rules=(IngressRule("1.2.3.4", HTTPIngressRuleValue((HTTPIngressPath("x", None, backend()),))),))
    assert error_text(api, spec) == (
        PREFIX + "\n"
        '* spec.rules[0].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address\n'
        f"* {P0}.pathType: Required value: pathType must be specified")


def test_the_server_message_names_the_group_kind(api):
    with pytest.raises(InvalidError) as err:
        create(api, one_path(path_type=None))
    assert err.value.message.startswith('Ingress.networking.k8s.io "gateway" is invalid: ')


def test_the_class_annotation_must_agree_with_ingress_class_name(api):
    text = error_text(api, one_path(), annotations={"kubernetes.io/ingress.class": "traefik"})
    assert text == PREFIX + ('annotations.kubernetes.io/ingress.class: Invalid value: "traefik": '
                             "must match `ingressClassName` when both are specified")


def test_valid_ingresses_are_stored_as_given(api):
    wildcard = create(api, one_path(host="*.example.com"), name="wild")
    assert wildcard.spec.rules[0].host == "*.example.com"
    specific = create(api, one_path(path="", path_type="ImplementationSpecific"), name="impl")
    assert specific.spec.rules[0].http.paths[0].path == ""
    named = create(api, one_path(back=backend(number=0, port_name="http")), name="named")
    assert named.spec.rules[0].http.paths[0].backend.service.port.name == "http"
    only_default = create(api, IngressSpec(default_backend=backend()), name="fallback")
    assert only_default.status.load_balancer.ingress == ()


# ---------------------------------------------------------------- IngressClass

def ingress_class(name, controller="k8s.io/ingress-nginx", annotations=None):
    return IngressClass(ObjectMeta(name=name, annotations=frozen(annotations)), IngressClassSpec(controller))


def test_ingress_class_validation(api):
    with pytest.raises(InvalidError) as err:
        api.create(ingress_class("nginx", controller=""))
    assert from_status(err.value).message == 'The IngressClass "nginx" is invalid: spec.controller: Required value'
    with pytest.raises(InvalidError) as err:
        api.create(ingress_class("nginx", controller="nginx"))
    assert str(from_status(err.value)) == ('The IngressClass "nginx" is invalid: spec.controller: Invalid value: '
                                           '"nginx": must be a domain-prefixed path (such as "acme.io/foo")')
    stored = api.create(ingress_class("nginx"))
    assert stored.metadata.namespace == ""
    with pytest.raises(InvalidError, match="spec.controller: Invalid value: \"example.com/other\": field is immutable"):
        api.update(dataclasses.replace(stored, spec=IngressClassSpec("example.com/other")))


# ---------------------------------------------------------------- DefaultIngressClass admission

def test_a_class_less_ingress_gets_the_default_class_name_on_create(api, clock):
    api.create(ingress_class("nginx", annotations=DEFAULT))
    clock.now = 10
    stored = create(api, dataclasses.replace(one_path(), ingress_class_name=None))
    assert stored.spec.ingress_class_name == "nginx"


def test_without_a_default_class_the_ingress_stays_class_less(api):
    api.create(ingress_class("nginx"))
    assert create(api, dataclasses.replace(one_path(), ingress_class_name=None)).spec.ingress_class_name is None


def test_an_explicit_class_or_the_old_annotation_is_left_alone(api):
    api.create(ingress_class("nginx", annotations=DEFAULT))
    assert create(api, dataclasses.replace(one_path(), ingress_class_name="other"), name="a") \
        .spec.ingress_class_name == "other"
    annotated = create(api, dataclasses.replace(one_path(), ingress_class_name=None), name="b",
                       annotations={"kubernetes.io/ingress.class": "nginx"})
    assert annotated.spec.ingress_class_name is None


def test_with_several_default_classes_the_newest_wins(api, clock):
    """Since Kubernetes 1.25 (k/k PR #110974); before, the plugin refused with
    "2 default IngressClasses were found, only 1 allowed"."""
    api.create(ingress_class("nginx", annotations=DEFAULT))
    clock.now = 5
    api.create(ingress_class("haproxy", controller="haproxy.org/ingress", annotations=DEFAULT))
    clock.now = 6
    assert create(api, dataclasses.replace(one_path(), ingress_class_name=None)).spec.ingress_class_name == "haproxy"


def test_the_default_class_is_only_applied_on_create(api):
    stored = create(api, dataclasses.replace(one_path(), ingress_class_name=None))
    api.create(ingress_class("nginx", annotations=DEFAULT))
    updated = api.update(dataclasses.replace(stored, metadata=dataclasses.replace(
        stored.metadata, labels=frozen({"team": "fx"}))))
    assert updated.spec.ingress_class_name is None
