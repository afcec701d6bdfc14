"""Clouds with their own network plans: Service ranges, DNS, pod addresses the VPC routes (or not).

Each row names its source. The model builds one small cluster per provider with an nginx Deployment.
"""

import pytest

from k8sedu import Cluster, KubectlError


def cluster_on(cloud):
    cluster = Cluster(cloud=cloud, seed=3, nodes=2)
    cluster.kubectl("create deployment web --image=nginx --port=80")
    cluster.advance(30)
    return cluster


@pytest.fixture(scope="module")
def clusters():
    return {cloud: cluster_on(cloud) for cloud in (None, "aws", "gcp", "azure")}


PLANS = [
    # (cloud, Service range's kubernetes IP, DNS ClusterIP, DNS Deployment, pod range prefix, source)
    (None, "10.96.0.1", "10.96.0.10", "coredns", "10.244.",
     "kind v1alpha4 networking defaults: serviceSubnet 10.96.0.0/16, podSubnet 10.244.0.0/16"),
    ("aws", "172.20.0.1", "172.20.0.10", "coredns", "10.0.",
     "EKS API KubernetesNetworkConfigRequest: 10.100.0.0/16 or 172.20.0.0/16; amazon-eks-ami bootstrap.sh picks "
     "172.20.0.10 when the VPC CIDR is in 10/8; VPC CNI: pods get VPC addresses"),
    ("gcp", "34.118.224.1", "34.118.224.10", "kube-dns", "10.4.",
     "GKE: the GKE-managed default Service range 34.118.224.0/20; Standard clusters run kube-dns; VPC-native "
     "pods use a secondary (alias) range"),
    ("azure", "10.0.0.1", "10.0.0.10", "coredns", "10.244.",
     "AKS defaults: --service-cidr 10.0.0.0/16, --dns-service-ip 10.0.0.10, --pod-cidr 10.244.0.0/16 (overlay)"),
]


@pytest.mark.parametrize("cloud, kubernetes_ip, dns_ip, dns, pods, why", PLANS, ids=[str(p[0]) for p in PLANS])
def test_each_provider_has_its_own_service_range_dns_and_pod_range(clusters, cloud, kubernetes_ip, dns_ip, dns,
                                                                   pods, why):
    """Sources: the last column of each row."""
    cluster = clusters[cloud]
    assert cluster.get("Service", "kubernetes").spec.cluster_ip == kubernetes_ip
    assert cluster.get("Service", "kube-dns", "kube-system").spec.cluster_ip == dns_ip
    assert [d.metadata.name for d in cluster.list("Deployment", "kube-system")
            if d.metadata.labels.get("k8s-app") == "kube-dns"] == [dns]
    pod = cluster.list("Pod", selector={"app": "web"})[0]
    assert pod.status.pod_ip.startswith(pods)
    assert cluster.core.resolv_conf(pod).nameservers[0] == dns_ip


def test_gke_standard_shows_kube_dns_pods_not_coredns(clusters):
    """GKE Standard runs kube-dns (k/k cluster/addons/dns/kube-dns/kube-dns.yaml.in: containers kubedns, dnsmasq,
    sidecar); ``kubectl get pods -n kube-system`` lists kube-dns-<hash>-<id>, 3/3."""
    listing = clusters["gcp"].kubectl("get pods -n kube-system")
    rows = [line.split() for line in listing.splitlines()[1:] if line.startswith("kube-dns-")]
    assert len(rows) == 2 and all(r[1] == "3/3" and r[2] == "Running" for r in rows)
    assert "coredns" not in listing
    svc = clusters["gcp"].kubectl("get svc kube-dns -n kube-system")
    assert "53/UDP,53/TCP " in svc and "9153" not in svc  # kube-dns's Service has no CoreDNS metrics port


def test_managed_api_servers_listen_on_443(clusters):
    """EKS/GKE/AKS: ``kubectl get endpoints kubernetes`` shows the provider's endpoint on port 443 (kubeadm's
    6443 is kind's)."""
    assert clusters[None].kubectl("get ep kubernetes").split()[-2] == "172.18.0.2:6443"
    for cloud in ("aws", "gcp", "azure"):
        assert clusters[cloud].kubectl("get ep kubernetes").split()[-2].endswith(":443")


VPC = [
    # (cloud, source, reaches the pod?, reason fragment, source of the expectation)
    ("aws", "vpc", True, "", "EKS VPC CNI: pods get secondary IPs of the VPC, routable in it"),
    ("gcp", "vpc", True, "", "GKE VPC-native: Pod IPs are natively routable within the cluster's VPC network"),
    ("azure", "vpc", False, "is an overlay that the azure virtual network does not route",
     "AKS Azure CNI Overlay / kubenet: pods use a private CIDR the VNet does not route"),
    (None, "vpc", False, "kindnet routes the pod range 10.244.0.0/16 between the nodes only",
     "kindnet routes.go: routes to other nodes' podCIDRs live on the nodes, not on the host"),
    ("aws", "internet", False, "not reachable from the internet", "private VPC addresses"),
    ("gcp", "internet", False, "not reachable from the internet", "private VPC addresses"),
]


@pytest.mark.parametrize("cloud, source, reaches, reason, why", VPC, ids=[f"{v[0]}-{v[1]}" for v in VPC])
def test_a_pod_ip_from_outside_answers_only_where_the_vpc_routes_pods(clusters, cloud, source, reaches, reason, why):
    """Sources: the last column of each row."""
    cluster = clusters[cloud]
    pod = cluster.list("Pod", selector={"app": "web"})[0]
    trace = cluster.request(f"http://{pod.status.pod_ip}/", source=source)
    if reaches:
        assert trace.ok and trace.pod == pod.metadata.name
        assert trace.client_ip_seen == cluster.cloud.provider.vpc_client_ip  # no SNAT inside the VPC
        assert "a VPC address" in trace.hops[0].detail
    else:
        assert (trace.ok, trace.exit_code) == (False, 28) and reason in trace.reason, trace


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_pods_reach_the_managed_api_server_through_the_kubernetes_service(clusters, cloud):
    """The ``kubernetes`` Service DNATs to the provider's endpoint; an anonymous GET / is 403 there as well
    (observed on EKS: the same system:anonymous Status)."""
    cluster = clusters[cloud]
    pod = cluster.pod_names({"app": "web"})[0]
    trace = cluster.request("https://kubernetes.default.svc/", from_pod=pod)
    assert (trace.status, trace.server) == (403, f"kube-apiserver ({cloud} control plane)")


def test_the_host_source_is_the_machine_that_runs_kind(clusters):
    """source="host" only exists next to a kind cluster; a cloud has a VPC and the internet."""
    with pytest.raises(KubectlError, match='source="host" is the machine that runs kind'):
        clusters["aws"].request("http://localhost/", source="host")


def test_a_stopped_minikube_tunnel_and_metallb_never_fight_over_a_services_address():
    """Gap found writing notebook 03: the stopped tunnel kept clearing what MetalLB wrote (controllers did not settle)."""
    cluster = Cluster(seed=3)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE --replicas=2 "
                    "--port=8000")
    cluster.kubectl("expose deployment currency-exchange --type=LoadBalancer --port=8000")
    cluster.minikube_tunnel()
    svc = cluster.get("Service", "currency-exchange")
    assert svc.status.load_balancer.ingress[0].ip == svc.spec.cluster_ip  # the tunnel's address: the ClusterIP
    cluster.minikube_tunnel(running=False)
    assert cluster.get("Service", "currency-exchange").status.load_balancer.ingress == ()
    cluster.install("metallb", addresses="172.18.255.200-172.18.255.250")
    cluster.advance(10)
    assert cluster.get("Service", "currency-exchange").status.load_balancer.ingress[0].ip == "172.18.255.200"
    cluster.minikube_tunnel()  # a tunnel started later leaves MetalLB's address alone
    cluster.minikube_tunnel(running=False)
    assert cluster.get("Service", "currency-exchange").status.load_balancer.ingress[0].ip == "172.18.255.200"


def test_a_pod_reaches_an_aws_load_balancer_by_its_public_name_out_through_its_node_and_back_in():
    """An ELB is reached by its DNS name: CoreDNS forwards it to public DNS; there is no kube-proxy rule for a
    hostname-only status, so the connection leaves through the node and comes back through the ELB."""
    cluster = Cluster(cloud="aws", seed=2)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("expose deployment currency-exchange --type=LoadBalancer --port=8000")
    cluster.advance(300)
    host = cluster.get("Service", "currency-exchange").status.load_balancer.ingress[0].hostname
    pod = cluster.pod_names({"app": "currency-exchange"})[0]
    answer = cluster.resolve(host, from_pod=pod)
    assert answer.addresses and answer.queries[-1] == (f"{host}.", "NOERROR")
    trace = cluster.request(f"http://{host}:8000/", from_pod=pod)
    assert trace.ok and [h.component for h in trace.hops][1:3] == ["network", "cloud load balancer"]
    cluster.kubectl("run dig --image=registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3 -- sleep infinity")
    cluster.advance(10)
    assert answer.addresses[0] in cluster.kubectl(f"exec dig -- dig +short {host}")
    assert cluster.request(f"http://{host}:8000/", source="node/ip-10-0-1-11.ec2.internal").ok


def test_an_http_request_to_a_udp_only_load_balancer_port_is_refused_and_never_loops():
    """Found by the exercise review: TCP to a LoadBalancer whose port 53 is UDP bounced between the load balancer
    and the node until Python's recursion limit. An HTTP request is TCP: a UDP listener does not take it."""
    cluster = Cluster(cloud="gcp", seed=3)
    cluster.kubectl("create deployment feed --image=nginx")
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "udp"},
                   "spec": {"type": "LoadBalancer", "selector": {"app": "feed"},
                            "ports": [{"port": 53, "protocol": "UDP"}]}})
    cluster.advance(120)
    ip = cluster.get("Service", "udp").status.load_balancer.ingress[0].ip
    for where in ({"source": "internet"}, {"from_pod": cluster.pod_names({"app": "feed"})[0]}):
        trace = cluster.request(f"http://{ip}:53/", **where)
        assert not trace.ok and "has no TCP listener on port 53" in trace.reason
