"""What every kind's manifest shares: ``apiVersion``, ``kind``, ``metadata`` and the rules of Go's JSON.

The leaf of ``k8sedu.manifests``: the per-kind modules (``pods``,
``workloads``, ``services``, ``endpoints``, ``namespaces``, ``nodes``,
``networking``) build on it in both directions, and it imports none of them.

- Writing (``kubectl get -o yaml``): the API serves camelCase fields in Go
  struct order and leaves out empty optional ones (``omitempty``, here ``put``);
  times are RFC 3339 (``timestamp``); ``metadata`` carries what the API server
  filled in (``uid``, ``resourceVersion``, ``generation`` for the kinds whose
  registry sets it, ``creationTimestamp``) unless the manifest is kubectl's own
  (``served=False``, ``kubectl create --dry-run=client -o yaml``).
- Reading (``kubectl apply``): a missing or null field is Go's zero value
  (``integer``, ``port_value``, ``items``), labels are strings, and
  ``metadata`` keeps only what a manifest may set (name, namespace,
  generateName, labels, annotations): the rest is the server's.

Examples
--------
>>> from k8sedu.objects import ObjectMeta
>>> encode_metadata(ObjectMeta(name="web", namespace="shop", labels={"app": "web"}), served=False)
{'name': 'web', 'namespace': 'shop', 'creationTimestamp': None, 'labels': {'app': 'web'}}
>>> decode_metadata({"name": "web", "labels": {"app": "web"}}, "shop") == ObjectMeta(
...     name="web", namespace="shop", labels={"app": "web"})
True
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from k8sedu.clock import rfc3339
from k8sedu.objects import RESOURCE_BY_KIND, ObjectMeta, frozen

# The registries that set metadata.generation (the others leave it out).
GENERATION_KINDS = ("Deployment", "ReplicaSet", "EndpointSlice", "Ingress", "IngressClass", "DaemonSet")


def api_version(kind: str) -> str:
    """The ``apiVersion`` that serves ``kind`` (every kind the model has is at version v1 of its group).

    >>> api_version("Deployment"), api_version("Service")
    ('apps/v1', 'v1')
    """
    group = RESOURCE_BY_KIND[kind].group
    return f"{group}/v1" if group else "v1"


# ---------------------------------------------------------------- writing

def timestamp(seconds: Optional[float]) -> Optional[str]:
    """Return an RFC 3339 time (``2026-01-05T09:00:00Z``) for simulated ``seconds``; None stays None.

    >>> timestamp(90), timestamp(None)
    ('2026-01-05T09:01:30Z', None)
    """
    return None if seconds is None else rfc3339(seconds)


def put(out: dict, key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is empty (Go's ``omitempty``: "", 0, False, None, an empty list or map)."""
    if value is None or value == "" or value == 0 and not isinstance(value, bool) or value is False:
        return
    if isinstance(value, (list, tuple, dict)) and not value:
        return
    out[key] = value


def string_map(labels: Mapping[str, str]) -> dict[str, str]:
    """A plain dict of a read-only label or annotation mapping, in its order."""
    return {k: labels[k] for k in labels}


def encode_metadata(meta: ObjectMeta, served: bool = True, kind: str = "") -> dict:
    """Return ``meta`` as the API serves it (``served``) or as kubectl generates it."""
    out: dict[str, Any] = {}
    put(out, "name", meta.name)
    put(out, "generateName", meta.generate_name)
    put(out, "namespace", meta.namespace)
    if served:
        put(out, "uid", meta.uid)
        put(out, "resourceVersion", meta.resource_version)
        if kind in GENERATION_KINDS:
            put(out, "generation", meta.generation)
    out["creationTimestamp"] = timestamp(meta.creation_timestamp) if served else None
    put(out, "deletionTimestamp", timestamp(meta.deletion_timestamp))
    put(out, "deletionGracePeriodSeconds", meta.deletion_grace_period_seconds)
    put(out, "labels", string_map(meta.labels))
    put(out, "annotations", string_map(meta.annotations))
    put(out, "ownerReferences", [{"apiVersion": r.api_version, "kind": r.kind, "name": r.name, "uid": r.uid,
                                  "controller": r.controller, "blockOwnerDeletion": True}
                                 for r in meta.owner_references])
    return out


def envelope(obj: Any, served: bool) -> dict:
    """Return the ``apiVersion``, ``kind`` and ``metadata`` every manifest starts with."""
    return {"apiVersion": obj.api_version, "kind": obj.kind,
            "metadata": encode_metadata(obj.metadata, served, obj.kind)}


# ---------------------------------------------------------------- reading

def items(value: Any) -> list[dict]:
    """Return a list of objects, a JSON null item read as an empty object (Go decodes it to the zero struct)."""
    return [item if isinstance(item, dict) else {} for item in value or ()]


def labels(value: Any) -> Any:
    """Return a label or annotation map as the model keeps it: read-only, strings only.

    A null value is Go's zero value for a string, as the API server decodes it: ``{a: null}`` is ``a: ""``.

    >>> dict(labels({"a": None}))
    {'a': ''}
    """
    return frozen({str(k): "" if v is None else str(v) for k, v in (value or {}).items()})


def integer(value: Any, default: int = 0) -> int:
    """Return ``value`` as an int, ``default`` when the field is missing or null."""
    return default if value is None else int(value)


def port_value(value: Any) -> Union[int, str]:
    """Return an IntOrString port (``80`` or ``http``); missing is 0."""
    if value is None:
        return 0
    return int(value) if isinstance(value, (int, float)) else value


def decode_metadata(m: Optional[dict], namespace: str = "") -> ObjectMeta:
    """Return the metadata a manifest may set; ``namespace`` fills a missing one."""
    m = m or {}
    return ObjectMeta(name=m.get("name") or "", namespace=m.get("namespace") or namespace,
                      generate_name=m.get("generateName") or "", labels=labels(m.get("labels")),
                      annotations=labels(m.get("annotations")))
