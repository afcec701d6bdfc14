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

from k8sedu import bootstrap, coredns
from k8sedu.apiserver import APIServer, StatusError
from k8sedu.apiserver.store import Store
from k8sedu.clock import Clock
from k8sedu.controllers.deployment import DeploymentController
from k8sedu.controllers.endpoints import EndpointsController
from k8sedu.controllers.endpointslice import EndpointSliceController
from k8sedu.controllers.garbagecollector import GarbageCollector
from k8sedu.controllers.manager import Manager
from k8sedu.controllers.nodeipam import NodeIpamController
from k8sedu.controllers.replicaset import ReplicaSetController
from k8sedu.errors import KubectlError, from_status
from k8sedu.events import EventLog, Recorder
from k8sedu.kube_proxy import KubeProxy
from k8sedu.kube_proxy.iptables import save_date
from k8sedu.kubelet import Kubelet
from k8sedu.network import Network, Trace
from k8sedu.scheduler import Scheduler

CLUSTER_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "10.96.0.0/12"
DNS_IP = "10.96.0.10"
EPOCH = datetime.datetime(2026, 1, 5, 9, 0, 0, tzinfo=datetime.timezone.utc)
_current: list["Cluster"] = []


class Cluster:
    """A simulated Kubernetes cluster's networking, deterministic from ``seed``."""

    def __init__(self, nodes: int = 3, seed: int = 0, name: str = "kind"):
        if not isinstance(nodes, int) or nodes < 1:
            raise ValueError(f"a cluster needs at least one node, got nodes={nodes!r}")
        self.name = name
        self.random = random.Random(seed)
        self.clock = Clock()
        self.events = EventLog()
        store = Store(now=lambda: self.clock.now, new_uid=self._new_uid)
        store.add_index("Pod", "ip", lambda p: (p.status.pod_ip,) if p.status.pod_ip else (), namespaced=False)
        self.api = APIServer(store, self.random, lambda: self.clock.now, SERVICE_CIDR)
        self.manager = Manager(store, self.clock, self.events)
        self._proxies: dict[str, KubeProxy] = {}
        self.network = Network(self)
        self._add_controllers()
        bootstrap.create_cluster(self, nodes)
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

    def add_node_agents(self, node_name: str) -> None:
        """Start the kubelet and kube-proxy of a node that just joined."""
        self.manager.add(Kubelet(node_name, self.api, self.clock, self._recorder("kubelet")))
        self._proxies[node_name] = KubeProxy(node_name, self.api.store, CLUSTER_CIDR)

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
        ns = "" if kind in ("Node", "Namespace") else namespace
        try:
            return self.api.get(kind, ns, name)
        except StatusError as err:
            raise from_status(err) from None

    def list(self, kind: str, namespace: Optional[str] = "default", selector: Optional[dict] = None) -> list:
        """Return the objects of ``kind``, sorted; ``selector`` filters by labels."""
        ns = None if kind in ("Node", "Namespace") else namespace
        if selector:
            return self.api.store.select(kind, ns or "", selector)
        return self.api.list(kind, ns)

    def pod_names(self, selector: Optional[dict] = None, namespace: str = "default") -> list[str]:
        """Names of the pods in ``namespace`` (matching ``selector``), sorted."""
        return [p.metadata.name for p in self.list("Pod", namespace, selector)]

    # ------------------------------------------------------------ kubectl

    def kubectl(self, command: str) -> str:
        """Run a kubectl command line; return what kubectl prints, or raise KubectlError."""
        from k8sedu.kubectl import run  # kubectl sits above the cluster (design.md layers)
        return run(self, command)

    # ------------------------------------------------------------ DNS and traffic

    def resolv_conf(self, pod) -> coredns.ResolvConf:
        """The ``/etc/resolv.conf`` the kubelet wrote into ``pod``."""
        return coredns.resolv_conf_for(pod, DNS_IP)

    def _client_pod(self, name: str, namespace: str):
        pod = self.get("Pod", name, namespace)
        if pod.status.phase != "Running" or not pod.status.pod_ip:
            raise KubectlError(f"error: unable to upgrade connection: container not found ({name})")
        return pod

    def resolve(self, name: str, from_pod: str, namespace: str = "default") -> coredns.DnsAnswer:
        """Resolve ``name`` as the pod ``from_pod`` would; see ``DnsAnswer``."""
        self.settle()
        answer, _ = self.network.lookup(name, self._client_pod(from_pod, namespace))
        return answer

    def request(self, url: str, from_pod: str, namespace: str = "default") -> Trace:
        """Send one HTTP request from a pod and return its ``Trace``."""
        self.settle()
        return self.network.request(url, self._client_pod(from_pod, namespace))

    def send(self, url: str, n: int, from_pod: str, namespace: str = "default") -> Counter:
        """Send ``n`` requests; count the answering pods (failures count under None)."""
        self.settle()
        pod = self._client_pod(from_pod, namespace)
        return Counter(self.network.request(url, pod).pod for _ in range(n))

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


def current() -> Cluster:
    """The most recently created cluster (used by the notebook magics)."""
    if not _current:
        raise KubectlError("error: no cluster: create one with k8sedu.Cluster()")
    return _current[0]
