"""Traffic-flow pictures of the model, from the rules that route ``send()``.

Like networkx itself, separate steps: ``traffic_graph`` builds a
``networkx.DiGraph`` (``graph``), ``layout`` places its boxes (pure, no
drawing), ``TrafficFigure`` draws it once and then updates its artists in
place (``figure``), and ``TraceFigure`` draws one request's hops
(``trace``). ``draw`` is the one-call version for a notebook cell.
Matplotlib is imported only when something is drawn.
"""

from k8sedu.viz.encode import svg_bytes
from k8sedu.viz.figure import TrafficFigure, draw, edge_text, legend_png
from k8sedu.viz.graph import OUTSIDE, pod_state, share_label, traffic_graph
from k8sedu.viz.layout import Layout, layout
from k8sedu.viz.trace import TraceFigure, hop_nodes, source_node, trace_path

__all__ = ["OUTSIDE", "Layout", "TraceFigure", "TrafficFigure", "draw", "edge_text", "hop_nodes", "layout", "legend_png",
           "pod_state", "share_label", "source_node", "svg_bytes", "trace_path", "traffic_graph"]
