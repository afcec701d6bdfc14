"""``TrafficExplorer``: send N requests from a chosen place and see where they land, and why."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import ipywidgets as w

from k8sedu import viz
from k8sedu.widgets.base import Panel, counts_html, failure_reason, note, pre

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster

POLICIES = {"sessionAffinity": ("None", "ClientIP"), "externalTrafficPolicy": ("Cluster", "Local"),
            "internalTrafficPolicy": ("Cluster", "Local")}


class Bars:
    """Requests per pod as horizontal bars, one small figure whose bars change length in place."""

    def __init__(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(4.2, 1.6), dpi=80)
        self.canvas = FigureCanvasAgg(self.figure)
        self.names: tuple = ()
        self.bars = None
        self.values: tuple = ()

    def update(self, counts: dict) -> bool:
        names = tuple(sorted(str(k) if k else "failed" for k in counts))
        values = tuple(counts.get(None if n == "failed" else n, 0) for n in names)
        if (names, values) == (self.names, self.values):
            return False
        if names != self.names:
            self.figure.clear()
            height = 0.6 + 0.28 * max(len(names), 1)
            self.figure.set_size_inches(5.6, height)
            ax = self.figure.add_axes((0.5, 0.35 / height, 0.44, 1 - 0.45 / height))  # room for the tick labels
            self.bars = ax.barh(range(len(names)), values, color=["#D55E00" if n == "failed" else "#0072B2"
                                                                for n in names])
            ax.set_yticks(range(len(names)), names, fontsize=7, family="DejaVu Sans Mono")
            ax.invert_yaxis()
            ax.tick_params(axis="x", labelsize=7)
            self.ax, self.names = ax, names
        for bar, value in zip(self.bars, values):
            bar.set_width(value)
        self.ax.set_xlim(0, max(values + (1,)) * 1.1)
        self.values = values
        return True

    def svg(self) -> bytes:
        return viz.svg_bytes(self.figure)


class TrafficExplorer(Panel):
    """Pick a source, a count and the Service's traffic policies; send.

    The picture's shares are the walker's exact probabilities for one new
    connection from that source; the labels add how many of the requests
    just sent each pod answered, and the bars show the same counts.
    Failures are shown with the reason the model gives (a REJECT with no
    endpoints, a pending load balancer, no route from outside).
    """

    def __init__(self, cluster: "Cluster", service: str, client: str, n: int = 100, namespace: str = "default"):
        super().__init__(cluster, f"service/{service}")
        self.service, self.client, self.namespace = service, client, namespace
        nodes = [f"node/{x.metadata.name}" for x in cluster.list("Node", None)]
        self.source = w.Dropdown(options=[f"pod/{client}"] + nodes + ["vpc", "internet"], description="from",
                                 layout=w.Layout(width="auto"))
        self.n = w.BoundedIntText(value=n, min=1, max=10000, description="requests")
        self.send_button = w.Button(description="send", icon="paper-plane", layout=w.Layout(width="auto"))
        self.policies = {field: w.ToggleButtons(options=options, description=field, style={"description_width": "initial"},
                                                value=self._policy(field) or options[0])
                         for field, options in POLICIES.items()}
        for field, toggle in self.policies.items():
            toggle.observe(lambda change, f=field: self.set_policy(f, change["new"]), names="value")
        self.send_button.on_click(lambda _: self.send())
        self.source.observe(lambda _: self.refresh(), names="value")
        self.bars = Bars()
        self.bar_image = w.Image(format="svg+xml", layout=w.Layout(width="460px", max_width="100%", height="auto"))
        self.counts: dict = {}
        self.last_command = ""

    def controls(self) -> list:
        return [self.source, self.n, self.send_button]

    @property
    def widget(self) -> w.Widget:
        panel = super().widget
        return w.VBox([panel.children[0], w.HBox(list(self.policies.values()), layout=w.Layout(flex_flow="row wrap")),
                       self.text, self.bar_image, panel.children[2]])  # bars below the text: never cut off

    def _policy(self, field: str) -> str:
        spec = self.cluster.get("Service", self.service, self.namespace).spec
        return {"sessionAffinity": spec.session_affinity, "externalTrafficPolicy": spec.external_traffic_policy,
                "internalTrafficPolicy": spec.internal_traffic_policy}[field]

    def set_policy(self, field: str, value: str) -> None:
        """What a policy toggle does: one ``kubectl patch service``; the API server's error if it refuses."""
        self.last_command = self.run(f"patch service {self.service} -n {self.namespace} "
                                     f"-p '{json.dumps({'spec': {field: value}})}'")
        self.counts = {}
        self.refresh()

    def url(self) -> str:
        """Where the chosen source sends: the Service's name from a pod, its ClusterIP from a node, a
        NodePort from the nodes' network, the load balancer (else a NodePort) from the internet."""
        svc = self.cluster.get("Service", self.service, self.namespace)
        port = svc.spec.ports[0]
        source = self.source.value
        if source.startswith("pod/"):
            return f"http://{self.service}:{port.port}/"
        ingress = svc.status.load_balancer.ingress
        if source == "internet" and ingress:
            return f"http://{ingress[0].hostname or ingress[0].ip}:{port.port}/"
        if source in ("vpc", "internet") and port.node_port:
            node = self.cluster.list("Node", None)[-1]
            address = (node.address("ExternalIP") if source == "internet" else "") or node.address("InternalIP")
            return f"http://{address}:{port.node_port}/"
        return f"http://{svc.spec.cluster_ip}:{port.port}/"

    def _where(self) -> dict:
        source = self.source.value
        return {"from_pod": source[4:], "namespace": self.namespace} if source.startswith("pod/") else {"source": source}

    def send(self) -> None:
        """What the button does: send ``n`` requests and count who answered."""
        url = self.url()
        self.counts = dict(self.cluster.send(url, n=self.n.value, **self._where()))
        self.refresh()

    def graph(self):
        source = self.source.value
        where = ({"clients": (source[4:],)} if source.startswith("pod/") else
                 {"nodes": (source[5:],)} if source.startswith("node/") else {"outside": (source,)})
        return viz.traffic_graph(self.cluster.core, self.namespace, **where)

    def refresh(self) -> None:
        url = self.url()
        sent = ""
        if self.counts:
            reason = failure_reason(self.cluster, url, **self._where()) if self.counts.get(None) else ""
            sent = note(f"{sum(self.counts.values())} requests {self.source.value} -> {url}") + counts_html(self.counts, reason)
            if self.bars.update(self.counts):
                self.bar_image.value = self.bars.svg()
        text = self.last_command + pre(f"{self.source.value} -> {url}") + sent
        pods = {k: v for k, v in self.counts.items() if k}
        self.show(text, self.graph(), counts=pods if self.counts else None, title=f"from {self.source.value}")
