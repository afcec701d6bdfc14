"""Generate the learners' exercise notebooks from the solution notebooks (``k8sedu.exercises`` does the work).

Usage::

    python tools/make_exercises.py            # (re)write exercises/*_exercises.ipynb from solutions/*_solutions.ipynb
    python tools/make_exercises.py --check    # exit 1 if an exercise is out of date (sources and metadata)
    python tools/make_exercises.py --force    # also overwrite exercises someone edited
    python tools/make_exercises.py solutions/05_service_discovery_solutions.ipynb
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from k8sedu.exercises import (BEGIN, END, EditedExercise, SolutionMarkerError, exercise_path, make_exercise,  # noqa: F401
                              render, strip_solutions, sync)

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description="Generate exercises/*_exercises.ipynb from solutions/*_solutions.ipynb.")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if an exercise is out of date")
    parser.add_argument("--force", action="store_true", help="overwrite exercises that were edited")
    parser.add_argument("solutions", nargs="*", type=Path, help="solution notebooks (default: solutions/*_solutions.ipynb)")
    args = parser.parse_args(argv)
    solutions = args.solutions or sorted((root / "solutions").glob("*_solutions.ipynb"))
    try:
        stale = sync(solutions, root, check=args.check, force=args.force)
    except EditedExercise as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path in stale:
        if args.check:
            print(f"{path.relative_to(root)} is out of date: run python tools/make_exercises.py", file=sys.stderr)
        else:
            print(f"wrote {path.relative_to(root)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
