"""The network reaches more than pods: node addresses, the API server, localhost, and the sources a node writes.

One kind cluster (3 nodes): Deployment ``web`` (nginx, 1 pod) behind a NodePort Service, a NodePort Service
``empty`` without endpoints, and a ``client`` pod on a node without a ``web`` pod. Each row names where its
expected outcome comes from.
"""

import json

import pytest

from k8sedu import Cluster
from k8sedu.kubectl import run
from k8sedu.netfilter import Packet, trace_chain
from k8sedu.objects import Container, ContainerPort, ObjectMeta, Pod, PodSpec, frozen


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster(seed=5)
    cluster.kubectl("create deployment web --image=nginx --port=80")
    cluster.kubectl("expose deployment web --port=80 --type=NodePort")
    cluster.kubectl("create service nodeport empty --tcp=80:80")
    cluster.advance(30)
    web_node = web(cluster).spec.node_name
    other = next(n.metadata.name for n in cluster.list("Node")
                 if n.metadata.name not in (web_node, "kind-control-plane"))
    spec = PodSpec((Container("client", "nginx", (ContainerPort(80),)),), node_name=other)
    cluster.api.create(Pod(ObjectMeta(name="client", namespace="default", labels=frozen({"run": "client"})), spec))
    cluster.advance(30)
    return cluster


def web(cluster):
    return cluster.list("Pod", selector={"app": "web"})[0]


def layout(cluster) -> dict:
    """The addresses a row's templates may name."""
    pod = web(cluster)
    client = cluster.get("Pod", "client")
    node = cluster.get("Node", pod.spec.node_name)
    other = cluster.get("Node", client.spec.node_name)
    return {"web_node": pod.spec.node_name, "web_node_ip": node.address(), "web_ip": pod.status.pod_ip,
            "web_gateway": node.spec.pod_cidr.replace(".0/24", ".1"), "other": other.metadata.name,
            "other_ip": other.address(), "other_gateway": other.spec.pod_cidr.replace(".0/24", ".1"),
            "client_ip": client.status.pod_ip, "cp_ip": cluster.get("Node", "kind-control-plane").address(),
            "np": cluster.get("Service", "web").spec.ports[0].node_port,
            "empty_np": cluster.get("Service", "empty").spec.ports[0].node_port}


ANONYMOUS_403 = json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": 'forbidden: User "system:anonymous" cannot get path "/"',
                            "reason": "Forbidden", "details": {}, "code": 403}, indent=2)

ROWS = [
    # (source, url, HTTP status or curl exit code, who answers, what the server sees as the source, source)
    ("pod", "http://{web_node_ip}:{np}/", 200, "pod/web", "{web_gateway}",
     "7b: NodePort via another node's InternalIP works from a pod; kindnet masq.go masquerades the pod to "
     "{other_ip}, the web node's KUBE-EXT marks it and MASQUERADE writes the veth's .1 (ptp.go setupHostVeth)"),
    ("pod", "http://{other_ip}:{np}/", 200, "pod/web", "{other_ip}",
     "proxier.go: KUBE-NODEPORTS behind -m addrtype --dst-type LOCAL on the pod's own node; masqueraded to "
     "the node's InternalIP towards a pod on another node"),
    ("node/{other}", "http://localhost:{np}/", 200, "pod/web", "{other_ip}",
     "7b + proxier.go: localhostNodePorts (no '! -d 127.0.0.0/8' on the nodeports jump); route_localnet"),
    ("node/{web_node}", "http://localhost:{np}/", 200, "pod/web", "{web_gateway}",
     "derived from code: KUBE-EXT marks, MASQUERADE writes the outgoing veth's address (ptp.go)"),
    ("node/{other}", "http://localhost:{empty_np}/", 7, "", "",
     "proxier.go: filter KUBE-EXTERNAL-SERVICES REJECT (no endpoints), met in INPUT when lo loops the packet back"),
    ("node/{other}", "http://{other_ip}:{empty_np}/", 7, "", "", "same REJECT on the node's own InternalIP"),
    ("node/{other}", "http://{web_ip}/", 200, "pod/web", "{other_ip}",
     "derived from code: a node reaches a remote pod from its eth0 address (kindnet routes.go: via the node IP)"),
    ("node/{web_node}", "http://{web_ip}/", 200, "pod/web", "{web_gateway}",
     "ptp.go setupHostVeth: a host route to the pod over its veth, whose only address is the gateway"),
    ("pod", "https://10.96.0.1/", 403, "kube-apiserver (kind-control-plane)", "{other_ip}",
     "observed: curl -k https://10.96.0.1 in a pod prints the system:anonymous 403 Status; apiserver "
     "responsewriters/errors.go forbiddenMessage"),
    ("pod", "https://kubernetes.default.svc.cluster.local/healthz", 200, "kube-apiserver (kind-control-plane)",
     "{other_ip}", "RBAC bootstrap policy: system:public-info-viewer allows /healthz to system:unauthenticated"),
    ("pod", "http://10.96.0.1:443/", 400, "kube-apiserver (kind-control-plane)", "{other_ip}",
     "Go net/http: 'Client sent an HTTP request to an HTTPS server.' on a TLS listener"),
    ("node/kind-control-plane", "https://localhost:6443/", 403, "kube-apiserver (kind-control-plane)",
     "127.0.0.1", "observed: curl -k https://localhost:6443 on a control-plane node prints the 403 Status"),
    ("node/{other}", "https://localhost:6443/", 7, "", "", "kube-apiserver runs on the control plane only"),
    ("node/{other}", "https://{cp_ip}:6443/", 403, "kube-apiserver (kind-control-plane)", "{other_ip}",
     "the kubernetes Endpoints: the control-plane node's InternalIP:6443 (bootstrap._kubernetes_service)"),
    ("pod", "https://{web_node_ip}:10250/", 401, "kubelet ({web_node})", "{other_ip}",
     "kubeadm's KubeletConfiguration: authentication.anonymous.enabled false, so 401 Unauthorized"),
    ("pod", "http://localhost/", 200, "pod/client", "127.0.0.1",
     "the pod's own network namespace: /etc/hosts maps localhost, lo stays in the pod"),
    ("pod", "http://localhost:8080/", 7, "", "", "nothing listens on 8080 in the client pod"),
    ("pod", "http://client/", 200, "pod/client", "{client_ip}",
     "the kubelet's /etc/hosts maps the pod's hostname to its IP (kubelet_pods.go managedHostsFileContent)"),
    ("host", "http://localhost/", 7, "", "", "kind publishes only the API server and extraPortMappings"),
    ("vpc", "http://{web_ip}/", 28, "", "", "kindnet routes pod IPs between nodes only: no host route"),
]


@pytest.mark.parametrize("source, url, expected, server, seen, why", ROWS, ids=[f"{r[0]} {r[1]}" for r in ROWS])
def test_node_addresses_loopback_and_the_api_server(cluster, source, url, expected, server, seen, why):
    """Each row's source is in its last column."""
    where = layout(cluster)
    url = url.format(**where)
    kwargs = {"from_pod": "client"} if source == "pod" else {"source": source.format(**where)}
    trace = cluster.request(url, **kwargs)
    if expected < 100:  # a curl exit code: the request failed
        assert (trace.ok, trace.exit_code) == (False, expected), trace
        return
    assert (trace.ok, trace.status) == (True, expected), trace
    assert trace.server.startswith(server.format(**where)), trace
    assert trace.client_ip_seen == seen.format(**where), trace


def test_the_anonymous_403_is_the_status_a_real_apiserver_prints(cluster):
    """Observed output of ``curl -k https://10.96.0.1`` in a pod (published widely), byte for byte."""
    trace = cluster.request("https://10.96.0.1/", from_pod="client")
    assert trace.body == ANONYMOUS_403
    assert trace.body.startswith('{\n  "kind": "Status",\n  "apiVersion": "v1",\n  "metadata": {},')


def test_version_is_readable_without_credentials(cluster):
    """Observed ``curl -k https://<apiserver>:6443/version`` output of Kubernetes v1.32.2 (kind v0.27.0's node
    image)."""
    body = json.loads(cluster.request("https://kubernetes.default/version", from_pod="client").body)
    assert (body["gitVersion"], body["gitCommit"], body["goVersion"]) == (
        "v1.32.2", "67a30c0adcf52bd3f56ff0893ce19966be12991f", "go1.23.6")


def test_localhost_comes_from_etc_hosts_and_never_reaches_coredns(cluster):
    """glibc reads /etc/hosts first (nsswitch ``hosts: files dns``): no DNS hop, no query, no search-list walk."""
    for kwargs in ({"from_pod": "client"}, {"source": "node/kind-control-plane"}, {"source": "host"}):
        trace = cluster.request("http://localhost/", **kwargs)
        assert trace.hops[0].component == "/etc/hosts" and trace.dns.server == "/etc/hosts"
        assert trace.dns.queries == () and all(h.component != "dns" for h in trace.hops)
    assert cluster.resolve("localhost", from_pod="client").addresses == ("127.0.0.1",)
    assert cluster.resolve("localhost", from_pod="client").server == "/etc/hosts"


def test_localhost_nodeport_passes_kube_firewall_because_its_source_is_loopback(cluster):
    """proxier.go: KUBE-FIREWALL ``-d 127.0.0.0/8 ! -s 127.0.0.0/8 ... -j DROP`` ("block incoming localnet
    connections") only drops packets for 127/8 that come from elsewhere; curl localhost on the node has source
    127.0.0.1. Derived from code: the rule as kube-proxy writes it, walked by the model's netfilter."""
    proxy = cluster.kube_proxy("kind-worker")
    np = layout(cluster)["np"]
    local = trace_chain(proxy.filter, "INPUT", Packet("127.0.0.1", "127.0.0.1", np, dst_local=True, src_local=True))
    martian = trace_chain(proxy.filter, "INPUT", Packet("172.18.0.1", "127.0.0.1", np, dst_local=True))
    assert local.target == "ACCEPT"
    assert martian.target == "DROP" and 'block incoming localnet connections' in martian.rule.to_text()
    trace = cluster.request(f"http://localhost:{np}/", source="node/kind-worker")
    assert trace.ok and not any("localnet" in rule for hop in trace.hops for rule in hop.rules)


def test_a_pod_reaching_another_nodes_address_is_masqueraded_by_kindnet(cluster):
    """kind v0.27.0 kindnetd masq.go: POSTROUTING ``! --dst-type LOCAL -j KIND-MASQ-AGENT``; that chain RETURNs
    for the pod subnet and MASQUERADEs the rest, so the other node sees the client's node IP."""
    where = layout(cluster)
    trace = cluster.request(f"http://{where['web_node_ip']}:{where['np']}/", from_pod="client")
    routed = next(h for h in trace.hops if h.component == "network")
    assert f"masqueraded from {where['client_ip']} to {where['other_ip']} by kindnet's KIND-MASQ-AGENT" in routed.detail
    assert trace.hops[1].component == f"kube-proxy rules ({where['web_node']})"


def test_kubectl_exec_curl_needs_k_for_the_cluster_ca(cluster):
    """curl 7.88 (Debian bookworm, the nginx image) cannot verify a certificate signed by the cluster CA:
    exit 60 with its 'SSL certificate problem' text; ``-k`` skips verification and prints the 403 Status
    (observed: ``curl -k https://10.96.0.1`` in a pod)."""
    result = run(cluster.core, "exec client -- curl -sk https://kubernetes.default.svc/")
    assert (result.exit_code, result.stdout.rstrip("\n")) == (0, ANONYMOUS_403)
    failed = run(cluster.core, "exec client -- curl https://kubernetes.default.svc/")
    assert failed.exit_code == 60
    assert "curl: (60) SSL certificate problem: unable to get local issuer certificate" in failed.stderr
    assert "command terminated with exit code 60" in failed.stderr
