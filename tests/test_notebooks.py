"""The course notebooks' anatomy, as course-guide.md lays it out, checked on the committed files.

nbval runs the notebooks (the README's test command); these tests read them:
every notebook has the guide's sections, stores no error output except in
cells tagged as expected errors, shows no test machinery to the learner,
displays widgets only in cells nbval does not compare, and links only to
notebooks and glossary entries that exist.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GALLERY = ROOT / "notebooks" / "widget_gallery.ipynb"
ALL = NOTEBOOKS + [GALLERY] + sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb"))
SECTIONS = ("Objectives", "Time", "On a real cluster", "Summary", "Next")
EXPECTED_ERROR = {"raises-exception", "nbval-raises-exception"}


def read(path):
    return nbformat.read(path, as_version=4)


def headings(nb) -> list[str]:
    return [line[3:].strip() for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("## ")]


def test_the_course_has_its_ten_notebooks_in_order():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(10)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_has_the_guides_sections_in_order(path):
    found = headings(read(path))
    positions = [next((i for i, h in enumerate(found) if h == s or h.startswith(s + ":")), None) for s in SECTIONS]
    assert None not in positions, f"missing: {[s for s, p in zip(SECTIONS, positions) if p is None]}"
    assert positions[:2] == sorted(positions[:2]) and positions[2:] == sorted(positions[2:])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_lets_the_learner_act_with_a_widget_and_check_themselves(path):
    nb = read(path)
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if path.name.startswith("00"):
        return
    assert re.search(r"widgets\.\w+\(|from k8sedu\.widgets import", sources), "no widget"
    assert "Check your understanding" in headings(nb)


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_error_output_is_stored_except_where_an_error_is_expected(path):
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type == "code" and not set(cell.metadata.get("tags", [])) & EXPECTED_ERROR:
            assert not [o for o in cell.outputs if o.output_type == "error"], f"cell {i}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_source_shows_a_learner_the_test_machinery(path):
    for i, cell in enumerate(read(path).cells):
        assert not re.search(r"NBVAL_", cell.source), f"cell {i} shows an nbval marker; use a cell tag"


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_widget_cells_are_never_output_checked_and_no_widget_state_is_stored(path):
    nb = read(path)
    assert "widgets" not in nb.metadata
    for i, cell in enumerate(nb.cells):
        shows_widget = cell.cell_type == "code" and re.search(r"widgets\.\w+\(|Panel\(", cell.source)
        if shows_widget:
            assert "nbval-check-output" not in cell.metadata.get("tags", []), f"cell {i}"
            assert cell.outputs == [], f"cell {i}: widget output stored"


def test_the_gallery_drives_every_panel_of_k8sedu_widgets():
    from k8sedu import widgets

    sources = "\n".join(c.source for c in read(GALLERY).cells)
    panels = [name for name in widgets.__all__ if name[0].isupper() and name != "ServiceDiscoveryPanel"]
    assert len(panels) == 7 and all(f"widgets.{name}(" in sources for name in panels)


def test_exercise_notebooks_are_committed_without_outputs():
    for path in sorted((ROOT / "exercises").glob("*.ipynb")):
        assert all(not c.get("outputs") for c in read(path).cells if c.cell_type == "code"), path.name


def glossary_anchors() -> set[str]:
    text = (ROOT / "notebooks" / "glossary.md").read_text()
    return {line[4:].strip().replace(" ", "-") for line in text.splitlines() if line.startswith("### ")}


@pytest.mark.parametrize("path", NOTEBOOKS + [ROOT / "notebooks" / "glossary.md"], ids=lambda p: p.name)
def test_links_to_notebooks_and_glossary_entries_resolve(path):
    text = path.read_text() if path.suffix == ".md" else "\n".join(c.source for c in read(path).cells
                                                                    if c.cell_type == "markdown")
    anchors = glossary_anchors()
    for target, anchor in re.findall(r"\]\((?!https?:)([^)#\s]+\.(?:ipynb|md))(?:#([^)\s]+))?\)", text):
        assert (path.parent / target).exists(), f"{path.name} links to missing {target}"
        if target.endswith("glossary.md") and anchor:
            assert anchor in anchors, f"{path.name} links to missing glossary entry #{anchor}"
