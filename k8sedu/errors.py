"""The one error a learner sees: ``KubectlError``, whose text is kubectl's.

Every bad input, whether typed as a kubectl command or passed to the Python
API, ends as a ``KubectlError`` whose ``str()`` is exactly what kubectl (or
the tool a learner would run, such as curl inside ``kubectl exec``) prints.
The notebooks show it in red without a traceback. ``Cluster.kubectl`` raises
one for a command that exits non-zero: its text is what kubectl printed on
stderr, and ``result`` holds the whole ``Result`` (stdout, stderr, exit code),
so a partial ``apply`` keeps the lines of what it did apply.
"""

from __future__ import annotations

from typing import Optional, Protocol

from k8sedu.apiserver.errors import InvalidError, StatusError


class Printed(Protocol):
    """What a command printed and how it exited (``k8sedu.kubectl.Result``)."""

    @property
    def stdout(self) -> str: ...

    @property
    def stderr(self) -> str: ...

    @property
    def exit_code(self) -> int: ...


class KubectlError(Exception):
    """An error as kubectl prints it: ``str(err)`` is the exact text; ``result`` what the command printed, if known."""

    def __init__(self, message: str, result: Optional[Printed] = None):
        super().__init__(message)
        self.message = message
        self.result = result

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.message)


def from_status(err: StatusError, wrap: str = "") -> KubectlError:
    """Turn an API error into kubectl's text.

    ``wrap`` is the prefix kubectl's generators add, e.g. ``failed to create
    deployment``, giving ``error: failed to create deployment: <message>``.

    Examples
    --------
    >>> from k8sedu.apiserver import errors
    >>> print(from_status(errors.not_found("Service", "web")))
    Error from server (NotFound): services "web" not found
    >>> print(from_status(errors.already_exists("Deployment", "web"), "failed to create deployment"))
    error: failed to create deployment: deployments.apps "web" already exists
    """
    if wrap:
        return KubectlError(f"error: {wrap}: {err.message}")
    if isinstance(err, InvalidError):
        return KubectlError(err.kubectl_text())
    return KubectlError(f"Error from server ({err.reason}): {err.message}")
