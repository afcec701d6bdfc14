"""What a command prints: standard output, standard error and an exit code (cli-runtime's ``IOStreams``).

A real kubectl writes its results on stdout and its warnings and errors on
stderr, and exits 1 when something failed. A command that partly succeeds
keeps both: ``kubectl delete svc a a`` prints ``service "a" deleted`` on stdout,
then ``Error from server (NotFound): services "a" not found`` on stderr, and
exits 1. A command here writes through an ``IOStreams`` as it goes, so what it
printed before a failure is never lost; ``k8sedu.kubectl.run`` returns the
``Result``.

Examples
--------
>>> out = IOStreams()
>>> out.print('service "a" deleted')
>>> out.error('Error from server (NotFound): services "a" not found')
>>> out.result()
Result(stdout='service "a" deleted', stderr='Error from server (NotFound): services "a" not found', exit_code=1)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """What one command (or a program inside a pod) printed, and how it exited.

    kubectl's streams are given without their final newline, as
    ``Cluster.kubectl`` returns them; a program's (see ``programs``) are raw.
    """

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0


class IOStreams:
    """Where a running command writes: a block of lines at a time, to stdout or stderr."""

    def __init__(self) -> None:
        self._out: list[str] = []
        self._err: list[str] = []
        self._code = 0

    def print(self, text: str) -> None:
        """Write ``text`` (one or more lines) on stdout; an empty text prints nothing."""
        if text:
            self._out.append(text)

    def warn(self, text: str) -> None:
        """Write on stderr without failing: a warning, a note, or a program's own stderr."""
        if text:
            self._err.append(text)

    def error(self, text: str, code: int = 1) -> None:
        """Write an error on stderr and exit with ``code`` (kubectl's is 1)."""
        self.warn(text)
        self.exit(code)

    def exit(self, code: int) -> None:
        """Exit with ``code`` once the command is done."""
        self._code = code

    def result(self) -> Result:
        return Result("\n".join(self._out), "\n".join(self._err), self._code)
