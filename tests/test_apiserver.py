"""The API server: defaulting, validation with the real texts, ClusterIP allocation."""

import ipaddress
import random

import pytest

from k8sedu.apiserver.errors import InvalidError, StatusError
from k8sedu.apiserver.ipallocator import IPAllocator
from k8sedu.apiserver.names import ALPHANUMS, generate_name, pod_template_hash
from k8sedu.objects import (Container, Deployment, DeploymentSpec, LabelSelector, ObjectMeta, Pod, PodSpec,
                            PodTemplateSpec, Service, ServicePort, ServiceSpec, frozen)


def svc(name="web", ports=(ServicePort(80),), **spec):
    return Service(ObjectMeta(name=name, namespace="default"), ServiceSpec(ports=tuple(ports), **spec))


def test_service_defaults_like_set_defaults_service(api):
    s = api.create(svc(ports=(ServicePort(80),), selector=frozen({"app": "web"})))
    assert s.spec.type == "ClusterIP"
    assert s.spec.session_affinity == "None"
    assert s.spec.internal_traffic_policy == "Cluster"
    assert s.spec.external_traffic_policy == ""
    assert (s.spec.ip_family_policy, s.spec.ip_families) == ("SingleStack", ("IPv4",))
    assert (s.spec.ports[0].protocol, s.spec.ports[0].target_port) == ("TCP", 80)


def test_cluster_ip_comes_from_the_service_range_and_is_released_on_delete(api):
    s = api.create(svc())
    ip = ipaddress.ip_address(s.spec.cluster_ip)
    assert ip in ipaddress.ip_network("10.96.0.0/12")
    assert s.spec.cluster_ips == (s.spec.cluster_ip,)
    used = api.service_ips.used
    api.delete("Service", "default", "web")
    assert api.service_ips.used == used - 1


def test_requested_cluster_ip_and_its_conflict_error(api):
    api.create(svc("a", cluster_ip="10.96.0.10"))
    with pytest.raises(InvalidError) as err:
        api.create(svc("b", cluster_ip="10.96.0.10"))
    assert err.value.kubectl_text() == ('The Service "b" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: '
                                        'failed to allocate IP 10.96.0.10: provided IP is already allocated')


def test_dynamic_allocation_prefers_the_upper_band():
    alloc = IPAllocator("10.96.0.0/12", random.Random(3))
    ips = [ipaddress.ip_address(alloc.allocate_next()) for _ in range(200)]
    assert all(ip > ipaddress.ip_address("10.96.0.255") for ip in ips)
    assert len(set(ips)) == 200


@pytest.mark.parametrize("service, expected", [
    (svc("My_Svc"), 'The Service "My_Svc" is invalid: metadata.name: Invalid value: "My_Svc": a DNS-1035 label '
     "must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with "
     "an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
     "'[a-z]([-a-z0-9]*[a-z0-9])?')"),
    (svc("x", ports=()), 'The Service "x" is invalid: spec.ports: Required value'),
    (svc("x", ports=(ServicePort(80), ServicePort(81, name="b"))),
     'The Service "x" is invalid: spec.ports[0].name: Required value'),
    (svc("x", ports=(ServicePort(70000, 8080),)),
     'The Service "x" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive'),
])
def test_invalid_services_are_rejected_with_the_api_servers_words(api, service, expected):
    rv = api.store.resource_version
    with pytest.raises(InvalidError) as err:
        api.create(service)
    assert err.value.kubectl_text() == expected
    assert api.store.resource_version == rv
    assert api.service_ips.used == 0


def test_several_causes_are_listed_one_per_line(api):
    with pytest.raises(InvalidError) as err:
        api.create(svc("x", ports=(ServicePort(0, 8080, name="a"), ServicePort(70000, 8080, name="b"))))
    assert err.value.kubectl_text().splitlines() == [
        'The Service "x" is invalid: ',
        "* spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "* spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
    ]


def test_objects_need_an_existing_namespace(api):
    with pytest.raises(StatusError) as err:
        api.create(Service(ObjectMeta(name="web", namespace="nope"), ServiceSpec(ports=(ServicePort(80),))))
    assert err.value.message == 'namespaces "nope" not found'


def test_deployment_selector_must_match_template_labels(api):
    dep = Deployment(ObjectMeta(name="web", namespace="default"), DeploymentSpec(
        LabelSelector(frozen({"app": "web"})),
        PodTemplateSpec(ObjectMeta(labels=frozen({"app": "other"})), PodSpec((Container("c", "nginx"),)))))
    with pytest.raises(InvalidError) as err:
        api.create(dep)
    assert err.value.kubectl_text() == ('The Deployment "web" is invalid: spec.template.metadata.labels: Invalid '
                                        'value: map[string]string{"app":"other"}: `selector` does not match '
                                        'template `labels`')


def test_generate_name_uses_five_chars_of_the_safe_alphabet(api):
    p = api.create(Pod(ObjectMeta(generate_name="web-5d4f8c-", namespace="default"), PodSpec((Container("c", "nginx"),))))
    suffix = p.metadata.name[len("web-5d4f8c-"):]
    assert len(suffix) == 5 and set(suffix) <= set(ALPHANUMS)


def test_generate_name_cuts_long_bases_to_58_chars():
    assert len(generate_name("x" * 80, random.Random(0))) == 63


def test_pod_template_hash_has_the_real_shape_and_is_stable():
    h = pod_template_hash("template-a")
    assert h == pod_template_hash("template-a") != pod_template_hash("template-b")
    assert 1 <= len(h) <= 10 and set(h) <= set("456789bcdf")


def test_deleting_a_scheduled_pod_only_marks_it(api, clock):
    api.create(Pod(ObjectMeta(name="p", namespace="default"), PodSpec((Container("c", "nginx"),), node_name="n1")))
    clock.now = 7
    marked = api.delete("Pod", "default", "p")
    assert marked.metadata.deletion_timestamp == 7
    assert marked.metadata.deletion_grace_period_seconds == 30
    assert api.try_get("Pod", "default", "p") is not None
