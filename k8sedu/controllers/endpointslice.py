"""The EndpointSlice controller (kube-controller-manager).

Mirrors ``pkg/controller/endpointslice``: for every Service with a selector it
keeps EndpointSlices listing the pods the selector matches, one endpoint per
pod that has an IP, with the conditions kube-proxy and CoreDNS read:

- ``serving``     = the pod is Ready;
- ``terminating`` = the pod has a ``deletionTimestamp``;
- ``ready``       = serving and not terminating (or ``publishNotReadyAddresses``).

Terminating pods stay in the slice, so kube-proxy can fall back to them.
Slices are named ``<service>-<5 random chars>``, carry the Service's labels
and ``kubernetes.io/service-name``, ``endpointslice.kubernetes.io/managed-by``
(and ``service.kubernetes.io/headless`` for a headless Service), hold at most
``max_endpoints_per_slice`` (100) endpoints, and are owned by the Service.
Pods whose ports resolve to different numbers go to different slices.

The writes follow ``reconcileByPortMapping`` and ``finalize`` of the real
reconciler (``k8s.io/endpointslice``), so a sync touches only the slices it
must: a slice is rewritten only when one of its endpoints changed or left;
new endpoints first fill the rewritten slices (fullest first), then go to
new slices of 100, and a remainder under 100 goes to the one unchanged slice
it fills closest to full, if one has room. A Service without endpoints keeps
one empty placeholder slice with no ports. Where the real controller takes
endpoints from a set in no order, the model takes them by IP. Each slice it
creates or updates carries the ``endpoints.kubernetes.io/last-change-trigger-time``
annotation (``triggertime``).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from k8sedu.apiserver import APIServer
from k8sedu.controllers.base import Controller, Result, Watch, own_key
from k8sedu.controllers.selection import index_services_by_selector, pod_to_services, target_port_number
from k8sedu.controllers.triggertime import TriggerTimeTracker, with_trigger_time
from k8sedu.events import Recorder
from k8sedu.objects import (Endpoint, EndpointConditions, EndpointPort, EndpointSlice, Labels, ObjectMeta,
                            ObjectReference, OwnerReference, Pod, Service, frozen)

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
RESERVED_LABELS = (SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL)


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


def pod_ports(svc: Service, pod: Pod) -> tuple[EndpointPort, ...]:
    """``getEndpointPorts``: each service port whose target port resolves on ``pod``, with that number."""
    return tuple(EndpointPort(port=number, name=sp.name, protocol=sp.protocol) for sp in svc.spec.ports
                 if (number := target_port_number(sp.target_port, pod)))


def slice_labels(svc: Service) -> Labels:
    """``setEndpointSliceLabels``: the Service's labels but the reserved ones, then the reserved ones set."""
    labels = {k: v for k, v in svc.metadata.labels.items() if k not in RESERVED_LABELS}
    if svc.spec.cluster_ip in ("None", ""):  # not isServiceIPSet
        labels[HEADLESS_LABEL] = ""
    labels[SERVICE_NAME_LABEL] = svc.metadata.name
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    return frozen(labels)


def _own_labels(labels: Labels) -> dict:
    return {k: v for k, v in labels.items() if k not in RESERVED_LABELS}


def _owned_by(s: EndpointSlice, svc: Service) -> bool:
    return any(ref.uid == svc.metadata.uid and ref.kind == "Service" for ref in s.metadata.owner_references)


def _identity(endpoint: Endpoint) -> tuple:
    """What ``hashEndpoint`` hashes: an endpoint is the same one while these stay."""
    ref = endpoint.target_ref
    return (endpoint.addresses, endpoint.hostname, ref.namespace if ref else "", ref.name if ref else "")


class _Plan:
    """What one sync writes: slices to create (endpoint lists with their ports), to update, to delete."""

    def __init__(self) -> None:
        self.create: list[tuple[tuple[EndpointPort, ...], list[Endpoint]]] = []
        self.update: dict[str, tuple[EndpointSlice, tuple[EndpointPort, ...], list[Endpoint]]] = {}
        self.delete: list[EndpointSlice] = []


class EndpointSliceController(Controller):
    name = "endpointslice-controller"

    def __init__(self, api: APIServer, recorder: Recorder, max_endpoints_per_slice: int = 100):
        self.api = api
        self.recorder = recorder
        self.max_per_slice = max_endpoints_per_slice
        self._built: dict[tuple, tuple[Pod, Endpoint, tuple]] = {}  # (pod uid, Service facts) -> (pod, endpoint, ports)
        self.triggers = TriggerTimeTracker()
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
            self.triggers.forget(namespace, name)
            for s in slices:
                self.api.delete("EndpointSlice", namespace, s.metadata.name)
            return None
        pods = self.api.store.select("Pod", namespace, svc.spec.selector)
        triggered = self.triggers.compute(svc, pods)
        plan = self._plan(svc, slices, self._desired(svc, pods))
        self._finalize(svc, plan, triggered)
        return None

    def _desired(self, svc: Service, pods: list[Pod]) -> dict[tuple, dict[tuple, Endpoint]]:
        """The endpoints the Service's pods ask for, grouped by their resolved ports, each keyed by identity."""
        groups: dict[tuple, dict[tuple, Endpoint]] = {}
        for pod in pods:
            if pod.status.pod_ip and pod.status.phase not in ("Succeeded", "Failed"):
                endpoint, ports = self._endpoint(pod, svc)
                groups.setdefault(ports, {})[_identity(endpoint)] = endpoint
        return groups

    def _endpoint(self, pod: Pod, svc: Service) -> tuple[Endpoint, tuple]:
        """``endpoint_for`` and ``pod_ports``, remembered for the very pod version: a sync reads all of the Service's
        pods, and most of them have not changed (bounded, cleared when full)."""
        key = (pod.metadata.uid, svc.metadata.name, svc.spec.publish_not_ready_addresses, svc.spec.ports)
        found = self._built.get(key)
        if found is None or found[0] is not pod:
            if len(self._built) > 400_000:
                self._built.clear()
            found = self._built[key] = (pod, endpoint_for(pod, svc), pod_ports(svc, pod))
        return found[1], found[2]

    def _plan(self, svc: Service, slices: list[EndpointSlice], desired: dict) -> _Plan:
        """``reconcile``: each port group on its own; slices of ports no pod has any more go; a placeholder if
        nothing would be left."""
        plan = _Plan()
        existing: dict[tuple, list[EndpointSlice]] = {}
        for s in slices:
            existing.setdefault(s.ports, []).append(s)
        for ports, endpoints in desired.items():
            self._by_ports(svc, ports, existing.get(ports, []), endpoints, plan)
        plan.delete += [s for ports, group in existing.items() if ports not in desired for s in group]
        if len(slices) == len(plan.delete) and not plan.create:
            if len(plan.delete) == 1 and self._is_placeholder(plan.delete[0], svc):
                plan.delete = []
            else:
                plan.create.append(((), []))
        return plan

    def _is_placeholder(self, s: EndpointSlice, svc: Service) -> bool:
        """``placeholderSliceCompare``: empty, no ports, the labels it should have, owned by this very Service."""
        return (not s.endpoints and not s.ports and s.metadata.labels == slice_labels(svc)
                and _owned_by(s, svc))

    def _by_ports(self, svc: Service, ports: tuple, slices: list[EndpointSlice], desired: dict, plan: _Plan) -> None:
        """``reconcileByPortMapping`` for the slices and endpoints of one port group."""
        remaining = dict(desired)
        rewrite, unchanged = self._sort_slices(svc, slices, remaining, plan)
        queue = sorted(remaining.values(), key=_identity)
        for _, kept in sorted(rewrite.values(), key=lambda entry: -len(entry[1])):  # 2. fullest rewritten first
            self._fill(kept, queue)
        while queue:  # 3. the one unchanged slice the remainder fills closest to full, else a new slice
            target = self._slice_to_fill(unchanged, len(queue)) if len(queue) < self.max_per_slice else None
            if target is None:
                plan.create.append((ports, self._fill([], queue)))
            else:
                unchanged.remove(target)
                rewrite[target[0].metadata.name] = (target[0], self._fill(target[1], queue))
        plan.update.update({name: (s, ports, kept) for name, (s, kept) in rewrite.items()})

    def _sort_slices(self, svc: Service, slices: list[EndpointSlice], remaining: dict, plan: _Plan):
        """Step 1: take each slice's endpoints that are still wanted out of ``remaining``, as they are now wanted.
        A slice with an endpoint changed or gone, or with labels to follow, is to be rewritten (or deleted if
        nothing is left); the others are unchanged. Return both, as name -> (slice, kept) and (slice, kept)."""
        rewrite: dict[str, tuple[EndpointSlice, list[Endpoint]]] = {}
        unchanged: list[tuple[EndpointSlice, list[Endpoint]]] = []
        own = _own_labels(slice_labels(svc))
        for s in slices:
            kept = [remaining.pop(_identity(e)) for e in s.endpoints if _identity(e) in remaining]
            if len(kept) != len(s.endpoints) or any(a != b for a, b in zip(kept, s.endpoints)):
                if kept:
                    rewrite[s.metadata.name] = (s, kept)
                else:
                    plan.delete.append(s)
            elif _own_labels(s.metadata.labels) != own:
                rewrite[s.metadata.name] = (s, kept)
            else:
                unchanged.append((s, kept))
        return rewrite, unchanged

    def _fill(self, endpoints: list[Endpoint], queue: list[Endpoint]) -> list[Endpoint]:
        """Move endpoints from the front of ``queue`` into ``endpoints`` until the slice is full."""
        room = max(self.max_per_slice - len(endpoints), 0)
        endpoints += queue[:room]
        del queue[:room]
        return endpoints

    def _slice_to_fill(self, unchanged: list, count: int):
        """``getSliceToFill``: the unchanged slice that ``count`` more endpoints bring closest to full, or None."""
        best, best_gap = None, self.max_per_slice
        for entry in unchanged:
            gap = self.max_per_slice - (count + len(entry[1]))
            if 0 <= gap < best_gap:
                best, best_gap = entry, gap
        return best

    def _finalize(self, svc: Service, plan: _Plan, triggered: Optional[float]) -> None:
        """``finalize``: a slice to create takes the name of one to delete instead; then create, update, delete.
        Each slice created or updated carries the trigger time (``addTriggerTimeAnnotation``)."""
        for doomed in list(plan.delete):
            if not plan.create:
                break
            if not _owned_by(doomed, svc):  # a slice of an older Service of that name, being collected
                continue
            ports, endpoints = plan.create.pop()
            plan.delete.remove(doomed)
            plan.update[doomed.metadata.name] = (doomed, ports, endpoints)
        if svc.metadata.deletion_timestamp is None:
            for ports, endpoints in plan.create:
                self._create(svc, endpoints, ports, triggered)
        for s, ports, endpoints in plan.update.values():
            meta = dataclasses.replace(s.metadata, labels=slice_labels(svc),
                                       annotations=with_trigger_time(s.metadata.annotations, triggered))
            updated = dataclasses.replace(s, endpoints=tuple(endpoints), ports=ports, metadata=meta)
            if updated != s:
                self.api.update(updated)
        for s in plan.delete:
            self.api.delete("EndpointSlice", s.metadata.namespace, s.metadata.name)

    def _create(self, svc: Service, endpoints: list[Endpoint], ports, triggered: Optional[float]) -> None:
        meta = ObjectMeta(
            generate_name=f"{svc.metadata.name}-", namespace=svc.metadata.namespace, labels=slice_labels(svc),
            annotations=with_trigger_time({}, triggered),
            owner_references=(OwnerReference("v1", "Service", svc.metadata.name, svc.metadata.uid),),
        )
        self.api.create(EndpointSlice(meta, endpoints=tuple(endpoints), ports=ports))
