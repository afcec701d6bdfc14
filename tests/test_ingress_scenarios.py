"""The course's Ingress scenarios through the public API: one Ingress host, two services, with and without a controller.

The complete example: Deployments currency-exchange (2 pods, port 8000) and currency-conversion (port 8100),
ClusterIP Services, and one Ingress ``gateway-ingress`` for host api.example.com with the Prefix paths
/currency-exchange and /currency-conversion.
"""

import dataclasses

import pytest

from k8sedu import Cluster, KubectlError
from k8sedu.ingress_nginx import controller_of, nginx_conf_for
from k8sedu.kubectl.ingress_create import build_ingress

CE = "create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE --replicas=2 --port=8000"
CC = "create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE --port=8100"
HOST = {"Host": "api.example.com"}
NO_CONTROLLER = "an Ingress is only configuration: no ingress controller is installed, so nothing listens for it"


def gateway(cls="nginx", name="gateway-ingress"):
    return build_ingress(name, "default", ["api.example.com/currency-exchange*=currency-exchange:8000",
                                           "api.example.com/currency-conversion*=currency-conversion:8100"],
                         ingress_class=cls or "")


def example(cloud=None, seed=3, controller=True, metallb=False, service_type="ClusterIP", **install):
    cluster = Cluster(cloud=cloud, seed=seed)
    cluster.kubectl(CE)
    cluster.kubectl(CC)
    cluster.kubectl(f"expose deployment currency-exchange --port=8000 --type={service_type}")
    cluster.kubectl(f"expose deployment currency-conversion --port=8100 --type={service_type}")
    if metallb:
        cluster.install("metallb", addresses="172.18.255.200-172.18.255.250")
    if controller:
        cluster.install("ingress-nginx", **install)
    cluster.api.create(gateway())
    cluster.advance(120)
    return cluster


def pods(cluster, app):
    return set(cluster.pod_names({"app": app}))


def controller_pod(cluster):
    [pod] = cluster.list("Pod", "ingress-nginx")
    return pod


def node_port_url(cluster, path, node=None):
    svc = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx")
    node = node or controller_pod(cluster).spec.node_name
    return f"http://{cluster.get('Node', node).address()}:{svc.spec.ports[0].node_port}{path}"


def address(cluster, name="gateway-ingress"):
    return [a.ip or a.hostname for a in cluster.get("Ingress", name).status.load_balancer.ingress]


# ---------------------------------------------------------------- no controller: no routing

def test_without_a_controller_the_ingress_is_stored_but_nothing_routes_and_the_events_say_so():
    cluster = example(controller=False)
    assert cluster.get("Ingress", "gateway-ingress").spec.rules[0].host == "api.example.com"
    assert address(cluster) == []  # ADDRESS stays blank
    trace = cluster.request("http://api.example.com/currency-exchange", source="vpc")
    assert not trace.ok and trace.exit_code == 6
    assert [(h.component, h.action) for h in trace.hops] == [("dns", "NXDOMAIN")]
    assert NO_CONTROLLER in trace.hops[0].detail and NO_CONTROLLER in trace.reason
    assert "Ingress default/gateway-ingress" in trace.reason
    [event] = cluster.events.about("Ingress", "gateway-ingress")
    assert (event.type, event.reason, event.message) == ("Warning", "NoIngressController", NO_CONTROLLER)


def test_without_a_controller_nothing_listens_on_the_nodes_http_port_either():
    cluster = example(controller=False)
    node_ip = cluster.get("Node", "kind-worker").address()
    trace = cluster.request(f"http://{node_ip}/currency-exchange", source="vpc", headers=HOST)
    assert not trace.ok and trace.exit_code == 7
    assert trace.reason.startswith(f"nothing listens on {node_ip}:80 on node kind-worker")
    assert NO_CONTROLLER in trace.reason


def test_the_same_request_from_a_pod_finds_no_name_either():
    cluster = example(controller=False)
    client = sorted(pods(cluster, "currency-conversion"))[0]
    trace = cluster.request("http://api.example.com/currency-exchange", from_pod=client)
    assert not trace.ok and NO_CONTROLLER in trace.reason


# ---------------------------------------------------------------- a local cluster: <pending>, reached by NodePort

def test_install_creates_what_the_deploy_manifest_creates():
    cluster = Cluster(seed=1)
    out = cluster.install("ingress-nginx")
    assert out.splitlines()[:5] == ["namespace/ingress-nginx created", "service/ingress-nginx-controller created",
                                    "service/ingress-nginx-controller-admission created",
                                    "deployment.apps/ingress-nginx-controller created",
                                    "ingressclass.networking.k8s.io/nginx created"]
    svc = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx")
    assert (svc.spec.type, svc.spec.external_traffic_policy) == ("LoadBalancer", "Local")
    assert [(p.name, p.port, p.target_port) for p in svc.spec.ports] == [("http", 80, "http"), ("https", 443, "https")]
    assert svc.spec.health_check_node_port  # allocated for a Local LoadBalancer
    admission = cluster.get("Service", "ingress-nginx-controller-admission", "ingress-nginx")
    assert [(p.name, p.port, p.target_port) for p in admission.spec.ports] == [("https-webhook", 443, "webhook")]
    dep = cluster.get("Deployment", "ingress-nginx-controller", "ingress-nginx")
    [container] = dep.spec.template.spec.containers
    assert container.image == "registry.k8s.io/ingress-nginx/controller:v1.12.0"
    assert [(p.name, p.container_port) for p in container.ports] == [("http", 80), ("https", 443), ("webhook", 8443)]
    assert dict(dep.spec.selector.match_labels) == {"app.kubernetes.io/component": "controller",
                                                    "app.kubernetes.io/instance": "ingress-nginx",
                                                    "app.kubernetes.io/name": "ingress-nginx"}
    cls = cluster.get("IngressClass", "nginx")
    assert cls.spec.controller == "k8s.io/ingress-nginx" and not cls.is_default
    cluster.advance(60)
    assert controller_pod(cluster).ready
    with pytest.raises(KubectlError, match="already installed"):
        cluster.install("ingress-nginx")


def test_on_a_local_cluster_the_address_stays_blank_while_the_controller_service_is_pending():
    cluster = example()
    svc = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx")
    assert svc.status.load_balancer.ingress == () and address(cluster) == []
    trace = cluster.request("http://api.example.com/currency-exchange", source="vpc")
    assert not trace.ok and "<pending>" in trace.reason and "NodePort" in trace.reason


def test_the_complete_example_through_the_nodeport_from_the_nodes_network():
    cluster = example()
    nginx = controller_pod(cluster)
    # nginx passes the whole path on (no rewrite): the app serves /currency-exchange/from/{from}/to/{to}
    trace = cluster.request(node_port_url(cluster, "/currency-exchange/from/USD/to/INR"), source="vpc", headers=HOST)
    assert trace.ok and trace.status == 200 and trace.pod in pods(cluster, "currency-exchange")
    assert [(h.component, h.action) for h in trace.hops] == [
        (f"node/{nginx.spec.node_name}", "received"), (f"kube-proxy rules ({nginx.spec.node_name})", "DNAT"),
        ("network", "routed"), (f"ingress-nginx ({nginx.metadata.name})", "matched"),
        (f"ingress-nginx ({nginx.metadata.name})", "proxied"), ("network", "routed"), (f"pod/{trace.pod}", "answered")]
    matched = trace.hops[3]
    assert str(matched).startswith(f"[ingress-nginx ({nginx.metadata.name})] matched: host api.example.com, path "
                                   "/currency-exchange (Prefix) of ingress default/gateway-ingress -> service "
                                   "currency-exchange:8000")
    assert "not to the Service's ClusterIP" in trace.hops[4].detail
    assert trace.client_ip_seen == nginx.status.pod_ip  # the backend sees the controller, not the client
    conversion = cluster.request(node_port_url(cluster, "/currency-conversion/from/USD/to/INR/quantity/10"),
                                 source="vpc", headers=HOST)
    assert conversion.pod in pods(cluster, "currency-conversion") and '"quantity": 10' in conversion.body


def test_with_external_traffic_policy_local_only_the_controllers_node_answers_its_nodeport():
    cluster = example()
    here = controller_pod(cluster).spec.node_name
    other = next(n.metadata.name for n in cluster.list("Node") if n.metadata.name not in (here, "kind-control-plane"))
    dropped = cluster.request(node_port_url(cluster, "/currency-exchange", node=other), source="vpc", headers=HOST)
    assert not dropped.ok and "has no local endpoints" in dropped.reason


def test_the_host_header_decides_and_unknown_paths_get_the_controllers_own_404():
    cluster = example()
    nginx = controller_pod(cluster).metadata.name
    wrong_host = cluster.request(node_port_url(cluster, "/currency-exchange"), source="vpc")  # Host: the node IP
    missing = cluster.request(node_port_url(cluster, "/currency"), source="vpc", headers=HOST)  # element-wise
    for trace in (wrong_host, missing):
        assert trace.ok and trace.status == 404 and trace.pod == nginx
        assert "<title>404 Not Found</title>" in trace.body and "<hr><center>nginx</center>" in trace.body
        assert trace.hops[-1].action == "no match" and "the controller answers 404 itself" in trace.reason


def test_send_round_robins_over_the_pods_of_each_backend():
    cluster = example()
    url = node_port_url(cluster, "/currency-exchange")
    counts = cluster.send(url, n=100, source="vpc", headers=HOST)
    assert set(counts) == pods(cluster, "currency-exchange") and set(counts.values()) == {50}
    assert set(cluster.send(node_port_url(cluster, "/currency-conversion"), n=10, source="vpc", headers=HOST)) == \
        pods(cluster, "currency-conversion")


def test_a_backend_without_ready_pods_gets_503_from_the_controller():
    cluster = example()
    cluster.kubectl("scale deployment currency-conversion --replicas=0")
    cluster.advance(60)
    trace = cluster.request(node_port_url(cluster, "/currency-conversion"), source="vpc", headers=HOST)
    assert trace.ok and trace.status == 503 and "503 Service Temporarily Unavailable" in trace.body
    assert 'service "default/currency-conversion" has no ready endpoints' in trace.reason


def test_a_prefix_ending_in_a_slash_makes_nginx_redirect_the_bare_path():
    cluster = example()
    cluster.api.create(build_ingress("docs", "default", ["api.example.com/docs/*=currency-exchange:8000"],
                                     ingress_class="nginx"))
    trace = cluster.request(node_port_url(cluster, "/docs"), source="vpc", headers=HOST)
    assert trace.status == 301 and "301 Moved Permanently" in trace.body and "to /docs/" in trace.reason
    proxied = cluster.request(node_port_url(cluster, "/docs/"), source="vpc", headers=HOST)
    assert proxied.pod in pods(cluster, "currency-exchange")  # the app answers (its own 404: it serves no /docs/)


def test_a_pod_can_use_the_controller_service_by_its_cluster_dns_name():
    cluster = example()
    client = sorted(pods(cluster, "currency-conversion"))[0]
    trace = cluster.request("http://ingress-nginx-controller.ingress-nginx/currency-exchange", from_pod=client,
                            headers=HOST)
    assert trace.ok and trace.pod in pods(cluster, "currency-exchange")


def test_metallb_gives_the_controller_service_an_address_that_becomes_the_ingress_address():
    cluster = example(metallb=True)
    assert address(cluster) == ["172.18.255.200"]
    trace = cluster.request("http://172.18.255.200/currency-exchange", source="vpc", headers=HOST)
    assert trace.ok and trace.pod in pods(cluster, "currency-exchange")
    assert trace.hops[0].component == "MetalLB (layer 2)"
    assert controller_pod(cluster).spec.node_name in trace.hops[0].detail  # announced where the pod runs (Local)
    far = cluster.request("http://172.18.255.200/currency-exchange", source="internet", headers=HOST)
    assert not far.ok and "not reachable from the internet" in far.reason


def test_minikube_tunnel_makes_the_controller_services_cluster_ip_the_ingress_address():
    cluster = example()
    cluster.minikube_tunnel()
    [ip] = address(cluster)
    assert ip == cluster.get("Service", "ingress-nginx-controller", "ingress-nginx").spec.cluster_ip
    trace = cluster.request(f"http://{ip}/currency-exchange", source="vpc", headers=HOST)
    assert trace.ok and trace.hops[0].component == "minikube tunnel"


# ---------------------------------------------------------------- a cloud cluster: one load balancer for both

def test_on_a_cloud_the_address_is_blank_until_the_load_balancer_is_ready_then_it_is_its_ip():
    cluster = Cluster(cloud="gcp", seed=3)
    cluster.kubectl(CE)
    cluster.kubectl(CC)
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("expose deployment currency-conversion --port=8100")
    cluster.install("ingress-nginx")
    cluster.api.create(gateway())
    cluster.advance(20)
    assert address(cluster) == []
    cluster.advance(60)
    [ip] = address(cluster)
    svc = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx")
    assert ip == svc.status.load_balancer.ingress[0].ip and ip.startswith("198.51.100.")
    assert [(e.reason, e.count) for e in cluster.events.about("Ingress", "gateway-ingress")] == [("Sync", 2)]


def test_the_complete_example_from_the_internet_through_the_cloud_load_balancer():
    cluster = example(cloud="gcp")
    [ip] = address(cluster)
    trace = cluster.request(f"http://{ip}/currency-exchange", source="internet", headers=HOST)
    assert trace.ok and trace.pod in pods(cluster, "currency-exchange")
    assert [h.component for h in trace.hops][:2] == ["cloud load balancer",
                                                    f"kube-proxy rules ({controller_pod(cluster).spec.node_name})"]
    assert "(1 eligible)" in trace.hops[0].detail  # Local: only the node with the controller pod
    assert trace.hops[3].action == "matched"
    conversion = cluster.request(f"http://{ip}/currency-conversion", source="internet", headers=HOST)
    assert conversion.pod in pods(cluster, "currency-conversion")
    by_name = cluster.request("http://api.example.com/currency-exchange", source="internet")
    assert not by_name.ok and f"served by ingress-nginx at {ip}" in by_name.reason


def test_on_aws_the_address_is_the_elb_hostname():
    cluster = example(cloud="aws")
    [hostname] = address(cluster)
    assert hostname.endswith(".us-east-1.elb.amazonaws.com")
    trace = cluster.request(f"http://{hostname}/currency-exchange", source="internet", headers=HOST)
    assert trace.ok and trace.pod in pods(cluster, "currency-exchange")


def test_n_loadbalancer_services_cost_n_load_balancers_one_ingress_costs_one():
    per_service = example(cloud="gcp", controller=False, service_type="LoadBalancer")
    per_service.kubectl("create deployment web --image=nginx --port=80")
    per_service.kubectl("expose deployment web --port=80 --type=LoadBalancer")
    per_service.advance(120)
    three = per_service.cloud_resources()
    assert three.count == 3 and len(set(three.external_ips)) == 3 and three.hourly_usd == pytest.approx(0.075)
    shared = example(cloud="gcp")
    one = shared.cloud_resources()
    assert one.count == 1 and one.external_ips == tuple(address(shared)) and one.hourly_usd == pytest.approx(0.025)
    assert [lb.service for lb in one.load_balancers] == ["ingress-nginx/ingress-nginx-controller"]
    assert "1 load balancer, 1 external address: 0.0250 USD/hour" in str(one)
    assert Cluster(seed=1).cloud_resources().count == 0


# ---------------------------------------------------------------- classes, the configuration, events

def test_an_ingress_of_another_class_is_ignored():
    cluster = example()
    cluster.api.create(dataclasses.replace(gateway(cls="traefik", name="other"), spec=dataclasses.replace(
        gateway().spec, rules=tuple(dataclasses.replace(r, host="other.example.com") for r in gateway().spec.rules),
        ingress_class_name="traefik")))
    cluster.advance(10)
    assert address(cluster, "other") == []
    trace = cluster.request(node_port_url(cluster, "/currency-exchange"), source="vpc",
                            headers={"Host": "other.example.com"})
    assert trace.status == 404
    by_name = cluster.request("http://other.example.com/currency-exchange", source="vpc")
    assert 'ingress-nginx ignores that Ingress (no object matching key "traefik" in local store)' in by_name.reason


def test_class_less_ingresses_need_the_default_class_or_watch_without_class():
    ignored = example(controller=False)
    ignored.api.create(gateway(cls=None, name="plain"))
    ignored.install("ingress-nginx", default_class=True)
    assert ignored.get("IngressClass", "nginx").is_default  # like minikube's ingress addon
    ignored.api.create(gateway(cls=None, name="later"))
    ignored.advance(60)
    assert ignored.get("Ingress", "plain").spec.ingress_class_name is None  # created before the default class
    assert ignored.get("Ingress", "later").spec.ingress_class_name == "nginx"  # admission gave it the default
    served = {i.metadata.name for i in controller_of(ignored.core).served()}
    assert served == {"gateway-ingress", "later"}
    watching = example(controller=False)
    watching.api.create(gateway(cls=None, name="plain"))
    watching.install("ingress-nginx", watch_ingress_without_class=True)
    watching.advance(60)
    assert "plain" in {i.metadata.name for i in controller_of(watching.core).served()}


def test_the_nginx_conf_shows_servers_locations_and_upstream_names():
    cluster = example()
    text = cluster.ingress_config()
    assert "## start server api.example.com" in text and "server_name api.example.com ;" in text
    assert "location /currency-exchange/ {" in text and "location = /currency-exchange {" in text
    assert 'set $proxy_upstream_name "default-currency-exchange-8000";' in text
    assert "listen 80 default_server reuseport backlog=4096 ;" in text
    assert "proxy_pass http://upstream_balancer;" in text and "server 0.0.0.1; # placeholder" in text
    endpoints = sorted(f"{cluster.get('Pod', p).status.pod_ip}:8000" for p in pods(cluster, "currency-exchange"))
    assert f"#   default-currency-exchange-8000: {' '.join(endpoints)}" in text
    assert nginx_conf_for(cluster.core, controller_pod(cluster)) == text
    assert nginx_conf_for(cluster.core, cluster.get("Pod", sorted(pods(cluster, "currency-exchange"))[0])) is None
    with pytest.raises(KubectlError, match="no ingress controller is installed"):
        Cluster(seed=1).ingress_config()


def test_nginx_reloads_for_new_rules_but_not_for_new_endpoints():
    cluster = example()
    reloads = lambda: sum(e.count for e in cluster.events if e.reason == "RELOAD")  # noqa: E731
    before = reloads()
    assert before == 1
    cluster.kubectl("scale deployment currency-exchange --replicas=3")
    cluster.advance(60)
    assert reloads() == before  # the Lua balancer got the third endpoint, no reload
    assert cluster.ingress_config().count("default-currency-exchange-8000: ") == 1
    assert len(controller_of(cluster.core).configuration.backend("default-currency-exchange-8000").endpoints) == 3
    cluster.api.create(build_ingress("docs", "default", ["docs.example.com/*=currency-exchange:8000"],
                                     ingress_class="nginx"))
    cluster.advance(5)
    assert reloads() == before + 1


# ---------------------------------------------------------------- kind's ingress config and kind's manifest

def kind_example(seed=3):
    """kind's ingress guide (kind v0.24.0 site/content/docs/user/ingress.md): a cluster whose control-plane node
    is labelled ingress-ready=true with host ports 80/443 mapped to it, then ingress-nginx's kind manifest."""
    cluster = Cluster(seed=seed, ingress_ready=True)
    cluster.kubectl(CE)
    cluster.kubectl(CC)
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("expose deployment currency-conversion --port=8100")
    out = cluster.install("ingress-nginx")
    cluster.api.create(gateway(cls=""))  # kind's manifest watches Ingresses without a class
    cluster.advance(120)
    return cluster, out


def test_kinds_ingress_config_labels_the_control_plane_node():
    """kind's ingress guide: ``kubeletExtraArgs: node-labels: "ingress-ready=true"`` on the control-plane node."""
    cluster, _ = kind_example()
    labelled = [n.metadata.name for n in cluster.list("Node") if n.metadata.labels.get("ingress-ready") == "true"]
    assert labelled == ["kind-control-plane"]
    with pytest.raises(ValueError, match="ingress_ready is kind's cluster config"):
        Cluster(cloud="gcp", ingress_ready=True)


KIND_MANIFEST = [
    # (what, value read from the model, value in ingress-nginx controller-v1.12.0
    #  deploy/static/provider/kind/deploy.yaml)
    ("Service type", lambda c: c.get("Service", "ingress-nginx-controller", "ingress-nginx").spec.type, "NodePort"),
    ("externalTrafficPolicy", lambda c: c.get("Service", "ingress-nginx-controller",
                                              "ingress-nginx").spec.external_traffic_policy, "Cluster"),
    ("hostPorts", lambda c: [(p.container_port, p.host_port) for p in controller_container(c).ports],
     [(80, 80), (443, 443), (8443, 0)]),
    ("nodeSelector", lambda c: dict(controller_spec(c).node_selector),
     {"ingress-ready": "true", "kubernetes.io/os": "linux"}),
    ("tolerations", lambda c: [(t.key, t.effect) for t in controller_spec(c).tolerations],
     [("node-role.kubernetes.io/master", "NoSchedule"), ("node-role.kubernetes.io/control-plane", "NoSchedule")]),
    ("terminationGracePeriodSeconds", lambda c: controller_spec(c).termination_grace_period_seconds, 0),
    ("image", lambda c: controller_container(c).image, "registry.k8s.io/ingress-nginx/controller:v1.12.0"),
    ("where the pod runs", lambda c: controller_pod(c).spec.node_name,
     "kind-control-plane"),
    ("ADDRESS (--publish-status-address=localhost)", lambda c: c.kubectl("get ingress").splitlines()[1].split()[3],
     "localhost"),
]


def controller_spec(cluster):
    return cluster.get("Deployment", "ingress-nginx-controller", "ingress-nginx").spec.template.spec


def controller_container(cluster):
    return controller_spec(cluster).containers[0]


@pytest.mark.parametrize("what, read, expected", KIND_MANIFEST, ids=[m[0] for m in KIND_MANIFEST])
def test_install_on_kinds_ingress_config_applies_the_kind_manifest(what, read, expected):
    """Source: ingress-nginx controller-v1.12.0, ``diff deploy/static/provider/cloud/deploy.yaml
    deploy/static/provider/kind/deploy.yaml`` (NodePort, hostPort 80/443, nodeSelector ingress-ready,
    control-plane tolerations, grace 0, --watch-ingress-without-class, --publish-status-address=localhost)."""
    cluster, _ = kind_example()
    assert read(cluster) == expected


def test_install_names_the_manifest_and_the_projects_retirement():
    """The retirement announcement, kubernetes.io/blog/2025/11/11/ingress-nginx-retirement/ (also the head of the
    project's README): best-effort maintenance until March 2026, then no releases, bugfixes or security fixes."""
    _, out = kind_example()
    assert "controller-v1.12.0/deploy/static/provider/kind/deploy.yaml" in out
    assert "retired (announced 11 November 2025" in out
    assert "Best-effort maintenance will continue until March 2026" in out
    assert "Gateway API" in out
    assert "provider/cloud/deploy.yaml" in Cluster(seed=1).install("ingress-nginx")  # kind without the config


def test_curl_localhost_on_the_host_reaches_nginx_through_the_port_mapping_and_the_host_port():
    """kind's ingress guide: ``curl localhost/foo`` on the host answers through extraPortMappings (docker) and the
    controller's hostPort (the CNI portmap plugin on kindnet's chain, kindnetd cni.go); nginx sees the host on the
    docker network (172.18.0.1) because portmap only masquerades hairpin and localhost traffic."""
    cluster, _ = kind_example()
    trace = cluster.request("http://localhost/currency-exchange/from/USD/to/INR", source="host",
                            headers=HOST)
    assert trace.ok and trace.status == 200 and trace.pod in pods(cluster, "currency-exchange"), trace
    assert [h.component for h in trace.hops[:3]] == ["/etc/hosts", "docker (host)", "portmap (kind-control-plane)"]
    assert "hostPort 80 of pod ingress-nginx-controller" in trace.hops[2].detail
    assert trace.hops[3].component.startswith("ingress-nginx (")
    unmatched = cluster.request("http://localhost/nowhere", source="host", headers=HOST)
    assert (unmatched.status, unmatched.server) == (404, f"pod/{controller_pod(cluster).metadata.name}")
    assert not cluster.request("http://localhost:8080/", source="host").ok  # only 80 and 443 are mapped


def test_without_the_label_kinds_manifest_would_have_nowhere_to_run():
    """A cluster without kind's ingress config keeps the cloud manifest (LoadBalancer, <pending> on kind), so the
    controller runs anywhere and is reached by its NodePort; the host's localhost:80 leads nowhere."""
    cluster = Cluster(seed=3)
    cluster.install("ingress-nginx")
    cluster.advance(60)
    assert cluster.get("Service", "ingress-nginx-controller", "ingress-nginx").spec.type == "LoadBalancer"
    trace = cluster.request("http://localhost/", source="host")
    assert (trace.ok, trace.exit_code) == (False, 7)


def test_kinds_manifest_tells_where_its_ingresses_are_reached_and_how_to_recreate_it():
    """--publish-status-address=localhost: the ADDRESS is localhost, which only the host that runs kind reaches
    (derived from code: notes.why_nowhere); export names the kind manifest and the cluster config it needs."""
    cluster, _ = kind_example()
    trace = cluster.request("http://api.example.com/currency-exchange/from/USD/to/INR", source="host")
    assert (trace.ok, trace.exit_code) == (False, 6) and 'source="host"' in trace.reason
    text = cluster.export()
    assert "ingress-ready=true" in text and "provider/kind/deploy.yaml" in text
