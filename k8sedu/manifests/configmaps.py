"""ConfigMaps as manifests (core/v1 ``ConfigMap``): ``data``, ``binaryData`` and ``immutable``.

A ConfigMap has no spec and no status: its fields sit at the top level, in
the Go struct's order ``immutable``, ``data``, ``binaryData`` (kubectl sorts
the keys when it prints YAML). ``binaryData`` values are base64 in a
manifest (Go's ``[]byte`` in JSON); the API server decodes them strictly, so a
value that is not base64 is refused before anything is stored, with Go's
``encoding/base64`` words (``illegal base64 data at input byte 8``). The
model keeps the base64 text as it came.

Examples
--------
>>> cm = decode_configmap({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "game"},
...                        "data": {"lives": "3"}}, "default")
>>> cm.data["lives"], encode_configmap(cm, served=False)["data"]
('3', {'lives': '3'})
>>> binary_data_problem({"binaryData": {"blob": "chenliang"}})
'illegal base64 data at input byte 8'
"""

from __future__ import annotations

from typing import Optional

from k8sedu.manifests.meta import decode_metadata, envelope, labels, put, string_map
from k8sedu.objects import ConfigMap

BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def encode_configmap(cm: ConfigMap, served: bool = True) -> dict:
    """Return ``cm`` as ``kubectl get configmap -o yaml`` shows it (``served``) or as kubectl generates it."""
    out = envelope(cm, served)
    if cm.immutable is not None:
        out["immutable"] = cm.immutable
    put(out, "data", string_map(cm.data))
    put(out, "binaryData", string_map(cm.binary_data))
    return out


def decode_configmap(doc: dict, namespace: str = "") -> ConfigMap:
    """Return the ConfigMap ``doc`` declares (its data as strings, binaryData as the base64 text)."""
    immutable = doc.get("immutable")
    return ConfigMap(decode_metadata(doc.get("metadata"), namespace), data=labels(doc.get("data")),
                     binary_data=labels(doc.get("binaryData")),
                     immutable=None if immutable is None else bool(immutable))


def binary_data_problem(doc: dict) -> Optional[str]:
    """Go's base64 complaint about the first ``binaryData`` value (sorted by key) that is not base64, or None."""
    for key in sorted(doc.get("binaryData") or {}):
        problem = base64_problem(str(doc["binaryData"][key]))
        if problem:
            return problem
    return None


def base64_problem(text: str) -> Optional[str]:
    """``base64.StdEncoding.DecodeString``'s error for ``text``, or None (``decodeQuantum``'s offsets).

    >>> base64_problem("aGVsbG8="), base64_problem("hello"), base64_problem("a b")
    (None, 'illegal base64 data at input byte 4', 'illegal base64 data at input byte 1')
    """
    si = 0
    while si < len(text):
        j = 0
        while j < 4:
            if si == len(text):
                return None if j == 0 else _corrupt(si - j)
            char = text[si]
            si += 1
            if char in BASE64:
                j += 1
            elif char in "\r\n":
                continue
            elif char != "=" or j < 2:
                return _corrupt(si - 1)
            else:
                return _padding_problem(text, si, j)
    return None


def _padding_problem(text: str, si: int, j: int) -> Optional[str]:
    """After the first ``=`` of a quantum with ``j`` data characters: "==" for two, then nothing but newlines."""
    if j == 2:
        while si < len(text) and text[si] in "\r\n":
            si += 1
        if si == len(text):
            return _corrupt(len(text))
        if text[si] != "=":
            return _corrupt(si - 1)
        si += 1
    while si < len(text) and text[si] in "\r\n":
        si += 1
    return _corrupt(si) if si < len(text) else None


def _corrupt(offset: int) -> str:
    return f"illegal base64 data at input byte {offset}"
