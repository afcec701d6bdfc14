"""``ScaleDeployment``: drag the replica count; watch pods start and stop over simulated seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import ipywidgets as w

from k8sedu import viz
from k8sedu.widgets.base import Panel, note, pre

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster


class ScaleDeployment(Panel):
    """A replicas slider for one Deployment.

    Moving it runs ``kubectl scale deployment <name> --replicas=N``, then
    lets simulated time pass one second per frame (up to ``seconds``, or
    until every pod is Ready and none is Terminating): new pods appear
    Pending and turn Ready, removed pods show Terminating, and the
    EndpointSlice, kube-proxy's shares and the picture follow. ``frames``
    records each frame's time and pod states. Traffic is drawn from
    ``client`` (a pod) if given, else from the first worker node.
    """

    def __init__(self, cluster: "Cluster", deployment: str, client: Optional[str] = None,
                 max_replicas: int = 6, seconds: int = 15, namespace: str = "default"):
        super().__init__(cluster, f"deployment/{deployment}")
        self.deployment, self.namespace, self.client, self.seconds = deployment, namespace, client, seconds
        spec = cluster.get("Deployment", deployment, namespace).spec
        self.selector = spec.selector.match_labels
        self.replicas = w.IntSlider(value=spec.replicas, min=0, max=max(max_replicas, spec.replicas),
                                    description="replicas", continuous_update=False)
        self.replicas.observe(lambda change: self.scale(change["new"]), names="value")
        self.frames: list[tuple[float, dict[str, str]]] = []
        self.last_command = ""

    def controls(self) -> list:
        return [self.replicas]

    def scale(self, replicas: int) -> None:
        """What the slider does: scale, then one frame per simulated second until things settle."""
        command = f"scale deployment {self.deployment} --replicas={replicas} -n {self.namespace}"
        self.last_command = self.run(command)
        self.frames = []
        self.refresh()
        for _ in range(self.seconds):
            self.cluster.advance(1)
            self.refresh()
            if self._settled(replicas):
                break

    def _states(self) -> dict[str, str]:
        return {p.metadata.name: viz.pod_state(p)[1] for p in self.cluster.list("Pod", self.namespace, self.selector)}

    def _settled(self, replicas: int) -> bool:
        states = self._states()
        return len(states) == replicas and all(s == "Ready" for s in states.values())

    def graph(self):
        sources = {"clients": (self.client,)} if self.client else {"nodes": self._first_worker()}
        return viz.traffic_graph(self.cluster.core, self.namespace, **sources)

    def _first_worker(self) -> tuple[str, ...]:
        nodes = [n.metadata.name for n in self.cluster.list("Node", None)]
        workers = [n for n in nodes if "control-plane" not in n]
        return tuple((workers or nodes)[:1])

    def refresh(self) -> None:
        states = self._states()
        self.frames.append((self.cluster.now, states))
        selector = ",".join(f"{k}={v}" for k, v in self.selector.items())
        text = (self.last_command + note(f"t = {self.cluster.now:.0f} s (simulated)")
                + pre(self.cluster.kubectl(f"get pods -l {selector} -n {self.namespace}")))
        self.show(text, self.graph(), title=f"t = {self.cluster.now:.0f} s")
