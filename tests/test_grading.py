"""The instructor's grader on a folder of fabricated submissions: the right row for each kind of notebook.

The exercise here is small and fast (three probability tasks, no cluster),
generated from a solution by ``k8sedu.exercises`` like the course's. Six
learners: right, partial, blank, not JSON, an endless loop, a deleted check
cell; one more hands in a notebook of another exercise under nbgrader's
``<learner>/<assignment>/`` layout. The folder must be byte-for-byte
unchanged afterwards.
"""

import csv
import hashlib
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from k8sedu import exercises, grading

TASKS = [("Task 1", "p = 1 / 4", "check_probability(p, n=4)"),
         ("Task 2", "p = 1 / 3", "check_probability(p, n=3)"),
         ("Task 3", "p = 0.5", "check_probability(p, n=2)")]


def solution(exercise_title="Probabilities") -> nbformat.NotebookNode:
    cells = [new_markdown_cell(f"# Exercises: {exercise_title}"), new_code_cell("from k8sedu.checks import check_probability")]
    for heading, answer, call in TASKS:
        cells += [new_markdown_cell(f"## {heading}: rule 1"),
                  new_code_cell(f"### BEGIN SOLUTION\n{answer}\n### END SOLUTION"), new_code_cell(call)]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})


def exercise(name="99_probabilities") -> nbformat.NotebookNode:
    return exercises.make_exercise(solution(), name)


def answered(nb, answers) -> nbformat.NotebookNode:
    """The exercise with ``p = ...`` replaced, task by task (None leaves the blank)."""
    blanks = iter(answers)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("p = ..."):
            value = next(blanks)
            if value is not None:
                cell.source = f"p = {value}"
    return nb


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("submitted")
    def hand_in(learner, nb=None, text=None, name="99_probabilities_exercises.ipynb"):
        path = root / learner / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text is not None else nbformat.writes(nb), encoding="utf-8")
    hand_in("alice", answered(exercise(), ["1/4", "1/3", "0.5"]))
    hand_in("bob", answered(exercise(), ["1/4", "0.5", None]))
    hand_in("carol", exercise())
    hand_in("dave", text='{"cells": [ this is not json')
    looping = answered(exercise(), ["1/4", None, None])
    looping.cells.insert(5, new_code_cell("while True:\n    pass"))
    hand_in("erin", looping)
    deleted = answered(exercise(), ["1/4", "1/3", "0.5"])
    deleted.cells = [c for c in deleted.cells if c.get("metadata", {}).get("k8sedu", {}).get("task") != "99_probabilities/task-2"]
    hand_in("frank", deleted)
    other = exercises.make_exercise(solution("Other"), "98_other")
    hand_in("gina", answered(other, ["1/4", "1/3", "0.5"]), name="assignment1/98_other_exercises.ipynb")
    return root


def digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def report(submitted, tmp_path_factory):
    before = digest(submitted)
    out = tmp_path_factory.mktemp("report")
    result = subprocess.run([sys.executable, "-m", "k8sedu", "grade", str(submitted), "--out", str(out),
                             "--timeout", "6", "--jobs", "2"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return before, digest(submitted), out, result


def rows(out: Path) -> dict:
    with open(out / "grades.csv", encoding="utf-8") as handle:
        return {(r["learner"], r["task"]): (r["status"], r["message"]) for r in csv.DictReader(handle)}


def test_the_grader_never_modifies_the_submissions(report):
    before, after, _, _ = report
    assert before == after


def test_a_right_notebook_passes_every_task(report):
    table = rows(report[2])
    assert [table["alice", f"99_probabilities/task-{k}"][0] for k in (1, 2, 3)] == ["passed"] * 3
    assert table["alice", "99_probabilities/task-1"][1].startswith("✓ With 4 endpoints")


def test_partial_and_blank_answers_are_failed_and_not_answered_with_the_checks_words(report):
    table = rows(report[2])
    assert table["bob", "99_probabilities/task-1"][0] == "passed"
    status, message = table["bob", "99_probabilities/task-2"]
    assert status == "failed" and "0.5 is not what kube-proxy writes on rule 1 of 3" in message and "Hint:" in message
    assert table["bob", "99_probabilities/task-3"][0] == "not answered"
    assert {table["carol", f"99_probabilities/task-{k}"][0] for k in (1, 2, 3)} == {"not answered"}


def test_broken_notebooks_are_reported_not_fatal(report):
    table = rows(report[2])
    assert table["dave", ""][0] == "error" and "not a readable notebook" in table["dave", ""][1]
    assert table["erin", "99_probabilities/task-1"][0] == "passed"  # ran before the endless loop
    assert {table["erin", f"99_probabilities/task-{k}"][0] for k in (2, 3)} == {"timeout"}
    assert table["frank", "99_probabilities/task-2"] == ("error", "the check cell for this task was deleted")
    assert table["frank", "99_probabilities/task-3"][0] == "passed"


def test_the_exercise_comes_from_metadata_and_the_learner_from_the_first_folder(report):
    with open(report[2] / "grades.csv", encoding="utf-8") as handle:
        gina = [r for r in csv.DictReader(handle) if r["learner"] == "gina"]
    assert {r["exercise"] for r in gina} == {"98_other"} and len(gina) == 3
    assert gina[0]["notebook"] == "gina/assignment1/98_other_exercises.ipynb"


def test_the_markdown_report_has_a_table_and_a_total_per_learner(report):
    text = (report[2] / "grades.md").read_text(encoding="utf-8")
    assert "## alice: 3/3 passed" in text and "## carol: 0/3 passed" in text
    assert text.rstrip().splitlines()[-1].startswith("Totals: ")


def test_progress_is_shown_per_notebook(report):
    assert "[7/7]" in report[3].stderr and "graded 7 notebooks" in report[3].stdout


def test_progress_command_shows_a_learner_what_is_left(submitted):
    result = subprocess.run([sys.executable, "-m", "k8sedu", "progress", str(submitted / "bob")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "1/3 tasks passed"
    assert "… 99_probabilities/task-3" in result.stdout


def test_a_missing_path_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "k8sedu", "grade", "no/such/folder", "--out", "x"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no such file or folder: no/such/folder" in result.stderr


def test_every_status_row_has_the_csv_columns(report):
    with open(report[2] / "grades.csv", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == grading.FIELDS
        assert {r["status"] for r in reader} <= set(grading.STATUSES)
