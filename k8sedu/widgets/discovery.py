"""``ServiceDiscoveryPanel`` (notebook 05): scale, resolve the Service's name, send traffic; built from the others."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from k8sedu.network.trace import parse_url
from k8sedu.widgets.base import counts_html, failure_reason, note, pre
from k8sedu.widgets.dns import DnsExplorer
from k8sedu.widgets.scale import ScaleDeployment

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster


class ServiceDiscoveryPanel(ScaleDeployment):
    """A ``ScaleDeployment`` slider, a ``DnsExplorer`` name box and a send button, over one client pod.

    ``panel.replicas.value = 3`` does what the slider does; ``panel.send()``
    what the button does. Sending shows who answered and, for failures, the
    model's reason (with no endpoints, the filter table's REJECT).
    """

    def __init__(self, cluster: "Cluster", deployment: str, service_url: str, client_pod: str,
                 settle_seconds: int = 10, requests: int = 100):
        super().__init__(cluster, deployment, client=client_pod, seconds=settle_seconds)
        self.url, self.requests = service_url, requests
        self.dns = DnsExplorer(cluster, parse_url(service_url).host, client_pod)
        self.send_button = w.Button(description=f"send {requests} requests", icon="paper-plane",
                                    layout=w.Layout(width="auto"))
        self.send_button.on_click(lambda _: self.send())
        self.counts: dict = {}

    def controls(self) -> list:
        return [self.replicas, self.send_button]

    @property
    def widget(self) -> w.Widget:
        panel = super().widget
        return w.VBox([panel.children[0], self.dns.widget, self.text, panel.children[2]])

    def scale(self, replicas: int) -> None:
        self.counts = {}
        super().scale(replicas)

    def send(self) -> None:
        self.counts = dict(self.cluster.send(self.url, n=self.requests, from_pod=self.client))
        self.refresh()

    def summary(self) -> str:
        """The text the panel shows: the endpoints, then who answered the last requests and why not."""
        service = parse_url(self.url).host.split(".")[0]
        text = self.last_command + pre(self.cluster.kubectl(f"get endpoints {service}"))
        if self.counts:
            reason = failure_reason(self.cluster, self.url, from_pod=self.client) if self.counts.get(None) else ""
            text += note(f"{sum(self.counts.values())} requests from {self.client}") + counts_html(self.counts, reason)
        return text

    def refresh(self) -> None:
        states = self._states()
        self.frames.append((self.cluster.now, states))
        pods = {k: v for k, v in self.counts.items() if k}
        self.show(self.summary(), self.graph(), counts=pods if self.counts else None,
                  title=f"t = {self.cluster.now:.0f} s")
        self.dns.refresh()
