"""Re-execute course notebooks in place, so the outputs nbval compares are fresh.

Usage: python tools/execute_notebooks.py [NOTEBOOK ...]   (default: notebooks/ and solutions/)

Each notebook runs top to bottom in a fresh kernel from its own folder, like
"Restart Kernel and Run All". Then, as course-tooling.md advises, the widget
state is removed (it would show "model not found" without a kernel), the
outputs of cells that display widgets or are expected to raise are cleared,
and the exercise notebooks are regenerated from the solutions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def shows_widget(cell) -> bool:
    return any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", []))


def expects_error(cell) -> bool:
    tags = set(cell.get("metadata", {}).get("tags", []))
    return bool(tags & {"raises-exception", "nbval-raises-exception"}) or "NBVAL_RAISES_EXCEPTION" in cell.source


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code" and (shows_widget(cell) or expects_error(cell)):
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)
    print(f"executed {path.relative_to(ROOT)}")


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
        (ROOT / "solutions").glob("*.ipynb"))
    for path in paths:
        execute(path)
    return subprocess.call([sys.executable, str(ROOT / "tools" / "make_exercises.py")])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
