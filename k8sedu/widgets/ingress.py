"""``IngressTester``: a host and a path in; the rule the ingress controller matched (or its 404/301) and the pod."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from k8sedu import viz
from k8sedu.ingress_nginx.addon import manifest_for
from k8sedu.widgets.base import Panel, bad, good, pre

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster
    from k8sedu.network import Trace


class IngressTester(Panel):
    """Send one request with a ``Host`` header and a path to the ingress controller, from the internet
    through its load balancer (on kind, from your machine through the node's port 80).

    Shows the controller's decision: the Ingress rule and backend it chose,
    nginx's 404 when nothing matches, its 301 for a missing slash, 503 when
    the backend has no endpoints, and, when no controller runs, why nothing
    answers. The picture highlights the path the request took.
    """

    def __init__(self, cluster: "Cluster", host: str = "", path: str = "/", namespace: str = "default"):
        super().__init__(cluster, "ingress")
        self.namespace = namespace
        self.host = w.Text(value=host, description="Host", placeholder="any host", continuous_update=False)
        self.path = w.Text(value=path, description="path", continuous_update=False)
        self.host.observe(lambda _: self.refresh(), names="value")
        self.path.observe(lambda _: self.refresh(), names="value")
        self.trace: "Trace | None" = None

    def controls(self) -> list:
        return [self.host, self.path]

    def entry(self) -> tuple[str, str]:
        """(address, source) to reach the controller: its Service's load balancer from the internet; on kind
        with the ingress port mappings, localhost from your machine; else its NodePort from the nodes' network."""
        svc = self.cluster.core.api.try_get("Service", "ingress-nginx", "ingress-nginx-controller")
        ingress = svc.status.load_balancer.ingress if svc else ()
        if ingress:
            return ingress[0].hostname or ingress[0].ip, "internet"
        if manifest_for(self.cluster.core) == "kind":
            return "localhost", "host"
        node = self._controller_node()
        ports = svc.spec.ports if svc else ()
        return (f"{node}:{ports[0].node_port}" if ports and ports[0].node_port else node), "vpc"

    def _controller_node(self) -> str:
        """The address of a node that runs a controller pod (its Service has externalTrafficPolicy: Local, so
        other nodes drop NodePort traffic), else of the last node."""
        pods = self.cluster.list("Pod", "ingress-nginx", {"app.kubernetes.io/component": "controller"})
        names = {p.spec.node_name for p in pods if p.status.phase == "Running"}
        nodes = self.cluster.list("Node", None)
        chosen = next((n for n in nodes if n.metadata.name in names), nodes[-1])
        return chosen.address("InternalIP")

    def request(self) -> "Trace":
        """One request to the controller, with the Host header if one is given."""
        address, source = self.entry()
        path = self.path.value if self.path.value.startswith("/") else "/" + self.path.value
        headers = {"Host": self.host.value} if self.host.value else None
        return self.cluster.request(f"http://{address}{path}", source=source, headers=headers)

    def decision(self, trace: "Trace") -> str:
        """The controller's hops, or why the request never reached one."""
        hops = [h for h in trace.hops if h.component.startswith("ingress-nginx")]
        return "\n".join(f"[{h.component}] {h.action}: {h.detail}" for h in hops)

    def refresh(self) -> None:
        self.trace = trace = self.request()
        decided = self.decision(trace)
        head = (good(f"HTTP {trace.status} from {trace.server}") if trace.ok and trace.status < 400
                else bad(f"HTTP {trace.status}: {trace.reason or trace.body.strip()[:120]}") if trace.ok
                else bad(f"failed: {trace.reason}"))
        text = pre(f"$ curl{f' -H {chr(39)}Host: {self.host.value}{chr(39)}' if self.host.value else ''} {trace.url}") + head
        text += pre(decided) if decided else ""
        outside = "internet" if trace.source == "internet" else "vpc"
        graph = viz.traffic_graph(self.cluster.core, self.namespace, nodes=(), outside=(outside,))
        self.show(text, graph, highlight=viz.trace_path(graph, trace), title=f"{self.host.value or '*'}{self.path.value}")
