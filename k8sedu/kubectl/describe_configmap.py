"""``kubectl describe configmap``: the lines of kubectl@v0.32.0 ``ConfigMapDescriber`` (``pkg/describe/describe.go``).

Each ``data`` key is printed as ``key:``, a ``----`` rule, the value and a
blank line (so a value that ends in a newline, like a Corefile, is followed
by two); each ``binaryData`` key only as ``key: N bytes``. kubectl walks the
Go maps in a random order; the model prints the keys sorted.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from k8sedu.kubectl.describe_lines import meta_block

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model


def describe_configmap(cluster: "Model", cm: Any) -> list[str]:
    """The lines ``ConfigMapDescriber.Describe`` writes before the events."""
    lines = [f"Name:\t{cm.metadata.name}", f"Namespace:\t{cm.metadata.namespace}"] + meta_block(cm)
    lines += ["", "Data", "===="]
    for key in sorted(cm.data):
        lines += [f"{key}:", "----"] + f"{cm.data[key]}\n".split("\n")
    lines += ["", "BinaryData", "===="]
    lines += [f"{key}: {len(base64.b64decode(cm.binary_data[key]))} bytes" for key in sorted(cm.binary_data)]
    return lines + [""]
