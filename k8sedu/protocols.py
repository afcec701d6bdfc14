"""What each part of the model needs from the rest of the cluster, as ``typing.Protocol``s.

client-go hands a controller small interfaces (a lister, an event recorder, a
clock) rather than the whole cluster; the model does the same. A component
names the protocol of what it uses, so a test can hand it a small fake and a
reader can see at a glance what it depends on:

- ``Clock``: simulated time (``k8sedu.clock.Clock`` is the real one);
- ``Nodes``: which nodes are up, their addresses, and each node's kube-proxy;
- ``DataPlane``: what the network needs to carry a request (the API, the
  seeded random source, the nodes, the add-ons that let traffic in);
- ``Model``: what the tools (kubectl, manifests, viz) work on, i.e.
  ``k8sedu.core.Core``, the cluster without the facade.

This module imports nothing of the model at run time, so any module may use it.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Optional, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.addons import Addons
    from k8sedu.apiserver import APIServer
    from k8sedu.cloud import Cloud
    from k8sedu.coredns import ResolvConf
    from k8sedu.events import EventLog
    from k8sedu.kube_proxy import KubeProxy
    from k8sedu.network import Network
    from k8sedu.objects import Pod


class Clock(Protocol):
    """Simulated seconds since the cluster was created."""

    now: float


class Nodes(Protocol):
    """The nodes' agents as the network and the add-ons see them."""

    def node_is_up(self, name: str) -> bool: ...

    def node_ip(self, name: str) -> str: ...

    def kube_proxy(self, node: str) -> "KubeProxy": ...


class DataPlane(Nodes, Protocol):
    """What carries a request: the API's objects, the nodes, the add-ons and the cloud around them."""

    api: "APIServer"
    random: random.Random
    events: "EventLog"
    cloud: Optional["Cloud"]
    addons: "Addons"
    cluster_cidr: str

    @property
    def now(self) -> float: ...

    def settle(self) -> None: ...

    def resolv_conf(self, pod: "Pod") -> "ResolvConf": ...


class Model(DataPlane, Protocol):
    """The whole core, as kubectl, manifests and viz use it."""

    name: str
    network: "Network"

    def advance(self, seconds: float) -> None: ...
