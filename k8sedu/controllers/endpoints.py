"""The Endpoints controller (kube-controller-manager), for the legacy v1 Endpoints.

Mirrors ``pkg/controller/endpoint``: one Endpoints object per Service with a
selector, named exactly like the Service. Ready pods go to
``subsets[].addresses``, pods that are not ready to ``notReadyAddresses``;
terminating pods are dropped (unless ``publishNotReadyAddresses``). Addresses
are sorted by IP *as strings*, then by pod UID, as ``RepackSubsets`` does
(``LessEndpointAddress`` compares the bytes of the IP text), so 10.244.1.10
comes before 10.244.1.9. ``kubectl get endpoints`` reads
this object; kube-proxy and CoreDNS read EndpointSlices instead.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch, own_key
from k8sedu.controllers.selection import index_services_by_selector, pod_to_services, target_port_number
from k8sedu.controllers.triggertime import TriggerTimeTracker, with_trigger_time
from k8sedu.events import Recorder
from k8sedu.objects import (EndpointAddress, EndpointPort, Endpoints, EndpointSubset, ObjectMeta, ObjectReference,
                            Pod, Service, frozen)


def endpoint_ports(svc: Service, pods: list[Pod]) -> tuple[EndpointPort, ...]:
    """The Endpoints object's ports: each service port's name and the first target port number the pods give."""
    ports = []
    for sp in svc.spec.ports:
        number = next((n for n in (target_port_number(sp.target_port, p) for p in pods) if n), None)
        if number is None and isinstance(sp.target_port, int):
            number = sp.target_port
        if number is not None:
            ports.append(EndpointPort(port=number, name=sp.name, protocol=sp.protocol))
    return tuple(ports)


def _address(pod: Pod) -> EndpointAddress:
    return EndpointAddress(ip=pod.status.pod_ip, node_name=pod.spec.node_name,
                           target_ref=ObjectReference("Pod", pod.metadata.name, pod.metadata.namespace,
                                                      pod.metadata.uid))


def _ip_key(address: EndpointAddress) -> tuple[str, str]:
    """``LessEndpointAddress``: the IP text byte by byte, then the pod's UID.

    Examples
    --------
    >>> ips = ["10.244.1.9", "10.244.1.10", "10.244.2.3"]
    >>> [a.ip for a in sorted((EndpointAddress(ip=ip) for ip in ips), key=_ip_key)]
    ['10.244.1.10', '10.244.1.9', '10.244.2.3']
    """
    return address.ip, address.target_ref.uid if address.target_ref else ""


def subsets_for(svc: Service, pods: list[Pod],
                address: Callable[[Pod], EndpointAddress] = _address) -> tuple[EndpointSubset, ...]:
    """Build the subsets: ready and not-ready addresses with the service's ports."""
    publish = svc.spec.publish_not_ready_addresses
    usable = [p for p in pods if publish or not p.terminating]
    ready = sorted((address(p) for p in usable if publish or p.ready), key=_ip_key)
    not_ready = sorted((address(p) for p in usable if not (publish or p.ready)), key=_ip_key)
    if not ready and not not_ready:
        return ()
    return (EndpointSubset(addresses=tuple(ready), not_ready_addresses=tuple(not_ready),
                           ports=endpoint_ports(svc, usable)),)


class EndpointsController(Controller):
    name = "endpoint-controller"

    def __init__(self, api: APIServer, recorder: Recorder):
        self.api = api
        self.recorder = recorder
        self._built: dict[str, tuple[Pod, EndpointAddress]] = {}  # pod uid -> (that pod version, its address)
        self.triggers = TriggerTimeTracker()
        index_services_by_selector(api.store)

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Service", own_key), Watch("Pod", pod_to_services(self.api.store)))

    def _address(self, pod: Pod) -> EndpointAddress:
        """The pod's address entry, remembered for the very pod version (a Service's subsets are rebuilt at every
        event of any of its pods; bounded, cleared when full)."""
        found = self._built.get(pod.metadata.uid)
        if found is None or found[0] is not pod:
            if len(self._built) > 400_000:
                self._built.clear()
            found = self._built[pod.metadata.uid] = (pod, _address(pod))
        return found[1]

    def reconcile(self, key) -> Optional[Result]:
        namespace, name = key
        svc = self.api.try_get("Service", namespace, name)
        current = self.api.try_get("Endpoints", namespace, name)
        if svc is None or not svc.spec.selector or svc.spec.type == "ExternalName":
            self.triggers.forget(namespace, name)
            if current is not None and (svc is None or svc.spec.selector):
                self.api.delete("Endpoints", namespace, name)
            return None
        selected = self.api.store.select("Pod", namespace, svc.spec.selector)
        triggered = self.triggers.compute(svc, selected)  # even when nothing is written, as the real one does
        pods = [p for p in selected if p.status.pod_ip and p.status.phase not in ("Succeeded", "Failed")]
        subsets = subsets_for(svc, pods, self._address)
        labels = _labels(svc)
        if current is None:
            meta = ObjectMeta(name=name, namespace=namespace, labels=labels,
                              annotations=with_trigger_time({}, triggered))
            self.api.create(Endpoints(meta, subsets))
        elif current.subsets != subsets or current.metadata.labels != labels:
            meta = dataclasses.replace(current.metadata, labels=labels,
                                       annotations=with_trigger_time(current.metadata.annotations, triggered))
            self.api.update(dataclasses.replace(current, metadata=meta, subsets=subsets))
        return None


def _labels(svc: Service):
    """The Service's labels, and ``service.kubernetes.io/headless`` for a headless one."""
    labels = dict(svc.metadata.labels)
    if svc.headless:
        labels["service.kubernetes.io/headless"] = ""
    return frozen(labels)
