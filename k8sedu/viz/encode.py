"""Figures as SVG bytes, the form the widgets send to the browser."""

from __future__ import annotations

import io


def svg_bytes(figure) -> bytes:
    """``figure`` as SVG with its text kept as text (the browser draws the glyphs, which is what makes it fast).

    The font list gets ``monospace`` as a fallback, so the labels keep the
    fixed width the layout counted on where DejaVu Sans Mono is not installed.
    """
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "k8sedu"}):
        figure.savefig(buffer, format="svg")
    text = buffer.getvalue().replace("font-family:'DejaVu Sans Mono'", "font-family:'DejaVu Sans Mono',monospace")
    return text.replace("font-family: 'DejaVu Sans Mono'", "font-family: 'DejaVu Sans Mono', monospace").encode()
