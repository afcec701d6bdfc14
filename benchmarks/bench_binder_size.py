"""Benchmark: the Binder environment's installed size against a venv of the six card packages alone.

The card packages (jupyterlab, ipywidgets, matplotlib, networkx, nbval,
pytest) are what a bare notebook course would ship; the Binder environment
(binder/requirements.txt plus the course, built as tests/test_binder.py
builds it) should not be much bigger. The card venv uses the Python that
binder/runtime.txt names and the versions in this .venv, so only the choice
of packages differs; it is cached under ``.cache/cards-<hash>``, the Binder
environment under ``.cache/binder-<hash>``. Writes
benchmarks/results/binder_size.txt. The last line reads
``binder size: X MiB vs card packages Y MiB (R.RRx)``.

Run: make bench   (or: .venv/bin/python benchmarks/bench_binder_size.py)
"""

from __future__ import annotations

import importlib.metadata
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import test_binder as binder  # the test's emulation of repo2docker, shared rather than copied

CARDS = ("jupyterlab", "ipywidgets", "matplotlib", "networkx", "nbval", "pytest")


def card_pins() -> list[str]:
    """The six card packages at the versions this .venv runs, so the comparison is about packages, not versions."""
    return [f"{name}=={importlib.metadata.version(name)}" for name in CARDS]


def card_environment() -> Path:
    """A venv with only the card packages (and what they need), cached by a hash of the pins and the Python."""
    python = binder.runtime_python()
    pins = card_pins()
    path = binder.CACHE / f"{binder.CARDS_PREFIX}{binder.digest([], python + ' '.join(pins))}"
    for stale in binder.CACHE.glob(f"{binder.CARDS_PREFIX}*"):
        if stale != path:
            binder.shutil.rmtree(stale, ignore_errors=True)
    return binder.build_venv(path, python, pins)


def timed(label: str, build):
    """Run a build step and say how long it took (seconds when cached, minutes when not)."""
    start = time.perf_counter()
    result = build()
    print(f"{label:40} {time.perf_counter() - start:6.1f} s")
    return result


def main() -> None:
    with binder.exclusive(), tempfile.TemporaryDirectory() as tmp:
        env = timed("binder environment (dependency layer)", binder.binder_environment)
        timed("postBuild (the course package)", lambda: binder.post_build(env, Path(tmp) / "repo"))
        cards = timed("card packages venv", card_environment)
    binder.write_report(binder.size_report(env, cards))


if __name__ == "__main__":
    main()
