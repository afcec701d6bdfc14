"""Exercises are generated from solutions, carry the tasks the grader reads, and never overwrite a learner's work.

Also: every committed exercise, run as the grader runs it, stops only at its
check cells with ``NotAnswered``; run as a learner runs it ("Run All"), it
goes through every task without an error.
"""

import importlib.util
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from k8sedu import exercises

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*_solutions.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*_exercises.ipynb"))


def tool():
    spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "tools" / "make_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_solution_has_its_exercise_and_every_exercise_its_solution():
    assert [exercises.exercise_id(s) for s in SOLUTIONS] == [e.stem.removesuffix("_exercises") for e in EXERCISES]
    assert not list((ROOT / "exercises").glob("*_solutions.ipynb"))  # the answers are never next to the exercise


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_the_committed_exercise_is_what_the_generator_makes(solution):
    target = exercises.exercise_path(solution, ROOT)
    generated = nbformat.reads(exercises.render(solution), as_version=4)
    assert exercises._same(generated, nbformat.read(target, as_version=4)), \
        f"{target.name} is out of date: run python tools/make_exercises.py"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_each_check_cell_is_a_task_the_metadata_lists(path):
    nb = nbformat.read(path, as_version=4)
    tasks = [c.metadata["k8sedu"]["task"] for c in nb.cells if "k8sedu" in c.get("metadata", {})]
    assert tasks and nb.metadata["k8sedu"]["tasks"] == tasks
    assert nb.metadata["k8sedu"]["exercise"] == path.stem.removesuffix("_exercises")
    assert all(t.startswith(nb.metadata["k8sedu"]["exercise"] + "/task-") for t in tasks)
    assert "SOLUTION" not in "".join(c.source for c in nb.cells)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "solutions").mkdir()
    solution = tmp_path / "solutions" / SOLUTIONS[0].name
    shutil.copy(SOLUTIONS[0], solution)
    return tmp_path, solution


def test_check_mode_finds_drift_in_sources(tree, capsys):
    root, solution = tree
    make = tool()
    assert make.main([], root=root) == 0 and make.main(["--check"], root=root) == 0
    nb = nbformat.read(solution, as_version=4)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, solution)
    assert make.main(["--check"], root=root) == 1
    assert "is out of date" in capsys.readouterr().err


def test_regenerating_never_overwrites_a_learners_edited_exercise_silently(tree, capsys):
    root, solution = tree
    make = tool()
    make.main([], root=root)
    target = exercises.exercise_path(solution, root)
    learner = nbformat.read(target, as_version=4)
    answer = next(c for c in learner.cells if "= ...  # your answer here" in c.source)
    answer.source = answer.source.replace("...  # your answer here", "'my answer'")
    nbformat.write(learner, target)
    nb = nbformat.read(solution, as_version=4)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, solution)
    assert make.main([], root=root) == 1
    assert "has been edited since it was generated" in capsys.readouterr().err
    assert "'my answer'" in target.read_text()
    assert make.main(["--force"], root=root) == 0 and "'my answer'" not in target.read_text()


def run(path: Path, grading: bool) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    previous = os.environ.get("K8SEDU_GRADING")
    os.environ["K8SEDU_GRADING"] = "1" if grading else "0"
    try:
        NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=grading,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ["K8SEDU_GRADING"] = previous or "1"
    return nb


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_graded_blank_exercise_fails_only_its_checks_and_only_as_not_answered(path):
    nb = run(path, grading=True)
    for index, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if "k8sedu" in cell.get("metadata", {}):
            assert [e.ename for e in errors] == ["NotAnswered"], f"cell {index}: {[e.evalue for e in errors]}"
        else:
            assert errors == [], f"cell {index}: {errors[0].ename}: {errors[0].evalue}"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_run_all_goes_through_a_blank_exercise_in_a_learners_kernel(path):
    nb = run(path, grading=False)  # allow_errors=False: any error fails here
    shown = [o for c in nb.cells if "k8sedu" in c.get("metadata", {}) for o in c.outputs]
    assert shown and all("Not answered yet" in o.get("data", {}).get("text/html", "") for o in shown)
