"""Each course notebook in a real JupyterLab and Chromium: it runs clean, its panel renders and answers a learner.

For every ``notebooks/0*.ipynb``: open it with ``?reset``, run all cells,
wait until every code cell has run and the kernel is idle; no cell shows an
error except those tagged ``raises-exception`` (the unanswered checks);
widgets render as widgets, never as their text fallback (``VBox(children=...``
means the front-end extension is missing). Then the notebook's panel is
driven as a learner would (a button, a toggle, a slider key, a text box and
Enter) five times: each time its picture must change (``DnsExplorer``
draws none: its text must). The page times each action from the click or
key to the new picture's ``load`` (or the text's change) and the times go
to ``benchmarks/results/browser_latency.json``, which ``make bench``
reports against 300 ms; the test asserts behaviour only, never time.
Screenshots of each panel go to ``tests/browser/screenshots/``.
"""

from __future__ import annotations

import json
import re
import statistics
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("0*.ipynb"))
ACTIONS = 5  # per panel; the median is what bench_browser.py reports
RUN_ALL_S = 150
TIMEOUT_MS = 30_000

# Page-side helpers: the open notebook, its kernel, its errors, and a stopwatch from a learner's input to the update.
HELPERS = """
window.k8sedu = {
  notebook() { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
               return w && w.content && w.sessionContext ? w : null; },
  kernel() { const nb = this.notebook(); return nb && nb.sessionContext.session && nb.sessionContext.session.kernel; },
  idle() { const k = this.kernel(); return !!k && k.status === 'idle'; },
  codeCells() { return this.notebook().content.widgets.filter(c => c.model.type === 'code'); },
  tags(cell) { return cell.model.getMetadata('tags') || []; },
  errors() {
    return this.codeCells().flatMap((cell, i) => cell.model.outputs.toJSON()
      .filter(o => o.output_type === 'error' && !this.tags(cell).includes('raises-exception'))
      .map(o => `code cell ${i + 1}: ${o.ename}: ${o.evalue}`));
  },
  finished() {
    return this.idle() && (this.errors().length > 0 || this.codeCells().every(c => c.model.executionCount !== null));
  },
  stopwatch(root, kind) {
    const lap = this.lap = {armed: false, t0: null, t1: null};
    const start = () => { if (lap.armed && lap.t0 === null) lap.t0 = performance.now(); };
    const done = () => { if (lap.t0 !== null && lap.t1 === null) lap.t1 = performance.now(); };
    window.addEventListener('click', start, true);
    window.addEventListener('keydown', start, true);
    if (kind === 'picture') root.addEventListener('load', e => { if (e.target.tagName === 'IMG') done(); }, true);
    else new MutationObserver(done).observe(root, {subtree: true, childList: true, characterData: true});
  },
};
"""
STEADY = """() => { const s = window.k8seduSteady = window.k8seduSteady || {n: 0};
                   s.n = window.k8sedu.idle() ? s.n + 1 : 0; return s.n >= 4; }"""
# A widget's repr (VBox(children=..., IntSlider(value=...) or a panel's object repr, shown when the front end has no widget manager.
FALLBACK = re.compile(r"^\s*[A-Z]\w*\((children|value|options|description|layout)=|<k8sedu\.widgets\.[\w.]+ object")


@dataclass
class Drive:
    """How a learner plays with one notebook's panel: ``act(panel, i)`` is the i-th timed action."""

    widget: str
    act: Callable
    updates: str = "picture"
    prepare: Callable | None = None  # an untimed step before each action


def button(*labels):
    """Click the button labelled ``labels[i % n]`` (a ToggleButtons option is a button too)."""
    def act(panel, i):
        label = re.compile(rf"^\s*{re.escape(labels[i % len(labels)])}\s*$")
        panel.locator("button").filter(has_text=label).first.click()
    return act


def text(description, *values):
    """Type ``values[i % n]`` into the text box ``description`` and press Enter (the box sends on Enter)."""
    def act(panel, i):
        box = panel.locator(".widget-text").filter(has_text=description).locator("input").first
        box.fill(str(values[i % len(values)]))
        box.press("Enter")
    return act


def slider_keys(panel, i):
    """One step right, then one back: the replicas slider's handle has the keyboard's focus, as after a click."""
    panel.locator(".noUi-handle").first.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")


TRAFFIC = Drive("TrafficExplorer (send)", button("send"), prepare=lambda panel, i: text("requests", 100 + i)(panel, 0))
DRIVES = {"01": Drive("ChaosPanel (delete a pod)", button("delete a pod")),
          "02": Drive("ServiceTypeSwitcher (toggle)", button("NodePort", "ClusterIP")),
          "03": TRAFFIC,
          "04": Drive("DnsExplorer (name + Enter)", text("name", "currency-exchange.default", "nope", "currency-exchange"),
                      updates="text"),
          "05": Drive("ServiceDiscoveryPanel (slider key)", slider_keys),
          "06": Drive("PacketWalk (next/previous)", button("next", "previous")),
          "07": Drive("IngressTester (path + Enter)", text("path", "/nope", "/currency-exchange/from/USD/to/INR")),
          "08": Drive("IngressTester (path + Enter)", text("path", "/currency-conversion/", "/nothing-here/")),
          "09": Drive("TrafficExplorer from internet (send)", TRAFFIC.act, prepare=TRAFFIC.prepare)}


def steady(page) -> None:
    """Wait until the kernel has been idle for four polls in a row (150 ms): every update it sent has arrived."""
    page.evaluate("() => { window.k8seduSteady = {n: 0}; }")
    page.wait_for_function(STEADY, polling=50, timeout=TIMEOUT_MS)


def shut_kernels(lab: str) -> None:
    """Delete every session: each notebook's kernel goes when its test ends, not when the server does."""
    with urllib.request.urlopen(f"{lab}/api/sessions", timeout=10) as answer:
        sessions = json.load(answer)
    for session in sessions:
        request = urllib.request.Request(f"{lab}/api/sessions/{session['id']}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


@pytest.fixture
def page(browser, lab):
    """A fresh browser context per notebook (no beforeunload prompt between them); its kernel is shut down after."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(HELPERS)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()
        shut_kernels(lab)


def run_all(page, lab: str, name: str) -> None:
    """Open the notebook in a fresh workspace, wait for its kernel, run all cells, wait until they have run."""
    page.goto(f"{lab}/lab/tree/{name}?reset")
    page.wait_for_function("() => window.k8sedu.idle()", polling=200, timeout=60_000)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function("() => window.k8sedu.finished()", polling=250, timeout=RUN_ALL_S * 1000)
    steady(page)


def fallbacks(page) -> list[str]:
    """Outputs that are a widget's text fallback instead of the widget."""
    texts = page.locator(".jp-OutputArea-output .jp-RenderedText").all_inner_texts()
    return [t[:80] for t in texts if FALLBACK.search(t)]


def state(panel, kind: str) -> list[str]:
    """What must change after an action: the pictures' sources, or the panel's text."""
    if kind == "picture":
        return panel.locator("img").evaluate_all("imgs => imgs.map(i => i.src)")
    return panel.locator(".widget-html").all_inner_texts()


def timed(page, panel, drive: Drive, i: int) -> float:
    """One learner action; milliseconds from its click or key press to the new picture (or text) in the page."""
    if drive.prepare:
        drive.prepare(panel, i)
        steady(page)
    page.evaluate("() => Object.assign(window.k8sedu.lap, {armed: true, t0: null, t1: null})")
    drive.act(panel, i)
    page.wait_for_function("() => window.k8sedu.lap.t1 !== null", polling=10, timeout=TIMEOUT_MS)
    elapsed = page.evaluate("() => { const lap = window.k8sedu.lap; lap.armed = false; return lap.t1 - lap.t0; }")
    steady(page)
    return elapsed


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_its_panel_answers(page, lab, name, screenshots, latencies):
    run_all(page, lab, name)
    errors = page.evaluate("() => window.k8sedu.errors()")
    assert not errors, f"{name}: error outputs outside raises-exception cells: {errors}"
    assert not fallbacks(page), f"{name}: widgets shown as text (front-end extension missing?): {fallbacks(page)}"
    assert page.get_by_text("Error displaying widget").count() == 0
    drive = DRIVES.get(name[:2])
    if drive is None:
        assert page.locator(".jupyter-widgets").count() == 0, f"{name} has a panel this test does not drive"
        page.screenshot(path=screenshots / f"{name[:-6]}.png")
        return
    panel = page.locator(".jp-OutputArea-output:has(.widget-vbox)").last
    panel.scroll_into_view_if_needed()
    assert panel.locator(".jupyter-widgets").count() > 3, f"{name}: the panel did not render as widgets"
    if drive.updates == "picture":
        assert panel.locator("img.widget-image, .widget-image img").count() >= 1, f"{name}: the panel has no picture"
    panel.evaluate("(root, kind) => window.k8sedu.stopwatch(root, kind)", drive.updates)
    before = state(panel, drive.updates)
    samples = [timed(page, panel, drive, 0)]
    assert state(panel, drive.updates) != before, f"{name}: {drive.widget} did not change its {drive.updates}"
    samples += [timed(page, panel, drive, i) for i in range(1, ACTIONS)]
    panel.screenshot(path=screenshots / f"{name[:-6]}.png")
    latencies[f"{name[:2]} {drive.widget}"] = {"notebook": name, "updates": drive.updates, "samples_ms": [round(t, 1) for t in samples],
                                               "median_ms": round(statistics.median(samples), 1)}
