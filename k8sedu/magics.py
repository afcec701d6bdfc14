"""IPython magics: type kubectl in a notebook cell, as in a terminal.

``%load_ext k8sedu`` registers:

- ``%kubectl get pods -o wide``: one command against the current cluster
  (``k8sedu.use(cluster)``, else the most recently created one);
- ``%%kubectl apply`` (also ``%%kubectl apply -n shop``, ``%%kubectl delete``):
  the cell is a YAML manifest, given to ``kubectl apply -f -``;
- ``%%kubectl``: every line of the cell is a command, run in order until one
  fails (a leading ``kubectl`` and ``#`` comments are allowed).

Output is printed as kubectl prints it: what it writes on stdout, then what
it writes on stderr (errors, warnings) in red, in kubectl's words and without
a Python traceback, as a terminal would show it. In a notebook, stdout is
shown as a block that scrolls sideways instead of wrapping, so wide tables
(``-o wide``) keep their columns; its plain text is the same. A command that partly
succeeds (an ``apply`` with one bad object) shows both. This is the only
module that talks to IPython, and it needs no import of it: the shell hands
itself to ``register``.
"""

from __future__ import annotations

import html
import shlex
import sys
from typing import Any, Optional

from k8sedu.errors import KubectlError
from k8sedu.kubectl import run
from k8sedu.notebook import current

RED = "\x1b[31m"
RESET = "\x1b[0m"
READS_MANIFESTS = ("apply", "delete")
SCROLLING = '<pre style="white-space: pre; overflow-x: auto; margin: 0">{}</pre>'
_shell: list[Any] = []  # the IPython shell that loaded the extension, if any


def show_error(message: str) -> None:
    """Print ``message`` in red on standard error (kubectl writes its errors there), after what stdout already has."""
    sys.stdout.flush()  # a terminal shows stdout's lines before the error that followed them; so does the notebook
    sys.stderr.write(f"{RED}{message}{RESET}\n")
    sys.stderr.flush()


def show_output(text: str) -> None:
    """Show kubectl's stdout: as a sideways-scrolling block in a notebook (plain text beside it), else printed."""
    if not _shell:
        print(text)
        return
    sys.stdout.flush()
    _shell[0].display_pub.publish(data={"text/plain": text, "text/html": SCROLLING.format(html.escape(text))},
                                  metadata={})


def manifest_command(line: str) -> Optional[str]:
    """``apply`` / ``apply -n shop`` / ``delete``: the command that reads the cell as ``-f -``; else None.

    Examples
    --------
    >>> manifest_command("apply"), manifest_command("apply -n shop"), manifest_command("get pods")
    ('apply -f -', 'apply -n shop -f -', None)
    """
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    words = words[1:] if words[:1] == ["kubectl"] else words
    if not words or words[0] not in READS_MANIFESTS:
        return None
    if "-f" in words or any(w.startswith(("-f=", "--filename")) for w in words):
        return " ".join(shlex.quote(w) for w in words)
    return " ".join(shlex.quote(w) for w in words) + " -f -"


def run_line(line: str, stdin: Optional[str] = None) -> bool:
    """Run one command on the current cluster; print its stdout, then its stderr in red; return whether it succeeded."""
    try:
        core = current().core
    except KubectlError as err:  # no cluster yet
        show_error(str(err))
        return False
    result = run(core, line, stdin=stdin)
    if result.stdout:
        show_output(result.stdout)
    if result.stderr:
        show_error(result.stderr)
    return result.exit_code == 0


def run_cell(line: str, cell: str) -> None:
    """``%%kubectl [apply|delete ...]``: a manifest, or one command per line."""
    command = manifest_command(line)
    if command is not None:
        run_line(command, stdin=cell)
        return
    if line.strip():
        show_error(f'error: %%kubectl takes "apply" or "delete" (the cell is the manifest), or nothing (each line '
                   f'of the cell is a command); got "{line.strip()}"')
        return
    for text in cell.splitlines():
        text = text.strip()
        if text and not text.startswith("#") and not run_line(text):
            return


def kubectl_magic(line: str, cell: Optional[str] = None) -> None:
    """``%kubectl`` (one command on the line) and ``%%kubectl`` (the cell)."""
    if cell is None:
        run_line(line)
    else:
        run_cell(line, cell)


def register(ipython) -> None:
    """Register the magics with an IPython shell (``%load_ext k8sedu`` calls this)."""
    _shell[:] = [ipython]
    ipython.register_magic_function(kubectl_magic, magic_kind="line_cell", magic_name="kubectl")
