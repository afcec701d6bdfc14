"""Benchmark: what the whole course costs a learner's machine (or a Binder session) in time and kernel memory.

Time: every ``notebooks/0*.ipynb`` top to bottom, each in a fresh kernel
(nbclient, as "Restart Kernel and Run All" does), against the same number of
fresh-kernel notebooks whose one cell only imports matplotlib.pyplot,
ipywidgets, networkx and k8sedu: what the course adds over starting kernels
and importing its libraries. Target (issue 14): <= 2x.

Memory: the kernel's resident set (VmRSS of ``/proc/self/status``, read by a
last cell inside the kernel) after the notebook that leaves the largest
kernel, and after that same kernel then builds ``widgets.lab()`` with a
ScaleDeployment panel and moves its slider 60 times (each move animates
frames of simulated seconds, as in the browser), each against a kernel that
has only imported matplotlib.pyplot, ipywidgets and networkx. Target
(issue 14): <= 1.5x for both, so a 1-2 GB Binder session is comfortable.
ipympl is not a dependency of this project (the panels send SVG through
``ipywidgets.Image``), so no kernel imports it.

When a target is missed, the lines under it say where the time or the
memory went: the slowest cells, and the kernel's size after each step.
The last line reads ``course: time X.XXx (target <= 2x); memory after <nb>
X.XXx, after 60 widget updates X.XXx (target <= 1.5x)``.

Run: make bench   (or: .venv/bin/python benchmarks/bench_course.py)
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TARGET_TIME = 2.0
TARGET_MEMORY = 1.5
UPDATES = 60
BASE_IMPORTS = "import matplotlib.pyplot, ipywidgets, networkx"
RSS_CELL = ("_bench_vm = dict(line.split()[:2] for line in open('/proc/self/status') if line.startswith('Vm'))\n"
            "print('RSS', _bench_vm['VmRSS:'], _bench_vm['VmHWM:'])  # kB: resident now, and its peak")
WIDGET_CELLS = [
    "from IPython.display import display\n"
    "from k8sedu import widgets as _bench_widgets\n"
    "_bench_lab, _bench_client = _bench_widgets.lab(seed=99)\n"
    "_bench_panel = _bench_widgets.ScaleDeployment(_bench_lab, 'currency-exchange', client=_bench_client)\n"
    "display(_bench_panel)",
    f"for _i in range({UPDATES}):\n"
    "    _bench_panel.replicas.value = _i % 6 + 1  # 1..6 and round again: every move changes the value\n"
    "print('pictures', _bench_panel.pictures_sent)",
]


def notebook(*sources: str) -> nbformat.NotebookNode:
    """A notebook of code cells with these sources."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def execute(nb: nbformat.NotebookNode) -> tuple[float, nbformat.NotebookNode]:
    """Run ``nb`` top to bottom in a fresh kernel started in notebooks/: wall seconds (kernel start included)."""
    start = time.perf_counter()
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return time.perf_counter() - start, nb


def printed(cell: nbformat.NotebookNode) -> list[str]:
    """The words a cell printed, after its first (the label)."""
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream").split()[1:]


def rss(cell: nbformat.NotebookNode) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MiB from the output of an ``RSS_CELL``."""
    rss_kb, peak_kb = printed(cell)[:2]
    return int(rss_kb) / 1024, int(peak_kb) / 1024


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    """How long a cell ran, from the timestamps nbclient records in its metadata."""
    timing = cell.metadata.get("execution", {})
    try:
        start, end = timing["iopub.execute_input"], timing["shell.execute_reply"]
    except KeyError:
        return 0.0
    return (datetime.fromisoformat(end.rstrip("Z")) - datetime.fromisoformat(start.rstrip("Z"))).total_seconds()


def run_course(paths: list[Path]) -> dict[str, tuple[float, float, list[tuple[float, str]]]]:
    """Each course notebook plus an RSS cell: name -> (seconds, RSS MiB, [(cell seconds, first line)])."""
    results = {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(RSS_CELL))
        seconds, nb = execute(nb)
        cells = [(cell_seconds(c), c.source.splitlines()[0] if c.source else "") for c in nb.cells[:-1]
                 if c.cell_type == "code"]
        results[path.name] = (seconds, rss(nb.cells[-1])[0], cells)
        print(f"  {path.name:40} {seconds:6.1f} s   kernel {results[path.name][1]:6.1f} MiB", flush=True)
    return results


def run_imports_only(count: int) -> tuple[float, float]:
    """``count`` fresh kernels that import the course's libraries: (total seconds, median RSS MiB after)."""
    total, sizes = 0.0, []
    for _ in range(count):
        seconds, nb = execute(notebook(BASE_IMPORTS + ", k8sedu", RSS_CELL))
        total += seconds
        sizes.append(rss(nb.cells[-1])[0])
    return total, sorted(sizes)[len(sizes) // 2]


def run_widget_updates(path: Path) -> tuple[float, float, float, int]:
    """The notebook again, then a ScaleDeployment moved ``UPDATES`` times.

    Returns the RSS after the notebook, the RSS and peak after the moves (MiB),
    and how many pictures the panel sent (each move animates several frames).
    """
    nb = nbformat.read(path, as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(s) for s in [RSS_CELL, *WIDGET_CELLS, RSS_CELL]]
    _, nb = execute(nb)
    after_notebook, after_updates = rss(nb.cells[-4])[0], rss(nb.cells[-1])
    pictures = int(printed(nb.cells[-2])[0])
    return after_notebook, *after_updates, pictures


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def report_time(course: dict, imports_s: float) -> float:
    """Print the time comparison, and the slowest cells when the target is missed; the ratio."""
    course_s = sum(seconds for seconds, _, _ in course.values())
    ratio = course_s / imports_s
    print(f"course: {len(course)} notebooks in {course_s:.1f} s; {len(course)} import-only notebooks in "
          f"{imports_s:.1f} s; {ratio:.2f}x   target <= {TARGET_TIME:.0f}x   {verdict(ratio, TARGET_TIME)}")
    if ratio > TARGET_TIME:
        cells = sorted(((s, name, line) for name, (_, _, cs) in course.items() for s, line in cs), reverse=True)
        total = sum(s for s, _, _ in cells)
        print(f"  where the time goes: kernel start and imports {imports_s / len(course):.1f} s per notebook; "
              f"cells {total:.1f} s, the slowest:")
        for seconds, name, line in cells[:5]:
            print(f"    {seconds:5.1f} s  {name}: {line[:70]}")
    return ratio


def main() -> None:
    paths = sorted(NOTEBOOKS.glob("0*.ipynb"))
    print("ipympl: not a dependency of this project (panels send SVG through ipywidgets.Image); no kernel imports it")
    print(f"baseline kernel: {BASE_IMPORTS}")
    _, base_nb = execute(notebook(BASE_IMPORTS, RSS_CELL))
    base = rss(base_nb.cells[-1])[0]
    imports_s, with_k8sedu = run_imports_only(len(paths))
    print(f"the course's notebooks, each in a fresh kernel (import-only kernels: {imports_s / len(paths):.1f} s each):")
    course = run_course(paths)
    time_ratio = report_time(course, imports_s)
    largest = max(course, key=lambda name: course[name][1])
    after_nb, after_updates, peak, pictures = run_widget_updates(NOTEBOOKS / largest)
    nb_ratio, updates_ratio = course[largest][1] / base, after_updates / base
    print(f"kernel memory: baseline (matplotlib.pyplot, ipywidgets, networkx) {base:.1f} MiB; "
          f"+ import k8sedu {with_k8sedu:.1f} MiB")
    print(f"  after {largest} (largest kernel) {course[largest][1]:.1f} MiB: {nb_ratio:.2f}x   "
          f"target <= {TARGET_MEMORY}x   {verdict(nb_ratio, TARGET_MEMORY)}")
    print(f"  after {largest} again ({after_nb:.1f} MiB) + lab() + ScaleDeployment moved {UPDATES} times "
          f"({pictures} pictures drawn) {after_updates:.1f} MiB (peak {peak:.1f} MiB): {updates_ratio:.2f}x   "
          f"target <= {TARGET_MEMORY}x   {verdict(updates_ratio, TARGET_MEMORY)}")
    print(f"course: time {time_ratio:.2f}x (target <= {TARGET_TIME:.0f}x); memory after {largest.split('_')[0]} "
          f"{nb_ratio:.2f}x, after {UPDATES} widget updates {updates_ratio:.2f}x (target <= {TARGET_MEMORY}x)")


if __name__ == "__main__":
    main()
