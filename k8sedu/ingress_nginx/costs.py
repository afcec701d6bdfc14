"""Why one Ingress: what the cloud bills for N LoadBalancer Services against one ingress controller.

Every Service of type LoadBalancer gets its own cloud load balancer, with its
own public address and its own hourly price (``k8sedu.cloud``). An ingress
controller needs exactly one: its own Service's. Behind it, any number of
Services share that address, told apart by host and path. ``summarize`` counts
what the model's cloud really holds, so a notebook can show the difference
instead of asserting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster

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


def summarize(cluster: "Cluster") -> CloudResources:
    """Return the cloud load balancers of ``cluster``, one per LoadBalancer Service the cloud serves."""
    if cluster.cloud is None:
        return CloudResources("")
    price = cluster.cloud.provider.lb_hourly_usd
    found = tuple(BilledLoadBalancer(lb.name, f"{lb.service[0]}/{lb.service[1]}", lb.hostname or lb.address, price)
                  for lb in sorted(cluster.cloud.load_balancers.values(), key=lambda lb: lb.service))
    return CloudResources(cluster.cloud.provider.name, found)
