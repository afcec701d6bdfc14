"""Which Services select a Pod: the map function both endpoint controllers share.

Mirrors the ``GetPodServiceMemberships`` helper of the endpoint controllers: a
Pod event concerns every Service in its namespace whose selector matches the
pod's labels, before or after the change. An index of Services by selector
pair keeps this proportional to the pod's labels, not to the number of
Services.
"""

from __future__ import annotations

from typing import Iterable

from k8sedu.apiserver.store import Store, WatchEvent
from k8sedu.objects import Pod, selector_matches


def index_services_by_selector(store: Store) -> None:
    """Register the ``selector`` index on Services (idempotent)."""
    store.add_index("Service", "selector", lambda svc: (f"{k}={v}" for k, v in svc.spec.selector.items()))


def services_selecting(store: Store, pod: Pod) -> set[tuple[str, str]]:
    """Keys of the Services in the pod's namespace whose selector matches it."""
    ns, labels = pod.metadata.namespace, pod.metadata.labels
    keys = set()
    for k, v in labels.items():
        for svc in store.by_index("Service", "selector", f"{k}={v}", ns):
            if selector_matches(svc.spec.selector, labels):
                keys.add((ns, svc.metadata.name))
    return keys


def pod_to_services(store: Store):
    """Return a watch map function: Pod event -> keys of the Services it concerns."""

    def to_keys(event: WatchEvent) -> Iterable[tuple[str, str]]:
        keys = services_selecting(store, event.object)
        if event.old is not None and event.old.metadata.labels != event.object.metadata.labels:
            keys |= services_selecting(store, event.old)
        return sorted(keys)

    return to_keys


def target_port_number(target_port, pod: Pod) -> int | None:
    """Resolve a Service ``targetPort`` (number or container port name) on a pod."""
    if isinstance(target_port, int):
        return target_port
    if isinstance(target_port, str) and target_port.isdigit():
        return int(target_port)
    for container in pod.spec.containers:
        for port in container.ports:
            if port.name == target_port:
                return port.container_port
    return None
