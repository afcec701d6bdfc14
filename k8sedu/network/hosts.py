"""Addresses that are not pods: a node's own addresses, loopback, ``/etc/hosts``, and the API server.

A pod network is not the whole network. Mirrors what a real kind node has
besides its pods:

- **Its own addresses.** A node answers on its InternalIP (on kind the
  ``172.18.0.x`` address on the docker network ``kind``), on ``127.0.0.1``, and
  on the pod-network gateway: kindnet's CNI config (kind v0.27.0
  ``images/kindnetd/cmd/kindnetd/cni.go``) is the ``ptp`` plugin with
  host-local IPAM, which puts the range's ``.1`` on the host side of every
  pod's veth (containernetworking/plugins ``ptp.go`` ``setupHostVeth``).
- **Which source a packet leaves with.** The kernel picks the address of the
  interface it leaves by: towards a pod on the same node that is the veth's
  ``.1``, towards anything else the InternalIP. That is the address a
  MASQUERADE writes, so a hairpin connection or a NodePort connection to a
  local pod arrives from ``10.244.x.1``, one to another node from its IP.
  kindnet's ``KIND-MASQ-AGENT`` chain (``masq.go``) also masquerades pod
  traffic to anything outside the pod range (another node's IP, the API
  server). On EKS and GKE pods are VPC addresses and keep their own source
  inside the VPC; on AKS the node SNATs them, like kindnet.
- **Programs on the node.** ``kube-apiserver`` listens on the control-plane
  node's 6443 (all addresses, so ``localhost:6443`` too); the ``kubernetes``
  Service's endpoint points there. On a managed cloud the endpoint is the
  provider's, on port 443. The kubelet serves HTTPS on every node's 10250.
  Other node programs (etcd, kube-proxy's health and metrics ports) are not
  modelled: those ports refuse. A container ``hostPort`` is the CNI ``portmap``
  plugin's DNAT from the node's port to the pod (kind's ingress-nginx uses
  80 and 443).
- **``/etc/hosts``** answers ``localhost`` (and a pod's own hostname) before
  any DNS query: the resolver reads it first (``hosts: files dns``), so
  CoreDNS never sees these names.

What the API server answers to a request without credentials, as a real
kube-apiserver does with ``--anonymous-auth=true`` (kubeadm's default): the
``system:public-info-viewer`` ClusterRole lets ``system:unauthenticated``
read ``/healthz``, ``/livez``, ``/readyz`` and ``/version``; everything else is
403 with a ``Status`` naming ``system:anonymous``
(apiserver ``endpoints/handlers/responsewriters/errors.go`` ``forbiddenMessage``:
``User "system:anonymous" cannot get path "/"``), which is what
``curl -k https://10.96.0.1/`` prints from a pod. TLS itself is not modelled:
the model answers an ``https://`` URL as if curl had ``-k``.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Optional

from k8sedu.network.trace import CONNECTION_REFUSED, Request, Trace

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.network.trace import Client
    from k8sedu.objects import Node, Pod
    from k8sedu.protocols import DataPlane

LOOPBACK = "127.0.0.1"
APISERVER = "kube-apiserver"
KUBELET_PORT = 10250
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")  # system:public-info-viewer's nonResourceURLs
# `curl -k https://<apiserver>/version` on kind v0.27.0's node image (Kubernetes v1.32.2), as published output shows
VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.2",
           "gitCommit": "67a30c0adcf52bd3f56ff0893ce19966be12991f", "gitTreeState": "clean",
           "buildDate": "2025-02-12T21:19:47Z", "goVersion": "go1.23.6", "compiler": "gc",
           "platform": "linux/amd64"}


# ---------------------------------------------------------------- names before DNS

def etc_hosts(client: "Client", name: str) -> Optional[str]:
    """The address ``/etc/hosts`` gives ``name`` on the client's machine, or None (then DNS is asked).

    Every machine maps ``localhost``; the kubelet's hosts file in a pod also
    maps the pod's own hostname to its IP.

    Examples
    --------
    >>> from k8sedu.network.trace import Client
    >>> etc_hosts(Client("node/kind-worker", "172.18.0.3", "node"), "localhost")
    '127.0.0.1'
    >>> etc_hosts(Client("node/kind-worker", "172.18.0.3", "node"), "web") is None
    True
    """
    name = name.rstrip(".").lower()
    if name in ("localhost", "localhost.localdomain"):
        return LOOPBACK
    pod = client.pod
    if pod is not None and name == (pod.spec.hostname or pod.metadata.name):
        return pod.status.pod_ip
    return None


def is_loopback(ip: str) -> bool:
    """Whether ``ip`` is in 127.0.0.0/8 (the machine itself)."""
    return ipaddress.ip_address(ip).is_loopback


# ---------------------------------------------------------------- a node's addresses

def pod_gateway(core: "DataPlane", node: str) -> str:
    """The address on ``node``'s side of its pods' veths: the podCIDR's ``.1`` (ptp / bridge CNIs).

    The VPC CNI on EKS puts no address there, so the node's InternalIP stands in.
    """
    cloud = core.cloud
    obj = core.api.try_get("Node", "", node)
    if obj is None or not obj.spec.pod_cidr or (cloud is not None and not cloud.provider.veth_gateway):
        return core.node_ip(node)
    return str(ipaddress.ip_network(obj.spec.pod_cidr)[1])


def local_addresses(core: "DataPlane", node: str) -> tuple[str, ...]:
    """Every address ``node`` owns: its InternalIP and ExternalIP, the pod gateway, loopback."""
    obj = core.api.try_get("Node", "", node)
    own = tuple(a.address for a in obj.status.addresses if a.type in ("InternalIP", "ExternalIP")) if obj else ()
    return own + (pod_gateway(core, node), LOOPBACK)


def node_with_address(core: "DataPlane", ip: str) -> Optional["Node"]:
    """The node that has ``ip`` as its InternalIP or ExternalIP, if any."""
    for node in core.api.list("Node"):
        if ip in (a.address for a in node.status.addresses if a.type in ("InternalIP", "ExternalIP")):
            return node
    return None


def source_toward(core: "DataPlane", node: str, dst_ip: str) -> str:
    """The source address ``node`` gives a packet it sends (or masquerades) to ``dst_ip``.

    The kernel uses the address of the outgoing interface: the pod veth's
    gateway for a pod on this node, loopback for itself, the InternalIP for
    everything else.
    """
    if is_loopback(dst_ip):
        return LOOPBACK
    pods = core.api.store.by_index("Pod", "ip", dst_ip)
    if pods and pods[0].spec.node_name == node:
        return pod_gateway(core, node)
    return core.node_ip(node)


def leaves_pod_network(core: "DataPlane", node: str, src: str, dst_ip: str) -> str:
    """The source a pod's packet carries once it leaves ``node`` for ``dst_ip`` outside the pod range.

    kindnet (kind) and AKS masquerade it to the node's IP; EKS and GKE pods
    are VPC addresses and keep theirs. Traffic between pods is never masqueraded.
    """
    in_pods = ipaddress.ip_address(dst_ip) in ipaddress.ip_network(core.cluster_cidr)
    routable = core.cloud is not None and core.cloud.provider.pods_vpc_routable
    pod_source = bool(core.api.store.by_index("Pod", "ip", src))
    if not pod_source or in_pods or routable or dst_ip in local_addresses(core, node):
        return src
    return core.node_ip(node)


def masquerade_note(core: "DataPlane", before: str, after: str) -> str:
    """Say who rewrote the source, if anyone did."""
    if before == after:
        return ""
    who = "kindnet's KIND-MASQ-AGENT" if core.cloud is None else "the node"
    return f" (masqueraded from {before} to {after} by {who}: pod traffic leaving the pod network)"


# ---------------------------------------------------------------- what listens on a node

def host_port_pod(core: "DataPlane", node: str, port: int) -> Optional["Pod"]:
    """The running pod on ``node`` whose container publishes ``hostPort: port``, if any."""
    for pod in core.api.store.by_index("Pod", "node", node):
        if pod.status.phase == "Running" and pod.status.pod_ip and any(
                p.host_port == port for c in pod.spec.containers for p in c.ports):
            return pod
    return None


def apiserver_endpoints(core: "DataPlane") -> dict[str, int]:
    """Where the API server listens: the ``kubernetes`` Endpoints' addresses and port."""
    eps = core.api.try_get("Endpoints", "default", "kubernetes")
    if eps is None:
        return {}
    return {a.ip: p.port for s in eps.subsets for a in s.addresses for p in s.ports}


def apiserver_port_on(core: "DataPlane", node: str, ip: str) -> Optional[int]:
    """The API server's port if it runs on ``node`` and listens on ``ip`` there (all addresses: 0.0.0.0)."""
    endpoints = apiserver_endpoints(core)
    if ip in endpoints:
        return endpoints[ip]
    own = core.node_ip(node)
    return endpoints.get(own) if own in endpoints and ip in local_addresses(core, node) else None


def kubelet_listens(core: "DataPlane", node: str, ip: str, port: int) -> bool:
    """The kubelet serves its API on every node address, port 10250 (HTTPS)."""
    return port == KUBELET_PORT and ip in local_addresses(core, node)


def answer_kubelet(req: Request, where: str, ip: str, port: int, seen_source: str) -> Trace:
    """The kubelet's answer without credentials: kubeadm turns its anonymous auth off, so 401 ``Unauthorized``.

    (kubeadm's KubeletConfiguration sets ``authentication.anonymous.enabled:
    false``; the kubelet's auth filter answers ``Unauthorized``.)
    """
    if req.target.scheme != "https":
        return _plain_http_to_tls(req, where, ip, port, seen_source, "the kubelet")
    why = f"HTTP 401 from {ip}:{port}: the kubelet refuses requests without credentials (anonymous auth is off)"
    req.record(where, "answered", why)
    return req.answered(401, where, "Unauthorized", client_ip_seen=seen_source, reason=why)


def _plain_http_to_tls(req: Request, where: str, ip: str, port: int, seen_source: str, who: str) -> Trace:
    body = "Client sent an HTTP request to an HTTPS server.\n"  # Go's net/http answer on a TLS port
    req.record(where, "answered", f"HTTP 400 from {ip}:{port}: {who} only speaks HTTPS")
    return req.answered(400, where, body, client_ip_seen=seen_source, reason="plain HTTP to an HTTPS port")


def answer_apiserver(req: Request, where: str, ip: str, port: int, seen_source: str) -> Trace:
    """kube-apiserver's answer to an anonymous request (no token, no client certificate)."""
    path = req.target.path.split("?", 1)[0]
    if req.target.scheme != "https":
        return _plain_http_to_tls(req, where, ip, port, seen_source, "kube-apiserver")
    if path in PUBLIC_PATHS:
        body = json.dumps(VERSION, indent=2) if path == "/version" else "ok"
        req.record(where, "answered", f"HTTP 200 from {ip}:{port}: {path} is readable without credentials "
                   "(ClusterRole system:public-info-viewer)")
        return req.answered(200, where, body, client_ip_seen=seen_source)
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": f'forbidden: User "system:anonymous" cannot get path "{path}"',
              "reason": "Forbidden", "details": {}, "code": 403}
    why = (f"HTTP 403 from {ip}:{port}: the request carries no credentials, so it is system:anonymous, "
           f"which RBAC does not allow to get {path} (send the pod's ServiceAccount token to be someone)")
    req.record(where, "answered", why)
    return req.answered(403, where, json.dumps(status, indent=2), client_ip_seen=seen_source, reason=why)


def nothing_listens(req: Request, node: str, ip: str, port: int, also: str = "") -> Trace:
    """The node's kernel refuses: no program and no rule takes ``ip:port``."""
    why = f"nothing listens on {ip}:{port} on node {node} and no kube-proxy rule matched"
    why += f"; {also}" if also else ""
    return req.fail(f"node/{node}", "refused", why, CONNECTION_REFUSED)
