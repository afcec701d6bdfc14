"""Reading ``k8sedu.kubectl.run``'s ``Result`` in tests: what a command printed, or why it failed."""

from __future__ import annotations

from typing import Optional

from k8sedu.kubectl import run


def out(core, line: str, stdin: Optional[str] = None) -> str:
    """Run a command that must succeed (exit 0, nothing on stderr); return its stdout."""
    result = run(core, line, stdin=stdin)
    assert (result.exit_code, result.stderr) == (0, ""), result
    return result.stdout


def err(core, line: str, stdin: Optional[str] = None, code: int = 1) -> str:
    """Run a command that must fail with ``code`` and print nothing on stdout; return its stderr."""
    result = run(core, line, stdin=stdin)
    assert (result.exit_code, result.stdout) == (code, ""), result
    return result.stderr


def refused(cluster, line: str, stdin: Optional[str] = None) -> str:
    """Run a command kubectl refuses: exit 1, nothing on stdout, nothing changed; return kubectl's text."""
    version, now = cluster.api.store.resource_version, cluster.now
    text = err(cluster.core, line, stdin=stdin)
    assert (cluster.api.store.resource_version, cluster.now) == (version, now), line
    return text
