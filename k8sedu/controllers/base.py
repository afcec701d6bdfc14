"""The controller pattern: watch -> work queue -> level-based reconcile.

Mirrors kubernetes/sample-controller and controller-runtime without threads.
A controller declares what it ``watches``; each watch maps an event to the keys
to reconcile (the object itself, its owner, or a map function such as
"every Service selecting this Pod"). Handlers only enqueue keys. Later,
``reconcile(key)`` reads the *current* state, compares desired with actual,
writes the difference, and may ask to be called again after a delay. Running
it twice changes nothing the second time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from k8sedu.apiserver.store import WatchEvent

Key = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True)
class Watch:
    """Watch ``kind``; ``to_keys`` turns each event into the keys to reconcile.

    ``node`` narrows a Pod watch to pods bound to that node, as the kubelet's
    informer does with the field selector ``spec.nodeName=<node>``: the
    manager hands such a watch only the events of its node's pods.
    """

    kind: str
    to_keys: Callable[[WatchEvent], Iterable[Key]]
    node: str = ""


@dataclass(frozen=True)
class Result:
    """What a reconcile asks for: ``requeue_after`` seconds, or nothing."""

    requeue_after: Optional[float] = None


def own_key(event: WatchEvent) -> Iterable[Key]:
    """Map an event to the key of the object itself."""
    meta = event.object.metadata
    return ((meta.namespace, meta.name),)


def owner_keys(owner_kind: str) -> Callable[[WatchEvent], Iterable[Key]]:
    """Map an event to the key of the object's controlling owner of ``owner_kind``."""

    def to_keys(event: WatchEvent) -> Iterable[Key]:
        meta = event.object.metadata
        return tuple((meta.namespace, ref.name) for ref in meta.owner_references
                     if ref.kind == owner_kind and ref.controller)

    return to_keys


class Controller(ABC):
    """Base class: subclasses set ``name`` and implement ``watches`` and ``reconcile``."""

    name = "controller"

    @abstractmethod
    def watches(self) -> tuple[Watch, ...]:
        """Return what this controller watches and how events map to keys."""

    @abstractmethod
    def reconcile(self, key: Key) -> Optional[Result]:
        """Make the world match the desired state of ``key``; idempotent."""


class WorkQueue:
    """A deduplicating FIFO of keys, like client-go's workqueue."""

    def __init__(self) -> None:
        self._items: dict[Key, None] = {}

    def add(self, key: Key) -> None:
        self._items.setdefault(key, None)

    def pop(self) -> Key:
        key = next(iter(self._items))
        del self._items[key]
        return key

    def __len__(self) -> int:
        return len(self._items)
