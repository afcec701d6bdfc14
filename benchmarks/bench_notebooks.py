"""Benchmark: each course notebook, top to bottom in a fresh kernel, as "Restart Kernel and Run All" does.

Target (course-guide.md, issue 12): under 15 s each on these machines. Wall
time includes starting the kernel. The last line reads
``notebooks: N/M within 15 s; slowest <name> X.X s``.

Run: make bench   (or: .venv/bin/python benchmarks/bench_notebooks.py [NOTEBOOK ...])
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 15.0


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    times = {}
    for path in paths:
        times[path.name] = run(path)
        mark = "ok" if times[path.name] <= TARGET_S else "SLOW"
        print(f"{path.name:40} {times[path.name]:6.1f} s   target {TARGET_S:.0f} s  {mark}")
    slowest = max(times, key=times.get)
    within = sum(t <= TARGET_S for t in times.values())
    print(f"notebooks: {within}/{len(times)} within {TARGET_S:.0f} s; slowest {slowest} {times[slowest]:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
