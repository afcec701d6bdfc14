"""MetalLB: LoadBalancer Services on a cluster with no cloud (layer 2 mode).

Mirrors MetalLB's two parts. The *controller* watches Services of type
LoadBalancer and assigns each an address from the configured pool (an
``IPAddressPool``; here the ``addresses=`` range given to
``cluster.install("metallb", addresses="172.18.255.200-172.18.255.250")``),
writing ``status.loadBalancer.ingress``. A *speaker* pod runs on every node
(DaemonSet ``speaker``, on the node's network); the speaker on one node answers ARP
for that address, so every connection to it arrives at that node, where
kube-proxy's "loadbalancer IP" rule takes over. For a Service with
``externalTrafficPolicy: Local`` only nodes with a ready local endpoint are
candidates (MetalLB's ``layer2_controller.go`` ``ShouldAnnounce``), since
kube-proxy drops that traffic anywhere else. The pool is on the nodes'
network: reachable from machines on that network, not from the internet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
from typing import TYPE_CHECKING, Any, Optional

from k8sedu.apiserver import APIServer
from k8sedu.clock import Clock
from k8sedu.cloud import LoadBalancer
from k8sedu.controllers.base import Controller, Result, Watch, own_key
from k8sedu.errors import KubectlError
from k8sedu.events import Recorder
from k8sedu.objects import (Container, ContainerPort, DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec,
                            LabelSelector, LoadBalancerIngress, LoadBalancerStatus, Namespace, ObjectMeta, PodSpec,
                            PodTemplateSpec, ServiceStatus, Taint, frozen)
from k8sedu.protocols import Addon

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

NAMESPACE = "metallb-system"
VERSION = "v0.14.9"
IMAGE = f"quay.io/metallb/controller:{VERSION}"
SPEAKER_IMAGE = f"quay.io/metallb/speaker:{VERSION}"
LINUX = frozen({"kubernetes.io/os": "linux"})


def parse_pool(addresses: str) -> list[tuple[int, int, int]]:
    """Read an IPAddressPool's ``addresses``: ranges (``a-b``) and CIDRs, comma-separated, IPv4 or IPv6.

    Returns ``(IP version, first, last)`` per entry, as integers: a pool is never enumerated, so ``10.0.0.0/8``
    or ``fc00::/64`` cost nothing until an address is handed out. As MetalLB (``avoidBuggyIPs: false``), a CIDR's
    first and last addresses are usable too.

    Examples
    --------
    >>> parse_pool("172.18.255.200-172.18.255.202")
    [(4, 2886926280, 2886926282)]
    >>> [(v, hi - lo + 1) for v, lo, hi in parse_pool("10.0.0.0/8, fc00::/64")]
    [(4, 16777216), (6, 18446744073709551616)]
    >>> parse_pool("10.0.0.1-fc00::1")
    Traceback (most recent call last):
    ...
    ValueError: invalid IP range "10.0.0.1-fc00::1": the start and the end are of different IP families
    """
    found = []
    for entry in (part.strip() for part in addresses.split(",")):
        if "-" in entry:
            low, high = (ipaddress.ip_address(part.strip()) for part in entry.split("-", 1))
            if low.version != high.version:
                raise ValueError(f'invalid IP range "{entry}": the start and the end are of different IP families')
            if high < low:
                raise ValueError(f"invalid address range {entry}: the end is before the start")
            found.append((low.version, int(low), int(high)))
        else:
            net = ipaddress.ip_network(entry, strict=False)
            found.append((net.version, int(net.network_address), int(net.broadcast_address)))
    return found


class AddressPool:
    """The addresses MetalLB may hand out, allocated lazily, lowest first; a released address is reused first.

    The model's Services are single-stack IPv4, so only the pool's IPv4 ranges serve them.

    >>> pool = AddressPool(parse_pool("fc00::/64,10.0.0.0/8"))
    >>> pool.take(), pool.take()
    ('10.0.0.0', '10.0.0.1')
    >>> pool.give_back("10.0.0.0"); pool.take()
    '10.0.0.0'
    """

    def __init__(self, ranges: list[tuple[int, int, int]]):
        self.ranges = ranges
        self._next = [low for _, low, _ in ranges]
        self._returned: list[str] = []

    def take(self) -> Optional[str]:
        """The next free IPv4 address, or None when every IPv4 range is used up."""
        if self._returned:
            return self._returned.pop(0)
        for i, (version, _, high) in enumerate(self.ranges):
            if version == 4 and self._next[i] <= high:
                self._next[i] += 1
                return str(ipaddress.IPv4Address(self._next[i] - 1))
        return None

    def give_back(self, address: str) -> None:
        """A Service released ``address``: hand it out next."""
        self._returned.insert(0, address)


class MetalLBController(Controller, Addon):
    """MetalLB's controller and speakers, reconciling one LoadBalancer Service at a time."""

    name = "metallb-controller"

    def __init__(self, api: APIServer, clock: Clock, controller: Recorder, speaker: Recorder, pool: AddressPool,
                 load_balancers: dict):
        self.api = api
        self.clock = clock
        self.controller = controller
        self.speaker = speaker
        self.free = pool
        self.load_balancers_by_service = load_balancers

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Service", own_key), Watch("EndpointSlice", _slice_service))

    # what the add-on declares (k8sedu.protocols.Addon)
    export_note = ("# This cluster ran MetalLB. Install it first (on kind), then add an IPAddressPool:\n"
                   "#   kubectl apply -f https://raw.githubusercontent.com/metallb/metallb/v0.14.9/"
                   "config/manifests/metallb-native.yaml\n")

    def installed(self, obj: Any) -> bool:
        return obj.metadata.namespace == NAMESPACE or (obj.kind == "Namespace" and obj.metadata.name == NAMESPACE)

    def load_balancers(self) -> list[LoadBalancer]:
        return list(self.load_balancers_by_service.values())

    def reconcile(self, key) -> Optional[Result]:
        svc = self.api.try_get("Service", *key)
        lb = self.load_balancers_by_service.get(key)
        if svc is None or svc.spec.type != "LoadBalancer":
            if lb is not None:
                self.free.give_back(lb.address)
                del self.load_balancers_by_service[key]
            return None
        if lb is None:
            address = self.free.take()
            if address is None:
                self.controller.event(svc, "AllocationFailed",
                                      f'Failed to allocate IP for "{key[0]}/{key[1]}": no available IPs',
                                      type="Warning")
                return None
            lb = self._assign(svc, key, address)
        announcer = self._announcer(svc, lb.address)
        if announcer != lb.announcing_node:
            lb.announcing_node = announcer
            self.speaker.event(svc, "nodeAssigned", f'announcing from node "{announcer}" with protocol "layer2"')
        status = ServiceStatus(LoadBalancerStatus((LoadBalancerIngress(ip=lb.address, ip_mode="VIP"),)))
        if svc.status != status:
            self.api.update(dataclasses.replace(svc, status=status))
        return None

    def _assign(self, svc, key, address: str) -> LoadBalancer:
        lb = LoadBalancer(f"metallb/{address}", key, address, self.clock.now, forwards_to_node_port=False,
                          internet_reachable=False, kind="MetalLB (layer 2)")
        self.load_balancers_by_service[key] = lb
        self.controller.event(svc, "IPAllocated", f'Assigned IP ["{address}"]')
        return lb

    def _announcer(self, svc, address: str) -> str:
        """The node whose speaker wins the address: a hash order over the candidates, as memberlist agrees."""
        nodes = [n.metadata.name for n in self.api.list("Node")]
        if svc.spec.external_traffic_policy == "Local":
            slices = self.api.store.select("EndpointSlice", svc.metadata.namespace,
                                           {"kubernetes.io/service-name": svc.metadata.name})
            local = {e.node_name for s in slices for e in s.endpoints if e.conditions.ready is not False}
            nodes = [n for n in nodes if n in local] or nodes
        return min(nodes, key=lambda n: hashlib.sha256(f"{n}#{address}".encode()).hexdigest())


def install(core: "Model", addresses: str = "") -> str:
    """``cluster.install("metallb", addresses=...)``: the metallb-system namespace, its controller, the pool."""
    if not addresses:
        raise KubectlError('error: MetalLB needs an address pool: install("metallb", '
                           'addresses="172.18.255.200-172.18.255.250")')
    if core.cloud is not None:
        raise KubectlError("error: MetalLB is for clusters without a cloud provider: "
                           f"{core.cloud.provider.name} already provisions load balancers")
    if "metallb" in core.addons:
        raise KubectlError("error: metallb is already installed")
    try:
        pool = AddressPool(parse_pool(addresses))
    except ValueError as err:
        raise KubectlError(f"error: invalid MetalLB address pool {addresses!r}: {err}") from None
    controller = MetalLBController(core.api, core.clock, core.recorder("metallb-controller"),
                                   core.recorder("metallb-speaker"), pool, {})
    core.addons.add("metallb", core.manager.add(controller))
    for svc in core.api.list("Service"):
        core.manager.enqueue(controller, (svc.metadata.namespace, svc.metadata.name))
    core.api.create(Namespace(ObjectMeta(name=NAMESPACE)))
    _controller_deployment(core)
    _speaker_daemonset(core)
    core.settle()
    return ("namespace/metallb-system created\ndeployment.apps/controller created\ndaemonset.apps/speaker created\n"
            f"ipaddresspool.metallb.io/default-pool created ({addresses})\n"
            "l2advertisement.metallb.io/default created")


def _controller_deployment(core: "Model") -> None:
    """metallb-native.yaml (v0.14.9): Deployment ``controller``, one replica, the address allocator."""
    labels = frozen({"app": "metallb", "component": "controller"})
    template = PodTemplateSpec(ObjectMeta(labels=labels), PodSpec(containers=(
        Container("controller", IMAGE, (ContainerPort(7472, "monitoring"), ContainerPort(9443, "webhook-server"))),),
        node_selector=LINUX))
    core.api.create(Deployment(ObjectMeta(name="controller", namespace=NAMESPACE, labels=labels),
                               DeploymentSpec(LabelSelector(labels), template, replicas=1)))


def _speaker_daemonset(core: "Model") -> None:
    """metallb-native.yaml (v0.14.9): DaemonSet ``speaker``, one per node on the node's network (it answers
    ARP for the addresses it announces), tolerating the control plane's taint so every node can announce."""
    labels = frozen({"app": "metallb", "component": "speaker"})
    ports = (ContainerPort(7472, "monitoring"), ContainerPort(7946, "memberlist-tcp"),
             ContainerPort(7946, "memberlist-udp", "UDP"))
    spec = PodSpec(containers=(Container("speaker", SPEAKER_IMAGE, ports),), host_network=True, node_selector=LINUX,
                   termination_grace_period_seconds=2,
                   tolerations=(Taint("node-role.kubernetes.io/master", "NoSchedule"),
                                Taint("node-role.kubernetes.io/control-plane", "NoSchedule")))
    core.api.create(DaemonSet(ObjectMeta(name="speaker", namespace=NAMESPACE, labels=labels),
                              DaemonSetSpec(LabelSelector(labels), PodTemplateSpec(ObjectMeta(labels=labels), spec))))


def _slice_service(event):
    name = event.object.metadata.labels.get("kubernetes.io/service-name")
    return ((event.object.metadata.namespace, name),) if name else ()
