"""The real browser: JupyterLab on 127.0.0.1 serving a scratch copy of the course, driven by Debian's Chromium.

Nothing is downloaded: Playwright (Python, sync API) launches the system's
``/usr/bin/chromium``. Where it or the playwright package is missing the
tests skip and say why, except under ``CI=true``, where a missing browser
is a failure (CI installs it, so its absence is a broken set-up, not a
machine without a browser). The server works on a temporary copy of
``notebooks/`` with its own settings and workspaces, so JupyterLab's
autosave never touches the repository, and is killed in the fixture's
teardown whatever happens. Its kernels inherit ``K8SEDU_GRADING=1`` from the
root conftest, as nbval's do: a check that fails raises, so it shows as an
error output instead of a red verdict.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("K8SEDU_CHROMIUM", "/usr/bin/chromium"))
RESULTS = ROOT / "benchmarks" / "results" / "browser_latency.json"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SERVER_START_S = 90
TARGET_MS = 300.0
# JupyterLab's "fetch Jupyter news?" toast would cover the top right of every screenshot.
NO_NEWS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                                 "checkForUpdates": False}}


def missing(reason: str) -> None:
    """Skip with the reason, or fail with it under CI=true (CI installs the browser, so it must be there)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sync_playwright():
    """The Playwright entry point, or a skip saying what is missing."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install --no-install-recommends chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is missing: pip install -e '.[test]'")
    return sync_playwright


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_command(port: int, notebooks: Path, settings: Path, workspaces: Path) -> list[str]:
    """JupyterLab as course-tooling.md 4.5 verified it: no token, no XSRF check, the app reachable as window.jupyterapp."""
    return [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
            "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={notebooks}",
            f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workspaces}"]


def wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    """Poll the server's status API until it answers; fail with the log's tail if it dies or is too slow."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s:\n{log.read_text()[-3000:]}", pytrace=False)


def stop(server: subprocess.Popen) -> None:
    """SIGTERM lets the server shut its kernels down; whatever of its process group is left gets SIGKILL."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def lab(sync_playwright, tmp_path_factory):
    """The base URL of a JupyterLab serving a scratch copy of notebooks/ (the repository's copy is never opened)."""
    scratch = tmp_path_factory.mktemp("lab")
    notebooks = scratch / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name, settings in NO_NEWS.items():
        (scratch / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (scratch / "settings" / name).write_text(json.dumps(settings))
    port, log = free_port(), scratch / "jupyterlab.log"
    env = os.environ | {"JUPYTER_CONFIG_DIR": str(scratch / "config")}  # the user's own Jupyter config stays out
    with log.open("w") as out:
        server = subprocess.Popen(lab_command(port, notebooks, scratch / "settings", scratch / "workspaces"),
                                  cwd=scratch, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, server, log)
        yield url
    finally:
        stop(server)


@pytest.fixture(scope="session")
def browser(sync_playwright):
    """Debian's Chromium, headless; no sandbox, because CI runs as root."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def latencies():
    """Each widget's click-to-updated-figure samples, written for ``benchmarks/bench_browser.py`` at the end."""
    found: dict[str, dict] = {}
    yield found
    if found:  # a partial run (-k) keeps the other widgets' last figures
        earlier = json.loads(RESULTS.read_text()).get("widgets", {}) if RESULTS.exists() else {}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({"target_ms": TARGET_MS, "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
                                       "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                                                  f"Python {platform.python_version()}, {platform.platform()}",
                                       "widgets": earlier | found}, indent=2) + "\n")


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
