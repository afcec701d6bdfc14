"""What ``kind create cluster`` sets up before a learner types anything.

In order, as kind v0.27.0 (node image ``kindest/node:v1.32.2``) and kubeadm
do it: the namespaces; the control-plane node, whose kubelet runs the static
pods of the control plane from ``/etc/kubernetes/manifests`` (etcd,
kube-apiserver, kube-controller-manager, kube-scheduler: the API shows them
as mirror pods named ``<component>-<node>``, on the node's network, so their
IP is the node's); the ``kubernetes`` Service (first IP of the service range,
port ``https`` 443 -> 6443) with the API server as its only endpoint;
kubeadm's add-ons, the ``kube-dns`` Service at the tenth IP with the
``coredns`` Deployment (2 replicas, which land on the control plane as on
kind, getting ``10.244.0.2`` and ``.3``) and the ``kube-proxy`` DaemonSet;
kind's CNI, the ``kindnet`` DaemonSet; kind's storage, the
``local-path-provisioner`` Deployment in ``local-path-storage``; then the
worker nodes join, and each DaemonSet puts a pod on each (on the node's
network too). The clock then runs on, so the system objects are a few
minutes old and everything is Ready when the learner starts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
from typing import TYPE_CHECKING

from k8sedu import coredns
from k8sedu.events import EVENTS_V1
from k8sedu.kubelet.nodestatus import healthy_conditions, node_start_events
from k8sedu.objects import (Container, ContainerPort, DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, Endpoint,
                            EndpointAddress, EndpointConditions, EndpointPort, Endpoints, EndpointSlice,
                            EndpointSubset, HTTPGetAction, LabelSelector, Namespace, Node, NodeAddress,
                            NodeSpec, NodeStatus, ObjectMeta, OwnerReference, Pod, PodSpec,
                            PodTemplateSpec, Probe, Service, ServicePort, ServiceSpec, Taint, frozen)

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.core import Core

NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
CONTROL_PLANE_TAINT = Taint("node-role.kubernetes.io/control-plane", "NoSchedule")
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"
KUBERNETES_VERSION = "v1.32.2"  # kindest/node:v1.32.2, kind v0.27.0's default node image
# kubeadm config images list --kubernetes-version=v1.32.x
ETCD_IMAGE = "registry.k8s.io/etcd:3.5.16-0"
KUBE_PROXY_IMAGE = f"registry.k8s.io/kube-proxy:{KUBERNETES_VERSION}"
# kind v0.27.0 pkg/build/nodeimage/const_cni.go and const_storage.go
KINDNET_IMAGE = "docker.io/kindest/kindnetd:v20250214-acbabc1a"
LOCAL_PATH_IMAGE = "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a"
LOCAL_PATH_NAMESPACE = "local-path-storage"
LINUX = frozen({"kubernetes.io/os": "linux"})
EVERYTHING = Taint("", "")  # "tolerations: [{operator: Exists}]": tolerate every taint
# The static pods kubeadm writes on the control plane: component -> (image, labels are component and tier)
STATIC_PODS = (
    ("etcd", ETCD_IMAGE),
    ("kube-apiserver", f"registry.k8s.io/kube-apiserver:{KUBERNETES_VERSION}"),
    ("kube-controller-manager", f"registry.k8s.io/kube-controller-manager:{KUBERNETES_VERSION}"),
    ("kube-scheduler", f"registry.k8s.io/kube-scheduler:{KUBERNETES_VERSION}"),
)
STARTUP_SECONDS = 300  # how long `kind create cluster` took, so system objects show an AGE
# What kind v0.27.0 bakes into kindest/node:v1.32.2 (pkg/build/nodeimage/buildcontext.go
# prePullImagesAndWriteManifests): the images it builds (kube-apiserver, kube-controller-manager,
# kube-scheduler, kube-proxy), the rest of `kubeadm config images list` with the pause image replaced by
# containerd's sandbox_image (images/base/files/etc/containerd/config.toml), the CNI's and the storage's.
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"
LOCAL_PATH_HELPER_IMAGE = "docker.io/kindest/local-path-helper:v20241212-8ac705d0"
PRELOADED_IMAGES = tuple(image for _, image in STATIC_PODS) + (
    KUBE_PROXY_IMAGE, COREDNS_IMAGE, PAUSE_IMAGE, KINDNET_IMAGE, LOCAL_PATH_IMAGE, LOCAL_PATH_HELPER_IMAGE)


KIND_NETWORK = "172.18.0.0/16"  # the docker network "kind" that kind creates


def node_names(cluster_name: str, count: int) -> list[str]:
    """kind's node names: ``kind-control-plane``, ``kind-worker``, ``kind-worker2``..."""
    workers = [f"{cluster_name}-worker" + (str(i) if i > 1 else "") for i in range(1, count)]
    return [f"{cluster_name}-control-plane"] + workers


def make_node(name: str, ip: str, control_plane: bool, tainted: bool) -> Node:
    labels = {"kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    return Node(
        ObjectMeta(name=name, labels=frozen(labels)),
        NodeSpec(taints=(CONTROL_PLANE_TAINT,) if tainted else ()),
        NodeStatus(addresses=(NodeAddress("InternalIP", ip), NodeAddress("Hostname", name)),
                   conditions=healthy_conditions(None)),
    )



def create_cluster(core: "Core", nodes: int) -> None:
    """Build the cluster, let it settle, and run the clock to ``STARTUP_SECONDS``."""
    for ns in NAMESPACES:
        core.api.create(Namespace(ObjectMeta(name=ns)))
    if core.cloud is None:
        _create_kind(core, nodes)
    else:
        _create_managed(core, nodes)
    core.advance(STARTUP_SECONDS - core.now)


def _create_kind(core: "Core", nodes: int) -> None:
    """kind: the control plane first (its static pods, CoreDNS, kube-proxy, kindnet, the storage
    provisioner all start there), then the workers join and get their daemon pods."""
    names = node_names(core.name, nodes)
    network = ipaddress.ip_network(KIND_NETWORK)
    ips = [str(network[i + 2]) for i in range(nodes)]  # docker's IPAM: .1 is the gateway, then in order
    _join(core, make_node(names[0], ips[0], control_plane=True, tainted=nodes > 1))
    _static_pods(core, names[0], ips[0])
    _kubernetes_service(core, ips[0])
    _dns(core)
    _kube_proxy(core)
    _kindnet(core)
    _local_path_storage(core)
    core.advance(60)
    for name, ip in zip(names[1:], ips[1:]):
        _join(core, make_node(name, ip, control_plane=False, tainted=False))


def _create_managed(core: "Core", nodes: int) -> None:
    """EKS/GKE/AKS: the provider runs the control plane; only worker nodes are visible.

    Each node has a private InternalIP in the VPC and a public ExternalIP.
    """
    provider = core.cloud.provider
    first = ipaddress.ip_address(f"{provider.node_prefix}10")
    vpc = ipaddress.ip_network(provider.vpc_cidr)
    if first + nodes - 1 not in vpc:
        raise ValueError(f"{nodes} nodes do not fit in the model's {provider.name} subnet {vpc} "
                         f"(at most {int(vpc.broadcast_address) - int(first)} nodes)")
    public = ipaddress.ip_network("203.0.113.0/24" if nodes <= 245 else "198.18.0.0/15")  # documentation ranges
    for i in range(nodes):
        ip = str(first + i)
        node = make_node(provider.node_name(i, ip), ip, control_plane=False, tainted=False)
        addresses = node.status.addresses + (NodeAddress("ExternalIP", str(public[10 + i])),)
        status = dataclasses.replace(node.status, addresses=addresses, node_info=provider.node_info)
        _join(core, dataclasses.replace(node, status=status))
    _kubernetes_service(core, f"{provider.node_prefix}5", port=443)  # the provider's API endpoint
    if provider.dns == "kube-dns":
        _kube_dns(core)
    else:
        _dns(core)


def _kube_dns(core: "Core") -> None:
    """GKE Standard's DNS: Deployment ``kube-dns`` (kubedns, dnsmasq, sidecar) behind Service ``kube-dns``.

    Container names, images and ports from the upstream kube-dns add-on
    (k/k ``cluster/addons/dns/kube-dns/kube-dns.yaml.in``, 1.22.28); GKE's own
    tags, its ``prometheus-to-sd`` container and the ``kube-dns-autoscaler``
    Deployment are left out. Answers come from the same DNS model as CoreDNS's.
    """
    labels = frozen({"k8s-app": "kube-dns"})
    svc_labels = frozen({"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                         "kubernetes.io/name": "KubeDNS"})
    ports = (ServicePort(53, 53, "dns", "UDP"), ServicePort(53, 53, "dns-tcp", "TCP"))
    core.api.create(Service(ObjectMeta(name="kube-dns", namespace="kube-system", labels=svc_labels),
                            ServiceSpec(ports=ports, selector=labels, cluster_ip=core.service_ip(10))))
    image = "registry.k8s.io/dns/k8s-dns-{}:1.22.28".format
    containers = (
        Container("kubedns", image("kube-dns"), ports=(ContainerPort(10053, "dns-local", "UDP"),
                                                      ContainerPort(10053, "dns-tcp-local", "TCP"),
                                                      ContainerPort(10055, "metrics", "TCP"))),
        Container("dnsmasq", image("dnsmasq-nanny"), ports=(ContainerPort(53, "dns", "UDP"),
                                                           ContainerPort(53, "dns-tcp", "TCP"))),
        Container("sidecar", image("sidecar"), ports=(ContainerPort(10054, "metrics", "TCP"),)))
    template = PodTemplateSpec(ObjectMeta(labels=labels), PodSpec(containers=containers, dns_policy="Default"))
    core.api.create(Deployment(ObjectMeta(name="kube-dns", namespace="kube-system", labels=labels),
                               DeploymentSpec(LabelSelector(labels), template, replicas=2)))


def kind_ingress_ready(core: "Core") -> None:
    """kind's ingress config: the control-plane node labelled ``ingress-ready=true``, host ports 80/443 mapped to it.

    What ``kind create cluster --config`` with kind's ingress guide (up to
    kind v0.24.0, ``site/content/docs/user/ingress.md``) sets up: the kubelet
    registers the node with ``node-labels: "ingress-ready=true"``, and
    ``extraPortMappings`` publish the node container's ports 80 and 443 on the
    host (``core.port_mappings``: host port -> (node, node port)).
    """
    node = core.api.list("Node")[0]
    labels = frozen({**node.metadata.labels, "ingress-ready": "true"})
    core.api.update(dataclasses.replace(node, metadata=dataclasses.replace(node.metadata, labels=labels)))
    core.port_mappings = {port: (node.metadata.name, port) for port in (80, 443)}
    core.settle()


def _join(core: "Core", node: Node) -> None:
    name = node.metadata.name  # kubelet: source.host is the node; kube-proxy (events API): kube-proxy-<hostname>
    kubelet, proxy = core.recorder("kubelet", name), core.recorder("kube-proxy", name, EVENTS_V1)
    node = dataclasses.replace(node, status=dataclasses.replace(
        node.status, conditions=tuple(dataclasses.replace(c, last_heartbeat_time=core.now,
                                                          last_transition_time=core.now)
                                      for c in node.status.conditions)))
    for reason, message in node_start_events(node.metadata.name)[:-1]:
        kubelet.event(node, reason, message)
    core.api.create(node)
    core.add_node_agents(node.metadata.name)
    core.settle()
    proxy.event(node, "Starting", "")  # kube-proxy's birthCry (cmd/kube-proxy/app/server.go): an empty note
    kubelet.event(node, *node_start_events(node.metadata.name)[-1])


def _static_pods(core: "Core", node: str, ip: str) -> None:
    """The control plane's mirror pods: what the node's kubelet runs from files, shown in the API.

    The kubelet names each ``<component>-<node>``, marks it as a mirror
    (``kubernetes.io/config.mirror``) and makes the Node its owner; they use
    the node's network (``hostNetwork: true``), so their IP is the node's.
    """
    owner = OwnerReference("v1", "Node", node, core.api.get("Node", "", node).metadata.uid)
    for component, image in STATIC_PODS:
        labels = frozen({"component": component, "tier": "control-plane"})
        annotations = frozen({"kubernetes.io/config.mirror": _config_hash(component),
                              "kubernetes.io/config.source": "file"})
        spec = PodSpec(containers=(Container(component, image),), node_name=node, host_network=True,
                       tolerations=(Taint("", "NoExecute"),))
        core.api.create(Pod(ObjectMeta(name=f"{component}-{node}", namespace="kube-system", labels=labels,
                                       annotations=annotations, owner_references=(owner,)), spec))
    core.settle()


def _config_hash(component: str) -> str:
    """A stable stand-in for the hash of the static pod's manifest file."""
    return hashlib.md5(component.encode()).hexdigest()


def _kube_proxy(core: "Core") -> None:
    """kubeadm's ``kube-proxy`` DaemonSet (cmd/kubeadm/app/phases/addons/proxy/manifests.go)."""
    labels = frozen({"k8s-app": "kube-proxy"})
    container = Container("kube-proxy", KUBE_PROXY_IMAGE)
    _daemonset(core, "kube-proxy", labels, labels, container)


def _kindnet(core: "Core") -> None:
    """kind's CNI, ``kindnet`` (kind v0.27.0 pkg/build/nodeimage/const_cni.go)."""
    labels = frozen({"app": "kindnet", "k8s-app": "kindnet", "tier": "node"})
    container = Container("kindnet-cni", KINDNET_IMAGE)
    _daemonset(core, "kindnet", labels, frozen({"app": "kindnet"}), container)


def _daemonset(core: "Core", name: str, labels, selector, container: Container) -> None:
    spec = PodSpec(containers=(container,), host_network=True, node_selector=LINUX, tolerations=(EVERYTHING,))
    core.api.create(DaemonSet(ObjectMeta(name=name, namespace="kube-system", labels=labels),
                              DaemonSetSpec(LabelSelector(selector), PodTemplateSpec(ObjectMeta(labels=labels), spec))))


def _local_path_storage(core: "Core") -> None:
    """kind's default storage: ``local-path-provisioner`` in ``local-path-storage`` (const_storage.go)."""
    core.api.create(Namespace(ObjectMeta(name=LOCAL_PATH_NAMESPACE)))
    labels = frozen({"app": "local-path-provisioner"})
    spec = PodSpec(containers=(Container("local-path-provisioner", LOCAL_PATH_IMAGE),), node_selector=LINUX,
                   tolerations=(CONTROL_PLANE_TAINT, Taint("node-role.kubernetes.io/master", "NoSchedule")))
    core.api.create(Deployment(ObjectMeta(name="local-path-provisioner", namespace=LOCAL_PATH_NAMESPACE),
                               DeploymentSpec(LabelSelector(labels), PodTemplateSpec(ObjectMeta(labels=labels), spec))))


def _kubernetes_service(core: "Core", apiserver_ip: str, port: int = 6443) -> None:
    """The ``default/kubernetes`` Service; the API server keeps its endpoints itself (kubeadm's port 6443;
    managed clouds expose theirs on 443)."""
    api = core.api
    labels = frozen({"component": "apiserver", "provider": "kubernetes"})
    api.create(Service(ObjectMeta(name="kubernetes", namespace="default", labels=labels),
                       ServiceSpec(ports=(ServicePort(443, port, "https"),), cluster_ip=core.service_ip(1))))
    port = EndpointPort(port, "https")
    api.create(Endpoints(ObjectMeta(name="kubernetes", namespace="default", labels=labels),
                         (EndpointSubset((EndpointAddress(apiserver_ip),), ports=(port,)),)))
    api.create(EndpointSlice(
        ObjectMeta(name="kubernetes", namespace="default",
                   labels=frozen({"kubernetes.io/service-name": "kubernetes"})),
        endpoints=(Endpoint((apiserver_ip,), EndpointConditions(ready=True)),), ports=(port,)))


def _dns(core: "Core") -> None:
    """kubeadm's DNS add-on: Service ``kube-dns`` and Deployment ``coredns``."""
    api = core.api
    api.create(coredns.configmap())  # kubeadm creates the Corefile's ConfigMap first (createCoreDNSAddon)
    labels = frozen({"k8s-app": "kube-dns"})
    svc_labels = frozen({"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                         "kubernetes.io/name": "CoreDNS"})
    ports = (ServicePort(53, 53, "dns", "UDP"), ServicePort(53, 53, "dns-tcp", "TCP"),
             ServicePort(9153, 9153, "metrics", "TCP"))
    api.create(Service(ObjectMeta(name="kube-dns", namespace="kube-system", labels=svc_labels),
                       ServiceSpec(ports=ports, selector=labels, cluster_ip=core.service_ip(10))))
    container = Container(
        "coredns", COREDNS_IMAGE,
        ports=(ContainerPort(53, "dns", "UDP"), ContainerPort(53, "dns-tcp", "TCP"),
               ContainerPort(9153, "metrics", "TCP")),
        readiness_probe=Probe(HTTPGetAction(8181, "/ready"), period_seconds=10),
    )
    template = PodTemplateSpec(ObjectMeta(labels=labels),
                               PodSpec(containers=(container,), dns_policy="Default",
                                       tolerations=(CONTROL_PLANE_TAINT,)))
    api.create(Deployment(ObjectMeta(name="coredns", namespace="kube-system", labels=labels),
                          DeploymentSpec(LabelSelector(labels), template, replicas=2)))
