"""Where each box of the traffic graph goes: layered columns, computed once per topology, measured in inches.

Traffic flows left to right through five columns: sources, then load
balancers and the ingress controller, Services, the pods (and drops) the
rules send to, and the nodes those pods run on. Pods are grouped by node and
sorted by name, so the same cluster always gives the same picture. Every
other box sits level with the middle of what it connects to, pushed apart
just enough never to touch its neighbours. Labels use a fixed-width font, so a
box's size is known from its text alone: columns are as wide as their widest
box, rows as tall as their tallest, and the gap between Services and pods is
as wide as the widest share label, so no two labels can overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import mean
from typing import TYPE_CHECKING

from k8sedu.viz.graph import share_label
from k8sedu.viz.style import CHAR_WIDTH, LINE_HEIGHT

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

COLUMNS = (("client",), ("load-balancer", "ingress"), ("service",),
           ("pod", "pod-pending", "pod-not-ready", "pod-terminating", "drop", "address"), ("node",))
PAD = 0.3 * 8.0 / 72  # inches of box padding around a label: the box style's pad=0.3 (in font sizes)
GAP = 0.7  # inches between columns (more between Services and pods: the share labels live there)
MARGIN = 0.25


@dataclass(frozen=True)
class Box:
    """One graph node's box: its left edge and vertical centre, width and height, all in inches."""

    x: float
    y: float
    width: float
    height: float
    column: int = 0

    @property
    def right(self) -> float:
        return self.x + self.width


@dataclass(frozen=True)
class Layout:
    """Every box, and the size of the drawing they need."""

    boxes: dict[str, Box]
    width: float
    height: float

    def skips_a_column(self, u: str, v: str) -> bool:
        """Whether an edge from ``u`` to ``v`` passes a column with boxes in it (it is drawn curved, around them)."""
        low, high = sorted((self.boxes[u].column, self.boxes[v].column))
        return any(low < b.column < high for b in self.boxes.values())


def text_size(text: str) -> tuple[float, float]:
    """Width and height in inches of ``text`` in the graph's font, padding included.

    >>> [round(v, 3) for v in text_size("web\\n10.96.0.1")]
    [0.667, 0.344]
    """
    lines = text.split("\n") or [""]
    return (round(max(len(line) for line in lines) * CHAR_WIDTH + 2 * PAD, 6),
            len(lines) * LINE_HEIGHT + 2 * PAD)


MAX_CHARS = 40  # longer names are cut as kubectl cuts a long EXTERNAL-IP: "a05c6af0758d5..."


def clip(text: str, width: int = MAX_CHARS) -> str:
    """``text`` cut to ``width`` characters, ending in "..." when cut.

    >>> clip("a05c6af0758d5463dab2cd31ee315128-1005617753.us-east-1.elb.amazonaws.com")
    'a05c6af0758d5463dab2cd31ee315128-1005...'
    """
    return text if len(text) <= width else text[:width - 3] + "..."


def node_text(data: dict) -> str:
    """A box's label: the name, then its detail (address, CIDR) on a second line."""
    label = clip(data["label"])
    return f"{label}\n{clip(data['detail'])}" if data.get("detail") else label


def layout(graph: "nx.DiGraph") -> Layout:
    """Place every node of ``graph``; the same graph always gives the same layout."""
    columns = [sorted(n for n, d in graph.nodes(data=True) if d["kind"] in kinds) for kinds in COLUMNS]
    columns[3].sort(key=lambda n: (graph.nodes[n]["kind"] in ("drop", "address"), graph.nodes[n].get("node") or "", n))
    sizes = {n: text_size(node_text(d)) for n, d in graph.nodes(data=True)}
    labels = [text_size(share_label(d) + "\n10000 sent") for _, _, d in graph.edges(data=True)
              if d["kind"] in ("endpoint", "drop")]
    rules = [text_size(d["rule"])[0] for _, _, d in graph.edges(data=True) if d["kind"] == "route"]
    pitch = max([h for _, h in sizes.values()] + [h for _, h in labels] + [0.3]) + 0.12
    ys = {n: -i * pitch for i, n in enumerate(columns[3])}
    for index in (2, 1, 0, 4):
        _place_column(graph, columns[index], ys, pitch)
    xs, right = _column_xs(columns, sizes, max([w for w, _ in labels] + [0.0]), max(rules + [0.0]))
    top = max(ys.values(), default=0.0)
    bottom = min(ys.values(), default=0.0)
    boxes = {n: Box(xs[i], ys[n] - top - pitch / 2 - MARGIN, *sizes[n], i) for i, col in enumerate(columns) for n in col}
    return Layout(boxes, right + MARGIN, top - bottom + pitch + 2 * MARGIN)


def _place_column(graph, members: list[str], ys: dict[str, float], pitch: float) -> None:
    """Put each member level with the mean of its placed neighbours, keep their order, push them apart."""
    def wanted(n: str) -> float:
        near = [ys[m] for m in list(graph.successors(n)) + list(graph.predecessors(n)) if m in ys]
        return mean(near) if near else 0.0
    order = sorted(members, key=lambda n: (-wanted(n), n))
    placed: list[float] = []
    for n in order:
        y = wanted(n) if not placed else min(wanted(n), placed[-1] - pitch)
        placed.append(y)
    ys.update(zip(order, placed))


def _column_xs(columns: list[list[str]], sizes: dict[str, tuple[float, float]], label_width: float,
               rule_width: float = 0.0):
    """Each column's left edge (empty columns take no room) and where the last one ends; the gaps after the
    entry column and after the Services are as wide as the ingress rules and the share labels written there."""
    xs, x = [], MARGIN
    gaps = {1: max(GAP, rule_width + 0.3), 2: max(GAP, label_width + 0.3)}
    for i, col in enumerate(columns):
        xs.append(x)
        if col:
            x += max(sizes[n][0] for n in col) + gaps.get(i, GAP)
    return xs, x - GAP
