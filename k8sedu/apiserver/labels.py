"""Label keys and values, checked as apimachinery checks them.

Mirrors ``k8s.io/apimachinery/pkg/util/validation`` (``IsQualifiedName``,
``IsValidLabelValue``) and ``pkg/apis/meta/v1/validation`` (``ValidateLabels``,
``ValidateLabelSelector``): a key is an optional DNS subdomain prefix and ``/``
plus a name of at most 63 alphanumerics, ``-``, ``_`` or ``.``; a value is empty
or such a name. Every error names the whole map's path (``metadata.labels``),
not the key, as the real code does.
"""

from __future__ import annotations

import re
from typing import Mapping

from k8sedu.apiserver.errors import FieldError

QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
QUALIFIED_NAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                      "with an alphanumeric character")
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                   "or '.', and must start and end with an alphanumeric character")
DNS1123_SUBDOMAIN_FMT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                         "'-' or '.', and must start and end with an alphanumeric character")
MAX_LENGTH = 63


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """apimachinery ``RegexError``: the message, examples joined with ``',  or '``, and the regex."""
    shown = ",  or ".join(f"'{e}'" for e in examples)
    return f"{msg} (e.g. {shown}, regex used for validation is '{fmt}')"


def qualified_name_errors(value: str) -> list[str]:
    """``IsQualifiedName``: a label key, or an annotation key.

    Examples
    --------
    >>> qualified_name_errors("app.kubernetes.io/name")
    []
    >>> qualified_name_errors("a/")
    ['name part must be non-empty', "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]
    """
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        return ["a qualified name " + regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name",
                                                  "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            if len(prefix) > 253:
                errs.append("prefix part must be no more than 253 characters")
            if not re.fullmatch(DNS1123_SUBDOMAIN_FMT, prefix):
                errs.append("prefix part " + regex_error(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"))
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > MAX_LENGTH:
        errs.append(f"name part must be no more than {MAX_LENGTH} characters")
    if not re.fullmatch(QUALIFIED_NAME_FMT, name):
        errs.append("name part " + regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def label_value_errors(value: str) -> list[str]:
    """``IsValidLabelValue``: empty, or at most 63 characters of a qualified name's alphabet.

    >>> label_value_errors(""), len(label_value_errors("a" * 64))
    ([], 1)
    """
    errs = []
    if len(value) > MAX_LENGTH:
        errs.append(f"must be no more than {MAX_LENGTH} characters")
    if not re.fullmatch(LABEL_VALUE_FMT, value):
        errs.append(regex_error(LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def validate_labels(labels: Mapping[str, str], path: str) -> list[FieldError]:
    """``ValidateLabels``: each key, then its value, under the map's own path (keys sorted; Go's order is random).

    Labels that passed once pass again: a valid map (most are hashable
    FrozenDicts, checked at every write of their object) is remembered.
    """
    try:
        known = labels in _VALID
    except TypeError:  # a plain dict: check it
        known = False
    if known:
        return []
    errs = _label_errors(labels, path)
    if not errs and len(_VALID) < 100_000:
        try:
            _VALID.add(labels)
        except TypeError:
            pass
    return errs


_VALID: set = set()  # label maps known to be valid (bounded)


def _label_errors(labels: Mapping[str, str], path: str) -> list[FieldError]:
    errs = []
    for key in sorted(labels):
        errs += [FieldError(path, "Invalid value", msg, key) for msg in qualified_name_errors(key)]
        errs += [FieldError(path, "Invalid value", msg, labels[key]) for msg in label_value_errors(labels[key])]
    return errs


def validate_metadata_labels(obj) -> list[FieldError]:
    """``ValidateObjectMeta``'s label check, for every kind."""
    return validate_labels(obj.metadata.labels, "metadata.labels")
