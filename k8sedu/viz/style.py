"""How the traffic graph looks: a colour-blind-safe palette with a second cue for every meaning.

Colours are Okabe and Ito's eight (https://jfly.uni-koeln.de/color/), which
stay distinct under the common colour-vision deficiencies. No meaning rests
on colour alone: each kind of box also has its own border style or fill,
each state its own border line, and each edge kind its own line style, so
the picture reads in greyscale too.
"""

from __future__ import annotations

OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7"}

# graph node kind -> (legend label, fill colour, border line style)
KINDS = {
    "client": ("client", OKABE_ITO["reddish purple"], "solid"),
    "load-balancer": ("cloud load balancer", OKABE_ITO["orange"], "solid"),
    "ingress": ("ingress controller", OKABE_ITO["yellow"], "solid"),
    "service": ("Service (ClusterIP)", OKABE_ITO["sky blue"], "solid"),
    "pod": ("pod Ready", OKABE_ITO["bluish green"], "solid"),
    "pod-pending": ("pod Pending", "#FFFFFF", "dashed"),
    "pod-not-ready": ("pod NotReady", OKABE_ITO["yellow"], "dashed"),
    "pod-terminating": ("pod Terminating", "#DDDDDD", "dotted"),
    "node": ("node Ready", "#BBBBBB", "solid"),
    "node-not-ready": ("node NotReady", "#FFFFFF", "dashdot"),
    "drop": ("dropped / rejected", OKABE_ITO["vermillion"], "solid"),
    "address": ("address, no pod in view", "#FFFFFF", "dotted"),
}

# graph edge kind -> (legend label, colour, line style)
EDGES = {
    "request": ("request", "#555555", "solid"),
    "route": ("ingress rule", OKABE_ITO["orange"], "dashdot"),
    "endpoint": ("share of new connections", OKABE_ITO["blue"], "solid"),
    "drop": ("dropped, with the rule's reason", OKABE_ITO["vermillion"], "dashed"),
    "runs-on": ("runs on", "#AAAAAA", "dotted"),
}

HIGHLIGHT = OKABE_ITO["vermillion"]  # the path of one traced request, or the current hop
TEXT_DARK = "#000000"
FONT = "DejaVu Sans Mono"  # fixed width: a label's size is known before drawing, so layout never measures text
FONT_SIZE = 8.0
CHAR_WIDTH = 0.6 * FONT_SIZE / 72  # inches per character of DejaVu Sans Mono
LINE_HEIGHT = 1.25 * FONT_SIZE / 72  # inches per line


def box_kind(kind: str, state: str) -> str:
    """The style key of a graph node: nodes that are NotReady get their own."""
    return "node-not-ready" if kind == "node" and state == "NotReady" else kind
