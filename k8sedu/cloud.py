"""The cloud around a cluster: providers, the VPC firewall and cloud load balancers.

Mirrors what a cloud provider's cloud-controller-manager does for networking
(k8s.io/cloud-provider ``controllers/service``): for each Service of type
LoadBalancer it provisions a load balancer outside the cluster, waits until it
is ready (a realistic delay), then writes its address into
``status.loadBalancer.ingress`` (an IP, or a DNS hostname on AWS), which is
what fills ``kubectl get svc``'s EXTERNAL-IP. Deleting the Service, or changing
its type, deletes the load balancer. Each load balancer is a billed resource: ``bill`` says what the cloud charges for them.

Without a cloud provider (kind, minikube), nothing runs this controller, so a
LoadBalancer Service stays ``<pending>`` forever; MetalLB
(``cluster.install("metallb", addresses=...)``) or ``minikube tunnel`` fill
the gap.

Public addresses in the model come from the documentation ranges
(RFC 5737: ``192.0.2.0/24``, ``198.51.100.0/24``, ``203.0.113.0/24``); real
clouds hand out ordinary public IPs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.clock import Clock
from k8sedu.controllers.base import Controller, Result, Watch, own_key
from k8sedu.events import Recorder
from k8sedu.objects import LoadBalancerIngress, LoadBalancerStatus, NodeSystemInfo, Service, ServiceStatus
from k8sedu.protocols import Addon

INTERNET_CLIENT_IP = "192.0.2.77"


@dataclass(frozen=True)
class Provider:
    """What differs between clouds, as far as Service networking goes."""

    name: str
    vpc_cidr: str
    node_prefix: str
    lb_delay_seconds: float
    lb_hostname: bool  # AWS ELBs are reached by DNS name, GCP/Azure by IP
    lb_forwards_to_node_port: bool  # instance-target ELBs send to NodePorts; GCP/Azure keep the LB IP
    lb_hourly_usd: float  # list price of one load balancer, before traffic charges
    vpc_client_ip: str
    node_info: NodeSystemInfo = NodeSystemInfo()  # what `kubectl get nodes -o wide` shows (typical 1.32 images)
    service_cidr: str = "10.96.0.0/16"  # the managed cluster's Service range (kubernetes at .1, DNS at .10)
    pod_cidr: str = "10.244.0.0/16"  # where pod IPs come from (the model gives each node a /24 of it)
    pods_vpc_routable: bool = False  # are pod IPs addresses of the VPC itself (EKS VPC CNI, GKE alias IPs)?
    cni: str = ""  # what gives pods their IPs, in a phrase for explanations
    dns: str = "coredns"  # the cluster DNS Deployment behind the kube-dns Service (GKE Standard: kube-dns)
    veth_gateway: bool = True  # ptp/bridge CNIs put the podCIDR's .1 on the node's side; EKS's VPC CNI does not

    def node_name(self, index: int, ip: str) -> str:
        if self.name == "aws":
            return f"ip-{ip.replace('.', '-')}.ec2.internal"
        if self.name == "gcp":
            return f"gke-k8sedu-default-pool-3f2b9c1d-{'abcdefgh'[index % 8]}{index:03d}"
        return f"aks-nodepool1-31415926-vmss{index:06d}"


PROVIDERS = {
    # EKS: the VPC CNI gives each pod a secondary IP of the VPC; the Service range is 172.20.0.0/16 because
    # the VPC is in 10/8 (else 10.100.0.0/16: the EKS AMI's bootstrap.sh picks the DNS IP the same way).
    "aws": Provider("aws", "10.0.0.0/16", "10.0.1.", 90.0, True, True, 0.0225, "10.0.0.100", NodeSystemInfo(
        "v1.32.1-eks-5d632ec", "Amazon Linux 2023.6.20250203", "6.1.127-135.201.amzn2023.x86_64",
        "containerd://1.7.25"), service_cidr="172.20.0.0/16", pod_cidr="10.0.128.0/17", pods_vpc_routable=True,
        cni="the Amazon VPC CNI", veth_gateway=False),
    # GKE VPC-native: pods get alias IPs from the subnet's secondary range; Services use the GKE-managed
    # 34.118.224.0/20; GKE Standard runs kube-dns, not CoreDNS.
    "gcp": Provider("gcp", "10.128.0.0/20", "10.128.0.", 45.0, False, False, 0.025, "10.128.0.100", NodeSystemInfo(
        "v1.32.2-gke.1182003", "Container-Optimized OS from Google", "6.6.72+", "containerd://1.7.24"),
        service_cidr="34.118.224.0/20", pod_cidr="10.4.0.0/14", pods_vpc_routable=True,
        cni="GKE's VPC-native alias IP ranges", dns="kube-dns"),
    # AKS (Azure CNI Overlay, or kubenet): pods use 10.244.0.0/16, which the VNet does not route; Services
    # 10.0.0.0/16 with the DNS at 10.0.0.10.
    "azure": Provider("azure", "10.224.0.0/16", "10.224.0.", 30.0, False, False, 0.025, "10.224.0.100",
                      NodeSystemInfo("v1.32.2", "Ubuntu 22.04.5 LTS", "5.15.0-1081-azure", "containerd://1.7.25-1"),
                      service_cidr="10.0.0.0/16", cni="Azure CNI Overlay (or kubenet)"),
}


@dataclass
class LoadBalancer:
    """One load balancer, owned by one Service: a cloud LB, or an address MetalLB announces."""

    name: str
    service: tuple[str, str]
    address: str
    ready_at: float
    hostname: str = ""
    forwards_to_node_port: bool = True
    internet_reachable: bool = True
    kind: str = "cloud load balancer"
    announcing_node: str = ""  # MetalLB layer 2: the one node that answers ARP for the address

    @property
    def ingress(self) -> LoadBalancerIngress:
        if self.hostname:
            return LoadBalancerIngress(hostname=self.hostname)
        return LoadBalancerIngress(ip=self.address, ip_mode="VIP")


@dataclass(frozen=True)
class FirewallRule:
    """A VPC firewall rule (a security group rule on AWS) allowing traffic to the nodes."""

    name: str
    protocol: str
    ports: tuple[int, int]
    sources: tuple[str, ...]

    def allows(self, protocol: str, port: int, source_ip: str) -> bool:
        return (self.protocol == protocol.lower() and self.ports[0] <= port <= self.ports[1]
                and any(ipaddress.ip_address(source_ip) in ipaddress.ip_network(s) for s in self.sources))

    def __str__(self) -> str:
        low, high = self.ports
        span = str(low) if low == high else f"{low}-{high}"
        return f"{self.name}: allow {self.protocol}:{span} from {','.join(self.sources)}"


@dataclass
class Firewall:
    """The cloud firewall in front of the nodes' public addresses.

    Traffic from inside the VPC is allowed; from the internet only what a rule
    allows. ``allow("tcp:30000-32767", source="0.0.0.0/0")`` is what
    ``gcloud compute firewall-rules create --allow tcp:30000-32767`` or an AWS
    security group rule does.
    """

    vpc_cidr: str
    rules: list[FirewallRule] = field(default_factory=list)

    def allow(self, ports: str, source: str = "0.0.0.0/0", name: str = "") -> FirewallRule:
        """Open ``ports`` (``"tcp:30080"`` or ``"tcp:30000-32767"``) to ``source``."""
        protocol, _, span = ports.partition(":")
        low, _, high = span.partition("-")
        if protocol not in ("tcp", "udp") or not low.isdigit() or (high and not high.isdigit()):
            raise ValueError(f'invalid ports "{ports}": use "tcp:PORT" or "tcp:LOW-HIGH"')
        ipaddress.ip_network(source)
        rule = FirewallRule(name or f"allow-{protocol}-{span}", protocol, (int(low), int(high or low)), (source,))
        self.rules.append(rule)
        return rule

    def remove(self, name: str) -> None:
        self.rules[:] = [r for r in self.rules if r.name != name]

    def decide(self, protocol: str, port: int, source_ip: str) -> Optional[FirewallRule]:
        """Return the rule that lets the packet in, or None if it is dropped."""
        if ipaddress.ip_address(source_ip) in ipaddress.ip_network(self.vpc_cidr):
            return FirewallRule("vpc-internal", protocol.lower(), (1, 65535), (self.vpc_cidr,))
        return next((r for r in self.rules if r.allows(protocol, port, source_ip)), None)


class Cloud:
    """The provider's side: load balancers, public addresses and the firewall."""

    def __init__(self, provider: Provider):
        self.provider = provider
        self.firewall = Firewall(provider.vpc_cidr)
        self.load_balancers: dict[tuple[str, str], LoadBalancer] = {}
        self._public = ipaddress.ip_network("198.51.100.0/24").hosts()

    def new_address(self) -> str:
        return str(next(self._public))

    def lb_by_address(self, address: str) -> Optional[LoadBalancer]:
        return next((lb for lb in self.load_balancers.values() if address in (lb.address, lb.hostname)), None)

    def hourly_cost(self) -> float:
        """What the load balancers cost per hour, at list price."""
        return len(self.load_balancers) * self.provider.lb_hourly_usd


# ---------------------------------------------------------------- billing

HOURS_PER_MONTH = 730  # the cloud providers' billing month


@dataclass(frozen=True)
class BilledLoadBalancer:
    name: str
    service: str  # namespace/name
    address: str  # IP, or the DNS name AWS gives
    hourly_usd: float


@dataclass(frozen=True)
class CloudResources:
    """The cloud load balancers a cluster pays for, from the model's own state."""

    provider: str  # "aws", "gcp", "azure", or "" for a local cluster
    load_balancers: tuple[BilledLoadBalancer, ...] = ()

    @property
    def count(self) -> int:
        return len(self.load_balancers)

    @property
    def external_ips(self) -> tuple[str, ...]:
        """The public addresses those load balancers hold (one each)."""
        return tuple(lb.address for lb in self.load_balancers)

    @property
    def hourly_usd(self) -> float:
        return round(sum(lb.hourly_usd for lb in self.load_balancers), 6)

    @property
    def monthly_usd(self) -> float:
        return round(self.hourly_usd * HOURS_PER_MONTH, 2)

    def __str__(self) -> str:
        if not self.provider:
            return "no cloud provider: a local cluster has no cloud load balancers to pay for"
        rows = [("LOAD BALANCER", "SERVICE", "ADDRESS", "USD/HOUR")]
        rows += [(lb.name, lb.service, lb.address, f"{lb.hourly_usd:.4f}") for lb in self.load_balancers]
        widths = [max(len(r[i]) for r in rows) + 3 for i in range(3)]
        lines = ["".join(c.ljust(w) for c, w in zip(r, widths)) + r[3] for r in rows]
        total = (f"{self.count} load balancer{'s' * (self.count != 1)}, {len(self.external_ips)} external "
                 f"address{'es' * (len(self.external_ips) != 1)}: {self.hourly_usd:.4f} USD/hour, about "
                 f"{self.monthly_usd:.2f} USD/month at {self.provider} list prices (traffic not included)")
        return "\n".join(lines + [total])


def bill(cloud: Optional[Cloud]) -> CloudResources:
    """Return what ``cloud`` bills: one load balancer per LoadBalancer Service it serves (none without a cloud).

    Every LoadBalancer Service gets its own; an ingress controller needs only
    its own Service's, so N Services behind one Ingress cost one.
    """
    if cloud is None:
        return CloudResources("")
    price = cloud.provider.lb_hourly_usd
    found = tuple(BilledLoadBalancer(lb.name, f"{lb.service[0]}/{lb.service[1]}", lb.hostname or lb.address, price)
                  for lb in sorted(cloud.load_balancers.values(), key=lambda lb: lb.service))
    return CloudResources(cloud.provider.name, found)


# ---------------------------------------------------------------- the service controller

def vpc_client_ip(cloud: Optional[Cloud]) -> str:
    """The address of a machine on the nodes' network: in the cloud's VPC, or the host next to a kind cluster."""
    return cloud.provider.vpc_client_ip if cloud is not None else "172.18.0.1"


def lb_name(svc: Service) -> str:
    """The cloud name of a Service's load balancer: ``a`` + its uid without dashes, as the AWS provider does."""
    return "a" + svc.metadata.uid.replace("-", "")[:31]


class ServiceLBController(Controller, Addon):
    """cloud-controller-manager's service controller: one cloud LB per LoadBalancer Service."""

    name = "service-lb-controller"

    def __init__(self, api: APIServer, clock: Clock, recorder: Recorder, cloud: Cloud):
        self.api = api
        self.clock = clock
        self.recorder = recorder
        self.cloud = cloud

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Service", own_key),)

    # what the add-on declares (k8sedu.protocols.Addon): the cloud's load balancers lead to the nodes
    def load_balancers(self) -> list[LoadBalancer]:
        return list(self.cloud.load_balancers.values())

    def reconcile(self, key) -> Optional[Result]:
        svc = self.api.try_get("Service", *key)
        wanted = svc is not None and svc.spec.type == "LoadBalancer" and not svc.spec.load_balancer_class
        lb = self.cloud.load_balancers.get(key)
        if not wanted:
            if lb is not None:
                del self.cloud.load_balancers[key]
                if svc is not None:
                    self.recorder.event(svc, "DeletedLoadBalancer", "Deleted load balancer")
            return None
        if lb is None:
            lb = self._create(svc)
        if self.clock.now < lb.ready_at:
            return Result(requeue_after=lb.ready_at - self.clock.now)
        self._write_status(svc, lb)
        return None

    def _create(self, svc: Service) -> LoadBalancer:
        provider = self.cloud.provider
        name = lb_name(svc)
        hostname = ""
        if provider.lb_hostname:
            digest = hashlib.sha256(name.encode()).hexdigest()[:10]
            hostname = f"{name}-{int(digest, 16) % 10**10}.us-east-1.elb.amazonaws.com"
        lb = LoadBalancer(name, (svc.metadata.namespace, svc.metadata.name), self.cloud.new_address(),
                          self.clock.now + provider.lb_delay_seconds, hostname,
                          forwards_to_node_port=provider.lb_forwards_to_node_port)
        self.cloud.load_balancers[lb.service] = lb
        self.recorder.event(svc, "EnsuringLoadBalancer", "Ensuring load balancer")
        return lb

    def _write_status(self, svc: Service, lb: LoadBalancer) -> None:
        status = ServiceStatus(LoadBalancerStatus((lb.ingress,)))
        if svc.status != status:
            self.api.update(dataclasses.replace(svc, status=status))
            self.recorder.event(svc, "EnsuredLoadBalancer", "Ensured load balancer")
