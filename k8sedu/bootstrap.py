"""What ``kind create cluster`` sets up before a learner types anything.

In order, as kubeadm does it: the namespaces; the control-plane node; the
``kubernetes`` Service (first IP of the service range, port ``https``
443 -> 6443) with the API server as its only endpoint; the ``kube-dns``
Service at the tenth IP and the ``coredns`` Deployment (2 replicas, which land
on the control plane as on kind, getting ``10.244.0.2`` and ``.3``); then the
worker nodes join. The clock then runs on, so the system objects are a few
minutes old and everything is Ready when the learner starts.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from k8sedu.objects import (Container, ContainerPort, Deployment, DeploymentSpec, Endpoint, EndpointAddress,
                            EndpointConditions, EndpointPort, Endpoints, EndpointSlice, EndpointSubset,
                            HTTPGetAction, LabelSelector, Namespace, Node, NodeAddress, NodeCondition, NodeSpec,
                            NodeStatus, ObjectMeta, PodSpec, PodTemplateSpec, Probe, Service, ServicePort,
                            ServiceSpec, Taint, frozen)

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.core import Core

NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
CONTROL_PLANE_TAINT = Taint("node-role.kubernetes.io/control-plane", "NoSchedule")
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"
STARTUP_SECONDS = 300  # how long `kind create cluster` took, so system objects show an AGE


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
                   conditions=(NodeCondition("Ready", "True"),)),
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
    """kind: a control-plane node first (CoreDNS lands there), then the workers join."""
    names = node_names(core.name, nodes)
    ips = [f"172.18.0.{i + 2}" for i in range(nodes)]
    _join(core, make_node(names[0], ips[0], control_plane=True, tainted=nodes > 1))
    _kubernetes_service(core, ips[0])
    _dns(core)
    core.advance(60)
    for name, ip in zip(names[1:], ips[1:]):
        _join(core, make_node(name, ip, control_plane=False, tainted=False))


def _create_managed(core: "Core", nodes: int) -> None:
    """EKS/GKE/AKS: the provider runs the control plane; only worker nodes are visible.

    Each node has a private InternalIP in the VPC and a public ExternalIP.
    """
    provider = core.cloud.provider
    for i in range(nodes):
        ip = f"{provider.node_prefix}{10 + i}"
        node = make_node(provider.node_name(i, ip), ip, control_plane=False, tainted=False)
        addresses = node.status.addresses + (NodeAddress("ExternalIP", f"203.0.113.{10 + i}"),)
        status = dataclasses.replace(node.status, addresses=addresses, node_info=provider.node_info)
        _join(core, dataclasses.replace(node, status=status))
    _kubernetes_service(core, f"{provider.node_prefix}5")
    _dns(core)


def _join(core: "Core", node: Node) -> None:
    core.api.create(node)
    core.add_node_agents(node.metadata.name)
    core.settle()


def _kubernetes_service(core: "Core", apiserver_ip: str) -> None:
    """The ``default/kubernetes`` Service; the API server keeps its endpoints itself."""
    api = core.api
    labels = frozen({"component": "apiserver", "provider": "kubernetes"})
    api.create(Service(ObjectMeta(name="kubernetes", namespace="default", labels=labels),
                       ServiceSpec(ports=(ServicePort(443, 6443, "https"),), cluster_ip=core.service_ip(1))))
    port = EndpointPort(6443, "https")
    api.create(Endpoints(ObjectMeta(name="kubernetes", namespace="default", labels=labels),
                         (EndpointSubset((EndpointAddress(apiserver_ip),), ports=(port,)),)))
    api.create(EndpointSlice(
        ObjectMeta(name="kubernetes", namespace="default",
                   labels=frozen({"kubernetes.io/service-name": "kubernetes"})),
        endpoints=(Endpoint((apiserver_ip,), EndpointConditions(ready=True)),), ports=(port,)))


def _dns(core: "Core") -> None:
    """kubeadm's DNS add-on: Service ``kube-dns`` and Deployment ``coredns``."""
    api = core.api
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
