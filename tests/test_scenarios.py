"""The course's classic scenarios, each reproduced in a few lines of public API.

Rows read like kube-proxy's packet-flow tests: (source, destination) -> who answers, or why not.
"""

import pytest

from k8sedu import Cluster, KubectlError, load_balancers
from k8sedu.cloud import vpc_client_ip

CE = "create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE --replicas=2 --port=8000"
CC = "create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE --port=8100"


def cluster_with(kind="LoadBalancer", cloud=None, seed=3, nodes=3, extra=""):
    cluster = Cluster(nodes=nodes, cloud=cloud, seed=seed)
    cluster.kubectl(CE)
    cluster.kubectl(CC)
    cluster.kubectl(f"expose deployment currency-exchange --port=8000 --type={kind} {extra}".strip())
    cluster.advance(120)
    return cluster


def svc(cluster, name="currency-exchange"):
    return cluster.get("Service", name)


def node_port(cluster):
    return svc(cluster).spec.ports[0].node_port


def ce_pods(cluster):
    return set(cluster.pod_names({"app": "currency-exchange"}))


def client(cluster):
    return cluster.pod_names({"app": "currency-conversion"})[0]


# ---------------------------------------------------------------- LoadBalancer <pending> on a local cluster

def test_a_loadbalancer_on_a_local_cluster_stays_pending_forever_while_nodeport_and_clusterip_work():
    cluster = cluster_with("LoadBalancer")
    cluster.advance(3600)
    line = cluster.kubectl("get svc currency-exchange").splitlines()[1].split()
    assert line[1:5] == ["LoadBalancer", svc(cluster).spec.cluster_ip, "<pending>", f"8000:{node_port(cluster)}/TCP"]
    assert not [e for e in cluster.events if e.kind == "Service" and e.name == "currency-exchange"]
    worker = cluster.get("Node", "kind-worker").address()
    assert cluster.request(f"http://{worker}:{node_port(cluster)}/", source="vpc").pod in ce_pods(cluster)
    assert cluster.request("http://currency-exchange:8000/", from_pod=client(cluster)).ok
    trace = cluster.request("http://currency-exchange:8000/", source="internet")
    assert not trace.ok and "<pending>" in trace.reason and "nothing on this cluster provisions" in trace.reason


def test_a_cloud_provisions_the_load_balancer_after_a_delay_and_removes_it_with_the_service():
    cluster = Cluster(cloud="gcp", seed=3)
    cluster.kubectl(CE)
    cluster.kubectl("expose deployment currency-exchange --port=8000 --type=LoadBalancer")
    cluster.advance(10)
    assert svc(cluster).status.load_balancer.ingress == ()
    assert [e.reason for e in cluster.events.about("Service", "currency-exchange")] == ["EnsuringLoadBalancer"]
    cluster.advance(60)
    [ingress] = svc(cluster).status.load_balancer.ingress
    assert ingress.ip.startswith("198.51.100.") and ingress.ip_mode == "VIP"
    assert cluster.cloud.hourly_cost() == pytest.approx(0.025)
    trace = cluster.request(f"http://{ingress.ip}:8000/", source="internet")
    assert trace.ok and trace.pod in ce_pods(cluster)
    cluster.kubectl("delete svc currency-exchange")
    assert cluster.cloud.load_balancers == {} and cluster.cloud.hourly_cost() == 0


def test_aws_load_balancers_are_reached_by_hostname_through_the_node_port():
    cluster = cluster_with("LoadBalancer", cloud="aws")
    [ingress] = svc(cluster).status.load_balancer.ingress
    assert ingress.hostname.endswith(".us-east-1.elb.amazonaws.com") and not ingress.ip
    trace = cluster.request(f"http://{ingress.hostname}:8000/", source="internet")
    assert trace.ok
    actions = [(h.component, h.action) for h in trace.hops]
    assert actions[:2] == [("dns", "resolved"), ("cloud load balancer", "forwarded")]
    assert f":{node_port(cluster)}" in trace.hops[1].detail
    assert "KUBE-NODEPORTS -> KUBE-EXT-" in next(h.detail for h in trace.hops if h.action == "DNAT")


def test_changing_the_type_away_from_loadbalancer_deletes_the_cloud_load_balancer():
    cluster = cluster_with("LoadBalancer", cloud="azure")
    assert len(cluster.cloud.load_balancers) == 1
    cluster.api.update(_retyped(svc(cluster), "NodePort"))
    cluster.settle()
    assert cluster.cloud.load_balancers == {}
    assert svc(cluster).status.load_balancer.ingress == ()


def _retyped(service, kind):
    import dataclasses
    return dataclasses.replace(service, spec=dataclasses.replace(service.spec, type=kind))


# ---------------------------------------------------------------- NodePort reachability

def test_a_nodeport_is_not_reachable_from_the_internet_on_a_local_cluster():
    cluster = cluster_with("NodePort")
    ip = cluster.get("Node", "kind-worker").address()
    trace = cluster.request(f"http://{ip}:{node_port(cluster)}/", source="internet")
    assert not trace.ok and "not reachable from the internet" in trace.reason and "no public IP" in trace.reason


def test_the_cloud_firewall_blocks_a_nodeport_until_a_rule_allows_it():
    cluster = cluster_with("NodePort", cloud="gcp")
    node = cluster.list("Node")[0]
    url = f"http://{node.address('ExternalIP')}:{node_port(cluster)}/"
    trace = cluster.request(url, source="internet")
    assert not trace.ok and f"port {node_port(cluster)} blocked by the cloud firewall" in trace.reason
    cluster.cloud.firewall.allow("tcp:30000-32767", source="0.0.0.0/0", name="allow-nodeports")
    assert cluster.request(url, source="internet").pod in ce_pods(cluster)
    cluster.cloud.firewall.remove("allow-nodeports")
    assert not cluster.request(url, source="internet").ok


def test_a_clusterip_is_only_reachable_inside_the_cluster():
    cluster = cluster_with("ClusterIP")
    ip = svc(cluster).spec.cluster_ip
    assert cluster.request(f"http://{ip}:8000/", from_pod=client(cluster)).ok
    assert cluster.request(f"http://{ip}:8000/", source="node/kind-worker").ok
    trace = cluster.request(f"http://{ip}:8000/", source="vpc")
    assert not trace.ok and "only reachable inside the cluster" in trace.reason


@pytest.mark.parametrize("kind", ["NodePort", "LoadBalancer"])
def test_nodeport_and_loadbalancer_services_always_have_a_cluster_ip_that_works(kind):
    cluster = cluster_with(kind)
    ip = svc(cluster).spec.cluster_ip
    assert ip.startswith("10.") and cluster.request(f"http://{ip}:8000/", from_pod=client(cluster)).ok


# ---------------------------------------------------------------- externalTrafficPolicy

def test_cluster_policy_may_hop_to_another_node_and_hides_the_client_ip():
    cluster = cluster_with("NodePort", seed=8)
    cp = cluster.get("Node", "kind-control-plane").address()  # no currency-exchange pod runs there
    trace = cluster.request(f"http://{cp}:{node_port(cluster)}/", source="vpc")
    assert trace.ok and trace.client_ip_seen == cp  # masqueraded to the node that received it


def test_local_policy_keeps_the_client_ip_and_drops_traffic_on_nodes_without_local_pods():
    cluster = cluster_with("NodePort", extra="", seed=8)
    service = svc(cluster)
    import dataclasses
    cluster.api.update(dataclasses.replace(service, spec=dataclasses.replace(
        service.spec, external_traffic_policy="Local")))
    cluster.settle()
    pod = cluster.get("Pod", sorted(ce_pods(cluster))[0])
    here = cluster.get("Node", pod.spec.node_name).address()
    trace = cluster.request(f"http://{here}:{node_port(cluster)}/", source="vpc")
    assert trace.ok and cluster.get("Pod", trace.pod).spec.node_name == pod.spec.node_name
    assert trace.client_ip_seen == vpc_client_ip(cluster.cloud)
    cp = cluster.get("Node", "kind-control-plane").address()
    dropped = cluster.request(f"http://{cp}:{node_port(cluster)}/", source="vpc")
    assert not dropped.ok and "has no local endpoints" in dropped.reason


def test_a_cloud_load_balancer_with_local_policy_only_sends_to_nodes_with_local_pods():
    cluster = cluster_with("LoadBalancer", cloud="gcp", extra="", nodes=4)
    import dataclasses
    service = svc(cluster)
    cluster.api.update(dataclasses.replace(service, spec=dataclasses.replace(
        service.spec, external_traffic_policy="Local")))
    cluster.settle()
    service = svc(cluster)
    backends = load_balancers.backends(cluster.core, service, cluster.core.addons.load_balancers()[0])
    pod_nodes = {cluster.get("Pod", p).spec.node_name for p in ce_pods(cluster)}
    assert set(backends) == pod_nodes and len(backends) < 4
    ip = service.status.load_balancer.ingress[0].ip
    counts = cluster.send(f"http://{ip}:8000/", n=50, source="internet")
    assert None not in counts and set(counts) <= ce_pods(cluster)


# ---------------------------------------------------------------- session affinity

def test_client_ip_affinity_sends_one_client_to_one_pod():
    cluster = cluster_with("ClusterIP", extra="--session-affinity=ClientIP")
    counts = cluster.send("http://currency-exchange:8000/", n=50, from_pod=client(cluster))
    assert len(counts) == 1 and sum(counts.values()) == 50
    assert "--rcheck --seconds 10800 --reap" in cluster.iptables_save("kind-worker")


# ---------------------------------------------------------------- workarounds: MetalLB and minikube tunnel

def test_metallb_assigns_an_address_from_its_pool_reachable_from_the_nodes_network_only():
    cluster = cluster_with("LoadBalancer")
    cluster.install("metallb", addresses="172.18.255.200-172.18.255.250")
    cluster.settle()
    [ingress] = svc(cluster).status.load_balancer.ingress
    assert ingress.ip == "172.18.255.200"
    assert cluster.request("http://172.18.255.200:8000/", source="vpc").pod in ce_pods(cluster)
    trace = cluster.request("http://172.18.255.200:8000/", source="internet")
    assert not trace.ok and "not reachable from the internet" in trace.reason
    assert [e.reason for e in cluster.events.about("Service", "currency-exchange")] == ["IPAllocated", "nodeAssigned"]


def test_metallb_refuses_a_cloud_cluster_and_a_bad_pool():
    with pytest.raises(KubectlError, match="without a cloud provider"):
        Cluster(cloud="aws").install("metallb", addresses="10.0.0.200-10.0.0.210")
    with pytest.raises(KubectlError, match="invalid MetalLB address pool"):
        Cluster().install("metallb", addresses="172.18.255.250-172.18.255.200")


def test_minikube_tunnel_sets_the_external_ip_to_the_cluster_ip_and_routes_it_from_the_host():
    cluster = cluster_with("LoadBalancer", nodes=1)
    status = cluster.minikube_tunnel()
    assert "route: 10.96.0.0/16 -> 172.18.0.2" in status
    ip = svc(cluster).spec.cluster_ip
    assert [i.ip for i in svc(cluster).status.load_balancer.ingress] == [ip]
    assert cluster.request(f"http://{ip}:8000/", source="vpc").pod in ce_pods(cluster)
    cluster.minikube_tunnel(running=False)
    assert svc(cluster).status.load_balancer.ingress == ()
    assert not cluster.request(f"http://{ip}:8000/", source="vpc").ok


# ---------------------------------------------------------------- ephemeral pods and node failure

def test_a_failed_node_leaves_the_service_after_50s_and_its_pods_are_replaced_after_350s():
    cluster = cluster_with("ClusterIP", seed=9)
    client_node = cluster.get("Pod", client(cluster)).spec.node_name
    victim = next(p for p in sorted(ce_pods(cluster)) if cluster.get("Pod", p).spec.node_name != client_node)
    pod = cluster.get("Pod", victim)
    node, old_ip = pod.spec.node_name, pod.status.pod_ip
    cluster.fail_node(node)
    assert not cluster.request(f"http://{old_ip}:8000/", from_pod=healthy_client(cluster, node)).ok
    cluster.advance(51)
    assert cluster.get("Node", node).status.conditions[0].status == "Unknown"
    ready = {a.ip for s in cluster.get("Endpoints", "currency-exchange").subsets for a in s.addresses}
    assert old_ip not in ready and len(ready) == 1
    cluster.advance(300)
    assert cluster.get("Pod", victim).metadata.deletion_timestamp is not None  # stuck Terminating
    cluster.advance(10)
    running = [p for p in cluster.list("Pod", selector={"app": "currency-exchange"}) if p.ready]
    assert len(running) == 2 and all(p.spec.node_name != node for p in running)
    assert cluster.request("http://currency-exchange:8000/", from_pod=healthy_client(cluster, node)).ok
    cluster.recover_node(node)
    cluster.advance(5)
    assert victim not in ce_pods(cluster)


def healthy_client(cluster, failed_node):
    """A ready currency-conversion pod that is not on the failed node."""
    return next(p.metadata.name for p in cluster.list("Pod", selector={"app": "currency-conversion"})
                if p.ready and p.spec.node_name != failed_node)


def test_only_known_sources_are_accepted():
    cluster = Cluster(seed=1)
    with pytest.raises(KubectlError, match='unknown source "laptop"'):
        cluster.request("http://10.96.0.1/", source="laptop")
    with pytest.raises(KubectlError, match="say where the request comes from"):
        cluster.request("http://10.96.0.1/")


def test_dns_times_out_while_coredns_is_on_a_failed_node_and_pods_there_cannot_be_reached():
    cluster = cluster_with("ClusterIP", seed=9)
    cluster.fail_node("kind-control-plane")  # both CoreDNS pods run there, as on kind
    answer = cluster.resolve("currency-exchange", from_pod=client(cluster))
    assert answer.rcode == "TIMEOUT"
    trace = cluster.request("http://currency-exchange:8000/", from_pod=client(cluster))
    assert not trace.ok and "which is down" in trace.hops[0].detail
    worker = cluster.get("Pod", client(cluster)).spec.node_name
    cluster.fail_node(worker)
    with pytest.raises(KubectlError, match=r"^Error from server: error dialing backend: dial tcp [\d.]+:10250"):
        cluster.kubectl(f"exec {client(cluster)} -- nslookup currency-exchange")
