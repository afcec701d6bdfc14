"""One request, hop by hop: its path on the traffic graph, and a picture of its hops in order.

A ``Trace`` already says which component decided what at each hop;
``trace_path`` finds the boxes and edges of the traffic graph it went
through (to highlight), ``hop_nodes`` the boxes one hop stands for (for a
step-by-step walk), and ``TraceFigure`` draws the hops top to bottom,
updating in place when the current hop moves.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Optional

from k8sedu.viz.encode import svg_bytes
from k8sedu.viz.style import FONT, FONT_SIZE, HIGHLIGHT, OKABE_ITO

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from k8sedu.network import Trace

WRAP = 96  # characters per line of a hop's detail


def source_node(trace: "Trace") -> str:
    """The graph box a trace starts from: ``client/<pod>``, ``node/<name>`` or ``outside/<where>``."""
    if trace.source.startswith("pod/"):
        return f"client/{trace.source.split('/', 1)[1]}"
    return trace.source if trace.source.startswith("node/") else f"outside/{trace.source}"


def hop_nodes(graph: "nx.DiGraph", trace: "Trace", index: int) -> set[str]:
    """The boxes of ``graph`` that hop ``index`` of ``trace`` stands for (empty if none is in view)."""
    hop = trace.hops[index]
    component, found = hop.component, set()
    if component.startswith("pod/"):
        found.add(component)
    elif component.startswith("kube-proxy rules ("):
        found.add(f"node/{component[len('kube-proxy rules ('):-1]}")
        found |= {n for n in graph if n.startswith("svc/") and _names_service(graph, n, hop.detail)}
    elif component == "cloud load balancer":
        found |= {n for n in graph if n.startswith("lb/") and graph.nodes[n]["label"] in hop.detail}
    elif component.startswith("ingress-nginx"):
        found.add("ingress/ingress-nginx")
    elif component.startswith("node/"):
        found.add(component)
    elif component == "dns" and index == 0:
        found.add(source_node(trace))
    return {n for n in found if n in graph}


def _names_service(graph: "nx.DiGraph", svc: str, detail: str) -> bool:
    address = graph.nodes[svc]["detail"].split(":", 1)[0]
    return f"{address}:" in detail or any(f"{source}:" in detail for source in ())


def trace_path(graph: "nx.DiGraph", trace: Optional["Trace"]) -> set:
    """Every box and edge of ``graph`` the request went through, for highlighting."""
    if trace is None:
        return set()
    boxes = [source_node(trace)] + [n for i in range(len(trace.hops)) for n in sorted(hop_nodes(graph, trace, i))
                                    if not n.startswith("node/")]
    if trace.pod and trace.ok and f"pod/{trace.pod}" in graph:
        boxes.append(f"pod/{trace.pod}")
        for svc in graph.predecessors(f"pod/{trace.pod}"):  # the Service whose rules took it, if not named
            if graph.has_edge(boxes[0], svc) and svc not in boxes:
                boxes.insert(1, svc)
    boxes = [b for b in dict.fromkeys(boxes) if b in graph]
    edges = {(u, v) for u, v in zip(boxes, boxes[1:]) if graph.has_edge(u, v)}
    return set(boxes) | edges if edges else set()


class TraceFigure:
    """The hops of one trace, top to bottom, the current one highlighted; updates in place."""

    def __init__(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(dpi=80)
        self.canvas = FigureCanvasAgg(self.figure)
        self.trace: Optional["Trace"] = None
        self.current: Optional[int] = None
        self.texts: list = []
        self.redraws = 0

    def update(self, trace: "Trace", current: Optional[int] = None) -> bool:
        """Show ``trace`` with hop ``current`` (0-based) highlighted; return whether anything changed."""
        if trace is self.trace and current == self.current:
            return False
        if trace is not self.trace:
            self._build(trace)
        self.current = current
        for i, text in enumerate(self.texts[:-1]):
            patch = text.get_bbox_patch()
            patch.set_edgecolor(HIGHLIGHT if i == current else "#555555")
            patch.set_linewidth(2.6 if i == current else 1.0)
            patch.set_facecolor("#FFF3D6" if i == current else "white")
        return True

    def _build(self, trace: "Trace") -> None:
        self.trace = trace
        self.redraws += 1
        fig = self.figure
        fig.clear()
        blocks = [f"{i}. [{hop.component}] {hop.action}\n" + textwrap.fill(hop.detail, WRAP, initial_indent="   ",
                                                                           subsequent_indent="   ")
                  for i, hop in enumerate(trace.hops, 1)]
        end = f"=> {trace.status} from {trace.server}" if trace.ok else f"=> failed: {trace.reason}"
        blocks.append(textwrap.fill(end, WRAP))
        lines = [b.count("\n") + 1 for b in blocks]
        height = sum(lines) * 0.16 + 0.22 * len(blocks) + 0.5
        fig.set_size_inches(9.5, height)
        y = 1 - 0.25 / height
        self.texts = []
        fig.text(0.01, y, f"{trace.source} -> {trace.url}", fontsize=FONT_SIZE + 1, family=FONT, va="top",
                 weight="bold")
        y -= 0.3 / height
        for block, n in zip(blocks, lines):
            last = len(self.texts) == len(blocks) - 1
            color = OKABE_ITO["bluish green"] if trace.ok else OKABE_ITO["vermillion"]
            self.texts.append(fig.text(0.02, y, block, fontsize=FONT_SIZE, family=FONT, va="top",
                                       color=color if last else "black",
                                       bbox=None if last else dict(boxstyle="round,pad=0.3", fc="white", ec="#555555")))
            y -= (n * 0.16 + 0.22) / height

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.canvas.print_png(buffer)
        return buffer.getvalue()

    def svg(self) -> bytes:
        return svg_bytes(self.figure)
