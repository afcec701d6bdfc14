"""ipywidgets panels for the notebooks: act on the model, watch it react.

The only module that imports ipywidgets (lazily, inside the functions), as a
Mesa ``app.py`` is the only place that knows the UI. Every control calls the
same public API a learner could type (``cluster.kubectl("scale ...")``,
``cluster.send(...)``), so a panel never does anything the notebook text
could not show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from k8sedu import viz
from k8sedu.errors import KubectlError
from k8sedu.network.trace import parse_url

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster


class ServiceDiscoveryPanel:
    """Scale a Deployment, send traffic through its Service, resolve names.

    ``panel.replicas.value = 3`` does what the slider does, so the panel's
    logic can be tested without a browser.
    """

    def __init__(self, cluster: "Cluster", deployment: str, service_url: str, client_pod: str,
                 settle_seconds: float = 10, requests: int = 100):
        import ipywidgets as w

        self.cluster = cluster
        self.deployment = deployment
        self.url = service_url
        self.host = parse_url(service_url).host  # what the name box resolves at first
        self.service = self.host.split(".")[0]  # "web.default.svc.cluster.local" names Service "web"
        self.client = client_pod
        self.settle_seconds = settle_seconds
        self.requests = requests
        current = cluster.get("Deployment", deployment).spec.replicas
        self.replicas = w.IntSlider(value=current, min=0, max=6, description="replicas", continuous_update=False)
        self.name = w.Text(value=self.host, description="resolve")
        self.send_button = w.Button(description=f"send {requests} requests", icon="paper-plane")
        self.out = w.Output(layout=w.Layout(min_height="420px"))
        self.replicas.observe(self._on_scale, names="value")
        self.name.observe(lambda change: self.render(), names="value")
        self.send_button.on_click(lambda _: self.render(send=True))
        self.widget = w.VBox([w.HBox([self.replicas, self.send_button]), self.name, self.out])

    def _ipython_display_(self) -> None:
        from IPython.display import display
        self.render()
        display(self.widget)

    def _on_scale(self, change) -> None:
        self.cluster.kubectl(f"scale deployment {self.deployment} --replicas={change['new']}")
        self.cluster.advance(self.settle_seconds)
        self.render(send=True)

    def summary(self, send: bool = False) -> str:
        """The text the panel shows: endpoints, DNS answer and (optionally) the traffic split."""
        lines = [self.cluster.kubectl(f"get endpoints {self.service}"), ""]
        try:
            answer = self.cluster.resolve(self.name.value, from_pod=self.client)
            lines.append(f"{self.name.value} -> {answer.rcode} {', '.join(answer.addresses)}  "
                         f"(tried: {', '.join(q for q, _ in answer.queries)})")
        except KubectlError as err:
            lines.append(str(err))
        if send:
            counts = self.cluster.send(self.url, n=self.requests, from_pod=self.client)
            lines.append("")
            lines += [f"{pod or 'failed'}: {hits}" for pod, hits in sorted(counts.items(), key=lambda kv: str(kv[0]))]
        return "\n".join(lines)

    def render(self, send: bool = False) -> None:
        import matplotlib.pyplot as plt

        text = self.summary(send)
        with self.out:
            self.out.clear_output(wait=True)
            print(text)
            graph = viz.traffic_graph(self.cluster.core, clients=(self.client,))
            viz.draw(graph, title=f"t = {self.cluster.now:.0f}s")
            plt.show()
