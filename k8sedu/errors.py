"""The one error a learner sees: ``KubectlError``, whose text is kubectl's.

Every bad input, whether typed as a kubectl command or passed to the Python
API, ends as a ``KubectlError`` whose ``str()`` is exactly what kubectl (or
the tool a learner would run, such as curl inside ``kubectl exec``) prints.
The notebooks show it in red without a traceback.
"""

from __future__ import annotations

from k8sedu.apiserver.errors import InvalidError, StatusError


class KubectlError(Exception):
    """An error as kubectl prints it: ``str(err)`` is the exact text."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

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
