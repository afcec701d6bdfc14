"""The EndpointSlice controller (kube-controller-manager).

Mirrors ``pkg/controller/endpointslice``: for every Service with a selector it
keeps EndpointSlices listing the pods the selector matches, one endpoint per
pod that has an IP, with the conditions kube-proxy and CoreDNS read:

- ``serving``     = the pod is Ready;
- ``terminating`` = the pod has a ``deletionTimestamp``;
- ``ready``       = serving and not terminating (or ``publishNotReadyAddresses``).

Terminating pods stay in the slice, so kube-proxy can fall back to them.
Slices are named ``<service>-<5 random chars>``, carry the labels
``kubernetes.io/service-name`` and ``endpointslice.kubernetes.io/managed-by``,
hold at most ``max_endpoints_per_slice`` (100) endpoints, and are owned by the
Service. Like the real reconciler, it changes the slices it must, keeps
endpoints where they already are, and fills free room before creating a slice.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch, own_key
from k8sedu.controllers.selection import index_services_by_selector, pod_to_services, target_port_number
from k8sedu.events import Recorder
from k8sedu.objects import (Endpoint, EndpointConditions, EndpointPort, EndpointSlice, ObjectMeta,
                            ObjectReference, OwnerReference, Pod, Service, frozen)

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"


def _slice_to_service(event):
    meta = event.object.metadata
    if meta.labels.get(MANAGED_BY_LABEL) == MANAGED_BY and SERVICE_NAME_LABEL in meta.labels:
        return ((meta.namespace, meta.labels[SERVICE_NAME_LABEL]),)
    return ()


def endpoint_for(pod: Pod, svc: Service) -> Endpoint:
    """Build the endpoint for one pod, with its conditions."""
    serving = pod.ready
    terminating = pod.terminating
    ready = svc.spec.publish_not_ready_addresses or (serving and not terminating)
    hostname = pod.spec.hostname if pod.spec.hostname and pod.spec.subdomain == svc.metadata.name else ""
    return Endpoint(
        addresses=(pod.status.pod_ip,),
        conditions=EndpointConditions(ready=ready, serving=serving, terminating=terminating),
        hostname=hostname,
        target_ref=ObjectReference("Pod", pod.metadata.name, pod.metadata.namespace, pod.metadata.uid),
        node_name=pod.spec.node_name,
    )


def endpoint_ports(svc: Service, pods: list[Pod]) -> tuple[EndpointPort, ...]:
    """The slice's ports: each service port's name and the pods' target port number."""
    ports = []
    for sp in svc.spec.ports:
        number = next((n for n in (target_port_number(sp.target_port, p) for p in pods) if n), None)
        if number is None and isinstance(sp.target_port, int):
            number = sp.target_port
        if number is not None:
            ports.append(EndpointPort(port=number, name=sp.name, protocol=sp.protocol))
    return tuple(ports)


class EndpointSliceController(Controller):
    name = "endpointslice-controller"

    def __init__(self, api: APIServer, recorder: Recorder, max_endpoints_per_slice: int = 100):
        self.api = api
        self.recorder = recorder
        self.max_per_slice = max_endpoints_per_slice
        self._built: dict[tuple, tuple[Pod, Endpoint]] = {}  # (pod uid, Service, publish) -> (pod, its endpoint)
        index_services_by_selector(api.store)

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Service", own_key), Watch("Pod", pod_to_services(self.api.store)),
                Watch("EndpointSlice", _slice_to_service))

    def reconcile(self, key) -> Optional[Result]:
        namespace, name = key
        svc = self.api.try_get("Service", namespace, name)
        slices = self.api.store.select("EndpointSlice", namespace,
                                       {SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: MANAGED_BY})
        if svc is None or not svc.spec.selector or svc.spec.type == "ExternalName":
            for s in slices:
                self.api.delete("EndpointSlice", namespace, s.metadata.name)
            return None
        pods = [p for p in self.api.store.select("Pod", namespace, svc.spec.selector)
                if p.status.pod_ip and p.status.phase not in ("Succeeded", "Failed")]
        desired = {p.status.pod_ip: self._endpoint(p, svc) for p in pods}
        self._write(svc, slices, desired, endpoint_ports(svc, pods))
        return None

    def _endpoint(self, pod: Pod, svc: Service) -> Endpoint:
        """``endpoint_for``, remembered for the very pod version: a Service's slices are rebuilt at every event
        of any of its pods, and most of their endpoints have not changed (bounded, cleared when full)."""
        key = (pod.metadata.uid, svc.metadata.name, svc.spec.publish_not_ready_addresses)
        found = self._built.get(key)
        if found is None or found[0] is not pod:
            if len(self._built) > 400_000:
                self._built.clear()
            found = self._built[key] = (pod, endpoint_for(pod, svc))
        return found[1]

    def _write(self, svc: Service, slices: list[EndpointSlice], desired: dict, ports) -> None:
        remaining = dict(desired)
        kept: list[tuple[EndpointSlice, list[Endpoint]]] = []
        for s in slices:
            endpoints = [remaining.pop(e.addresses[0]) for e in s.endpoints if e.addresses[0] in remaining]
            kept.append((s, endpoints))
        for s, endpoints in kept:  # fill free room before creating new slices
            while remaining and len(endpoints) < self.max_per_slice:
                endpoints.append(remaining.pop(next(iter(sorted(remaining)))))
        new_chunks = _chunks([remaining[ip] for ip in sorted(remaining)], self.max_per_slice)
        if not kept and not new_chunks:
            new_chunks = [[]]  # a Service with no pods still gets one empty slice
        for s, endpoints in kept:
            self._update(s, endpoints, ports, keep_empty=len(kept) == 1 and not new_chunks)
        for chunk in new_chunks:
            self._create(svc, chunk, ports)

    def _update(self, s: EndpointSlice, endpoints: list[Endpoint], ports, keep_empty: bool) -> None:
        if not endpoints and not keep_empty:
            self.api.delete("EndpointSlice", s.metadata.namespace, s.metadata.name)
            return
        updated = dataclasses.replace(s, endpoints=tuple(endpoints), ports=ports)
        if updated != s:
            self.api.update(updated)

    def _create(self, svc: Service, endpoints: list[Endpoint], ports) -> None:
        meta = ObjectMeta(
            generate_name=f"{svc.metadata.name}-", namespace=svc.metadata.namespace,
            labels=frozen({SERVICE_NAME_LABEL: svc.metadata.name, MANAGED_BY_LABEL: MANAGED_BY,
                           **svc.metadata.labels}),
            owner_references=(OwnerReference("v1", "Service", svc.metadata.name, svc.metadata.uid),),
        )
        self.api.create(EndpointSlice(meta, endpoints=tuple(endpoints), ports=ports))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]
