"""Benchmark report: what a learner waits in the browser, from a click or key press to the panel's new picture.

The figures come from the real-browser test (``tests/browser/``): JupyterLab
and Chromium run each course notebook, and the page itself times each of
five actions per panel, from the click or key press to the new picture's
``load`` (``DnsExplorer`` draws none: to its text changing). This script
runs no browser; it reads ``benchmarks/results/browser_latency.json`` and
prints each panel's median beside the target, one line each, then a summary.

Target (issue 14): every panel's median within 300 ms.
The last line reads exactly: ``browser: N/M widgets within 300 ms (median of medians X ms)``.

Run: make bench   (the figures come from: make test, or .venv/bin/python -m pytest tests/browser)
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "browser_latency.json"
TARGET_MS = 300.0


def main() -> int:
    if not RESULTS.exists():
        print(f"browser: no figures in {RESULTS.relative_to(RESULTS.parents[2])}; run the browser test first: "
              ".venv/bin/python -m pytest tests/browser (it needs /usr/bin/chromium)")
        return 0
    found = json.loads(RESULTS.read_text())
    target, widgets = found.get("target_ms", TARGET_MS), found["widgets"]
    print(f"measured {found['measured']} on {found['machine']}")
    print(f"{'widget':46} {'median':>9}  {'samples':>6}   target {target:.0f} ms (click to updated figure)")
    for name, figures in widgets.items():
        mark = "ok" if figures["median_ms"] <= target else "SLOW"
        print(f"{name:46} {figures['median_ms']:6.1f} ms  {len(figures['samples_ms']):>6}   {mark}"
              + ("  (text: draws no picture)" if figures["updates"] == "text" else ""))
    medians = [figures["median_ms"] for figures in widgets.values()]
    within = sum(m <= target for m in medians)
    print(f"browser: {within}/{len(medians)} widgets within {target:.0f} ms (median of medians {statistics.median(medians):.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
