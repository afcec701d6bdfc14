"""Service types as the API server handles them: defaults, NodePorts, type changes, errors."""

import dataclasses

import pytest

from k8sedu.apiserver.errors import InvalidError
from k8sedu.objects import (LoadBalancerIngress, LoadBalancerStatus, ObjectMeta, Service, ServicePort,
                            ServiceSpec, ServiceStatus, frozen)

SEL = frozen({"app": "web"})


def svc(name="web", type="ClusterIP", ports=(ServicePort(80, 8080),), **spec):
    return Service(ObjectMeta(name=name, namespace="default"),
                   ServiceSpec(type=type, ports=tuple(ports), selector=SEL, **spec))


def retype(api, name, type, **spec):
    old = api.get("Service", "default", name)
    return api.update(dataclasses.replace(old, spec=dataclasses.replace(old.spec, type=type, **spec)))


def test_nodeport_gets_a_port_from_30000_32767_and_keeps_a_cluster_ip(api):
    s = api.create(svc(type="NodePort"))
    assert 30000 <= s.spec.ports[0].node_port <= 32767
    assert s.spec.cluster_ip.startswith("10.")
    assert s.spec.external_traffic_policy == "Cluster"


def test_loadbalancer_gets_node_ports_unless_told_not_to(api):
    assert api.create(svc("a", "LoadBalancer")).spec.ports[0].node_port
    b = api.create(svc("b", "LoadBalancer", allocate_load_balancer_node_ports=False))
    assert b.spec.ports[0].node_port == 0 and b.spec.cluster_ip


def test_loadbalancer_with_local_policy_gets_a_health_check_node_port(api):
    s = api.create(svc(type="LoadBalancer", external_traffic_policy="Local"))
    assert 30000 <= s.spec.health_check_node_port <= 32767
    assert s.spec.health_check_node_port != s.spec.ports[0].node_port


@pytest.mark.parametrize("service, message", [
    (svc("web", "NodePort", ports=(ServicePort(80, node_port=8080),)),
     'The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the '
     'valid range. The range of valid ports is 30000-32767'),
    (svc("web", "ClusterIP", ports=(ServicePort(80, node_port=30080),)),
     "The Service \"web\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
    (svc("web", "NodePort", cluster_ip="None"),
     "The Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for "
     "NodePort services"),
    (svc("web", "ExternalName", ports=()),
     'The Service "web" is invalid: spec.externalName: Required value'),
    (svc("web", "ClusterIP", external_traffic_policy="Local"),
     'The Service "web" is invalid: spec.externalTrafficPolicy: Invalid value: "Local": may only be set for '
     'externally-accessible services'),
    (svc("web", "ClusterIP", load_balancer_source_ranges=("10.0.0.0/8",)),
     # validation.go ValidateService: specPath.Child("LoadBalancerSourceRanges"), Go's capital L.
     "The Service \"web\" is invalid: spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is "
     "'LoadBalancer'"),
    (svc("web", "LoadBalancer", load_balancer_source_ranges=("10.0.0.0/8", "office")),
     'The Service "web" is invalid: spec.LoadBalancerSourceRanges: Invalid value: "[10.0.0.0/8 office]": must be '
     'a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 '),
    # validation.go ValidatePortNumOrName -> apimachinery IsValidPortName (IANA_SVC_NAME).
    (svc("web", ports=(ServicePort(80, target_port="http_web"),)),
     'The Service "web" is invalid: spec.ports[0].targetPort: Invalid value: "http_web": must contain only '
     'alpha-numeric characters (a-z, 0-9), and hyphens (-)'),
    (svc("web", ports=(ServicePort(80, target_port="8080"),)),
     'The Service "web" is invalid: spec.ports[0].targetPort: Invalid value: "8080": must contain at least one '
     'letter (a-z)'),
    (svc("web", ports=(ServicePort(80, target_port="currency-exchange"),)),
     'The Service "web" is invalid: spec.ports[0].targetPort: Invalid value: "currency-exchange": must be no more '
     'than 15 characters'),
    (svc("web", ports=(ServicePort(80, target_port="web--http"),)),
     'The Service "web" is invalid: spec.ports[0].targetPort: Invalid value: "web--http": must not contain '
     'consecutive hyphens'),
])
def test_invalid_services_are_rejected_and_allocate_nothing(api, service, message):
    rv, used = api.store.resource_version, api.service_ips.used
    with pytest.raises(InvalidError) as err:
        api.create(service)
    assert err.value.kubectl_text() == message
    assert (api.store.resource_version, api.service_ips.used) == (rv, used)


def test_a_node_port_is_unique_per_protocol(api):
    api.create(svc("a", "NodePort", ports=(ServicePort(80, node_port=30080),)))
    with pytest.raises(InvalidError) as err:
        api.create(svc("b", "NodePort", ports=(ServicePort(80, node_port=30080),)))
    assert err.value.kubectl_text() == ('The Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: '
                                        'provided port is already allocated')
    c = api.create(svc("c", "NodePort", ports=(ServicePort(53, protocol="UDP", node_port=30080),)))
    assert c.spec.ports[0].node_port == 30080


def test_clusterip_to_nodeport_keeps_the_ip_and_allocates_a_port(api):
    before = api.create(svc())
    after = retype(api, "web", "NodePort")
    assert after.spec.cluster_ip == before.spec.cluster_ip
    assert after.spec.ports[0].node_port


def test_nodeport_to_clusterip_wipes_and_releases_the_port(api):
    port = api.create(svc(type="NodePort")).spec.ports[0].node_port
    after = retype(api, "web", "ClusterIP")
    assert after.spec.ports[0].node_port == 0 and after.spec.external_traffic_policy == ""
    reuse = api.create(svc("other", "NodePort", ports=(ServicePort(80, node_port=port),)))
    assert reuse.spec.ports[0].node_port == port


def test_leaving_loadbalancer_clears_its_status(api):
    s = api.create(svc(type="LoadBalancer"))
    api.update(dataclasses.replace(s, status=ServiceStatus(LoadBalancerStatus((LoadBalancerIngress("192.0.2.1"),)))))
    after = retype(api, "web", "NodePort")
    assert after.status.load_balancer.ingress == ()
    assert after.spec.allocate_load_balancer_node_ports is None
    assert after.spec.ports[0].node_port == s.spec.ports[0].node_port  # NodePort keeps its port


def test_to_externalname_releases_the_cluster_ip_and_back_allocates_a_new_one(api):
    s = api.create(svc())
    used = api.service_ips.used
    ext = retype(api, "web", "ExternalName", external_name="api.example.com")
    assert (ext.spec.cluster_ip, ext.spec.cluster_ips, ext.spec.ip_families) == ("", (), ())
    assert api.service_ips.used == used - 1
    back = retype(api, "web", "ClusterIP", external_name="")
    assert back.spec.cluster_ip and api.service_ips.used == used


def test_the_cluster_ip_is_immutable(api):
    s = api.create(svc())
    with pytest.raises(InvalidError) as err:
        api.update(dataclasses.replace(s, spec=dataclasses.replace(s.spec, cluster_ip="10.96.0.99",
                                                                    cluster_ips=("10.96.0.99",))))
    assert "spec.clusterIPs[0]: Invalid value: \"10.96.0.99\": may not change once set" in err.value.kubectl_text()


def test_client_ip_affinity_defaults_its_timeout_to_three_hours(api):
    s = api.create(svc(session_affinity="ClientIP"))
    assert s.spec.session_affinity_config.client_ip.timeout_seconds == 10800
    assert retype(api, "web", "ClusterIP", session_affinity="None").spec.session_affinity_config is None


def test_deleting_a_service_releases_its_ip_and_ports(api):
    s = api.create(svc(type="NodePort"))
    api.delete("Service", "default", "web")
    again = api.create(svc("again", "NodePort", cluster_ip=s.spec.cluster_ip,
                           ports=(ServicePort(80, node_port=s.spec.ports[0].node_port),)))
    assert again.spec.cluster_ip == s.spec.cluster_ip
