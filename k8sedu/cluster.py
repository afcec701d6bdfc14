"""Cluster: the one object a learner holds; a thin facade over the core and the tools.

``Cluster(seed=7)`` is what ``kind create cluster`` gives you, in memory
(``Cluster(cloud="gcp")`` a managed cluster with a cloud load-balancer
controller). It creates the clock and the random source from ``seed``, wires
the components (``k8sedu.core.Core``, the ``core`` attribute) and offers the
public API of ``design.md``, each method handing over to the core or to a tool:
``kubectl`` to ``k8sedu.kubectl``, ``apply``/``export`` to
``k8sedu.manifests``, ``traffic_graph`` to ``k8sedu.viz``, requests to the
core's ``network``. Nothing below calls back into it.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Optional

from k8sedu import kindnet, tunnel
from k8sedu.apiserver import StatusError
from k8sedu.clock import EPOCH, Clock
from k8sedu.cloud import CloudResources, bill
from k8sedu.core import Core
from k8sedu.coredns import DnsAnswer
from k8sedu.errors import KubectlError, from_status
from k8sedu.kube_proxy import KubeProxy
from k8sedu.kube_proxy.iptables import save_date
from k8sedu.network import Trace, check_count
from k8sedu.objects import RESOURCE_BY_KIND


class Cluster:
    """A simulated Kubernetes cluster's networking, deterministic from ``seed``."""

    def __init__(self, nodes: int = 3, cloud: Optional[str] = None, seed: int = 0, name: Optional[str] = None,
                 ingress_ready: bool = False):  # kind's ingress config: node label ingress-ready=true, ports 80/443
        from k8sedu.kubectl.programs import RUNNER  # the programs a container's command may run (nslookup, wget)
        self.core = Core(nodes, cloud, rng=random.Random(seed), clock=Clock(), name=name, ingress_ready=ingress_ready,
                         programs=RUNNER)
        self.api, self.events, self.cloud = self.core.api, self.core.events, self.core.cloud

    # ------------------------------------------------------------ time

    @property
    def now(self) -> float:
        """Simulated seconds since the cluster was created."""
        return self.core.now

    def settle(self) -> None:
        """Run the controllers until nothing changes (no time passes)."""
        self.core.settle()

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass, firing every timer that falls due."""
        self.core.advance(seconds)

    # ------------------------------------------------------------ reading state

    def get(self, kind: str, name: str, namespace: str = "default") -> Any:
        """Return one object (``cluster.get("Service", "web")``), or raise kubectl's NotFound."""
        try:
            return self.api.get(kind, "" if _cluster_scoped(kind) else namespace, name)
        except StatusError as err:
            raise from_status(err) from None

    def list(self, kind: str, namespace: Optional[str] = "default", selector: Optional[dict] = None) -> list:
        """Return the objects of ``kind``, sorted; ``selector`` filters by labels."""
        ns = None if _cluster_scoped(kind) else namespace
        return self.api.store.select(kind, ns or "", selector) if selector else self.api.list(kind, ns)

    def pod_names(self, selector: Optional[dict] = None, namespace: str = "default") -> list[str]:
        """Names of the pods in ``namespace`` (matching ``selector``), sorted."""
        return [p.metadata.name for p in self.list("Pod", namespace, selector)]

    # ------------------------------------------------------------ the tools

    def kubectl(self, command: str, stdin: Optional[str] = None) -> str:
        """Run a kubectl command line; return what it prints, or raise KubectlError (its stderr; ``.result``).

        ``stdin`` is what ``-f -`` reads: ``cluster.kubectl("apply -f -", stdin=yaml_text)``.
        """
        from k8sedu import kubectl
        result = kubectl.run(self.core, command, stdin=stdin)
        if result.exit_code:  # a command whose only complaint is its help (bare `rollout`) says it on stdout
            raise KubectlError(result.stderr or result.stdout, result)
        return result.stdout

    def apply(self, manifest) -> str:
        """``kubectl apply``: YAML text (several documents), a dict or a list of dicts.

        Returns kubectl's per-object lines (``deployment.apps/web created``).
        """
        from k8sedu import manifests
        return manifests.apply(self.core, manifest)

    def export(self, path: Optional[str] = None) -> str:
        """The learner's own objects as one YAML file to ``kubectl apply -f`` on kind; written to ``path`` if given."""
        from k8sedu import manifests
        try:
            return manifests.export(self.core, path)
        except OSError as err:  # as Go's os package words it: "open <path>: <reason>"
            raise KubectlError(f"error: open {path}: {(err.strerror or str(err)).lower()}") from None

    def traffic_graph(self, namespace: str = "default", clients: tuple[str, ...] = (), nodes=None,
                      outside: tuple[str, ...] = ()):
        """A networkx DiGraph of what carries traffic from ``clients`` (pods), ``nodes`` or ``outside``
        (``"internet"``, ``"vpc"``), with each edge's share of new connections as the rules give it
        (``k8sedu.viz.traffic_graph``)."""
        from k8sedu import viz
        return viz.traffic_graph(self.core, namespace, clients, nodes, outside)

    # ------------------------------------------------------------ DNS and traffic

    def resolve(self, name: str, from_pod: str, namespace: str = "default") -> DnsAnswer:
        """Resolve ``name`` as the pod ``from_pod`` would; see ``DnsAnswer``."""
        self.settle()
        answer, _ = self.core.network.lookup(name, self.core.network.client_pod(from_pod, namespace))
        return answer

    def request(self, url: str, from_pod: Optional[str] = None, source: Optional[str] = None,
                namespace: str = "default", headers: Optional[dict] = None) -> Trace:
        """Send one HTTP request and return its ``Trace``.

        ``from_pod=`` sends from inside a pod; ``source="node/<name>"`` from a
        node itself, ``source="vpc"`` from a machine on the nodes' network and
        ``source="internet"`` from anywhere else. ``headers={"Host": ...}``
        sets the Host header an ingress controller routes by (default: the URL's host).
        """
        self.settle()
        network = self.core.network
        return network.request(url, network.client(from_pod, source, namespace), headers=headers)

    def send(self, url: str, n: int, from_pod: Optional[str] = None, source: Optional[str] = None,
             namespace: str = "default", headers: Optional[dict] = None) -> Counter:
        """Send ``n`` requests; count who answered (pod names; failures count under None)."""
        check_count(n)  # before anything settles or is sent
        self.settle()
        network = self.core.network
        return network.send(url, n, network.client(from_pod, source, namespace), headers=headers)

    # ------------------------------------------------------------ add-ons and the cloud

    def install(self, addon: str, addresses: str = "", default_class: bool = False,
                watch_ingress_without_class: bool = False) -> str:
        """Install an add-on, like ``minikube addons enable``.

        ``"metallb"`` (with ``addresses=``), or ``"ingress-nginx"``: the
        controller's namespace, Deployment, Services and IngressClass ``nginx``
        (``default_class=True`` marks it the default class, as minikube's
        ``ingress`` addon does; ``watch_ingress_without_class=True`` passes
        ``--watch-ingress-without-class``). On ``Cluster(ingress_ready=True)`` (kind's ingress config) it
        applies ingress-nginx's kind manifest: NodePort, hostPort 80/443, ADDRESS ``localhost`` (``source="host"``).
        """
        return self.core.install(addon, addresses=addresses, default_class=default_class,
                                 watch_ingress_without_class=watch_ingress_without_class)

    def minikube_tunnel(self, running: bool = True) -> str:
        """Start (or stop) a ``minikube tunnel``: LoadBalancer Services get their ClusterIP as EXTERNAL-IP.

        It also routes the service CIDR from this host (``source="vpc"``) to the first node.
        """
        return tunnel.run(self.core, running)

    def ingress_config(self) -> str:
        """The nginx.conf the ingress-nginx controller generated (a readable subset), with its backends."""
        from k8sedu.ingress_nginx import controller_of  # the add-on loads when first used

        controller = controller_of(self.core)
        if controller is None:
            raise KubectlError('error: no ingress controller is installed: an Ingress is only configuration '
                               'until one runs; cluster.install("ingress-nginx")')
        self.settle()
        return controller.nginx_conf()

    def cloud_resources(self) -> CloudResources:
        """The cloud load balancers this cluster pays for: count, external addresses, hourly cost.

        One per LoadBalancer Service; an ingress controller needs only its own.
        """
        self.settle()
        return bill(self.cloud)

    # ------------------------------------------------------------ nodes

    def fail_node(self, name: str) -> None:
        """Take a node down (power loss): NotReady after 50 s, its pods evicted 300 s later; ``advance`` to see it."""
        self.core.fail_node(name)

    def recover_node(self, name: str) -> None:
        """Bring a failed node back: its kubelet reports in and finishes what was pending."""
        self.core.recover_node(name)

    def kube_proxy(self, node: str) -> KubeProxy:
        """The node's kube-proxy, synced with the API."""
        return self.core.kube_proxy(node)

    def iptables_save(self, node: str) -> str:
        """What ``iptables-save`` prints on ``node``: mangle, filter, nat (kube-proxy's, kubelet's, kindnet's chains)."""
        self.settle()
        return kindnet.iptables_save_node(self.core, node, save_date(EPOCH.timestamp() + self.now))


def _cluster_scoped(kind: str) -> bool:
    """Nodes, Namespaces and IngressClasses live outside any namespace."""
    resource = RESOURCE_BY_KIND.get(kind)
    return resource is not None and not resource.namespaced
