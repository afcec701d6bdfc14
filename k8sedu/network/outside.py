"""Reaching a node from outside the cluster: load balancers, node addresses, a tunnel route, or nothing.

Mirrors the network around a core. A request from the nodes' own network
(``source="vpc"``) or from the internet first has to reach a node: a cloud
load balancer picks a node that passes its health checks and forwards to its
NodePort (AWS) or delivers the packet still addressed to itself (GCP, Azure,
MetalLB); a node's public (ExternalIP) address sits behind the cloud
firewall, and its private (InternalIP) address is not routed from the
internet. A ClusterIP is virtual: nothing outside the cluster has a route to
the service range, except the host where ``minikube tunnel`` added one. Once
on a node, the request continues in ``node.on_node``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Optional

from k8sedu.network import hosts
from k8sedu.network.node import deliver, node_ip, on_node, pod_at, via_load_balancer
from k8sedu.network.portforward import through_port_forward
from k8sedu.network.trace import CONNECTION_REFUSED, TIMED_OUT, Request, Trace

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cloud import LoadBalancer
    from k8sedu.protocols import DataPlane
    from k8sedu.objects import Node


def from_outside(core: "DataPlane", req: Request, dst_ip: str) -> Trace:
    """Find the way in: a load balancer, a node address, a tunnel route, or nothing."""
    lb = _load_balancer_at(core, dst_ip)
    if lb is not None:
        return via_load_balancer(core, req, lb)
    node = _node_with_address(core, dst_ip)
    if node is not None:
        return _to_node_address(core, req, node, dst_ip)
    if dst_ip in core.api.service_ips:
        return _to_cluster_ip(core, req, dst_ip)
    pod = pod_at(core, dst_ip)
    routable = core.cloud is not None and core.cloud.provider.pods_vpc_routable
    if pod is not None and req.client.kind == "vpc" and routable:
        req.record("network", "routed", f"{dst_ip} is pod {pod.metadata.name}'s address, a VPC address given "
                   f"by {core.cloud.provider.cni}: the VPC routes it to node {pod.spec.node_name}")
        return on_node(core, req, pod.spec.node_name, dst_ip, req.target.port, dst_local=False)
    return req.fail("network", "no route", _why_unreachable_from_outside(core, req, dst_ip), TIMED_OUT)


def loopback(core: "DataPlane", req: Request, ip: str) -> Trace:
    """``127.0.0.1`` is the client's own machine: a pod's own containers, a node's loopback, or the host.

    In a pod, loopback stays in the pod's network namespace, which has no
    kube-proxy rules: only the pod's own containers answer. On a node the
    connection meets kube-proxy's rules (NodePorts answer on ``localhost``,
    ``localhostNodePorts``). On the host that runs kind only kind's
    ``extraPortMappings`` (docker publishes them) lead into the cluster.
    """
    client, port = req.client, req.target.port
    if client.kind == "pod":
        pod = client.pod
        req.record("loopback", "local", f"{ip} is pod {pod.metadata.name}'s own network namespace: only its "
                   "own containers listen there, and no kube-proxy rule applies")
        return deliver(core, req, pod, port, hosts.LOOPBACK)
    if client.kind == "node":
        return on_node(core, req, client.node, ip, port, dst_local=True, src=hosts.LOOPBACK)
    forward = core.port_forwards.get(port) if client.kind == "host" else None
    if forward is not None:  # a running `kubectl port-forward` listens there (k8sedu.network.portforward)
        return through_port_forward(core, req, ip, forward)
    mapped = getattr(core, "port_mappings", {}).get(port) if client.kind == "host" else None
    if mapped is None:
        why = (f"{ip}:{port} is the client machine itself and nothing listens there on port {port}"
               + ("; kind publishes only the API server's port and the cluster's extraPortMappings on the host"
                  if client.kind == "host" else ""))
        return req.fail(client.name, "refused", why, CONNECTION_REFUSED)
    node, node_port = mapped
    node_address = node_ip(core, node)
    req.record("docker (host)", "forwarded", f"{ip}:{port} is one of kind's extraPortMappings: docker forwards it "
               f"to node {node}'s port {node_port} ({node_address}), from the host's address {client.ip}")
    return on_node(core, req, node, node_address, node_port, dst_local=True)


def _to_node_address(core: "DataPlane", req: Request, node: "Node", dst_ip: str) -> Trace:
    """A node's own address: the private one is not routed from the internet, the public one is firewalled."""
    name = node.metadata.name
    private = dst_ip == node.address("InternalIP")
    if req.client.kind == "internet" and private:
        why = (f"{dst_ip} is {name}'s private (InternalIP) address: it is not reachable from the internet"
               + ("" if node.address("ExternalIP") else "; this node has no public IP"))
        return req.fail("network", "no route", why, TIMED_OUT)
    if core.cloud is not None and not private:
        blocked = _through_firewall(core, req, name, dst_ip)
        if blocked is not None:
            return blocked
    req.record(f"node/{name}", "received", f"{dst_ip}:{req.target.port} is one of {name}'s own addresses")
    return on_node(core, req, name, dst_ip, req.target.port, dst_local=True)


def _through_firewall(core: "DataPlane", req: Request, name: str, dst_ip: str) -> Optional[Trace]:
    """Let the cloud firewall decide on a node's public address; return the failure if it drops the packet."""
    port = req.target.port
    rule = core.cloud.firewall.decide("tcp", port, req.client.ip)
    if rule is None:
        why = (f"port {port} blocked by the cloud firewall: no rule allows tcp:{port} "
               f"from {req.client.ip} to {name} ({dst_ip})")
        return req.fail("cloud firewall", "dropped", why, TIMED_OUT)
    req.record("cloud firewall", "allowed", f"tcp:{port} from {req.client.ip} by rule {rule}")
    return None


def _to_cluster_ip(core: "DataPlane", req: Request, dst_ip: str) -> Trace:
    """Only a ``minikube tunnel`` route on this host reaches a ClusterIP from outside."""
    tunnel = core.addons.route_node() if req.client.kind in ("vpc", "host") else None
    if tunnel is None:
        why = (f"{dst_ip} is a ClusterIP: it is only reachable inside the cluster (no route to the "
               "service CIDR from outside; use a NodePort, a LoadBalancer or an Ingress)")
        return req.fail("network", "no route", why, TIMED_OUT)
    req.record("minikube tunnel", "routed", f"the host's route {core.api.service_ips.network} -> "
               f"{node_ip(core, tunnel)} sends {dst_ip} to node {tunnel}")
    return on_node(core, req, tunnel, dst_ip, req.target.port)


def _load_balancer_at(core: "DataPlane", ip: str) -> Optional["LoadBalancer"]:
    """The ready load balancer whose address is ``ip``, if any."""
    for lb in core.addons.load_balancers():
        if lb.address == ip and core.now >= lb.ready_at:
            return lb
    return None


def _node_with_address(core: "DataPlane", ip: str) -> Optional["Node"]:
    """The node that has ``ip`` among its addresses, if any."""
    for node in core.api.list("Node"):
        if ip in (a.address for a in node.status.addresses):
            return node
    return None


def _why_unreachable_from_outside(core: "DataPlane", req: Request, ip: str) -> str:
    """Why nothing outside the cluster can reach ``ip`` (a pod IP: it depends on the cloud's network plan)."""
    if pod_at(core, ip) is None and ipaddress.ip_address(ip) not in ipaddress.ip_network(core.cluster_cidr):
        return f"nothing answers at {ip}: it is not a node, load balancer or public address of this cluster"
    cloud = core.cloud
    if cloud is None:
        return (f"{ip} is a pod IP: kindnet routes the pod range {core.cluster_cidr} between the nodes only, "
                "and the host has no route to it (use a NodePort, a LoadBalancer or kubectl port-forward)")
    provider = cloud.provider
    if not provider.pods_vpc_routable:
        return (f"{ip} is a pod IP of {provider.cni}: its range {core.cluster_cidr} is an overlay that the "
                f"{provider.name} virtual network does not route, only the nodes reach pods (use a Service)")
    if req.client.kind == "internet":
        return f"{ip} is a pod IP: a private VPC address given by {provider.cni}, not reachable from the internet"
    return f"nothing answers at {ip}: no pod has that VPC address now (pods are ephemeral)"
