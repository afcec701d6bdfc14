"""API errors, worded as the API server words them.

Mirrors apimachinery's ``pkg/api/errors``: a ``StatusError`` carries a reason
(``NotFound``, ``AlreadyExists``, ``Invalid``) and the message the server sends.
kubectl turns it into ``Error from server (<Reason>): <message>``; an Invalid
error is printed as ``The <Kind> "<name>" is invalid: <causes>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from k8sedu.objects import RESOURCE_BY_KIND


class StatusError(Exception):
    """An error returned by the API server; ``reason`` is the Status reason."""

    def __init__(self, reason: str, message: str, code: int):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.code = code


@dataclass(frozen=True)
class FieldError:
    """One cause of an Invalid error (apimachinery ``field.Error``)."""

    field: str
    type: str  # "Required value", "Invalid value", "Forbidden", ...
    detail: str = ""
    value: object = None

    def __str__(self) -> str:
        if self.type == "Invalid value":
            shown = f'"{self.value}"' if isinstance(self.value, str) else self.value
            return f"{self.field}: Invalid value: {shown}: {self.detail}"
        return f"{self.field}: {self.type}" + (f": {self.detail}" if self.detail else "")


class InvalidError(StatusError):
    """An object failed validation; ``causes`` lists each field error."""

    def __init__(self, kind: str, name: str, causes: list[FieldError]):
        self.kind_name = kind
        self.name = name
        self.causes = tuple(causes)
        if len(causes) == 1:
            body = str(causes[0])
        else:
            body = "[" + ", ".join(str(c) for c in causes) + "]"
        group = RESOURCE_BY_KIND[kind].group if kind in RESOURCE_BY_KIND else ""
        qualified = f"{kind}.{group}" if group else kind  # the server names the GroupKind
        super().__init__("Invalid", f'{qualified} "{name}" is invalid: {body}', 422)

    def kubectl_text(self) -> str:
        """Return what kubectl prints for this error (helpers.go ``checkErr``)."""
        head = f'The {self.kind_name} "{self.name}" is invalid: '
        if len(self.causes) == 1:
            return head + str(self.causes[0])
        return head + "\n" + "\n".join(f"* {c}" for c in self.causes)


def not_found(kind: str, name: str) -> StatusError:
    """``services "x" not found``, with the group for grouped kinds."""
    return StatusError("NotFound", f'{RESOURCE_BY_KIND[kind].qualified} "{name}" not found', 404)


def already_exists(kind: str, name: str) -> StatusError:
    """``deployments.apps "x" already exists``."""
    return StatusError("AlreadyExists", f'{RESOURCE_BY_KIND[kind].qualified} "{name}" already exists', 409)


def internal_error(cause: str) -> StatusError:
    """``errors.NewInternalError``: ``Internal error occurred: <cause>``, a 500 (an allocator's full range).

    >>> internal_error("failed to allocate a serviceIP: range is full").message
    'Internal error occurred: failed to allocate a serviceIP: range is full'
    """
    return StatusError("InternalError", f"Internal error occurred: {cause}", 500)


def namespace_not_found(namespace: str) -> StatusError:
    return not_found("Namespace", namespace)


def raise_if_invalid(obj, errs: list[FieldError]) -> None:
    """Refuse a write with every field error at once, as the API server's 422 Invalid does."""
    if errs:
        raise InvalidError(obj.kind, obj.metadata.name, errs)
