"""The network: carries a request hop by hop and records why each hop decided what it did.

A request goes where a real packet would. From a pod:

1. **DNS**: the pod's resolver walks its search list; each query is a UDP
   packet to the ``kube-dns`` ClusterIP, which kube-proxy's rules on the pod's
   node DNAT to one CoreDNS pod.
2. **kube-proxy's rules**: the connection enters its node's netfilter: the
   ``nat`` table (``KUBE-SERVICES`` ...) and the ``filter`` table decide: DNAT to
   one endpoint, REJECT (no endpoints), DROP (no local endpoints), or no match.
3. **Routing**: the pod network (CNI) routes the packet to the node whose
   ``podCIDR`` holds the destination IP, and on to the pod.
4. **The app**: if a container of that pod listens on the port, it answers.
   If that pod is an **ingress-nginx** controller pod (port 80/443), nginx
   picks a rule by the ``Host`` header and the path and proxies to one pod
   endpoint of the matched Service itself (not via its ClusterIP), or answers
   its own 404 / 503 / 301.

From outside the cluster (``source="vpc"``: a machine on the nodes' own
network, like your laptop next to a kind cluster; ``source="host"``: the
machine that runs kind, whose ``localhost`` has kind's ``extraPortMappings``;
``source="internet"``; ``source="node/<name>"``: a process on a node), the
request first has to *reach* a node: a cloud load balancer picks a healthy
node; a node's public IP is behind the cloud firewall; a private node IP is
unreachable from the internet; a ClusterIP is reachable from nowhere outside
the cluster (unless ``minikube tunnel`` added a route); a pod IP only from
the VPC of a cloud whose pods have VPC addresses (EKS, GKE). Then steps 2-4
run on that node.

Names in ``/etc/hosts`` (``localhost``) never reach DNS, and ``127.0.0.1``
is the client's own machine: in a pod its own containers, on a node the
node's loopback, where kube-proxy's NodePorts answer too (``route_localnet``).

The rules are not shortcut: step 2 runs ``netfilter.trace_connection`` over
the very tables that ``iptables_save`` prints, including the random
``statistic`` matches, driven by the cluster's seeded random source.

The package follows the journey: ``trace`` (clients, URLs, the request in
flight, hops and traces), ``dns`` (step 1), ``outside`` (reaching a node),
``node`` (steps 2-4), ``hosts`` (what is not a pod: node addresses, the
API server, loopback, source addresses) and ``ingress`` (the ingress-nginx hop).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Optional

from k8sedu import coredns
from k8sedu.apiserver import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.network import dns, hosts
from k8sedu.network.ingress import NGINX_REASONS, nginx_page
from k8sedu.network.node import on_node
from k8sedu.network.outside import from_outside, loopback
from k8sedu.network.trace import Client, Hop, Request, Trace, is_ip, outside_client, parse_url, pod_client

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.objects import Pod
    from k8sedu.protocols import DataPlane

__all__ = ["Network", "Trace", "Hop", "Client", "Request", "nginx_page", "NGINX_REASONS"]


class Network:
    """Sends requests through the model of one cluster."""

    def __init__(self, core: "DataPlane"):
        self.core = core

    # ------------------------------------------------------------ who sends

    def client_pod(self, name: str, namespace: str = "default") -> "Pod":
        """The running pod ``name``, refused as ``kubectl exec`` refuses a pod it cannot reach."""
        try:
            pod = self.core.api.get("Pod", namespace, name)
        except StatusError as err:
            raise from_status(err) from None
        if pod.status.phase != "Running" or not pod.status.pod_ip:
            raise KubectlError(f"error: unable to upgrade connection: container not found ({name})")
        if not self.core.node_is_up(pod.spec.node_name):  # the API server cannot reach that node's kubelet
            ip = self.core.node_ip(pod.spec.node_name)
            raise KubectlError(f"Error from server: error dialing backend: dial tcp {ip}:10250: "
                               "connect: no route to host")
        return pod

    def client(self, from_pod: Optional[str] = None, source: Optional[str] = None,
               namespace: str = "default") -> Client:
        """The client for ``from_pod=`` (a pod) or ``source=`` (``"vpc"``, ``"internet"``, ``"host"``,
        ``"node/<name>"``)."""
        if (from_pod is None) == (source is None):
            raise KubectlError('error: say where the request comes from: from_pod="<pod>", or source="vpc", '
                               '"internet", "host" or "node/<name>"')
        if from_pod is not None:
            return pod_client(self.client_pod(from_pod, namespace))
        return outside_client(self.core, source)

    # ------------------------------------------------------------ what it sends

    def lookup(self, name: str, pod: "Pod") -> tuple[coredns.DnsAnswer, tuple[Hop, ...]]:
        """Resolve ``name`` as ``pod``'s resolver would: ``/etc/hosts`` first (``localhost``), then through
        kube-dns's ClusterIP to a CoreDNS pod."""
        ip = hosts.etc_hosts(pod_client(pod), name)
        if ip is not None:
            answer = coredns.DnsAnswer(name, "NOERROR", (ip,), server="/etc/hosts")
            return answer, (Hop("/etc/hosts", "resolved", f"{name} -> {ip} (no DNS query)"),)
        return dns.lookup(self.core, name, pod)

    def request(self, url: str, client: Client, headers: Optional[dict] = None) -> Trace:
        """Send one HTTP request from ``client`` and trace it (``headers={"Host": ...}`` sets the Host header)."""
        req = Request(url, client, parse_url(url, headers))
        dst_ip = req.target.host
        if not is_ip(dst_ip):
            dst_ip = dns.from_hosts_file(req) or ""
        if not dst_ip:
            dns.resolve(self.core, req)
            if not req.dns.addresses:
                return dns.not_found(self.core, req)
            dst_ip = req.dns.addresses[0]
        if hosts.is_loopback(dst_ip):
            return loopback(self.core, req, dst_ip)
        if client.kind in ("pod", "node"):  # the packet enters the client's own node's netfilter
            src = hosts.source_toward(self.core, client.node, dst_ip) if client.kind == "node" else ""
            return on_node(self.core, req, client.node, dst_ip, req.target.port, src=src)
        return from_outside(self.core, req, dst_ip)

    def send(self, url: str, n: int, client: Client, headers: Optional[dict] = None) -> Counter:
        """Send ``n`` requests; count who answered (pod names, or a host outside; failures under None).

        ``n`` is a whole number from 1 to ``MAX_SEND`` (k8sedu's own bound: each request is traced hop by hop, so
        a hundred million would run for hours); anything else is refused before a request is sent.
        """
        check_count(n)
        return Counter(_answered_by(self.request(url, client, headers)) for _ in range(n))


MAX_SEND = 100_000


def check_count(n: object) -> None:
    """Refuse a request count ``send`` cannot take, naming the bound.

    >>> check_count(10 ** 8)
    Traceback (most recent call last):
    ...
    ValueError: k8sedu sends at most 100000 requests per call, got n=100000000
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"send takes a whole number of requests, got n={n!r}")
    if not 1 <= n <= MAX_SEND:
        raise ValueError(f"k8sedu sends at most {MAX_SEND} requests per call, got n={n}" if n > 0 else
                         f"send needs at least one request, got n={n}")


def _answered_by(trace: Trace) -> Optional[str]:
    return (trace.pod or trace.server) if trace.ok else None
