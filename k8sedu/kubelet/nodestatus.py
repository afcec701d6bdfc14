"""What a kubelet says about its Node: the conditions it posts and the events it records as it starts.

Mirrors k/k ``pkg/kubelet/nodestatus/setters.go`` (each condition's reason
and message) and the node events of ``pkg/kubelet/kubelet.go`` /
``kubelet_node_status.go`` (``recordNodeStatusEvent``). A healthy kubelet
posts ``MemoryPressure``, ``DiskPressure`` and ``PIDPressure`` False and
``Ready`` True, renewing them every few seconds; when it stops, the node
lifecycle controller (``controllers/nodelifecycle.py``) overwrites them with
``Unknown``.
"""

from __future__ import annotations

from typing import Optional

from k8sedu.objects import NodeCondition

# type -> (status, reason, message) of a healthy node, in the order the kubelet lists them
HEALTHY: dict[str, tuple[str, str, str]] = {
    "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
}


def healthy_conditions(now: Optional[float]) -> tuple[NodeCondition, ...]:
    """The conditions a healthy kubelet posts, heartbeat and transition at ``now``.

    Examples
    --------
    >>> [(c.type, c.status, c.reason) for c in healthy_conditions(0.0)][3]
    ('Ready', 'True', 'KubeletReady')
    """
    return tuple(NodeCondition(t, status, reason, message, now, now)
                 for t, (status, reason, message) in HEALTHY.items())


def node_start_events(node: str) -> tuple[tuple[str, str], ...]:
    """The events (reason, message) a kubelet records about its Node as it starts, in order.

    ``Starting`` ("Starting kubelet."), one per condition it first posts
    ("Node X status is now: ..."), the Node Allocatable cgroup enforced, and,
    last, ``NodeReady`` once the node's network (the CNI) is up.

    Examples
    --------
    >>> node_start_events("kind-worker")[1]
    ('NodeHasSufficientMemory', 'Node kind-worker status is now: NodeHasSufficientMemory')
    """
    status = lambda reason: (reason, f"Node {node} status is now: {reason}")
    return (("Starting", "Starting kubelet."), status("NodeHasSufficientMemory"), status("NodeHasNoDiskPressure"),
            status("NodeHasSufficientPID"), ("NodeAllocatableEnforced", "Updated Node Allocatable limit across pods"),
            status("NodeReady"))
