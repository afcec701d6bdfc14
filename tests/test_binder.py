"""Binder, emulated: the ``binder/`` folder builds an environment that runs the start notebook.

Docker is not available here, so the test does what repo2docker's Python
buildpack does with a ``binder/`` folder, in order: a fresh virtual
environment with the Python that ``binder/runtime.txt`` names,
``pip install -r binder/requirements.txt`` (the dependency layer), a copy of
the repo (repo2docker copies it into the image, so the working tree is left
alone), ``binder/postBuild`` run from that copy's root with the environment
first on PATH, then ``notebooks/00_start_here.ipynb`` executed by nbclient in
that environment's own kernel.

The dependency layer is cached under ``.cache/binder-<hash of binder/>`` and
reused while ``binder/`` is unchanged, as Binder reuses its image layer;
postBuild and the notebook run every time, so the course's current content is
what gets tested. Every step runs under a timeout, and under a file lock, so a
second run at the same time (a test suite and a benchmark) waits instead of
building into the same folder. The environment's
installed size is printed and written to ``benchmarks/results/binder_size.txt``,
beside the six card packages' venv when ``benchmarks/bench_binder_size.py``
has built it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
CACHE = ROOT / ".cache"
RESULTS = ROOT / "benchmarks" / "results" / "binder_size.txt"
START = "notebooks/00_start_here.ipynb"
DONE = ".complete"  # written last, so a half-built environment is never reused
CARDS_PREFIX = "cards-"  # benchmarks/bench_binder_size.py caches its venv as .cache/cards-<hash>
VENV_S, INSTALL_S, POSTBUILD_S, NOTEBOOK_S = 120, 1800, 600, 600
LOCK_S = VENV_S + INSTALL_S + POSTBUILD_S + NOTEBOOK_S  # the longest another run can hold the lock
# Local leftovers a working tree has and a fresh clone (what Binder copies) would not.
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".cache", "build", "*.egg-info", "__pycache__", ".hypothesis",
                                    ".ruff_cache", ".pytest_cache", ".ipynb_checkpoints", "results", "screenshots")


def digest(paths: list[Path], extra: str = "") -> str:
    """A short hash of the files' names and bytes (and ``extra``), to key a cached environment."""
    h = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def runtime_python() -> str:
    """The interpreter ``binder/runtime.txt`` names (``python-3.11`` -> ``python3.11`` on PATH), or a clear error."""
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    if not match:
        raise RuntimeError(f"binder/runtime.txt should read python-X.Y, not {runtime!r}")
    python = shutil.which(f"python{match[1]}")
    if python is None:
        raise RuntimeError(f"binder/runtime.txt names {runtime}, "
                           f"but there is no python{match[1]} on PATH to build with")
    return python


def run(cmd: list[str], timeout: float, **kwargs) -> str:
    """Run a build step; on failure or timeout, raise with the step's last output so the cause is readable."""
    try:
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"{' '.join(map(str, cmd))} took over {timeout} s") from e
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-4000:]
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{tail}")
    return done.stdout


@contextlib.contextmanager
def exclusive(timeout: float = LOCK_S):
    """Hold ``.cache/binder.lock`` so concurrent runs (a test suite and a benchmark) never share a half-built venv.

    Waits at most ``timeout`` seconds; the lock dies with its process, so a killed run never leaves it behind.
    """
    CACHE.mkdir(exist_ok=True)
    with open(CACHE / "binder.lock", "w") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"another run held {lock.name} for over {timeout} s") from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_venv(path: Path, python: str, pip_args: list[str]) -> Path:
    """A venv at ``path`` with ``pip install <pip_args>``, reused when a finished one is there already."""
    if (path / DONE).exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    run([python, "-m", "venv", str(path)], VENV_S)
    run([str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pip_args],
        INSTALL_S)
    (path / DONE).touch()
    return path


def binder_environment() -> Path:
    """The dependency layer: runtime.txt's Python with binder/requirements.txt, cached by a hash of ``binder/``."""
    python = runtime_python()
    path = CACHE / f"binder-{digest([p for p in BINDER.iterdir() if p.is_file()])}"
    for stale in CACHE.glob("binder-*"):
        if stale != path:
            shutil.rmtree(stale, ignore_errors=True)
    return build_venv(path, python, ["-r", str(BINDER / "requirements.txt")])


def environ(env: Path, home: Path) -> dict[str, str]:
    """The process environment of a Binder build or session: ``env`` first on PATH, no outside Jupyter paths."""
    names = ("PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "PIP_REQUIRE_VIRTUALENV")
    variables = {k: v for k, v in os.environ.items() if k not in names}
    variables.update(PATH=f"{env / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(env),
                     JUPYTER_DATA_DIR=str(home / "jupyter-data"), MPLCONFIGDIR=str(home / "matplotlib"))
    return variables


def post_build(env: Path, repo: Path) -> None:
    """Copy the repo as repo2docker does, then run ``binder/postBuild`` from the copy's root, as repo2docker does."""
    shutil.copytree(ROOT, repo, ignore=NOT_COPIED)
    script = repo / "binder" / "postBuild"
    script.chmod(0o755)
    run([str(script)], POSTBUILD_S, cwd=repo, env=environ(env, repo.parent))


# Runs inside the Binder environment's own Python: nbclient starts that environment's kernel.
EXECUTE = """
import json, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
nb.cells.append(new_code_cell("import json, sys, k8sedu\\nprint(json.dumps([sys.prefix, k8sedu.__file__]))"))
resources = {"metadata": {"path": str(Path(path).parent)}}
NotebookClient(nb, kernel_name="python3", timeout=300, resources=resources).execute()
print(json.dumps({"cells": len(nb.cells) - 1, "where": nb.cells[-1].outputs[0]["text"].strip()}))
"""


def execute_start_notebook(env: Path, repo: Path) -> dict:
    """Execute the start notebook with nbclient in the environment's kernel; what ran, and where the kernel lived."""
    out = run([str(env / "bin" / "python"), "-c", EXECUTE, str(repo / START)], NOTEBOOK_S, cwd=repo,
              env=environ(env, repo.parent))
    result = json.loads(out.strip().splitlines()[-1])
    result["prefix"], result["k8sedu"] = json.loads(result.pop("where"))
    return result


def installed_mib(path: Path) -> float:
    """Bytes of every file under ``path`` (links not followed), in MiB: what the environment adds to an image."""
    total = sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())
    return total / 2**20


def distributions(env: Path) -> int:
    """How many Python distributions the environment holds."""
    return len(list(env.glob("lib/python*/site-packages/*.dist-info")))


def card_environment_built() -> Path | None:
    """The card packages' venv, if benchmarks/bench_binder_size.py has finished building one."""
    cards = sorted(p for p in CACHE.glob(f"{CARDS_PREFIX}*") if (p / DONE).exists())
    return cards[-1] if cards else None


def size_report(env: Path, cards: Path | None = None) -> str:
    """The Binder environment's size, against the six card packages' venv if there is one.

    The last line is ``binder size: X MiB vs card packages Y MiB (R.RRx)``, or says how to get the comparison.
    """
    mib = installed_mib(env)
    lines = [f"binder env ({env.name}): {mib:.0f} MiB installed, {distributions(env)} distributions"]
    cards = cards or card_environment_built()
    if cards is None:
        lines.append(f"binder size: {mib:.0f} MiB; card packages venv not built "
                     "(run .venv/bin/python benchmarks/bench_binder_size.py)")
        return "\n".join(lines)
    card_mib = installed_mib(cards)
    lines.append(f"card packages venv ({cards.name}): {card_mib:.0f} MiB installed, "
                 f"{distributions(cards)} distributions")
    lines.append(f"binder size: {mib:.0f} MiB vs card packages {card_mib:.0f} MiB ({mib / card_mib:.2f}x)")
    return "\n".join(lines)


def write_report(text: str) -> None:
    """Print the size report and keep it in benchmarks/results/ (git-ignored)."""
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text + "\n")


def requirements() -> dict[str, str]:
    """binder/requirements.txt as {normalised name: pinned version}; a line that is not ``name==version`` fails."""
    pins = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
            assert match, f"not a plain pin: {line!r} (local references make repo2docker reinstall on every change)"
            pins[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return pins


def test_requirements_pin_the_course_runtime():
    """Every runtime dependency of pyproject.toml, and JupyterLab, is pinned; no test-only tool is shipped."""
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib")
    pins = requirements()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = [re.match(r"[A-Za-z0-9._-]+", d)[0].lower() for d in project["dependencies"]] + ["jupyterlab"]
    assert [n for n in needed if n not in pins] == []
    assert [n for n in ("pytest", "nbval", "hypothesis", "playwright", "kubernetes-validate") if n in pins] == []


def test_postbuild_installs_only_the_course_package():
    """postBuild stops at the first error and installs the package without touching the dependency layer."""
    script = (BINDER / "postBuild").read_text()
    assert script.startswith("#!") and "\nset -e\n" in script
    assert re.search(r"^pip install --no-deps( --no-cache-dir)? \.$", script, re.MULTILINE)


def test_binder_environment_runs_the_start_notebook(tmp_path):
    """Built as Binder would build it, the environment executes the start notebook in its own kernel."""
    with exclusive():
        env = binder_environment()
        repo = tmp_path / "repo"
        post_build(env, repo)
        result = execute_start_notebook(env, repo)
    assert result["cells"] > 0
    assert Path(result["prefix"]) == env, "the kernel did not come from the Binder environment"
    assert Path(result["k8sedu"]).is_relative_to(env), "k8sedu was not the copy postBuild installed"
    write_report(size_report(env))


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-s"]))
