"""Runs the controllers: wires their watches to work queues and drains them.

Mirrors controller-runtime's Manager and sample-controller's
``processNextWorkItem`` loop, single-threaded: ``settle()`` takes keys from
each controller's queue in a fixed order until every queue is empty, so the
cluster reaches the state the controllers agree on, deterministically.

Its cost follows the work, not the number of controllers: it keeps the set
of controllers whose queue has keys (instead of asking every queue each
round), and a node agent's Pod watch (``Watch.node``) gets only the events
of pods on its node, through one dispatcher per kind (instead of every
kubelet seeing every pod).
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
        self._position: dict[str, int] = {}  # a controller's place in the fixed order
        self._busy: set[int] = set()  # positions of controllers that may have keys
        self._by_node: dict[str, dict[str, list]] = {}  # kind -> node -> handlers of node-scoped watches

    def add(self, controller: Controller) -> Controller:
        """Register ``controller`` and subscribe its watches."""
        queue = WorkQueue()
        self._position[controller.name] = len(self.controllers)
        self.controllers.append(controller)
        self._queues[controller.name] = queue
        for watch in controller.watches():
            handler = self._handler(watch.to_keys, queue, self._position[controller.name])
            if watch.node:
                self._node_handlers(watch.kind).setdefault(watch.node, []).append(handler)
            else:
                self.store.watch(watch.kind, handler)
        return controller

    def _node_handlers(self, kind: str) -> dict[str, list]:
        """The handlers of node-scoped watches of ``kind``, and one store watch that dispatches to them."""
        if kind not in self._by_node:
            routes: dict[str, list] = {}
            self._by_node[kind] = routes

            def dispatch(event) -> None:
                nodes = {event.object.spec.node_name}
                if event.old is not None:
                    nodes.add(event.old.spec.node_name)
                for node in sorted(n for n in nodes if n):
                    for handler in routes.get(node, ()):
                        handler(event)
            self.store.watch(kind, dispatch)
        return self._by_node[kind]

    def enqueue(self, controller: Controller, key) -> None:
        self._queues[controller.name].add(key)
        self._busy.add(self._position[controller.name])

    def settle(self) -> int:
        """Reconcile until every queue is empty; return how many keys were handled."""
        handled = 0
        for _ in range(MAX_ROUNDS):
            busy = [self.controllers[i] for i in sorted(self._busy) if len(self._queues[self.controllers[i].name])]
            self._busy = set()
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

    def _handler(self, to_keys, queue: WorkQueue, position: int):
        busy = self._busy_marker(position)

        def handle(event) -> None:
            for key in to_keys(event):
                queue.add(key)
                busy()
        return handle

    def _busy_marker(self, position: int):
        return lambda: self._busy.add(position)


def k_str(key) -> str:
    return "/".join(part for part in key if part)
