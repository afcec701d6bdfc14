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
  ``k8sedu.core.Core``, the cluster without the facade;
- ``Addon``: what an add-on declares (``k8sedu.addons``); add-ons subclass
  it and override what they provide;
- ``ProgramRunner``: what runs a container's command when it is a program
  that ends (``nslookup web``, ``wget -qO- web``, ``sleep 5``); the tools
  implement it (``k8sedu.kubectl.programs.RUNNER``) and the facade hands it
  to the core, so the kubelet runs those programs without importing kubectl.

This module imports nothing of the model at run time, so any module may use it.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Protocol, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.addons import Addons
    from k8sedu.apiserver import APIServer
    from k8sedu.clock import Clock as SimulatedClock
    from k8sedu.cloud import Cloud, LoadBalancer
    from k8sedu.controllers.manager import Manager
    from k8sedu.containerlogs import ContainerLogs
    from k8sedu.coredns import Caches, ResolvConf
    from k8sedu.events import EventLog, Recorder
    from k8sedu.kube_proxy import KubeProxy
    from k8sedu.network import Network
    from k8sedu.network.portforward import PortForward
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
    dns_caches: "Caches"
    logs: "ContainerLogs"  # what each container wrote, for `kubectl logs`
    port_forwards: dict[int, "PortForward"]  # host port -> a running `kubectl port-forward`

    @property
    def now(self) -> float: ...

    def settle(self) -> None: ...

    def resolv_conf(self, pod: "Pod") -> "ResolvConf": ...


class Model(DataPlane, Protocol):
    """The whole core, as kubectl, manifests, viz and the add-on installers use it."""

    name: str
    network: "Network"
    clock: "SimulatedClock"
    manager: "Manager"

    def advance(self, seconds: float) -> None: ...

    def recorder(self, component: str) -> "Recorder": ...


class Addon(Protocol):
    """What an add-on declares: what it installed, and how traffic enters through it.

    The defaults say "nothing": subclass and override what the add-on does.
    """

    export_note: str = ""  # how to install it on a real cluster, for ``export``

    def installed(self, obj: Any) -> bool:
        """Whether the add-on (not the learner) created ``obj``."""
        return False

    def load_balancers(self) -> list["LoadBalancer"]:
        """Addresses outside the cluster that lead to its nodes."""
        return []

    def route_node(self) -> Optional[str]:
        """The node a host route to the service range leads to, if the add-on adds one."""
        return None

    def serves(self, pod: "Pod", port: int) -> bool:
        """Whether the add-on's own program answers on ``pod``'s ``port``."""
        return False


class ProgramRun(NamedTuple):
    """What one run of a container's program did: its output, its exit code, how long it ran.

    ``seconds`` is simulated time from start to exit (``sleep 5`` runs 5 s;
    the modelled network tools answer at once). ``start_error`` is the
    runtime's message when the program is not in the image, so the container
    never starts (``StartError``, exit code 128).
    """

    stdout: str
    stderr: str
    exit_code: int
    seconds: float = 0.0
    start_error: str = ""


class ProgramRunner(Protocol):
    """Runs a container's command (``command`` + ``args``) when it is a program the model knows to end.

    Returns None for a command that runs until it is stopped (``sleep
    infinity``, a server) or that the model does not know: the container
    then keeps running, as before the kubelet asked.
    """

    def run(self, core: "Model", pod: "Pod", container: str, argv: Sequence[str]) -> Optional[ProgramRun]: ...
