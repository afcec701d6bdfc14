"""``python -m k8sedu`` (also the ``k8sedu`` command): grade exercise notebooks, or see your own progress.

    python -m k8sedu grade submitted/ --out report/ [--timeout 120] [--jobs N]
    python -m k8sedu progress [exercises/]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from k8sedu import grading


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="k8sedu", description="Grade k8sedu exercise notebooks.")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a folder of submitted notebooks (never modifies them)")
    grade.add_argument("paths", nargs="+", type=Path, help="notebooks, or folders of <learner>/.../<notebook>")
    grade.add_argument("--out", type=Path, required=True, help="where grades.csv and grades.md go")
    grade.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    grade.add_argument("--jobs", type=int, default=None, help="notebooks at a time (default: one per CPU)")
    progress = commands.add_parser("progress", help="run your exercise notebooks and show what is left")
    progress.add_argument("paths", nargs="*", type=Path, default=[Path("exercises")])
    progress.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args(argv)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {missing[0]}")
    if args.command == "grade":
        rows = grading.grade(args.paths, args.timeout, args.jobs, progress=grading.stderr)
        csv_path, md_path = grading.write_report(rows, args.out)
        print(f"graded {len({(r.learner, r.notebook) for r in rows})} notebooks: wrote {csv_path} and {md_path}")
        return 0
    rows = grading.grade(args.paths, args.timeout, progress=grading.stderr)
    print(grading.progress_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
