"""kube-proxy: the node agent that makes Service IPs work, in iptables mode.

Mirrors kube-proxy (k/k ``cmd/kube-proxy``, ``pkg/proxy``,
``pkg/proxy/iptables/proxier.go``). A Service's cluster IP belongs to no
machine; it exists only as rules that every node's kube-proxy writes into its
kernel. kube-proxy watches Services and EndpointSlices, keeps a change
tracker of what changed since its last sync, and on each sync (1) updates its
service map and endpoints map (``changes.py``) and (2) renders rules from them
(``iptables.py``). Since Kubernetes 1.26 a sync only rewrites the chains of
the services that changed ("partial sync"), which is what ``KubeProxy.sync``
does here: the cost follows the size of the change, not of the cluster.

Examples
--------
>>> from k8sedu.apiserver.store import Store
>>> from k8sedu.objects import ObjectMeta, Service, ServicePort, ServiceSpec
>>> store = Store(now=lambda: 0.0, new_uid=lambda: "uid")
>>> _ = store.create(Service(ObjectMeta(name="web", namespace="default"),
...                          ServiceSpec(cluster_ip="10.96.0.10", ports=(ServicePort(80, 8080),))))
>>> proxy = KubeProxy("kind-worker", store)
>>> proxy.sync()
1
>>> print(*proxy.filter.chain("KUBE-SERVICES").rules, sep="\\n")  # doctest: +NORMALIZE_WHITESPACE
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web has no endpoints"
   -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
"""

from __future__ import annotations

from typing import Optional

from k8sedu.kube_proxy.changes import (
    EndpointInfo, ServicePortInfo, ServicePortName, endpoints_map, service_of, service_port_map,
)
from k8sedu.kube_proxy.iptables import (
    LARGE_CLUSTER_ENDPOINTS_THRESHOLD, ServicePortRules, assemble_mangle_table, render_service_port, sort_key,
)
from k8sedu.kube_proxy.matches import RecentTable
from k8sedu.kube_proxy.ruleset import RuleSet
from k8sedu.kube_proxy.tables import Table, iptables_save, save_date

__all__ = ["KubeProxy", "ServicePortName", "ServicePortInfo", "EndpointInfo"]

SvcKey = tuple[str, str]  # (namespace, service name)


class KubeProxy:
    """kube-proxy on one node: an incremental translation of the store into iptables rules.

    ``node_name`` decides which endpoints are local (``externalTrafficPolicy``
    and ``internalTrafficPolicy: Local``); ``cluster_cidr`` is the pod
    network (the local-traffic detector: ``! -s`` / ``-s`` in the rules);
    ``node_ip`` matters only to ``loadBalancerSourceRanges`` that contain it.
    ``recent`` is the node kernel's ``-m recent`` state (ClientIP session
    affinity): pass it to ``netfilter.trace_chain`` / ``trace_connection``.
    """

    def __init__(self, node_name: str, store, cluster_cidr: str = "10.244.0.0/16", node_ip: str = "",
                 renders: Optional[dict] = None):
        self.node_name = node_name
        self._renders = renders  # renderings shared by the cluster's kube-proxies (render_service_port)
        self.cluster_cidr = cluster_cidr
        # Only used by loadBalancerSourceRanges that contain the node's own IP.
        self.node_ip = node_ip
        # The node kernel's ``-m recent`` lists (ClientIP session affinity):
        # state written by packets, not by syncs. Pass it to netfilter.trace_chain.
        self.recent = RecentTable()
        self._store = store
        self._synced_rv = 0
        # The change tracker's memory: slices grouped by the Service they name
        # (the store has no index on that label) and who owned each slice last.
        self._slices: dict[SvcKey, dict[str, object]] = {}
        self._slice_owner: dict[tuple[str, str], SvcKey] = {}
        # The service map and endpoints map, grouped by Service.
        self._ports: dict[SvcKey, dict[ServicePortName, ServicePortInfo]] = {}
        self._endpoints: dict[ServicePortName, tuple[EndpointInfo, ...]] = {}
        # Rendered rules per service port, and the listing order.
        self._rules: dict[ServicePortName, ServicePortRules] = {}
        self._ruleset = RuleSet()  # the same rules in listing order, ready to assemble into tables
        self._total_endpoints = 0
        self._large_cluster = False
        self._nat: Optional[Table] = None
        self._filter: Optional[Table] = None

    # ------------------------------------------------------------ syncing

    def sync(self) -> int:
        """Apply what changed in the store since the last sync; return how many
        service ports were re-rendered (or removed)."""
        rv = self._store.resource_version
        if rv == self._synced_rv:
            return 0
        services = self._store.changed_since("Service", self._synced_rv)
        slices = self._store.changed_since("EndpointSlice", self._synced_rv)
        if services is None or slices is None:  # the log was compacted past our last sync: relist
            services = [(s.metadata.namespace, s.metadata.name) for s in self._store.list("Service")]
            services += list(self._ports)
            slices = [(s.metadata.namespace, s.metadata.name) for s in self._store.list("EndpointSlice")]
            slices += list(self._slice_owner)
        dirty = set(services)
        for key in dict.fromkeys(slices):
            dirty |= self._track_slice(*key)
        self._synced_rv = rv
        updated = [self._resync_service(key) for key in sorted(dirty)]
        count = sum(n for n, _ in updated)
        if self._large_cluster != (self._total_endpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD):
            # Crossing the threshold changes the comments of every endpoint rule: one render of everything.
            self._large_cluster = not self._large_cluster
            count = self._rerender_all()
        else:
            for _, ports in updated:
                for name, info in ports.items():
                    self._keep(name, self._render(name, info))
        if count:
            self._nat = self._filter = None
        return count

    def _track_slice(self, namespace: str, name: str) -> set[SvcKey]:
        """Record a changed slice under its Service; return the Services it affects."""
        affected = set()
        old_owner = self._slice_owner.pop((namespace, name), None)
        if old_owner is not None:
            siblings = self._slices[old_owner]
            siblings.pop(name, None)
            if not siblings:
                del self._slices[old_owner]
            affected.add(old_owner)
        slice_ = self._store.try_get("EndpointSlice", namespace, name)
        owner = service_of(slice_) if slice_ is not None else None
        if owner is not None:
            self._slices.setdefault(owner, {})[name] = slice_
            self._slice_owner[(namespace, name)] = owner
            affected.add(owner)
        return affected

    def _resync_service(self, key: SvcKey) -> tuple[int, dict[ServicePortName, ServicePortInfo]]:
        """Recompute one Service's ports and endpoints; return how many ports changed and the ports to render
        (rendered once the sync knows whether the cluster is in large-cluster mode, so a sync renders once)."""
        svc = self._store.try_get("Service", *key)
        new_ports = service_port_map([svc]) if svc is not None else {}
        old_ports = self._ports.pop(key, {})
        if new_ports:
            self._ports[key] = new_ports
        eps = endpoints_map(self._slices.get(key, {}).values(), self.node_name)
        for name in old_ports.keys() - new_ports.keys():
            self._forget(name)
        for name in new_ports:
            self._set_endpoints(name, eps.get(name, ()))
        return len(old_ports.keys() | new_ports.keys()), new_ports

    def _render(self, name: ServicePortName, info: ServicePortInfo) -> ServicePortRules:
        return render_service_port(name, info, self._endpoints.get(name, ()), self.cluster_cidr,
                                   comments=not self._large_cluster, node_ip=self.node_ip, renders=self._renders)

    def _set_endpoints(self, name: ServicePortName, eps: tuple[EndpointInfo, ...]) -> None:
        self._total_endpoints += len(eps) - len(self._endpoints.get(name, ()))
        if eps:
            self._endpoints[name] = eps
        else:
            self._endpoints.pop(name, None)

    def _forget(self, name: ServicePortName) -> None:
        self._set_endpoints(name, ())
        del self._rules[name]
        self._ruleset.remove((sort_key(name), name))

    def _keep(self, name: ServicePortName, rules: ServicePortRules) -> None:
        self._rules[name] = rules
        self._ruleset.put((sort_key(name), name), rules)

    def _rerender_all(self) -> int:
        for ports in self._ports.values():
            for name, info in ports.items():
                self._keep(name, self._render(name, info))
        return len(self._rules)

    # ------------------------------------------------------------ reading the result

    def service_map(self) -> dict[ServicePortName, ServicePortInfo]:
        """Return a copy of the service map as of the last sync."""
        return {name: info for ports in self._ports.values() for name, info in ports.items()}

    def endpoints_map(self) -> dict[ServicePortName, tuple[EndpointInfo, ...]]:
        """Return a copy of the endpoints map (proxied service ports only) as of the last sync."""
        return dict(self._endpoints)

    def rendered(self) -> dict[ServicePortName, ServicePortRules]:
        """Return each service port's rules as of the last sync: the unit a partial sync replaces.

        A port that the last sync did not touch keeps the very same (frozen)
        ``ServicePortRules`` object, which is how tests check that a change
        to one Service re-rendered only that Service.
        """
        return dict(self._rules)

    @property
    def nat(self) -> Table:
        """The nat table, synced first; assembled only when something changed."""
        self.sync()
        if self._nat is None:
            self._nat = self._ruleset.nat_table()
        return self._nat

    @property
    def filter(self) -> Table:
        """The filter table, synced first; assembled only when something changed."""
        self.sync()
        if self._filter is None:
            self._filter = self._ruleset.filter_table()
        return self._filter

    @property
    def mangle(self) -> Table:
        """The mangle table: chains only (the kubelet's hint chain and both canaries), never rules."""
        return assemble_mangle_table()

    def _ordered_rules(self) -> list[ServicePortRules]:
        return self._ruleset.ports()

    def iptables_save(self, date: str = save_date(0)) -> str:
        """Return what ``iptables-save`` prints on this node: mangle, filter, then nat.

        The node's tables also hold what the kubelet keeps there
        (``KUBE-FIREWALL``, ``KUBE-KUBELET-CANARY``, ``KUBE-IPTABLES-HINT``).
        ``date`` goes into the ``# Generated by`` lines; pass the simulated
        time (``save_date(seconds)``) so the output is reproducible.
        """
        return iptables_save(self.nat, self.filter, date, mangle=self.mangle)
