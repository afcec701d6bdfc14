"""Cluster: wires the components together and owns time and randomness.

A ``Cluster`` is what ``kind create cluster`` gives you, in memory: an API
server, the controllers of kube-controller-manager, the scheduler, a kubelet
and a kube-proxy per node, CoreDNS, and the network between them. It owns the
only clock (``advance``) and the only random source (``Cluster(seed=...)``),
so the same seed gives the same pod names, IPs and load-balancing choices.

The local cluster mimics kind with one control-plane node and workers:
``kind-control-plane`` (tainted ``NoSchedule`` when there are workers, and
home to the two CoreDNS pods), ``kind-worker``, ``kind-worker2``; node IPs
``172.18.0.x``; pod CIDR ``10.244.0.0/16`` (a ``/24`` per node); service CIDR
``10.96.0.0/12`` with ``kubernetes`` at ``10.96.0.1`` and ``kube-dns`` at
``10.96.0.10``.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections import Counter
from typing import Any, Optional

from k8sedu import bootstrap, coredns, load_balancers
from k8sedu.apiserver import APIServer, StatusError
from k8sedu.cloud import PROVIDERS, Cloud, LoadBalancer, ServiceLBController
from k8sedu.apiserver.store import Store
from k8sedu.clock import Clock
from k8sedu.controllers.deployment import DeploymentController
from k8sedu.controllers.endpoints import EndpointsController
from k8sedu.controllers.endpointslice import EndpointSliceController
from k8sedu.controllers.garbagecollector import GarbageCollector
from k8sedu.controllers.manager import Manager
from k8sedu.controllers.nodeipam import NodeIpamController
from k8sedu.controllers.nodelifecycle import NodeLifecycleController
from k8sedu.controllers.replicaset import ReplicaSetController
from k8sedu.errors import KubectlError, from_status
from k8sedu.events import EventLog, Recorder
from k8sedu.kube_proxy import KubeProxy
from k8sedu.kube_proxy.iptables import save_date
from k8sedu.kubelet import Kubelet
from k8sedu.metallb import MetalLBController, parse_pool
from k8sedu.network import Network, Trace
from k8sedu.objects import RESOURCE_BY_KIND
from k8sedu.scheduler import Scheduler
from k8sedu.tunnel import Tunnel

CLUSTER_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "10.96.0.0/12"
DNS_IP = "10.96.0.10"
EPOCH = datetime.datetime(2026, 1, 5, 9, 0, 0, tzinfo=datetime.timezone.utc)
_current: list["Cluster"] = []  # the magics' "current context": the one piece of state outside a Cluster


class Cluster:
    """A simulated Kubernetes cluster's networking, deterministic from ``seed``."""

    def __init__(self, nodes: int = 3, cloud: Optional[str] = None, seed: int = 0, name: Optional[str] = None,
                 current: bool = True):
        if not isinstance(nodes, int) or nodes < 1:
            raise ValueError(f"a cluster needs at least one node, got nodes={nodes!r}")
        if cloud is not None and cloud not in PROVIDERS:
            raise ValueError(f"unknown cloud {cloud!r}: use one of {', '.join(sorted(PROVIDERS))}, "
                             "or None for a local cluster like kind")
        self.name = name or ("kind" if cloud is None else "k8sedu")
        self.cluster_cidr = CLUSTER_CIDR
        self.cloud: Optional[Cloud] = Cloud(PROVIDERS[cloud]) if cloud else None
        self.metallb: Optional[MetalLBController] = None
        self._tunnel: Optional[Tunnel] = None
        self._kubelets: dict[str, Kubelet] = {}
        self.random = random.Random(seed)
        self.clock = Clock()
        self.events = EventLog()
        store = Store(now=lambda: self.clock.now, new_uid=self._new_uid)
        store.add_index("Pod", "ip", lambda p: (p.status.pod_ip,) if p.status.pod_ip else (), namespaced=False)
        store.add_index("Service", "name", lambda s: (s.metadata.name,), namespaced=False)
        self.api = APIServer(store, self.random, lambda: self.clock.now, SERVICE_CIDR)
        self.manager = Manager(store, self.clock, self.events)
        self._proxies: dict[str, KubeProxy] = {}
        self._down: set[str] = set()
        self.network = Network(self)
        self._add_controllers()
        bootstrap.create_cluster(self, nodes)
        if current:  # the notebook magics talk to the newest cluster (kubectl's "current context")
            _current[:] = [self]

    # ------------------------------------------------------------ wiring

    def _recorder(self, component: str) -> Recorder:
        return Recorder(self.events, lambda: self.clock.now, component)

    def _new_uid(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def _add_controllers(self) -> None:
        api, add = self.api, self.manager.add
        add(NodeIpamController(api, self._recorder("node-controller"), CLUSTER_CIDR))
        add(DeploymentController(api, self._recorder("deployment-controller")))
        add(ReplicaSetController(api, self._recorder("replicaset-controller")))
        add(Scheduler(api, self._recorder("default-scheduler"), self.random))
        add(EndpointSliceController(api, self._recorder("endpointslice-controller")))
        add(EndpointsController(api, self._recorder("endpoint-controller")))
        add(GarbageCollector(api))
        self.node_lifecycle = add(NodeLifecycleController(api, self.clock, self._recorder("node-controller")))
        if self.cloud is not None:
            add(ServiceLBController(api, self.clock, self._recorder("service-controller"), self.cloud))

    def add_node_agents(self, node_name: str) -> None:
        """Start the kubelet and kube-proxy of a node that just joined."""
        self._kubelets[node_name] = self.manager.add(Kubelet(node_name, self.api, self.clock, self._recorder("kubelet")))
        node_ip = self.api.get("Node", "", node_name).address("InternalIP")
        self._proxies[node_name] = KubeProxy(node_name, self.api.store, CLUSTER_CIDR, node_ip=node_ip)

    # ------------------------------------------------------------ nodes failing

    def fail_node(self, name: str) -> None:
        """Take a node down (power loss): its pods stop answering at once.

        The control plane notices after 40 simulated seconds (the node turns
        NotReady, its pods leave every Service) and evicts the pods after 300
        more, so their ReplicaSets replace them elsewhere. ``advance`` to see it.
        """
        self.get("Node", name)
        if name in self._down:
            return
        self._down.add(name)
        self._kubelets[name].stop()
        self.node_lifecycle.kubelet_stopped(name)

    def recover_node(self, name: str) -> None:
        """Bring a failed node back: its kubelet reports in and finishes what was pending."""
        self.get("Node", name)
        if name not in self._down:
            return
        self._down.discard(name)
        for key in self._kubelets[name].resume():
            self.manager.enqueue(self._kubelets[name], key)
        self.node_lifecycle.kubelet_resumed(name)
        self.settle()

    def node_is_up(self, name: str) -> bool:
        return name not in self._down

    # ------------------------------------------------------------ time

    @property
    def now(self) -> float:
        """Simulated seconds since the cluster was created."""
        return self.clock.now

    def settle(self) -> None:
        """Run the controllers until nothing changes (no time passes)."""
        self.manager.settle()

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass, firing every timer that falls due."""
        if seconds < 0:
            raise ValueError("time only moves forward: seconds must be >= 0")
        until = self.clock.now + seconds
        self.settle()
        while (timer := self.clock.next_due(until)) is not None:
            timer.callback()
            self.settle()
        self.clock.now = until

    def wall_time(self, seconds: Optional[float] = None) -> datetime.datetime:
        """The simulated wall-clock time of ``seconds`` (default: now)."""
        return EPOCH + datetime.timedelta(seconds=self.clock.now if seconds is None else seconds)

    # ------------------------------------------------------------ reading state

    def get(self, kind: str, name: str, namespace: str = "default") -> Any:
        """Return one object (``cluster.get("Service", "web")``), or raise kubectl's NotFound."""
        ns = "" if _cluster_scoped(kind) else namespace
        try:
            return self.api.get(kind, ns, name)
        except StatusError as err:
            raise from_status(err) from None

    def list(self, kind: str, namespace: Optional[str] = "default", selector: Optional[dict] = None) -> list:
        """Return the objects of ``kind``, sorted; ``selector`` filters by labels."""
        ns = None if _cluster_scoped(kind) else namespace
        if selector:
            return self.api.store.select(kind, ns or "", selector)
        return self.api.list(kind, ns)

    def pod_names(self, selector: Optional[dict] = None, namespace: str = "default") -> list[str]:
        """Names of the pods in ``namespace`` (matching ``selector``), sorted."""
        return [p.metadata.name for p in self.list("Pod", namespace, selector)]

    # ------------------------------------------------------------ kubectl

    def kubectl(self, command: str, stdin: Optional[str] = None) -> str:
        """Run a kubectl command line; return what kubectl prints, or raise KubectlError.

        ``stdin`` is what ``-f -`` reads: ``cluster.kubectl("apply -f -", stdin=yaml_text)``.
        """
        from k8sedu.kubectl import run  # kubectl sits above the cluster (design.md layers)
        return run(self, command, stdin=stdin)

    def apply(self, manifest) -> str:
        """``kubectl apply``: YAML text (several documents), a dict or a list of dicts.

        Returns kubectl's per-object lines (``deployment.apps/web created``).
        """
        from k8sedu import manifests  # manifests sit above the cluster, like kubectl
        return manifests.apply(self, manifest)

    def export(self, path: Optional[str] = None) -> str:
        """The learner's own objects as one YAML file to ``kubectl apply -f`` on kind; written to ``path`` if given."""
        from k8sedu import manifests
        return manifests.export(self, path)

    # ------------------------------------------------------------ DNS and traffic

    def resolv_conf(self, pod) -> coredns.ResolvConf:
        """The ``/etc/resolv.conf`` the kubelet wrote into ``pod``."""
        return coredns.resolv_conf_for(pod, DNS_IP)

    def _client_pod(self, name: str, namespace: str):
        pod = self.get("Pod", name, namespace)
        if pod.status.phase != "Running" or not pod.status.pod_ip:
            raise KubectlError(f"error: unable to upgrade connection: container not found ({name})")
        if not self.node_is_up(pod.spec.node_name):  # the API server cannot reach that node's kubelet
            ip = self.api.get("Node", "", pod.spec.node_name).address()
            raise KubectlError(f"Error from server: error dialing backend: dial tcp {ip}:10250: "
                               "connect: no route to host")
        return pod

    def resolve(self, name: str, from_pod: str, namespace: str = "default") -> coredns.DnsAnswer:
        """Resolve ``name`` as the pod ``from_pod`` would; see ``DnsAnswer``."""
        self.settle()
        answer, _ = self.network.lookup(name, self._client_pod(from_pod, namespace))
        return answer

    def _client(self, from_pod: Optional[str], source: Optional[str], namespace: str):
        if (from_pod is None) == (source is None):
            raise KubectlError('error: say where the request comes from: from_pod="<pod>", or source="vpc", '
                               '"internet" or "node/<name>"')
        if from_pod is not None:
            return self.network.pod_client(self._client_pod(from_pod, namespace))
        return self.network.outside_client(source)

    def request(self, url: str, from_pod: Optional[str] = None, source: Optional[str] = None,
                namespace: str = "default", headers: Optional[dict] = None) -> Trace:
        """Send one HTTP request and return its ``Trace``.

        ``from_pod=`` sends from inside a pod; ``source="node/<name>"`` from a
        node itself, ``source="vpc"`` from a machine on the nodes' network and
        ``source="internet"`` from anywhere else. ``headers={"Host": ...}``
        sets the Host header an ingress controller routes by (default: the URL's host).
        """
        self.settle()
        return self.network.request(url, self._client(from_pod, source, namespace), headers=headers)

    def send(self, url: str, n: int, from_pod: Optional[str] = None, source: Optional[str] = None,
             namespace: str = "default", headers: Optional[dict] = None) -> Counter:
        """Send ``n`` requests; count who answered (pod names; failures count under None)."""
        self.settle()
        client = self._client(from_pod, source, namespace)
        return Counter(_answered_by(self.network.request(url, client, headers=headers)) for _ in range(n))

    # ------------------------------------------------------------ load balancers

    @property
    def vpc_client_ip(self) -> str:
        """The address of a machine on the nodes' network (the host, next to a kind cluster)."""
        return self.cloud.provider.vpc_client_ip if self.cloud else "172.18.0.1"

    def load_balancers(self) -> list[LoadBalancer]:
        """Every load balancer: the cloud's, or the addresses MetalLB announces."""
        return load_balancers.every_load_balancer(self)

    def lb_backends(self, svc, lb: LoadBalancer) -> list[str]:
        """The nodes a load balancer may send a new connection to (its health checks pass)."""
        return load_balancers.backends(self, svc, lb)

    def why_pending(self, svc) -> str:
        """Why a LoadBalancer Service has no EXTERNAL-IP yet, in one sentence."""
        return load_balancers.why_pending(self, svc)

    # ------------------------------------------------------------ add-ons

    def install(self, addon: str, addresses: str = "", default_class: bool = False,
                watch_ingress_without_class: bool = False) -> str:
        """Install an add-on, like ``minikube addons enable``.

        ``"metallb"`` (with ``addresses=``), or ``"ingress-nginx"``: the
        controller's namespace, Deployment, Services and IngressClass ``nginx``
        (``default_class=True`` marks it the default class, as minikube's
        ``ingress`` addon does; ``watch_ingress_without_class=True`` passes
        ``--watch-ingress-without-class``).
        """
        if addon == "metallb":
            return bootstrap.install_metallb(self, addresses)
        if addon == "ingress-nginx":
            from k8sedu import ingress_nginx
            return ingress_nginx.install(self, default_class, watch_ingress_without_class)
        raise KubectlError(f'error: unknown add-on "{addon}": this cluster offers "ingress-nginx", "metallb"')

    def ingress_config(self) -> str:
        """The nginx.conf the ingress-nginx controller generated (a readable subset), with its backends."""
        from k8sedu import ingress_nginx
        controller = ingress_nginx.controller_of(self)
        if controller is None:
            raise KubectlError('error: no ingress controller is installed: an Ingress is only configuration '
                               'until one runs; cluster.install("ingress-nginx")')
        self.settle()
        return controller.nginx_conf()

    def cloud_resources(self):
        """The cloud load balancers this cluster pays for: count, external addresses, hourly cost.

        One per LoadBalancer Service; an ingress controller needs only its own.
        """
        from k8sedu import ingress_nginx
        self.settle()
        return ingress_nginx.summarize(self)

    def enable_metallb(self, pool: str) -> MetalLBController:
        if self.cloud is not None:
            raise KubectlError("error: MetalLB is for clusters without a cloud provider: "
                               f"{self.cloud.provider.name} already provisions load balancers")
        if self.metallb is not None:
            raise KubectlError("error: metallb is already installed")
        try:
            addresses = parse_pool(pool)
        except ValueError as err:
            raise KubectlError(f"error: invalid MetalLB address pool {pool!r}: {err}") from None
        self.metallb = self.manager.add(MetalLBController(
            self.api, self.clock, self._recorder("metallb-controller"), self._recorder("metallb-speaker"),
            addresses, {}))
        for svc in self.api.list("Service"):
            self.manager.enqueue(self.metallb, (svc.metadata.namespace, svc.metadata.name))
        return self.metallb

    def minikube_tunnel(self, running: bool = True) -> str:
        """Start (or stop) a ``minikube tunnel``: LoadBalancer Services get their ClusterIP as EXTERNAL-IP.

        It also routes the service CIDR from this host (``source="vpc"``) to the first node.
        """
        if self.cloud is not None:
            raise KubectlError("error: minikube tunnel is for local clusters: "
                               f"{self.cloud.provider.name} provisions real load balancers")
        if self._tunnel is None:
            self._tunnel = self.manager.add(Tunnel(self.api))
        self._tunnel.running = running
        for svc in self.api.list("Service"):
            self.manager.enqueue(self._tunnel, (svc.metadata.namespace, svc.metadata.name))
        self.settle()
        node = self.api.list("Node")[0]
        state = "Running" if running else "Stopped"
        return (f"Status:\n\tmachine: {self.name}\n\troute: {self.api.service_ips.network} -> "
                f"{node.address()}\n\tminikube: {state}\n")

    def tunnel_node(self) -> Optional[str]:
        running = self._tunnel is not None and self._tunnel.running
        return self.api.list("Node")[0].metadata.name if running else None

    # ------------------------------------------------------------ inspecting

    def kube_proxy(self, node: str) -> KubeProxy:
        """The node's kube-proxy, synced with the API."""
        if node not in self._proxies:
            raise from_status(StatusError("NotFound", f'nodes "{node}" not found', 404))
        proxy = self._proxies[node]
        proxy.sync()
        return proxy

    def iptables_save(self, node: str) -> str:
        """What ``iptables-save`` prints on ``node`` (nat and filter tables)."""
        self.settle()
        stamp = save_date(self.wall_time().timestamp())
        return self.kube_proxy(node).iptables_save(stamp)

    def traffic_graph(self):
        """A networkx DiGraph of clients, Services, EndpointSlices, pods and nodes."""
        from k8sedu import viz
        return viz.traffic_graph(self)


def _cluster_scoped(kind: str) -> bool:
    """Nodes, Namespaces and IngressClasses live outside any namespace."""
    resource = RESOURCE_BY_KIND.get(kind)
    return resource is not None and not resource.namespaced


def _answered_by(trace: Trace) -> Optional[str]:
    if not trace.ok:
        return None
    return trace.pod or trace.server


def current() -> Cluster:
    """The cluster the notebook magics talk to: the one given to ``use``, else the newest."""
    if not _current:
        raise KubectlError("error: no cluster yet: create one with cluster = k8sedu.Cluster()")
    return _current[0]


def use(cluster: Cluster) -> Cluster:
    """Make ``%kubectl`` talk to ``cluster`` (like ``kubectl config use-context``)."""
    _current[:] = [cluster]
    return cluster
