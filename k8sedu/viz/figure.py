"""The traffic graph as a figure that updates in place: one matplotlib Figure, its artists kept and changed.

``TrafficFigure.update(graph)`` compares the new graph with the one drawn:
if nothing changed it does nothing and says so (a widget then sends no new
picture); if only states, shares or the highlighted path changed it sets the
colours, widths and texts of the artists it already has; only a new
topology (a box or an edge added or gone) lays the picture out again.
``png()`` renders with Agg and encodes, which is what ipympl ships to the
browser too. Matplotlib is imported here, when a figure is made, never
when ``k8sedu`` is imported.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Iterable, Optional

from k8sedu.viz.graph import share_label
from k8sedu.viz.layout import PAD, Layout, layout, node_text, text_size
from k8sedu.viz.trace import trace_path
from k8sedu.viz.encode import svg_bytes
from k8sedu.viz.style import EDGES, FONT, FONT_SIZE, HIGHLIGHT, KINDS, box_kind

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

LEGEND_WIDTH = 2.3  # inches to the right of the graph
DPI = 80
LABELLED = ("endpoint", "drop", "route")


def edge_text(data: dict, counts: Optional[dict] = None, target: str = "") -> str:
    """What an edge says: its share of new connections (and how many of the last requests it carried), or its rule."""
    if data["kind"] == "route":
        return data["rule"]
    text = share_label(data)
    if counts is not None and target.startswith("pod/"):
        text += f"\n{counts.get(target.split('/', 1)[1], 0)} sent"
    return text


class TrafficFigure:
    """A traffic graph drawn once and then kept up to date.

    ``highlight`` is a set of graph node names and ``(u, v)`` edges drawn
    in the highlight colour (a traced path, the current hop); ``counts`` maps
    pod names to requests just sent, written under each share.
    """

    def __init__(self, title: str = "", figure=None, legend: bool = True):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(dpi=DPI) if figure is None else figure
        self.canvas = self.figure.canvas if figure is not None else FigureCanvasAgg(self.figure)
        self.title = title
        self.legend = legend  # a widget shows the legend once, beside the figure (``legend_png``): half the drawing time
        self.graph: Optional["nx.DiGraph"] = None
        self.layout: Optional[Layout] = None
        self._topology: tuple = ()
        self._state: tuple = ()
        self.boxes: dict = {}
        self.edges: dict = {}
        self.labels: dict = {}
        self.redraws = 0  # how many times the picture was laid out anew (a test and a benchmark read it)

    # ------------------------------------------------------------ updating

    def update(self, graph: "nx.DiGraph", highlight: Iterable = (), counts: Optional[dict] = None,
               title: Optional[str] = None) -> bool:
        """Show ``graph``; return whether anything visible changed."""
        highlight = frozenset(highlight)
        title = self.title if title is None else title
        topology = _topology(graph)
        state = (_state(graph, counts), highlight, title)
        if topology == self._topology and state == self._state:
            return False
        if topology != self._topology:
            self._build(graph, topology)
        self.graph, self._state, self.title = graph, state, title
        self._restyle(graph, highlight, counts)
        self._title.set_text(title)
        return True

    def png(self) -> bytes:
        """The picture as PNG bytes: Agg renders the artists, then encodes (no ``bbox_inches``: the size is fixed)."""
        buffer = io.BytesIO()
        self.canvas.print_png(buffer)
        return buffer.getvalue()

    def svg(self) -> bytes:
        """The picture as SVG bytes, what the widgets send: about 3x faster than Agg's PNG, and sharp."""
        return svg_bytes(self.figure)

    # ------------------------------------------------------------ drawing

    def _build(self, graph: "nx.DiGraph", topology: tuple) -> None:
        """Lay the graph out and create one artist per box, edge and label."""
        self.layout = plan = layout(graph)
        self._topology = topology
        self.redraws += 1
        fig = self.figure
        fig.clear()
        width = plan.width + (LEGEND_WIDTH if self.legend else 0.0)
        height = max(plan.height, 3.6 if self.legend else 1.0)
        fig.set_size_inches(width, height + 0.4)
        ax = fig.add_axes((0, 0, plan.width / width, height / (height + 0.4)))
        ax.set_xlim(0, plan.width)
        ax.set_ylim(-height, 0)
        ax.set_axis_off()
        self.ax = ax
        self._title = fig.text(0.01, 1 - 0.2 / (height + 0.4), "", fontsize=10, va="center", family=FONT)
        self.boxes = {n: self._box(ax, plan, n, d) for n, d in graph.nodes(data=True)}
        self.edges = {(u, v): self._edge(ax, plan, u, v, d) for u, v, d in graph.edges(data=True)}
        self.labels = {(u, v): ax.text(0, 0, "", fontsize=FONT_SIZE - 1, family=FONT, va="center", ha="center",
                                       zorder=4, bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.9))
                       for u, v, d in graph.edges(data=True) if d["kind"] in LABELLED}
        if self.legend:
            add_legend(fig, plan.width / width)

    @staticmethod
    def _box(ax, plan: Layout, name: str, data: dict):
        box = plan.boxes[name]
        return ax.text(box.x + PAD, box.y, node_text(data), fontsize=FONT_SIZE, family=FONT, va="center", ha="left",
                       zorder=3, bbox=dict(boxstyle="round,pad=0.3", lw=1.2))

    @staticmethod
    def _edge(ax, plan: Layout, u: str, v: str, data: dict):
        a, b = plan.boxes[u], plan.boxes[v]
        start, end = (a.right, a.y), (b.x, b.y)
        _, color, style = EDGES[data["kind"]]
        from matplotlib.patches import FancyArrowPatch
        skips = plan.skips_a_column(u, v)
        arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, color=color, linestyle=style,
                                lw=1.0, zorder=2, shrinkA=0, shrinkB=2,
                                connectionstyle="arc3,rad=-0.25" if skips else "arc3")
        ax.add_patch(arrow)
        return arrow

    def _restyle(self, graph: "nx.DiGraph", highlight: frozenset, counts: Optional[dict]) -> None:
        """Set every artist's colours, line styles, widths and texts from the graph's current state."""
        for name, text in self.boxes.items():
            data = graph.nodes[name]
            _, fill, style = KINDS[box_kind(data["kind"], data.get("state", ""))]
            text.set_text(node_text(data))
            patch = text.get_bbox_patch()
            patch.set_facecolor(fill)
            patch.set_linestyle(style)
            patch.set_edgecolor(HIGHLIGHT if name in highlight else "#333333")
            patch.set_linewidth(2.6 if name in highlight else 1.2)
        for (u, v), arrow in self.edges.items():
            data = graph.edges[u, v]
            _, color, _ = EDGES[data["kind"]]
            share = max(data.get("shares", {}).values(), default=0.0)
            lit = (u, v) in highlight
            arrow.set_color(HIGHLIGHT if lit else color)
            arrow.set_linewidth(3.0 if lit else (0.8 + 3.2 * share if data["kind"] == "endpoint" else 1.0))
        self._place_labels(graph, counts)

    def _place_labels(self, graph: "nx.DiGraph", counts: Optional[dict]) -> None:
        """Write each labelled edge's text just left of its target box, level with it (the rows are as tall
        as the tallest label, so labels never meet); an ingress rule's half way along its edge."""
        for (u, v), label in self.labels.items():
            a, b = self.layout.boxes[u], self.layout.boxes[v]
            text = edge_text(graph.edges[u, v], counts, v)
            if graph.edges[u, v]["kind"] == "route":
                label.set_position(((a.right + b.x) / 2, (a.y + b.y) / 2))
            else:
                label.set_position((b.x - text_size(text)[0] / 2 - 0.04, b.y))
            label.set_text(text)


def add_legend(fig, left: float) -> None:
    """The key to every box kind and state, edge style and the highlight, at ``left`` (a fraction of the figure)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    kinds = [Patch(facecolor=fill, edgecolor="#333333", linestyle=style, label=label)
             for label, fill, style in KINDS.values()]
    edges = [Line2D([], [], color=color, linestyle=style, label=label) for label, color, style in EDGES.values()]
    edges.append(Line2D([], [], color=HIGHLIGHT, lw=3, label="traced path / current hop"))
    fig.legend(handles=kinds + edges, loc="upper left", bbox_to_anchor=(left, 0.98), title="traffic flows left to right",
               title_fontsize=7, frameon=False, prop={"family": FONT, "size": 7})


_LEGEND_PNG: list[bytes] = []


def legend_png() -> bytes:
    """The legend alone, as PNG bytes (drawn once per process: it never changes)."""
    if not _LEGEND_PNG:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(LEGEND_WIDTH, 3.6), dpi=DPI)
        canvas = FigureCanvasAgg(fig)
        add_legend(fig, 0.0)
        buffer = io.BytesIO()
        canvas.print_png(buffer)
        _LEGEND_PNG.append(buffer.getvalue())
    return _LEGEND_PNG[0]


def _topology(graph: "nx.DiGraph") -> tuple:
    """What decides the layout: the boxes with their kinds and sizes (a pod getting its IP keeps its box's size,
    so its text changes in place), the edges, and the widths of the labels that size the gaps."""
    labels = tuple(sorted(text_size(d["rule"] if d["kind"] == "route" else share_label(d))
                          for _, _, d in graph.edges(data=True) if d["kind"] in LABELLED))
    return (tuple(sorted((n, d["kind"][:3], text_size(node_text(d))) for n, d in graph.nodes(data=True))), labels,
            tuple(sorted((u, v, d["kind"]) for u, v, d in graph.edges(data=True))))


def _state(graph: "nx.DiGraph", counts: Optional[dict]) -> tuple:
    """What the picture shows beyond its layout: states, shares and counts."""
    nodes = tuple(sorted((n, d["kind"], d.get("state", "")) for n, d in graph.nodes(data=True)))
    edges = tuple(sorted((u, v, edge_text(d, counts, v)) for u, v, d in graph.edges(data=True) if d["kind"] in LABELLED))
    return nodes, edges


def draw(graph: "nx.DiGraph", trace=None, title: str = ""):
    """Draw ``graph`` once with pyplot (highlighting ``trace``'s path if given) and return its Axes.

    In a notebook the figure shows below the cell, as any pyplot figure does;
    it sizes itself to the graph.
    """
    import matplotlib.pyplot as plt

    figure = TrafficFigure(title, figure=plt.figure(dpi=DPI))
    figure.update(graph, highlight=trace_path(graph, trace))
    return figure.ax
