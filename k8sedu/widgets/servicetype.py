"""``ServiceTypeSwitcher``: switch a Service's type and see what exists, and who can reach it, and why not."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Optional

import ipywidgets as w

from k8sedu import load_balancers, viz
from k8sedu.widgets.base import GREEN, RED, Panel, note, pre, table

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster

TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")


class ServiceTypeSwitcher(Panel):
    """Toggle buttons for ``spec.type``; each switch is one ``kubectl patch service``.

    Shows what exists for the type (the ClusterIP always, the NodePort on
    every node, the load balancer's address or ``<pending>`` with the
    reason, the CNAME of an ExternalName), then a table: for each source (a
    pod, a node, a machine on the nodes' network, the internet) and each
    address it could use, whether a request gets through, else the model's
    reason. ``reachability()`` returns that table as data.
    """

    def __init__(self, cluster: "Cluster", service: str, client: str, namespace: str = "default",
                 external_name: str = "example.com", settle_seconds: float = 10):
        super().__init__(cluster, f"service/{service}")
        self.service, self.client, self.namespace = service, client, namespace
        self.external_name, self.settle_seconds = external_name, settle_seconds
        current = cluster.get("Service", service, namespace).spec.type
        self.type = w.ToggleButtons(options=TYPES, value=current, description="type")
        self.type.observe(lambda change: self.switch(change["new"]), names="value")
        self.last_command = ""

    def controls(self) -> list:
        return [self.type]

    def switch(self, kind: str) -> None:
        """What a button does: patch the type (an ExternalName also gets its target), let time pass."""
        spec = {"type": kind} | ({"externalName": self.external_name} if kind == "ExternalName" else {})
        self.last_command = self.run(f"patch service {self.service} -n {self.namespace} -p '{json.dumps({'spec': spec})}'")
        self.cluster.advance(self.settle_seconds)
        self.refresh()

    def exists(self) -> list[str]:
        """What the type made exist, one line each."""
        svc = self.cluster.get("Service", self.service, self.namespace)
        if svc.spec.type == "ExternalName":
            return [f"no ClusterIP, no endpoints, no kube-proxy rules: DNS answers with a CNAME to {svc.spec.external_name}"]
        port = svc.spec.ports[0]
        lines = [f"ClusterIP {svc.spec.cluster_ip}:{port.port} (every type but ExternalName has one)"]
        if port.node_port:
            nodes = ", ".join(f"{ip}:{port.node_port}" for ip in self._node_ips())
            lines.append(f"NodePort {port.node_port} open on every node: {nodes}")
        if svc.spec.type == "LoadBalancer":
            ingress = svc.status.load_balancer.ingress
            lines.append(f"load balancer {ingress[0].hostname or ingress[0].ip} -> the NodePort on each node" if ingress
                         else f"EXTERNAL-IP <pending>: {load_balancers.why_pending(self.cluster.core, svc)}")
        return lines

    def _node_ips(self) -> list[str]:
        return [n.address("InternalIP") for n in self.cluster.list("Node", None)]

    def _targets(self) -> list[tuple[str, dict, str]]:
        """(who, how request() is called, URL) for each source and each address it could use."""
        svc = self.cluster.get("Service", self.service, self.namespace)
        port = svc.spec.ports[0]
        node = self.cluster.list("Node", None)[-1]
        pod = {"from_pod": self.client, "namespace": self.namespace}
        targets = [(f"pod {self.client}", pod, f"http://{self.service}.{self.namespace}:{port.port}/")]
        if svc.spec.type != "ExternalName":
            targets.append((f"node {node.metadata.name}", {"source": f"node/{node.metadata.name}"},
                            f"http://{svc.spec.cluster_ip}:{port.port}/"))
            for source in ("vpc", "internet"):
                targets.append((source, {"source": source}, f"http://{svc.spec.cluster_ip}:{port.port}/"))
        if port.node_port:
            address = node.address("ExternalIP") or node.address("InternalIP")
            for source in ("vpc", "internet"):
                targets.append((source, {"source": source}, f"http://{address}:{port.node_port}/"))
        for ingress in svc.status.load_balancer.ingress:
            targets.append(("internet", {"source": "internet"}, f"http://{ingress.hostname or ingress.ip}:{port.port}/"))
        return targets

    def reachability(self) -> list[tuple[str, str, bool, str]]:
        """(source, URL, reached, who answered or why not) for each source and address."""
        rows = []
        for who, where, url in self._targets():
            trace = self.cluster.request(url, **where)
            rows.append((who, url, trace.ok, f"{trace.status} from {trace.server}" if trace.ok else trace.reason))
        return rows

    def refresh(self) -> None:
        rows = self.reachability()
        results = table(("from", "to", "result"), [(who, url, f"{'✓' if ok else '✗'} {why}") for who, url, ok, why in rows],
                        tuple(GREEN if ok else RED for _, _, ok, _ in rows))
        text = (self.last_command + pre(self.cluster.kubectl(f"get service {self.service} -n {self.namespace}"))
                + "".join(note("• " + line) for line in self.exists()) + results)
        graph = viz.traffic_graph(self.cluster.core, self.namespace, clients=(self.client,), outside=("internet",))
        self.show(text, graph, title=f"service/{self.service}: {self.type.value}")
