"""The notebook's current cluster: what ``%kubectl`` talks to, like kubectl's current context.

A learner creates clusters in cells and types ``%kubectl get pods``; kubectl
on a laptop talks to the current context of its kubeconfig, and the magics
talk to the current cluster: the one given to ``use``, else the newest one
created through ``k8sedu.Cluster``. This is the one piece of state outside a
cluster, so it lives here at the edge, next to the magics, and not in the
model (design.md).
"""

from __future__ import annotations

from typing import Optional

from k8sedu import cluster as facade
from k8sedu.errors import KubectlError

_current: list[facade.Cluster] = []


class Cluster(facade.Cluster):
    """``k8sedu.Cluster``: a ``Cluster`` that becomes the notebook's current one when created.

    ``current=False`` leaves the current cluster as it is (a scratch cluster
    built by a check, say).
    """

    def __init__(self, nodes: int = 3, cloud: Optional[str] = None, seed: int = 0, name: Optional[str] = None,
                 current: bool = True, ingress_ready: bool = False):
        super().__init__(nodes, cloud, seed, name, ingress_ready)
        if current:
            use(self)


def current() -> facade.Cluster:
    """The cluster the notebook magics talk to: the one given to ``use``, else the newest."""
    if not _current:
        raise KubectlError("error: no cluster yet: create one with cluster = k8sedu.Cluster()")
    return _current[0]


def use(cluster: facade.Cluster) -> facade.Cluster:
    """Make ``%kubectl`` talk to ``cluster`` (like ``kubectl config use-context``)."""
    _current[:] = [cluster]
    return cluster
