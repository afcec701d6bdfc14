"""The core: the cluster's components wired together, with one clock and one random source.

What ``kind create cluster`` starts, in memory: the API server and its store,
the controllers of kube-controller-manager, the scheduler, a kubelet and a
kube-proxy per node, CoreDNS, the network between them, and the add-ons
(a cloud's load-balancer controller, MetalLB, ingress-nginx, a tunnel). The
core never imports kubectl, manifests, viz or the ``Cluster`` facade; those
work on it. It holds the only clock (``advance``: fire the timers that fall
due, settling the controllers after each) and the only random source, so the
same seed gives the same pod names, IPs and load-balancing choices.

The local cluster mimics kind with one control-plane node and workers:
``kind-control-plane`` (tainted ``NoSchedule`` when there are workers, and
home to the two CoreDNS pods), ``kind-worker``, ``kind-worker2``; node IPs
``172.18.0.x``; pod CIDR ``10.244.0.0/16`` (a ``/24`` per node); service CIDR
``10.96.0.0/16`` (kind's; kubeadm's own default is ``/12``) with ``kubernetes``
at ``10.96.0.1`` and ``kube-dns`` at ``10.96.0.10``. A managed cluster uses its
provider's Service range, with the same first and tenth addresses.

Examples
--------
>>> core = Core(nodes=2, rng=random.Random(1))
>>> [n.metadata.name for n in core.api.list("Node")]
['kind-control-plane', 'kind-worker']
>>> core.now
300.0
"""

from __future__ import annotations

import ipaddress
import math
import random
from typing import Optional

from k8sedu import addons, bootstrap, coredns
from k8sedu.addons import Addons
from k8sedu.apiserver import APIServer, StatusError
from k8sedu.apiserver.store import Store
from k8sedu.clock import Clock
from k8sedu.containerlogs import ContainerLogs
from k8sedu.cloud import PROVIDERS, Cloud, ServiceLBController
from k8sedu.controllers.daemonset import DaemonSetController
from k8sedu.controllers.deployment import DeploymentController
from k8sedu.controllers.endpoints import EndpointsController
from k8sedu.controllers.endpointslice import EndpointSliceController
from k8sedu.controllers.garbagecollector import GarbageCollector
from k8sedu.controllers.kubernetesservice import KubernetesServiceController
from k8sedu.controllers.manager import Manager
from k8sedu.controllers.nodeipam import NodeIpamController
from k8sedu.controllers.nodelifecycle import NodeLifecycleController
from k8sedu.controllers.replicaset import ReplicaSetController
from k8sedu.errors import from_status
from k8sedu.events import CORE_V1, EVENTS_V1, EventLog, Recorder
from k8sedu.kube_proxy import KubeProxy
from k8sedu.kubelet import Kubelet
from k8sedu.network import Network
from k8sedu.network.portforward import PortForward
from k8sedu.objects import Pod
from k8sedu.protocols import ProgramRun, ProgramRunner
from k8sedu.scheduler import Scheduler

CLUSTER_CIDR = "10.244.0.0/16"
MAX_NODES = 5000  # Kubernetes' published limit ("Considerations for large clusters")


def uuid4_text(bits: int) -> str:
    """``str(uuid.UUID(int=bits, version=4))`` without importing uuid (a tenth of ``import k8sedu``'s budget).

    >>> import uuid
    >>> uuid4_text(2**128 - 1) == str(uuid.UUID(int=2**128 - 1, version=4)), uuid4_text(0)
    (True, '00000000-0000-4000-8000-000000000000')
    """
    bits = (bits & ~(0xC000 << 48) | 0x8000 << 48) & ~(0xF000 << 64) | 4 << 76
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
KIND_SERVICE_CIDR = "10.96.0.0/16"  # kind's networking.serviceSubnet default


# k8sedu's own bounds on simulated time (not Kubernetes limits): one day per ``advance`` keeps a call to about a
# second of real time on a small cluster; a hundred years in all keeps every timestamp a date Go and Python print.
MAX_ADVANCE = 86_400
MAX_CLOCK = 100 * 365 * 86_400


def check_advance(seconds: object, now: float) -> None:
    """Raise a clear error unless ``seconds`` is a time ``advance`` can take from ``now``.

    >>> check_advance(float("nan"), 0)
    Traceback (most recent call last):
    ...
    ValueError: advance takes a finite number of seconds, got nan
    >>> check_advance(10 ** 12, 0)
    Traceback (most recent call last):
    ...
    ValueError: k8sedu advances at most 86400 simulated seconds (one day) per call, got 1000000000000; call advance again for more
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"advance takes a number of seconds, got {type(seconds).__name__} {seconds!r}")
    if not math.isfinite(seconds):
        raise ValueError(f"advance takes a finite number of seconds, got {seconds}")
    if seconds < 0:
        raise ValueError("time only moves forward: seconds must be >= 0")
    if seconds > MAX_ADVANCE:
        raise ValueError(f"k8sedu advances at most {MAX_ADVANCE} simulated seconds (one day) per call, "
                         f"got {seconds}; call advance again for more")
    if now + seconds > MAX_CLOCK:
        raise ValueError(f"k8sedu's clock stops at {MAX_CLOCK} seconds (100 years) after the cluster was created")


def pod_network_cidr(nodes: int) -> str:
    """kind's ``podSubnet`` 10.244.0.0/16 while one /24 per node fits, else the smallest prefix around it that
    holds them (what an admin passes as ``--pod-network-cidr`` for a bigger cluster).

    >>> pod_network_cidr(3), pod_network_cidr(256), pod_network_cidr(257), pod_network_cidr(5000)
    ('10.244.0.0/16', '10.244.0.0/16', '10.244.0.0/15', '10.224.0.0/11')
    """
    bits = max(0, (nodes - 1).bit_length() - 8)  # /24s beyond the 256 a /16 holds
    return str(ipaddress.ip_network(CLUSTER_CIDR).supernet(prefixlen_diff=bits))


class Core:
    """A cluster's components, wired; deterministic from ``rng``.

    ``cloud`` is ``"aws"``, ``"gcp"``, ``"azure"`` or None (a local cluster,
    like kind). ``rng`` and ``clock`` default to ``random.Random(0)`` and a
    new ``Clock``; the facade makes them from its seed. ``programs`` runs the
    containers' commands that end (the facade hands it kubectl's programs); without it
    every container with a command keeps running.
    """

    def __init__(self, nodes: int = 3, cloud: Optional[str] = None, rng: Optional[random.Random] = None,
                 clock: Optional[Clock] = None, name: Optional[str] = None, ingress_ready: bool = False,
                 programs: Optional[ProgramRunner] = None):
        if not isinstance(nodes, int) or isinstance(nodes, bool) or nodes < 1:
            raise ValueError(f"a cluster needs at least one node, got nodes={nodes!r}")
        if nodes > MAX_NODES:
            raise ValueError(f"k8sedu models clusters of up to {MAX_NODES} nodes, Kubernetes' published limit; "
                             f"got nodes={nodes}")
        if cloud is not None and cloud not in PROVIDERS:
            raise ValueError(f"unknown cloud {cloud!r}: use one of {', '.join(sorted(PROVIDERS))}, "
                             "or None for a local cluster like kind")
        if ingress_ready and cloud is not None:
            raise ValueError("ingress_ready is kind's cluster config (node label ingress-ready=true, host ports "
                             "80/443 mapped to the node); on a cloud, ingress-nginx is reached through its "
                             "LoadBalancer")
        self.name = name or ("kind" if cloud is None else "k8sedu")
        self.cluster_cidr = PROVIDERS[cloud].pod_cidr if cloud else pod_network_cidr(nodes)  # the provider's pod plan
        self.random = rng if rng is not None else random.Random(0)
        self.clock = clock if clock is not None else Clock()
        self.events = EventLog()
        self.cloud: Optional[Cloud] = Cloud(PROVIDERS[cloud]) if cloud else None
        self.service_cidr = self.cloud.provider.service_cidr if self.cloud else KIND_SERVICE_CIDR
        self.addons = Addons()
        self.dns_caches = coredns.Caches()  # each CoreDNS pod's `cache 30`
        store = Store(now=lambda: self.clock.now, new_uid=self._new_uid)
        # Pods by their own IP; a hostNetwork pod (kube-proxy, kindnet, the static control-plane pods) has
        # the node's IP and is reached as the node, so it is not indexed as a pod address.
        store.add_index("Pod", "ip", lambda p: (p.status.pod_ip,) if p.status.pod_ip and not p.spec.host_network
                        else (), namespaced=False)
        store.add_index("Service", "name", lambda s: (s.metadata.name,), namespaced=False)
        self.api = APIServer(store, self.random, lambda: self.clock.now, self.service_cidr)
        self.manager = Manager(store, self.clock, self.events)
        self._kubelets: dict[str, Kubelet] = {}
        self._proxies: dict[str, KubeProxy] = {}
        self._renders: dict = {}  # kube-proxy renderings shared by the nodes (render_service_port)
        self._down: set[str] = set()
        self.network = Network(self)
        self.logs = ContainerLogs()  # what containers wrote (the nodes' /var/log/pods), for `kubectl logs`
        self.port_forwards: dict[int, PortForward] = {}  # host port -> a running `kubectl port-forward`
        self.programs = programs  # what runs a container's command that ends (nslookup, wget, sleep 5)
        self._add_controllers()
        self.port_mappings: dict[int, tuple[str, int]] = {}  # kind's extraPortMappings: host port -> (node, port)
        bootstrap.create_cluster(self, nodes)
        if ingress_ready:  # kind's ingress config (a kind cluster only: refused on a cloud above)
            bootstrap.kind_ingress_ready(self)

    def recorder(self, component: str, host: str = "", api: str = CORE_V1) -> Recorder:
        """An event recorder for ``component`` on node ``host`` (``kubectl get events -o wide`` shows SOURCE)."""
        return Recorder(self.events, lambda: self.clock.now, component, host, api)

    def _new_uid(self) -> str:
        return uuid4_text(self.random.getrandbits(128))

    def _add_controllers(self) -> None:
        api, add = self.api, self.manager.add
        add(NodeIpamController(api, self.recorder("node-controller"), self.cluster_cidr))
        add(DeploymentController(api, self.recorder("deployment-controller"), lambda: self.clock.now))
        add(ReplicaSetController(api, self.recorder("replicaset-controller"), now=lambda: self.clock.now))
        add(DaemonSetController(api, self.recorder("daemonset-controller")))
        # kube-scheduler records through the events API; on kind it runs on the control-plane node
        scheduler_host = f"{self.name}-control-plane" if self.cloud is None else ""
        add(Scheduler(api, self.recorder("default-scheduler", scheduler_host, EVENTS_V1), self.random))
        add(EndpointSliceController(api, self.recorder("endpointslice-controller")))
        add(EndpointsController(api, self.recorder("endpoint-controller")))
        add(GarbageCollector(api))
        add(KubernetesServiceController(api, self.clock))  # kube-apiserver keeps default/kubernetes
        self.node_lifecycle = add(NodeLifecycleController(api, self.clock, self.recorder("node-controller"),
                                                           self.recorder("taint-eviction-controller")))
        if self.cloud is not None:  # the cloud-controller-manager runs beside the control plane
            controller = ServiceLBController(api, self.clock, self.recorder("service-controller"), self.cloud)
            self.addons.add("cloud-provider", add(controller))

    # ------------------------------------------------------------ time

    @property
    def now(self) -> float:
        """Simulated seconds since the cluster was created."""
        return self.clock.now

    def settle(self) -> None:
        """Run the controllers until nothing changes (no time passes)."""
        self.manager.settle()

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass, firing every timer that falls due.

        Timers due at the same moment fire together, then the controllers settle once: the events of one moment
        reach a controller as one key, as a work queue coalesces the events that arrive before its worker takes
        the key (a Service whose 20 pods become ready in the same second gets one EndpointSlice update).

        Refused before anything moves: a non-number, a negative, infinite or NaN time, more than
        ``MAX_ADVANCE`` seconds in one call (every periodic timer fires on the way, so a year would take
        minutes of real time), or a clock past ``MAX_CLOCK`` (timestamps must stay printable).
        """
        check_advance(seconds, self.clock.now)
        until = self.clock.now + seconds
        self.settle()
        while (timer := self.clock.next_due(until)) is not None:
            while timer is not None:
                timer.callback()
                timer = self.clock.due_with(timer)
            self.settle()
        self.clock.now = until

    # ------------------------------------------------------------ add-ons

    def install(self, name: str, **options) -> str:
        """Install an add-on (``addons.INSTALLERS``), like ``minikube addons enable``."""
        return addons.install(self, name, **options)

    # ------------------------------------------------------------ nodes

    def add_node_agents(self, node_name: str) -> None:
        """Start the kubelet and kube-proxy of a node that just joined."""
        preloaded = bootstrap.PRELOADED_IMAGES if self.cloud is None else ()  # kindest/node's baked-in images
        self._kubelets[node_name] = self.manager.add(Kubelet(node_name, self.api, self.clock,
                                                             self.recorder("kubelet", node_name), preloaded,
                                                             logs=self.logs, programs=self.run_program))
        self._proxies[node_name] = KubeProxy(node_name, self.api.store, self.cluster_cidr,
                                             node_ip=self.node_ip(node_name), renders=self._renders)

    def run_program(self, pod: Pod, container: str, argv: tuple[str, ...]) -> Optional[ProgramRun]:
        """Run ``container``'s command in ``pod`` if it is a program that ends (``programs``); else None."""
        return self.programs.run(self, pod, container, argv) if self.programs is not None else None

    def node_ip(self, name: str) -> str:
        """The node's InternalIP."""
        return self.api.get("Node", "", name).address("InternalIP")

    def node_is_up(self, name: str) -> bool:
        """Whether the node has power (``fail_node`` takes it down)."""
        return name not in self._down

    def fail_node(self, name: str) -> None:
        """Take a node down (power loss): its pods stop answering at once.

        The control plane notices after 50 simulated seconds (the node turns
        NotReady, its pods leave every Service) and evicts the pods after 300
        more, so their ReplicaSets replace them elsewhere. ``advance`` to see it.
        """
        self._node(name)
        if name in self._down:
            return
        self._down.add(name)
        self._kubelets[name].stop()
        self.node_lifecycle.kubelet_stopped(name)

    def recover_node(self, name: str) -> None:
        """Bring a failed node back: its kubelet reports in and finishes what was pending."""
        self._node(name)
        if name not in self._down:
            return
        self._down.discard(name)
        for key in self._kubelets[name].resume():
            self.manager.enqueue(self._kubelets[name], key)
        self.node_lifecycle.kubelet_resumed(name)
        self.settle()

    def kube_proxy(self, node: str) -> KubeProxy:
        """The node's kube-proxy, synced with the API."""
        if node not in self._proxies:
            raise from_status(StatusError("NotFound", f'nodes "{node}" not found', 404))
        proxy = self._proxies[node]
        proxy.sync()
        return proxy

    def _node(self, name: str) -> None:
        try:
            self.api.get("Node", "", name)
        except StatusError as err:
            raise from_status(err) from None

    # ------------------------------------------------------------ what the kubelet writes into pods

    def service_ip(self, index: int) -> str:
        """The ``index``-th address of the Service range: 1 is ``kubernetes``, 10 the cluster DNS (kubeadm's choice)."""
        return str(ipaddress.ip_network(self.service_cidr)[index])

    def resolv_conf(self, pod: Pod) -> coredns.ResolvConf:
        """The ``/etc/resolv.conf`` the kubelet wrote into ``pod`` (``--cluster-dns``: the tenth Service IP)."""
        return coredns.resolv_conf_for(pod, self.service_ip(10))
