"""ConfigMap validation, with the API server's own words (k/k ``pkg/apis/core/validation/validation.go``).

``ValidateConfigMap``: every key of ``data`` and ``binaryData`` must be a
config key (``IsConfigMapKey``: ``[-._a-zA-Z0-9]+``, at most 253 characters,
not ``.``, ``..`` or starting with ``..``), and no key may be in both.
``ValidateConfigMapUpdate``: once ``immutable: true`` is stored, neither the
flag nor the data may change ("field is immutable when `immutable` is set").
Go walks the maps in a random order; the model reports keys sorted.

Examples
--------
>>> from k8sedu.objects import ConfigMap, ObjectMeta
>>> [str(e) for e in validate_configmap(ConfigMap(ObjectMeta(name="x"), data={"a b": "1"}))][0][:47]
'data[a b]: Invalid value: "a b": a valid config'
"""

from __future__ import annotations

import re
from typing import Optional

from k8sedu.apiserver.errors import FieldError
from k8sedu.objects import ConfigMap

CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
CONFIG_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                  "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '"
                  + CONFIG_KEY_FMT + "')")
IMMUTABLE = "field is immutable when `immutable` is set"


def config_key_errors(key: str) -> list[str]:
    """``validation.IsConfigMapKey``: the length, the characters, then ``hasChDirPrefix``."""
    errs = ["must be no more than 253 characters"] if len(key) > 253 else []
    if not re.fullmatch(CONFIG_KEY_FMT, key):
        errs.append(CONFIG_KEY_MSG)
    if key in (".", ".."):
        errs.append(f"must not be '{key}'")
    elif key.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def validate_configmap(cm: ConfigMap, old: Optional[ConfigMap] = None) -> list[FieldError]:
    """``ValidateConfigMap`` (and ``ValidateConfigMapUpdate`` when ``old`` is given)."""
    errs: list[FieldError] = []
    if old is not None and old.immutable:
        if not cm.immutable:
            errs.append(FieldError("immutable", "Forbidden", IMMUTABLE))
        if dict(cm.data) != dict(old.data):
            errs.append(FieldError("data", "Forbidden", IMMUTABLE))
        if dict(cm.binary_data) != dict(old.binary_data):
            errs.append(FieldError("binaryData", "Forbidden", IMMUTABLE))
    for key in sorted(cm.data):
        errs += [FieldError(f"data[{key}]", "Invalid value", msg, key) for msg in config_key_errors(key)]
        if key in cm.binary_data:
            errs.append(FieldError(f"data[{key}]", "Invalid value", "duplicate of key present in binaryData", key))
    for key in sorted(cm.binary_data):
        errs += [FieldError(f"binaryData[{key}]", "Invalid value", msg, key) for msg in config_key_errors(key)]
    return errs
