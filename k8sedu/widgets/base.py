"""What every panel shares: a row of controls, a text pane and a picture that changes in place.

A panel acts on its cluster only through the public API a learner could
type (``cluster.kubectl(...)``, ``cluster.send(...)``), and every control has
a Python value (``panel.replicas.value = 3`` does what dragging does), so a
panel's logic is tested without a browser. The picture is an
``ipywidgets.Image``: a ``viz.TrafficFigure`` keeps its artists and redraws
only when the graph changed, and the old picture stays until the new PNG is
ready. Text goes into an ``HTML`` widget, never an ``Output`` widget, so
nothing a panel prints lands in a notebook cell's outputs (which nbval would
compare).
"""

from __future__ import annotations

import abc
import html
from typing import TYPE_CHECKING, Iterable, Optional

import ipywidgets as w

from k8sedu import viz
from k8sedu.errors import KubectlError

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster
    from k8sedu.network import Trace

GREEN, RED, GREY = "#007A5A", "#B34400", "#555555"  # darker Okabe-Ito bluish green and vermillion, for text


def pre(text: str) -> str:
    """Monospace text that scrolls sideways instead of wrapping, like a terminal."""
    return (f'<pre style="margin:0 0 6px 0; overflow-x:auto; white-space:pre; font-size:12px; '
            f'line-height:1.3">{html.escape(text)}</pre>')


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], colours: tuple[str, ...] = ()) -> str:
    """An HTML table whose names and URLs stay on one line (the last column wraps); ``colours`` per row, optional."""
    head = "".join(f'<th style="text-align:left; padding-right:1em">{html.escape(h)}</th>' for h in header)
    def td(i: int, cell: str, colour: str) -> str:  # names and URLs stay on one line; the last column may wrap
        last = i == len(header) - 1
        return (f'<td style="text-align:left; padding-right:1em; vertical-align:top; '
                f'white-space:{"normal" if last else "nowrap"}; color:{colour if last else "inherit"}">'
                f'{html.escape(cell)}</td>')
    body = "".join("<tr>" + "".join(td(i, cell, colour) for i, cell in enumerate(row)) + "</tr>"
                   for row, colour in zip(rows, colours or ("inherit",) * len(rows)))
    return f'<div style="overflow-x:auto"><table style="font-size:12px">{"<tr>" + head + "</tr>"}{body}</table></div>'


def good(text: str) -> str:
    return f'<div style="color:{GREEN}">✓ {html.escape(text)}</div>'


def bad(text: str) -> str:
    return f'<div style="color:{RED}">✗ {html.escape(text)}</div>'


def note(text: str) -> str:
    return f'<div style="color:{GREY}">{html.escape(text)}</div>'


def counts_html(counts, reason: str) -> str:
    """Who answered how many requests; failures with the model's reason, never a bare count."""
    lines = [good(f"{pod}: {hits}") for pod, hits in sorted(counts.items(), key=lambda kv: str(kv[0])) if pod]
    if counts.get(None):
        lines.append(bad(f"{counts[None]} failed: {reason}"))
    return "".join(lines)


def failure_reason(cluster: "Cluster", url: str, **where) -> str:
    """Why a request like the ones that failed fails: one more request's trace says it."""
    trace = cluster.request(url, **where)
    return trace.reason or trace.error


def trace_html(trace: "Trace") -> str:
    head = good(f"{trace.status} from {trace.server}") if trace.ok else bad(f"failed: {trace.reason}")
    return head + pre(str(trace))


class Panel(abc.ABC):
    """Controls on top, then the text pane, then the picture with the legend beside it.

    Each panel says which controls it has (``controls``) and how it reads the
    cluster (``refresh``); the rest is shared.
    """

    def __init__(self, cluster: "Cluster", title: str = ""):
        self.cluster = cluster
        self.text = w.HTML()
        self.image = w.Image(format="svg+xml", layout=w.Layout(max_width="calc(100% - 190px)", height="auto"))
        self.figure = viz.TrafficFigure(title, legend=False)
        self.pictures_sent = 0  # PNGs shipped to the browser: only when the picture changed

    @abc.abstractmethod
    def controls(self) -> list:
        """The widgets of the top row."""

    @property
    def widget(self) -> w.Widget:
        legend = w.Image(value=viz.legend_png(), format="png", layout=w.Layout(width="184px", min_width="184px",
                                                                                height="auto"))
        picture = w.HBox([self.image, legend], layout=w.Layout(align_items="flex-start"))
        return w.VBox([w.HBox(self.controls(), layout=w.Layout(flex_flow="row wrap")), self.text, picture])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        self.refresh()
        display(self.widget)

    @abc.abstractmethod
    def refresh(self) -> None:
        """Recompute the text and the picture from the cluster as it is now."""

    def show(self, text: str, graph=None, highlight: Iterable = (), counts: Optional[dict] = None,
             title: Optional[str] = None) -> None:
        """Put the new picture in place (only if it changed), then the text, so the two change together."""
        if graph is not None and self.figure.update(graph, highlight, counts, title):
            self.image.value = self.figure.svg()
            self.pictures_sent += 1
        if self.text.value != text:
            self.text.value = text

    def run(self, command: str) -> str:
        """Run one kubectl command: its output, or kubectl's error in red (the model changed nothing)."""
        try:
            return pre(f"$ kubectl {command}\n{self.cluster.kubectl(command)}")
        except KubectlError as err:
            return pre(f"$ kubectl {command}") + bad(str(err))


def client_pod(cluster: "Cluster", client: Optional[str], namespace: str = "default") -> Optional[str]:
    """The given client pod, or None."""
    if client is not None:
        cluster.get("Pod", client, namespace)  # kubectl's NotFound if it does not exist
    return client
