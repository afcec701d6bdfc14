"""Exercise notebooks: generated from their solutions, with the tasks the grader looks for.

The solution notebook (``solutions/NN_topic_solutions.ipynb``) is the source
of truth. In its code cells, each answer sits between two marker lines::

    ### BEGIN SOLUTION
    command = "scale deployment currency-exchange --replicas=4"
    ### END SOLUTION

The exercise notebook (``exercises/NN_topic_exercises.ipynb``) is the same
notebook with each such block replaced by one placeholder per name the block
assigns, at the marker's indentation (``command = ...  # your answer here``),
and with every output cleared, so the two can never drift apart. Each check
cell (one that calls a ``check_...`` function) becomes a task: the generator
writes the exercise's id and its tasks into the notebook's metadata
(``metadata.k8sedu``) and each check cell's task id into the cell's, which is
how the grader knows what a submitted notebook is, whatever its file name.

A learner's edited exercise is never overwritten silently: the generator
records a fingerprint of the sources it wrote, and refuses (unless forced)
to replace a file whose sources no longer match it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import textwrap
from pathlib import Path
from typing import Optional

import nbformat

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


SOLUTION_SUFFIX, EXERCISE_SUFFIX = "_solutions", "_exercises"
CHECK_CALL = re.compile(r"\bcheck_\w+\(")
TASK_HEADING = re.compile(r"^##\s+Task\s+(\w+)", re.M)


def exercise_id(solution_path: Path) -> str:
    """``05_service_discovery`` for ``solutions/05_service_discovery_solutions.ipynb``."""
    return solution_path.stem.removesuffix(SOLUTION_SUFFIX)


def tag_tasks(nb: nbformat.NotebookNode, exercise: str) -> list[str]:
    """Give each check cell its task id (``<exercise>/task-<k>``, from the ``## Task k`` heading above it) and
    write the exercise id and the task list into the notebook's metadata; return the task ids."""
    tasks: list[str] = []
    heading = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = TASK_HEADING.findall(cell.source)
            heading = found[-1] if found else heading
        elif CHECK_CALL.search(cell.source):
            task = f"{exercise}/task-{heading or len(tasks) + 1}"
            if task in tasks:
                task = f"{task}-{sum(t.startswith(task) for t in tasks) + 1}"
            tasks.append(task)
            cell.metadata["k8sedu"] = {"task": task}
    nb.metadata["k8sedu"] = {"exercise": exercise, "tasks": tasks}
    return tasks


def fingerprint(nb: nbformat.NotebookNode) -> str:
    """A hash of a notebook's cell types and sources: what a learner edits, not outputs or metadata."""
    text = json.dumps([[c.cell_type, c.source] for c in nb.cells])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_exercise(solution: nbformat.NotebookNode, exercise_name: str = "") -> nbformat.NotebookNode:
    """Return the exercise version of a solution notebook (a new object; outputs cleared, tasks tagged)."""
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
    if exercise_name:
        tag_tasks(exercise, exercise_name)
        exercise.metadata["k8sedu"]["generated"] = fingerprint(exercise)
    return exercise


def render(solution_path: Path) -> str:
    """The text of the exercise notebook generated from ``solution_path``."""
    return nbformat.writes(make_exercise(nbformat.read(solution_path, as_version=4), exercise_id(solution_path)))


def exercise_path(solution_path: Path, root: Path) -> Path:
    return root / "exercises" / f"{exercise_id(solution_path)}{EXERCISE_SUFFIX}.ipynb"


def edited(path: Path) -> bool:
    """Whether ``path`` is an exercise someone changed since the generator wrote it (or not one it wrote)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # not a notebook any more: certainly not what we wrote
        return True
    recorded = nb.metadata.get("k8sedu", {}).get("generated")
    return recorded is None or recorded != fingerprint(nb)


class EditedExercise(Exception):
    """Regenerating would overwrite a learner's work."""


def sync(solutions: list[Path], root: Path, check: bool = False, force: bool = False) -> list[Path]:
    """Write (or, with ``check``, only compare) each exercise; return those that were out of date.

    Refuses (``EditedExercise``) to overwrite an exercise whose sources were
    edited since it was generated, unless ``force``.
    """
    stale = []
    for solution in solutions:
        target = exercise_path(solution, root)
        text = render(solution)
        if target.exists() and _same(nbformat.reads(text, as_version=4), nbformat.read(target, as_version=4)):
            continue
        stale.append(target)
        if check:
            continue
        if target.exists() and edited(target) and not force:
            raise EditedExercise(f"{target} has been edited since it was generated (someone's answers?); "
                                 "move it away, or regenerate with --force to overwrite it")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return stale


def _same(generated: nbformat.NotebookNode, existing: nbformat.NotebookNode) -> bool:
    """Drift is in sources and metadata, not in outputs (the exercises are committed without any)."""
    def view(nb):
        return ([(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells], dict(nb.metadata))
    return view(generated) == view(existing)
