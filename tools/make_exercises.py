"""Generate the learners' exercise notebooks from the solution notebooks.

The solution notebook (``solutions/<name>.ipynb``) is the source of truth.
In its code cells, each answer sits between two marker lines::

    ### BEGIN SOLUTION
    command = "scale deployment currency-exchange --replicas=4"
    ### END SOLUTION

The exercise notebook (``exercises/<name>.ipynb``) is the same notebook with
each such block replaced by one placeholder per name the block assigns, at the
marker's indentation (``command = ...  # your answer here``), and with every
output cleared. Nothing else changes, so the two can never drift apart. A check
cell after each answer calls ``k8sedu.checks``, which says "not answered yet"
while an answer is still ``...``.

Usage::

    python tools/make_exercises.py            # (re)write exercises/ from solutions/
    python tools/make_exercises.py --check    # exit 1 if exercises/ is out of date
    python tools/make_exercises.py solutions/05_service_discovery.ipynb
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
PLACEHOLDER = "{indent}{name} = ...  # your answer here"
_MARKER = re.compile(r"^([ \t]*)(### (?:BEGIN|END) SOLUTION)[ \t]*$")


class SolutionMarkerError(ValueError):
    """The solution markers in a cell are unbalanced, or a block assigns no answer."""


def strip_solutions(source: str) -> str:
    """Replace each solution block in a cell's source with placeholders for the names it assigns.

    Examples
    --------
    >>> print(strip_solutions('''print("setup")
    ... ### BEGIN SOLUTION
    ... fqdn = "currency-exchange.default.svc.cluster.local"
    ... ### END SOLUTION
    ... check(fqdn)'''))
    print("setup")
    fqdn = ...  # your answer here
    check(fqdn)
    >>> print(strip_solutions('''def answer():
    ...     ### BEGIN SOLUTION
    ...     n = 4
    ...     p = 1 / n
    ...     ### END SOLUTION
    ...     return p'''))
    def answer():
        n = ...  # your answer here
        p = ...  # your answer here
        return p
    """
    out: list[str] = []
    block: list[str] | None = None
    indent = ""
    for number, line in enumerate(source.split("\n"), 1):
        marker = _MARKER.match(line)
        if marker and marker.group(2) == BEGIN:
            if block is not None:
                raise SolutionMarkerError(f"line {number}: {BEGIN} inside another solution block")
            block, indent = [], marker.group(1)
        elif marker:  # END
            if block is None:
                raise SolutionMarkerError(f"line {number}: {END} without {BEGIN}")
            out += [PLACEHOLDER.format(indent=indent, name=name) for name in _assigned_names(block, number)]
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise SolutionMarkerError(f"{BEGIN} without {END}")
    return "\n".join(out)


def _assigned_names(block: list[str], end_line: int) -> list[str]:
    """The names a solution block assigns at its top level, in order, each once."""
    tree = ast.parse(textwrap.dedent("\n".join(block)))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        else:
            continue
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and name.id not in names:
                    names.append(name.id)
    if not names:
        raise SolutionMarkerError(f"the solution block ending on line {end_line} assigns no name; "
                                  "write the answer as `name = value`")
    return names


def make_exercise(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the exercise version of a solution notebook (a new object; outputs cleared)."""
    exercise = nbformat.from_dict(solution)  # a deep copy
    exercise.metadata.pop("widgets", None)
    for index, cell in enumerate(exercise.cells):
        if cell.cell_type == "code":
            try:
                cell.source = strip_solutions(cell.source)
            except SolutionMarkerError as err:
                raise SolutionMarkerError(f"cell {index}: {err}") from None
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        elif BEGIN in cell.source or END in cell.source:
            raise SolutionMarkerError(f"cell {index}: solution markers work only in code cells")
    return exercise


def render(solution_path: Path) -> str:
    """The text of the exercise notebook generated from ``solution_path``."""
    return nbformat.writes(make_exercise(nbformat.read(solution_path, as_version=4)))


def exercise_path(solution_path: Path, root: Path = ROOT) -> Path:
    return root / "exercises" / solution_path.name


def sync(solutions: list[Path], root: Path = ROOT, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, only compare) each exercise; return those that were out of date."""
    stale = []
    for solution in solutions:
        target = exercise_path(solution, root)
        text = render(solution)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target)
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description="Generate exercises/*.ipynb from solutions/*.ipynb.")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if an exercise is out of date")
    parser.add_argument("solutions", nargs="*", type=Path, help="solution notebooks (default: solutions/*.ipynb)")
    args = parser.parse_args(argv)
    solutions = args.solutions or sorted((root / "solutions").glob("*.ipynb"))
    stale = sync(solutions, root, check=args.check)
    for path in stale:
        if args.check:
            print(f"{path.relative_to(root)} is out of date: run python tools/make_exercises.py", file=sys.stderr)
        else:
            print(f"wrote {path.relative_to(root)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
