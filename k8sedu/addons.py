"""Add-ons: what runs beside kubeadm's own pieces, registered in one place.

A real cluster grows by add-ons: ``minikube addons enable ingress``, a
``kubectl apply -f deploy.yaml`` for ingress-nginx or MetalLB, a cloud's
cloud-controller-manager, a ``minikube tunnel`` on the host. Each add-on of
the model is a controller that subclasses ``k8sedu.protocols.Addon`` and
declares, as plain methods:

- what it **installed** (``installed(obj)``): objects ``export`` leaves out,
  because they are not the learner's to carry to another cluster, and the
  ``export_note`` that says how to install it there instead;
- how **traffic enters** through it: ``load_balancers()`` (addresses outside
  the cluster that lead to nodes: the cloud's, MetalLB's), ``route_node()``
  (a host route to the service range: the tunnel), ``serves(pod, port)`` (a
  pod whose program is the add-on's own: the ingress-nginx controller).

``INSTALLERS`` is the one table of what ``cluster.install(name)`` offers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from k8sedu import metallb
from k8sedu.errors import KubectlError
from k8sedu.protocols import Addon

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cloud import LoadBalancer
    from k8sedu.objects import Pod
    from k8sedu.protocols import Model


# name -> (install(core, **options) -> the lines `kubectl apply` prints, the options it takes)
def _ingress_nginx(core: "Model", **options: Any) -> str:
    from k8sedu.ingress_nginx import addon  # the controller's model loads when it is installed

    return addon.install(core, **options)


INSTALLERS: dict[str, tuple[Callable[..., str], tuple[str, ...]]] = {
    "ingress-nginx": (_ingress_nginx, ("default_class", "watch_ingress_without_class")),
    "metallb": (metallb.install, ("addresses",)),
}


class Addons:
    """The add-ons running in one cluster, by name, in the order they were installed."""

    def __init__(self) -> None:
        self._running: dict[str, Addon] = {}

    def add(self, name: str, addon: Addon) -> Addon:
        """Register a running add-on; each name once, as kubectl refuses a second install."""
        if name in self._running:
            raise KubectlError(f"error: {name} is already installed")
        self._running[name] = addon
        return addon

    def get(self, name: str) -> Optional[Addon]:
        """The running add-on called ``name``, or None."""
        return self._running.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._running

    def installed(self, obj: Any) -> bool:
        """Whether an add-on (not the learner) created ``obj``."""
        return any(a.installed(obj) for a in self._running.values())

    def export_notes(self) -> str:
        """How to install on a real cluster the add-ons this one runs."""
        return "".join(a.export_note for a in self._running.values())

    def load_balancers(self) -> list["LoadBalancer"]:
        """Every address outside the cluster that leads to its nodes, sorted by Service."""
        found = [lb for a in self._running.values() for lb in a.load_balancers()]
        return sorted(found, key=lambda lb: lb.service)

    def route_node(self) -> Optional[str]:
        """The node a host route to the service range leads to (``minikube tunnel``), if any."""
        return next((n for a in self._running.values() if (n := a.route_node()) is not None), None)

    def serving(self, pod: "Pod", port: int) -> Optional[Addon]:
        """The add-on whose own program answers on ``pod``'s ``port``, if any."""
        return next((a for a in self._running.values() if a.serves(pod, port)), None)


def install(core: "Model", name: str, **options: Any) -> str:
    """Install the add-on ``name`` into ``core``; return kubectl's lines.

    ``options`` left at their defaults (falsy) are not passed on; one the add-on
    does not take is refused before anything changes.
    """
    if name not in INSTALLERS:
        raise KubectlError(f'error: unknown add-on "{name}": this cluster offers '
                           + ", ".join(f'"{n}"' for n in sorted(INSTALLERS)))
    installer, takes = INSTALLERS[name]
    given = {k: v for k, v in options.items() if v}
    unknown = sorted(set(given) - set(takes))
    if unknown:
        raise KubectlError(f"error: add-on {name} takes {', '.join(takes)}; not {', '.join(unknown)}")
    return installer(core, **given)
