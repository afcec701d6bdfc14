"""The node IPAM controller (kube-controller-manager ``--allocate-node-cidrs``).

Mirrors ``pkg/controller/nodeipam``: each new Node gets the next free ``/24``
of the cluster's pod CIDR in ``spec.podCIDR``, in the order the nodes joined,
so the control plane usually gets ``10.244.0.0/24``. The CNI plugin on the
node then hands out pod IPs from that range. When the cluster CIDR has no
free ``/24`` left, the node stays without one and gets the range
allocator's ``CIDRNotAvailable`` event; its pods cannot get IPs.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch, own_key
from k8sedu.events import Recorder


class NodeIpamController(Controller):
    name = "node-ipam-controller"

    def __init__(self, api: APIServer, recorder: Recorder, cluster_cidr: str = "10.244.0.0/16",
                 node_mask: int = 24):
        self.api = api
        self.recorder = recorder
        self._subnets = ipaddress.ip_network(cluster_cidr).subnets(new_prefix=node_mask)
        self._free: list[str] = []

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Node", own_key),)

    def reconcile(self, key) -> Optional[Result]:
        node = self.api.try_get("Node", "", key[1])
        if node is None or node.spec.pod_cidr:
            return None
        cidr = self._free.pop(0) if self._free else next((str(s) for s in self._subnets), None)
        if cidr is None:  # range_allocator.go: RecordNodeStatusChange(..., "CIDRNotAvailable")
            self.recorder.event(node, "CIDRNotAvailable", f"Node {node.metadata.name} status is now: CIDRNotAvailable")
            return None
        spec = dataclasses.replace(node.spec, pod_cidr=cidr, pod_cidrs=(cidr,))
        self.api.update(dataclasses.replace(node, spec=spec))  # success records no event; only failures do
        return None
