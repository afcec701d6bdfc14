"""Admission plugins that change a Pod before it is stored: DefaultTolerationSeconds.

Mirrors k/k ``plugin/pkg/admission/defaulttolerationseconds/admission.go``
(on by default in kube-apiserver): a pod that does not yet tolerate the
``node.kubernetes.io/not-ready`` or ``node.kubernetes.io/unreachable``
NoExecute taint gets a toleration of it with ``tolerationSeconds: 300``,
appended after its own tolerations, not-ready first. A toleration tolerates
one of them if its key is that taint's or empty and its effect is NoExecute
or empty, so daemon pods (the DaemonSet controller adds both without a limit)
and static pods (the kubelet adds ``operator: Exists, effect: NoExecute``)
get nothing. What is stored is what ``kubectl get pod -o yaml`` and
``describe`` show, and what the node lifecycle controller evicts by.

The plugin also runs on a pod's own updates; the model's pod updates are the
kubelet's and controllers' status and metadata writes, which in life go to
subresources the plugin skips, so it runs on create only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from k8sedu.objects import Taint

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
DEFAULT_TOLERATION_SECONDS = 300  # --default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds


def tolerates_no_execute(tolerations: tuple[Taint, ...], key: str) -> bool:
    """True if one of ``tolerations`` tolerates the NoExecute taint ``key``, as the plugin checks it.

    >>> tolerates_no_execute((Taint("", ""),), UNREACHABLE), tolerates_no_execute((Taint(NOT_READY, ""),), UNREACHABLE)
    (True, False)
    """
    return any((not t.key or t.key == key) and t.effect in ("", "NoExecute") for t in tolerations)


def default_tolerations(tolerations: tuple[Taint, ...]) -> tuple[Taint, ...]:
    """Return ``tolerations`` with what DefaultTolerationSeconds appends: not-ready, then unreachable, each if missing.

    Examples
    --------
    >>> [(t.key, t.effect, t.toleration_seconds) for t in default_tolerations(())]
    [('node.kubernetes.io/not-ready', 'NoExecute', 300), ('node.kubernetes.io/unreachable', 'NoExecute', 300)]
    >>> [t.key for t in default_tolerations((Taint(UNREACHABLE, "NoExecute", toleration_seconds=60),))]
    ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready']
    >>> default_tolerations((Taint("", "NoExecute"),))  # a static pod tolerates both already
    (Taint(key='', effect='NoExecute', value='', toleration_seconds=None),)
    """
    extra = tuple(Taint(key, "NoExecute", toleration_seconds=DEFAULT_TOLERATION_SECONDS)
                  for key in (NOT_READY, UNREACHABLE) if not tolerates_no_execute(tolerations, key))
    return tuple(tolerations) + extra


def admit_pod(pod: Any) -> Any:
    """Return ``pod`` as DefaultTolerationSeconds passes it on to be stored."""
    tolerations = default_tolerations(pod.spec.tolerations)
    if tolerations == pod.spec.tolerations:
        return pod
    return dataclasses.replace(pod, spec=dataclasses.replace(pod.spec, tolerations=tolerations))
