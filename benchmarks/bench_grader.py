"""Benchmark: the instructor's grader on 50 submitted notebooks.

Fabricates ``submitted/learner-NN/<exercise>`` from the course's exercise
notebooks (blank, so every check cell runs its setup and its check), grades
the folder with ``python -m k8sedu grade`` (one notebook per CPU at a time),
and reports the wall time against the target.

Target (issue 13): 50 notebooks in under 5 minutes on a 2-core machine.
The last line reads ``grader: 50 notebooks in X s (Y s per notebook); target 300 s``.

Run: make bench   (or: .venv/bin/python benchmarks/bench_grader.py [--notebooks N])
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 300.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notebooks", type=int, default=50)
    args = parser.parse_args()
    exercises = sorted((ROOT / "exercises").glob("*_exercises.ipynb"))
    with tempfile.TemporaryDirectory() as scratch:
        submitted = Path(scratch) / "submitted"
        for n, exercise in zip(range(args.notebooks), cycle(exercises)):
            target = submitted / f"learner-{n // len(exercises):02d}" / exercise.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(exercise, target)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "k8sedu", "grade", str(submitted), "--out", str(Path(scratch) / "out")],
                       check=True, capture_output=True)
        elapsed = time.perf_counter() - start
    print(f"grader: {args.notebooks} notebooks in {elapsed:.0f} s ({elapsed / args.notebooks:.1f} s per notebook); "
          f"target {TARGET_S:.0f} s")


if __name__ == "__main__":
    main()
