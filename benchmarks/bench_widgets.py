"""Benchmark: how long each widget takes from a value change until its picture's bytes are ready to send.

For each of the seven panels, one learner action (drag, click, type) is
repeated and timed end to end: the model's update, the figure's artists,
rendering and encoding (SVG, what the panels send; ipympl would send a PNG
of the same canvas), and the text. A panel that animates over simulated
seconds (ScaleDeployment) is timed per frame. Medians, at teaching size
(3 nodes, the currency Services) and at 10x (30 nodes, 10 Services of 5
pods). Beside it: the picture part alone, in place (artists updated, SVG)
against redrawing the same graph from scratch and saving a PNG with
``bbox_inches="tight"`` as the inline backend does.

Targets (issue 11): 7/7 within 100 ms at teaching size; in place <= 0.5x redraw.
The last line reads exactly: ``widgets: N/7 within 100 ms at teaching size; in-place vs redraw X.XXx``.

Run: make bench   (or: .venv/bin/python benchmarks/bench_widgets.py [--repeats N])
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import matplotlib

from k8sedu import Cluster, viz
from k8sedu import widgets as W
from k8sedu.widgets.base import Panel

matplotlib.use("Agg")
TARGET_MS = 100.0
TARGET_RATIO = 0.5
CE = "in28min/currency-exchange:0.0.1-RELEASE"
picture_ms: list[float] = []
redraw_ms: list[float] = []


def build(nodes: int, services: int, replicas: int) -> tuple[Cluster, str]:
    cluster = Cluster(seed=1, nodes=nodes)
    for i in range(services):
        name = "currency-exchange" if i == 0 else f"currency-exchange-{i}"
        cluster.kubectl(f"create deployment {name} --image={CE} --replicas={replicas} --port=8000")
        cluster.kubectl(f"expose deployment {name} --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE --port=8100")
    cluster.install("ingress-nginx")
    cluster.kubectl("create ingress ce --class=nginx --rule=/currency-exchange*=currency-exchange:8000")
    cluster.advance(30)
    return cluster, cluster.pod_names({"app": "currency-conversion"})[0]


def timing_show(original):
    """Wrap ``Panel.show`` to time its picture part, and to time a from-scratch redraw of the same graph."""
    def show(self, text, graph=None, highlight=(), counts=None, title=None):
        start = time.perf_counter()
        original(self, text, graph, highlight, counts, title)
        if graph is not None and self.pictures_sent:
            picture_ms.append((time.perf_counter() - start) * 1e3)
            redraw_ms.append(redraw(graph, highlight, counts, title))
    return show


def redraw(graph, highlight, counts, title) -> float:
    """Milliseconds to build the same picture anew and save it as the inline backend does."""
    start = time.perf_counter()
    figure = viz.TrafficFigure(title or "")
    figure.update(graph, highlight, counts)
    buffer = io.BytesIO()
    figure.figure.savefig(buffer, format="png", bbox_inches="tight")
    return (time.perf_counter() - start) * 1e3


def actions(cluster: Cluster, client: str):
    """(panel name, the panel, one action to repeat) for each of the seven panels."""
    scale = W.ScaleDeployment(cluster, "currency-exchange", client=client)
    switch = W.ServiceTypeSwitcher(cluster, "currency-exchange", client)
    traffic = W.TrafficExplorer(cluster, "currency-exchange", client)
    dns = W.DnsExplorer(cluster, "currency-exchange", client)
    ingress = W.IngressTester(cluster, path="/currency-exchange")
    walk = W.PacketWalk(cluster, "http://currency-exchange:8000/", from_pod=client)
    chaos = W.ChaosPanel(cluster, "currency-exchange", "currency-exchange", client)
    types = iter(["NodePort", "ClusterIP"] * 100)
    names = iter(["currency-exchange.default", "currency-exchange", "nope"] * 100)
    paths = iter(["/nope", "/currency-exchange/from/USD/to/INR"] * 100)
    for panel in (scale, switch, traffic, dns, ingress, walk, chaos):
        panel.refresh()

    def frame():  # one simulated second of a scale, as the slider's animation does
        scale.replicas.value = 3 if scale.replicas.value != 3 else 2
    return [("ScaleDeployment (per frame)", scale, frame),
            ("ServiceTypeSwitcher", switch, lambda: setattr(switch.type, "value", next(types))),
            ("TrafficExplorer (100 requests)", traffic, traffic.send),
            ("DnsExplorer", dns, lambda: setattr(dns.name, "value", next(names))),
            ("IngressTester", ingress, lambda: setattr(ingress.path, "value", next(paths))),
            ("PacketWalk", walk, lambda: walk.move(1 if walk.step.value < walk.step.max else 1 - walk.step.max)),
            ("ChaosPanel (delete a pod)", chaos, chaos.delete_pod)]


def measure(cluster: Cluster, client: str, repeats: int) -> dict[str, float]:
    results = {}
    for name, panel, action in actions(cluster, client):
        times = []
        for _ in range(repeats):
            redrawn = sum(redraw_ms)
            start = time.perf_counter()
            action()
            elapsed = (time.perf_counter() - start) * 1e3 - (sum(redraw_ms) - redrawn)  # not the comparison's redraws
            frames = len(panel.frames) if isinstance(panel, W.ScaleDeployment) else 1  # scale() starts a new list
            times.append(elapsed / max(frames, 1))
        results[name] = statistics.median(times)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    Panel.show = timing_show(Panel.show)
    teaching = measure(*build(3, 2, 2), args.repeats)
    small_picture, small_redraw = list(picture_ms), list(redraw_ms)
    big = measure(*build(30, 10, 5), max(3, args.repeats // 2))
    print(f"{'widget':32} {'teaching':>10} {'10x':>10}   target {TARGET_MS:.0f} ms at teaching size")
    for name in teaching:
        mark = "ok" if teaching[name] <= TARGET_MS else "SLOW"
        print(f"{name:32} {teaching[name]:8.1f} ms {big[name]:7.1f} ms   {mark}")
    ratio = statistics.median(small_picture) / statistics.median(small_redraw)
    print(f"picture alone at teaching size: in place {statistics.median(small_picture):.1f} ms, "
          f"redraw + savefig(png, tight) {statistics.median(small_redraw):.1f} ms; target <= {TARGET_RATIO}x")
    within = sum(t <= TARGET_MS for t in teaching.values())
    print(f"widgets: {within}/7 within 100 ms at teaching size; in-place vs redraw {ratio:.2f}x")


if __name__ == "__main__":
    main()
