"""Grading exercise notebooks: run each in a fresh kernel, read each task's check cell, write a report.

For instructors (``python -m k8sedu grade submitted/ --out report/``) and for
a learner's own view (``python -m k8sedu progress``). A submitted notebook is
copied to a scratch folder and executed there with ``K8SEDU_GRADING=1`` (so
checks raise), errors allowed, a timeout per cell and the course's own
kernel (its kernelspec is ignored); the submission itself is never written.
Which exercise it is, and which tasks it has, come from the metadata the
generator wrote (``k8sedu.exercises``); each task's verdict is read from its
check cell, found by its task id wherever the learner moved it:

- ``passed``: the check cell ran without an error;
- ``failed``: ``CheckFailed`` (the message says the mistake and the hint);
- ``not answered``: ``NotAnswered`` (still ``...``);
- ``error``: any other exception, a deleted check cell, a file that is not a
  notebook of this course;
- ``timeout``: the notebook did not get to the cell in time (an endless loop).
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

GRADING = "K8SEDU_GRADING"
STATUSES = ("passed", "failed", "not answered", "error", "timeout")
FIELDS = ("learner", "notebook", "exercise", "task", "status", "message")


@dataclass(frozen=True)
class Row:
    """One learner's verdict on one task of one exercise notebook."""

    learner: str
    notebook: str
    exercise: str
    task: str
    status: str
    message: str = ""


def submissions(paths: Iterable[Path]) -> list[tuple[str, Path, Path]]:
    """(learner, notebook, the PATH it was found under) for every ``.ipynb`` below each PATH.

    The learner is the first folder below the PATH given (``submitted/<learner>/...``, also nbgrader's
    ``submitted/<learner>/<assignment>/<notebook>``); a notebook given directly is its folder's.
    """
    found = []
    for root in paths:
        root = Path(root)
        if root.is_file():
            found.append((root.resolve().parent.name, root, root.parent))
            continue
        for path in sorted(root.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            relative = path.relative_to(root)
            learner = relative.parts[0] if len(relative.parts) > 1 else root.resolve().name
            found.append((learner, path, root))
    return found


def grade_notebook(learner: str, path: Path, root: Path, timeout: int = 120) -> list[Row]:
    """Execute one submission in a scratch copy and return one row per task."""
    import nbformat

    name = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except Exception as err:  # invalid JSON, not a notebook, unreadable
        return [Row(learner, name, "", "", "error", f"not a readable notebook: {str(err).splitlines()[0][:200]}")]
    meta = nb.metadata.get("k8sedu", {})
    exercise, tasks = meta.get("exercise", ""), list(meta.get("tasks", []))
    if not exercise or not tasks:
        return [Row(learner, name, exercise, "", "error",
                    "not an exercise notebook of this course (it has no k8sedu exercise metadata)")]
    ran, problem = _execute(nb, path, timeout)
    return [_verdict(learner, name, exercise, task, ran, problem) for task in tasks]


def _execute(nb, path: Path, timeout: int) -> tuple[object, str]:
    """Run ``nb`` in a scratch folder with grading on; return it (with outputs) and what stopped it, if anything."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    os.environ[GRADING] = "1"  # the kernel inherits it: checks raise
    for cell in nb.cells:  # what ran is read from fresh outputs only
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory(prefix="k8sedu-grade-") as scratch:
        shutil.copy(path, Path(scratch) / "submission.ipynb")  # the submission is only ever read
        client = NotebookClient(nb, kernel_name="python3", timeout=timeout, allow_errors=True,
                                resources={"metadata": {"path": scratch}})
        try:
            client.execute()
        except CellTimeoutError:
            return nb, "timeout"
        except DeadKernelError:
            return nb, "the kernel died (out of memory?)"
        except Exception as err:  # a notebook nbclient cannot run at all
            return nb, f"could not run: {type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}"
    return nb, ""


def _verdict(learner: str, name: str, exercise: str, task: str, nb, problem: str) -> Row:
    cell = next((c for c in nb.cells if c.get("metadata", {}).get("k8sedu", {}).get("task") == task), None)
    if cell is None:
        return Row(learner, name, exercise, task, "error", "the check cell for this task was deleted")
    if cell.execution_count is None:
        status = "timeout" if problem == "timeout" else "error"
        return Row(learner, name, exercise, task, status,
                   "a cell above ran out of time (an endless loop?)" if status == "timeout" else problem or "not run")
    errors = [o for o in cell.outputs if o.output_type == "error"]
    if not errors:
        return Row(learner, name, exercise, task, "passed", _text(cell).strip())
    ename, evalue = errors[0].ename, errors[0].evalue
    status = {"CheckFailed": "failed", "NotAnswered": "not answered"}.get(ename, "error")
    return Row(learner, name, exercise, task, status, evalue if status != "error" else f"{ename}: {evalue}")


def _text(cell) -> str:
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def grade(paths: Iterable[Path], timeout: int = 120, jobs: Optional[int] = None, progress=None) -> list[Row]:
    """Grade every notebook under ``paths``, ``jobs`` at a time (default: one per CPU); report each as it ends."""
    found = submissions(paths)
    rows: list[Row] = []
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = [pool.submit(grade_notebook, learner, path, root, timeout) for learner, path, root in found]
        for done, (future, (learner, path, _)) in enumerate(zip(futures, found), 1):
            result = future.result()
            rows += result
            if progress:
                counts = Counter(r.status for r in result)
                progress(f"[{done}/{len(found)}] {learner}/{path.name}: "
                         + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return rows


def write_report(rows: list[Row], out: Path) -> tuple[Path, Path]:
    """``out/grades.csv`` (one row per learner, notebook and task) and ``out/grades.md`` (per learner, with totals)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for row in rows:
            writer.writerow([getattr(row, f) for f in FIELDS])
    (out / "grades.md").write_text(markdown(rows), encoding="utf-8")
    return out / "grades.csv", out / "grades.md"


def markdown(rows: list[Row]) -> str:
    """A table per learner: each task's status and message, then the learner's total."""
    lines = ["# Grades", ""]
    for learner in sorted({r.learner for r in rows}):
        mine = [r for r in rows if r.learner == learner]
        passed = sum(r.status == "passed" for r in mine)
        lines += [f"## {learner}: {passed}/{len(mine)} passed", "", "| notebook | task | status | message |",
                  "|---|---|---|---|"]
        lines += [f"| {r.notebook} | {r.task or '-'} | {r.status} | {_cell(r.message)} |" for r in mine]
        lines.append("")
    totals = Counter(r.status for r in rows)
    lines.append("Totals: " + ", ".join(f"{totals.get(s, 0)} {s}" for s in STATUSES))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")[:300]


def progress_table(rows: list[Row]) -> str:
    """What ``progress`` prints: one line per task."""
    marks = {"passed": "✓", "failed": "✗", "not answered": "…", "error": "!", "timeout": "⏱"}
    lines = [f"{marks.get(r.status, '?')} {r.task or r.notebook:45} {r.status}"
             + (f": {' '.join(r.message.split())[:120]}" if r.status != "passed" and r.message else "") for r in rows]
    passed = sum(r.status == "passed" for r in rows)
    return "\n".join(lines + [f"{passed}/{len(rows)} tasks passed"])


def stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
