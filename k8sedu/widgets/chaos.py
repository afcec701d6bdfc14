"""``ChaosPanel``: delete a pod, fail a node, break readiness; watch the Service route around it and recover."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import ipywidgets as w

from k8sedu import viz
from k8sedu.widgets.base import Panel, counts_html, failure_reason, note, pre

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster

BROKEN_PROBE = {"httpGet": {"path": "/not-ready", "port": 8000}, "periodSeconds": 1}


class ChaosPanel(Panel):
    """Break things on purpose, then send traffic through the Service and read what happened.

    - **delete a pod**: ``kubectl delete pod`` on the first pod; the
      ReplicaSet makes a new one with a new name and IP.
    - **fail / recover node**: the node stops (``cluster.fail_node``); after
      the grace period the node lifecycle controller marks it NotReady, the
      EndpointSlice controller marks its pods not ready, and later evicts them.
    - **break / fix readiness**: a rollout whose pods fail their readiness
      probe (``kubectl patch deployment``), undone by ``kubectl rollout undo``.
    - **wait**: let ``step_seconds`` simulated seconds pass.

    After each action, ``n`` requests go to the Service from ``client``;
    failures show the model's reason, and the events since the action show
    which controller reacted.
    """

    def __init__(self, cluster: "Cluster", deployment: str, service: str, client: str, n: int = 100,
                 step_seconds: float = 10, namespace: str = "default"):
        super().__init__(cluster, f"service/{service}")
        self.deployment, self.service, self.client, self.namespace = deployment, service, client, namespace
        self.n, self.step_seconds = n, step_seconds
        nodes = [x.metadata.name for x in cluster.list("Node", None)]
        self.node = w.Dropdown(options=nodes, value=nodes[-1], description="node")
        self.buttons = {label: w.Button(description=label, layout=w.Layout(width="auto")) for label in
                        ("delete a pod", "fail node", "recover node", "break readiness", "fix readiness",
                         f"wait {step_seconds:g} s")}
        actions = [self.delete_pod, self.fail_node, self.recover_node, self.break_readiness, self.fix_readiness,
                   self.wait]
        for button, action in zip(self.buttons.values(), actions):
            button.on_click(lambda _, act=action: act())
        self.log = ""
        self.since = cluster.now

    def controls(self) -> list:
        return list(self.buttons.values())[:1] + [self.node] + list(self.buttons.values())[1:]

    def _act(self, action) -> None:
        """Run ``action`` (it returns what to show of it), let time pass, send traffic, show events since."""
        self.since = self.cluster.now
        self.log = action()
        self.cluster.advance(self.step_seconds)
        self.refresh()

    def delete_pod(self) -> None:
        pods = self.cluster.pod_names(self._selector(), self.namespace)
        self._act(lambda: self.run(f"delete pod {pods[0]} -n {self.namespace}") if pods else note("no pod left"))

    def fail_node(self) -> None:
        def fail():
            self.cluster.fail_node(self.node.value)
            return note(f"{self.node.value} stopped: its kubelet stops reporting, its pods stop answering")
        self._act(fail)

    def recover_node(self) -> None:
        def recover():
            self.cluster.recover_node(self.node.value)
            return note(f"{self.node.value} is back")
        self._act(recover)

    def break_readiness(self) -> None:
        container = self.cluster.get("Deployment", self.deployment, self.namespace).spec.template.spec.containers[0]
        patch = {"spec": {"template": {"spec": {"containers": [{"name": container.name,
                                                                 "readinessProbe": BROKEN_PROBE}]}}}}
        self._act(lambda: self.run(f"patch deployment {self.deployment} -n {self.namespace} -p '{json.dumps(patch)}'"))

    def fix_readiness(self) -> None:
        self._act(lambda: self.run(f"rollout undo deployment/{self.deployment} -n {self.namespace}"))

    def wait(self) -> None:
        self.cluster.advance(self.step_seconds)
        self.refresh()

    def _selector(self) -> dict:
        return self.cluster.get("Deployment", self.deployment, self.namespace).spec.selector.match_labels

    def url(self) -> str:
        port = self.cluster.get("Service", self.service, self.namespace).spec.ports[0].port
        return f"http://{self.service}:{port}/"

    def refresh(self) -> None:
        where = {"from_pod": self.client, "namespace": self.namespace}
        counts = dict(self.cluster.send(self.url(), n=self.n, **where))
        reason = failure_reason(self.cluster, self.url(), **where) if counts.get(None) else ""
        selector = ",".join(f"{k}={v}" for k, v in self._selector().items())
        events = str(self.cluster.events.since(self.since)).strip()
        text = (self.log + note(f"t = {self.cluster.now:.0f} s; {self.n} requests to {self.url()} from {self.client}")
                + counts_html(counts, reason) + pre(self.cluster.kubectl(f"get pods -l {selector} -n {self.namespace} -o wide"))
                + (pre(events) if events else ""))
        graph = viz.traffic_graph(self.cluster.core, self.namespace, clients=(self.client,))
        self.show(text, graph, counts={k: v for k, v in counts.items() if k}, title=f"t = {self.cluster.now:.0f} s")
