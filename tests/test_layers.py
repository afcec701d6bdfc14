"""The layers of design.md, checked on the code: core <- tools <- facade <- edge, no cycles.

Every ``import`` in ``k8sedu/`` is read from the AST, also those inside
functions and under ``if TYPE_CHECKING:``; a module may import its own layer
or a lower one. Runtime imports (not the TYPE_CHECKING ones) may not form a
cycle. Imports sit at module top, except the heavy or optional packages, the
facade's imports of the tools and the package's import of its magics, which
may be deferred for start-up time.
The checker is tried on a small planted tree first, so it is known to fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "k8sedu"
TOOLS = {"kubectl", "manifests", "viz"}
EDGE = {"__init__", "widgets", "magics", "checks", "notebook"}
LAYER_NAMES = ("core", "tools", "facade", "edge")
DEFERRABLE = ("IPython", "matplotlib", "ipympl", "ipywidgets", "networkx", "nbformat", "nbclient")
CORE_TYPES = {"Model", "DataPlane", "Nodes", "Core"}  # what a tool or core entry point may take as its cluster


def layer(module: str) -> int:
    """0 core, 1 tools, 2 facade (``cluster`` and any ``cluster*`` module), 3 edge."""
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else "__init__"
    if head in EDGE:
        return 3
    if head.startswith("cluster"):
        return 2
    return 1 if head in TOOLS else 0


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_ids(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids |= {id(sub) for stmt in node.body for sub in ast.walk(stmt)}
    return ids


def _targets(node: ast.AST, package: str, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join(up + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    else:
        return []
    return names


def _resolve(name: str, known: set[str]) -> str:
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def read_imports(root: Path):
    """Yield (module, imported, line, type_only, top_level) for every import in the package at ``root``."""
    files = sorted(root.rglob("*.py"))
    known = {module_name(p, root) for p in files}
    for path in files:
        module = module_name(path, root)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(), str(path))
        type_only = _type_checking_ids(tree)
        top = {id(n) for n in tree.body} | {id(s) for n in tree.body if isinstance(n, ast.If) for s in n.body}
        for node in ast.walk(tree):
            for name in _targets(node, package, known):
                target = _resolve(name, known) if name.startswith(root.name) else name
                yield module, target, node.lineno, id(node) in type_only, id(node) in top


def _lazy_edge(module: str, target: str) -> bool:
    """For ``import k8sedu``'s start-up (issue 15: under 0.15 s), the package's __init__ may defer the magics (and
    the magics loads kubectl), and the ingress-nginx add-on's model loads when it is installed or first asked
    about (a tenth of the start-up otherwise)."""
    return (module == "k8sedu" and target == "k8sedu.magics") or target.startswith("k8sedu.ingress_nginx")


def violations(root: Path) -> dict[str, list[str]]:
    """Upward imports, runtime cycles, deferred imports that may not be deferred, importlib use."""
    found: dict[str, list[str]] = {"upward": [], "cycles": [], "deferred": [], "dynamic": []}
    graph = nx.DiGraph()
    for module, target, line, type_only, top_level in read_imports(root):
        if target.split(".")[0] in ("importlib",) or target == "__import__":
            found["dynamic"].append(f"{module}:{line} imports {target}")
        if not target.startswith(root.name):
            if not top_level and not target.startswith(DEFERRABLE):
                found["deferred"].append(f"{module}:{line} imports {target} inside a function")
            continue
        if target == module:
            continue
        if layer(target) > layer(module):
            found["upward"].append(f"{module}:{line} ({LAYER_NAMES[layer(module)]}) imports "
                                   f"{target} ({LAYER_NAMES[layer(target)]})")
        elif not top_level and not (layer(module) == 2 and layer(target) == 1) and not _lazy_edge(module, target):
            found["deferred"].append(f"{module}:{line} imports {target} inside a function")
        if not type_only:
            graph.add_edge(module, target)
    found["cycles"] = [", ".join(sorted(c)) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    return found


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "k8sedu"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_checker_catches_upward_imports_cycles_and_hidden_ones(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "",
        "store.py": "import k8sedu.proxy\n",
        "proxy.py": "from k8sedu import store\n\ndef f():\n    from k8sedu import cluster\n",
        "cluster.py": "def g():\n    from k8sedu import viz\n",
        "viz.py": "import importlib\n\ndef h():\n    import json\n",
    })
    found = violations(root)
    assert found["upward"] == ["k8sedu.proxy:4 (core) imports k8sedu.cluster (facade)"]
    assert found["cycles"] == ["k8sedu.proxy, k8sedu.store"]
    assert found["dynamic"] == ["k8sedu.viz:1 imports importlib"]
    assert found["deferred"] == ["k8sedu.viz:4 imports json inside a function"]  # the facade may defer viz


def test_a_type_checking_import_counts_as_upward_but_not_as_a_cycle(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "",
        "network.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from k8sedu.cluster import C\n",
        "cluster.py": "import k8sedu.network\n",
    })
    found = violations(root)
    assert found["upward"] == ["k8sedu.network:3 (core) imports k8sedu.cluster (facade)"]
    assert found["cycles"] == []


@pytest.mark.parametrize("kind", ["upward", "cycles", "deferred", "dynamic"])
def test_the_package_keeps_the_layers_of_design_md(kind):
    assert violations(PACKAGE)[kind] == []


def test_the_facade_is_thin():
    lines = sum(len(p.read_text().splitlines()) for p in PACKAGE.rglob("cluster*.py"))
    assert 0 < lines < 300


def _entry_points():
    """Functions of the core and the tools that take the cluster (``cluster``, ``core``) as a parameter."""
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path, PACKAGE)
        if layer(module) > 1:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.Lambda)) and not isinstance(node, ast.Lambda):
                for arg in node.args.args + node.args.kwonlyargs:
                    if arg.arg in ("cluster", "core"):
                        yield f"{module}.{node.name}", arg


def test_core_and_tool_entry_points_take_a_core_protocol():
    untyped = [name for name, arg in _entry_points()
               if arg.annotation is None or ast.unparse(arg.annotation).strip("'\"") not in CORE_TYPES]
    assert untyped == []
    assert len(list(_entry_points())) > 50  # the walk does see the entry points
