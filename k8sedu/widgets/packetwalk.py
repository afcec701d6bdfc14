"""``PacketWalk``: step through one request hop by hop, the current hop lit on the graph and in the list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import ipywidgets as w

from k8sedu import viz
from k8sedu.widgets.base import Panel, bad, good, pre

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster


class PacketWalk(Panel):
    """One request (``cluster.request(url, ...)``), shown one hop at a time.

    The slider (or the buttons) moves the current hop: DNS, the load
    balancer, the node, each iptables chain the packet passed and the rule
    that DNATed it, the routing to the pod's node, the pod. The hop list on
    the right and the traffic graph both light the current hop; "new
    request" sends another one (a new coin toss in kube-proxy's rules).
    """

    def __init__(self, cluster: "Cluster", url: str, from_pod: Optional[str] = None, source: Optional[str] = None,
                 namespace: str = "default"):
        super().__init__(cluster, "one request")
        self.url, self.namespace = url, namespace
        self.where = {"from_pod": from_pod, "namespace": namespace} if from_pod else {"source": source}
        self.hops = viz.TraceFigure()
        self.hop_image = w.Image(format="svg+xml", layout=w.Layout(max_width="100%"))
        self.step = w.IntSlider(value=1, min=1, max=1, description="hop", continuous_update=True)
        self.back = w.Button(description="previous", icon="arrow-left")
        self.forward = w.Button(description="next", icon="arrow-right")
        self.again = w.Button(description="new request", icon="refresh")
        self.step.observe(lambda _: self.refresh(), names="value")
        self.back.on_click(lambda _: self.move(-1))
        self.forward.on_click(lambda _: self.move(1))
        self.again.on_click(lambda _: self.new_request())
        self.trace = None
        self.new_request()

    def controls(self) -> list:
        return [self.back, self.step, self.forward, self.again]

    @property
    def widget(self) -> w.Widget:
        panel = super().widget
        return w.VBox([panel.children[0], self.text, self.hop_image, panel.children[2]])

    def new_request(self) -> None:
        self.trace = self.cluster.request(self.url, **self.where)
        self.step.max = len(self.trace.hops)
        self.step.value = 1
        self.refresh()

    def move(self, delta: int) -> None:
        self.step.value = min(max(self.step.value + delta, 1), self.step.max)

    def graph(self):
        where = ({"clients": (self.where["from_pod"],)} if "from_pod" in self.where
                 else {"nodes": (self.where["source"][5:],)} if self.where["source"].startswith("node/")
                 else {"nodes": (), "outside": (self.where["source"],)})
        return viz.traffic_graph(self.cluster.core, self.namespace, **where)

    def refresh(self) -> None:
        if self.trace is None:
            return
        index = self.step.value - 1
        hop = self.trace.hops[index]
        if self.hops.update(self.trace, index):
            self.hop_image.value = self.hops.svg()
        graph = self.graph()
        lit = viz.hop_nodes(graph, self.trace, index)
        end = (good(f"{self.trace.status} from {self.trace.server}") if self.trace.ok
               else bad(f"failed: {self.trace.reason}"))
        rules = "\n".join(hop.rules)
        text = (pre(f"hop {index + 1} of {len(self.trace.hops)}: [{hop.component}] {hop.action}\n{hop.detail}"
                    + (f"\n\nrules it matched:\n{rules}" if rules else "")) + end)
        self.show(text, graph, highlight=lit | (viz.trace_path(graph, self.trace) if not lit else set()),
                  title=f"hop {index + 1}: {hop.component}")
