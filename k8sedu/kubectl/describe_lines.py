"""The pieces every ``kubectl describe`` text is built from (kubectl ``pkg/describe/describe.go``).

A describer writes ``Label:\\tvalue`` lines and ``tabwrite`` aligns them. Most
describers share the same few blocks: the labels and annotations of an
object (``printLabelsMultiline``, ``printAnnotationsMultiline``), who
controls it, and its timestamps, which kubectl prints in RFC 1123 form (in
UTC, as on a machine whose clock runs in UTC).
"""

from __future__ import annotations

import datetime
from typing import Any, Mapping

from k8sedu.clock import EPOCH

SKIP_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
MAX_ANNOTATION_LEN = 140


def rfc1123z(seconds: float) -> str:
    """Go's ``time.RFC1123Z`` in UTC: ``Mon, 05 Jan 2026 09:05:00 +0000``.

    Examples
    --------
    >>> rfc1123z(300)
    'Mon, 05 Jan 2026 09:05:00 +0000'
    """
    return (EPOCH + datetime.timedelta(seconds=int(seconds))).strftime("%a, %d %b %Y %H:%M:%S +0000")


def labels_block(title: str, labels: Mapping[str, str]) -> list[str]:
    """``printLabelsMultiline``: one ``k=v`` per line, sorted, or ``<none>``.

    Examples
    --------
    >>> labels_block("Labels", {"tier": "fe", "app": "web"})
    ['Labels:\\tapp=web', '\\ttier=fe']
    """
    if not labels:
        return [f"{title}:\t<none>"]
    keys = sorted(labels)
    return [f"{title}:\t{keys[0]}={labels[keys[0]]}"] + [f"\t{k}={labels[k]}" for k in keys[1:]]


def annotations_block(annotations: Mapping[str, str]) -> list[str]:
    """``printAnnotationsMultiline``: ``k: v``, long or multi-line values on their own lines."""
    keys = sorted(k for k in annotations if k not in SKIP_ANNOTATIONS)
    if not keys:
        return ["Annotations:\t<none>"]
    lines = []
    for i, key in enumerate(keys):
        head = "Annotations:\t" if i == 0 else "\t"
        value = annotations[key].removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            lines.append(f"{head}{key}:")
            lines += [f"\t  {s[:MAX_ANNOTATION_LEN - 2 - 3] + '...' if len(s) > MAX_ANNOTATION_LEN - 2 else s}"
                      for s in value.split("\n")]
        else:
            lines.append(f"{head}{key}: {value}")
    return lines


def meta_block(obj: Any) -> list[str]:
    """The labels and annotations of ``obj``, as most describers print them after its name."""
    return labels_block("Labels", obj.metadata.labels) + annotations_block(obj.metadata.annotations)


def controlled_by(obj: Any) -> list[str]:
    """``Controlled By:\\t<Kind>/<name>``: the owner reference marked as controller, if any."""
    owner = next((r for r in obj.metadata.owner_references if r.controller), None)
    return [] if owner is None else [f"Controlled By:\t{owner.kind}/{owner.name}"]
