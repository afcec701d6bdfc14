"""``-o yaml``, ``-o json`` and ``-o name``: objects as manifests (cli-runtime's printers).

One object prints as itself; a listing prints as a ``kind: List`` holding the
objects, even when it found only one, as ``kubectl get`` does. ``kubectl get``
works on unstructured objects, so its keys come out sorted in JSON too;
``kubectl create --dry-run=client -o json`` prints the typed object it built,
in Go struct field order.
"""

from __future__ import annotations

from typing import Any, Sequence

from k8sedu.kubectl import events
from k8sedu.manifests.encode import encode
from k8sedu.manifests.yamlio import sort_keys, to_json, to_yaml


def manifest(obj: Any, served: bool = True) -> dict:
    if isinstance(obj, events.EventView):
        return events.encode(obj)
    return encode(obj, served)


def as_list(items: Sequence[dict]) -> dict:
    return {"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {"resourceVersion": ""}}


def render(doc: dict, fmt: str, sort: bool = True) -> str:
    """``doc`` as ``-o yaml`` or ``-o json`` prints it (without the final newline)."""
    if fmt == "json":
        return to_json(sort_keys(doc) if sort else doc).rstrip("\n")
    return to_yaml(doc).rstrip("\n")


def print_objects(objs: Sequence[Any], fmt: str, single: bool) -> str:
    """What ``kubectl get ... -o yaml|json`` prints for ``objs``."""
    docs = [manifest(o) for o in objs]
    doc = docs[0] if single and len(docs) == 1 else as_list(docs)
    return render(doc, fmt)


def generated(obj: Any, fmt: str, is_dry_run: bool, explicit_namespace: bool = False) -> str:
    """``kubectl create ... -o yaml|json``: the object kubectl built (dry run) or the one the server stored.

    A generator sets the namespace only when ``-n`` was given, and a typed Go
    object starts with ``kind`` (``TypeMeta`` is Kind, then APIVersion).
    """
    doc = manifest(obj, served=not is_dry_run)
    if is_dry_run:
        if not explicit_namespace:
            doc["metadata"].pop("namespace", None)
        doc = {"kind": doc["kind"], "apiVersion": doc["apiVersion"],
               **{k: v for k, v in doc.items() if k not in ("kind", "apiVersion")}}
    return render(doc, fmt, sort=not is_dry_run)
