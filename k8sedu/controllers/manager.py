"""Runs the controllers: wires their watches to work queues and drains them.

Mirrors controller-runtime's Manager and sample-controller's
``processNextWorkItem`` loop, single-threaded: ``settle()`` takes keys from
each controller's queue in a fixed order until every queue is empty, so the
cluster reaches the state the controllers agree on, deterministically.
"""

from __future__ import annotations

from k8sedu.apiserver.store import Store
from k8sedu.clock import Clock
from k8sedu.controllers.base import Controller, WorkQueue
from k8sedu.events import EventLog

MAX_ROUNDS = 10_000


class Manager:
    """Holds the controllers (a plain list, in order) and their queues."""

    def __init__(self, store: Store, clock: Clock, events: EventLog):
        self.store = store
        self.clock = clock
        self.events = events
        self.controllers: list[Controller] = []
        self._queues: dict[str, WorkQueue] = {}

    def add(self, controller: Controller) -> Controller:
        """Register ``controller`` and subscribe its watches."""
        queue = WorkQueue()
        self.controllers.append(controller)
        self._queues[controller.name] = queue
        for watch in controller.watches():
            self.store.watch(watch.kind, self._handler(watch.to_keys, queue))
        return controller

    def enqueue(self, controller: Controller, key) -> None:
        self._queues[controller.name].add(key)

    def settle(self) -> int:
        """Reconcile until every queue is empty; return how many keys were handled."""
        handled = 0
        for _ in range(MAX_ROUNDS):
            busy = [c for c in self.controllers if len(self._queues[c.name])]
            if not busy:
                return handled
            for controller in busy:
                handled += self._drain(controller)
        raise RuntimeError("controllers did not settle: they keep changing each other's objects")

    def _drain(self, controller: Controller) -> int:
        queue = self._queues[controller.name]
        handled = 0
        while len(queue):
            key = queue.pop()
            handled += 1
            result = controller.reconcile(key)
            if result is not None and result.requeue_after is not None:
                self.clock.call_later(result.requeue_after, lambda c=controller, k=key: self.enqueue(c, k),
                                      label=f"{controller.name} requeue {k_str(key)}")
        return handled

    @staticmethod
    def _handler(to_keys, queue: WorkQueue):
        def handle(event) -> None:
            for key in to_keys(event):
                queue.add(key)
        return handle


def k_str(key) -> str:
    return "/".join(part for part in key if part)
