"""The API store: etcd plus the API server's storage layer, in memory.

Behaves like client-go's ``ObjectTracker``: objects are keyed by
``(kind, namespace, name)``; every write gets a new, monotonically increasing
``resourceVersion``; ``create`` of an existing key raises AlreadyExists and
``update``/``delete`` of a missing key raise NotFound; ``list`` is sorted by
namespace, then name. Objects are frozen, so handing them out is safe.

``watch(kind, handler)`` delivers a ``WatchEvent`` to each handler right after
every write, like an informer with a zero-latency watch. The store also keeps
indexes (labels, owners, and any ``add_index``) so controllers look up what
they need in time proportional to the answer, not to the cluster, and a
change log so a consumer such as kube-proxy can ask "what changed since
resourceVersion N", as a watch that resumes from a resourceVersion does.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional

from k8sedu.apiserver import errors

Key = tuple[str, str, str]  # (kind, namespace, name)
LOG_LIMIT = 200_000  # writes per kind the change log keeps at least
IndexFunc = Callable[[Any], Iterable[str]]


@dataclass(frozen=True)
class WatchEvent:
    """One watch notification: ADDED, MODIFIED or DELETED.

    ``old`` is the previous version for MODIFIED (like controller-runtime's
    ``UpdateEvent.ObjectOld``) and the last version for DELETED.
    """

    type: str
    object: Any
    old: Any = None


def key_of(obj: Any) -> Key:
    return (obj.kind, obj.metadata.namespace, obj.metadata.name)


def _label_values(obj: Any) -> Iterable[str]:
    return (f"{k}={v}" for k, v in obj.metadata.labels.items())


def _owner_values(obj: Any) -> Iterable[str]:
    return (ref.uid for ref in obj.metadata.owner_references)


class Store:
    """An in-memory object store with watch events and indexes."""

    def __init__(self, now: Callable[[], float], new_uid: Callable[[], str]):
        self._now = now
        self._new_uid = new_uid
        self._objects: dict[str, dict[tuple[str, str], Any]] = {}
        self._handlers: dict[str, list[Callable[[WatchEvent], None]]] = {}
        self._index_funcs: dict[str, dict[str, IndexFunc]] = {}
        self._indexes: dict[tuple[str, str, str, str], set[tuple[str, str]]] = {}
        self._log: dict[str, tuple[list[int], list[tuple[str, str]]]] = {}
        self._rv = 0
        self._sorted: dict[str, list[tuple[str, str]]] = {}  # kind -> its keys in order, until one comes or goes
        self._log_floor: dict[str, int] = {}  # kind -> the last resourceVersion the compacted log forgot

    # ------------------------------------------------------------ reads

    @property
    def resource_version(self) -> int:
        """The store's latest resourceVersion."""
        return self._rv

    def get(self, kind: str, namespace: str, name: str) -> Any:
        """Return the object, or raise NotFound in the API's words."""
        obj = self.try_get(kind, namespace, name)
        if obj is None:
            raise errors.not_found(kind, name)
        return obj

    def try_get(self, kind: str, namespace: str, name: str) -> Optional[Any]:
        return self._objects.get(kind, {}).get((namespace, name))

    def list(self, kind: str, namespace: Optional[str] = None) -> list[Any]:
        """Return every object of ``kind`` (in ``namespace`` if given), sorted."""
        objs = self._objects.get(kind, {})
        keys = self._sorted.get(kind)
        if keys is None:
            keys = self._sorted[kind] = sorted(objs)
        return [objs[k] for k in keys if namespace is None or k[0] == namespace]

    def count(self, kind: str) -> int:
        return len(self._objects.get(kind, {}))

    def select(self, kind: str, namespace: str, selector: Mapping[str, str]) -> list[Any]:
        """Return the objects in ``namespace`` whose labels carry all of ``selector``.

        Uses the label index: the cost follows the size of the answer.
        An empty selector selects nothing.
        """
        if not selector:
            return []
        sets = [self._index_keys(kind, "labels", namespace, f"{k}={v}") for k, v in selector.items()]
        names = set.intersection(*sorted(sets, key=len)) if sets else set()
        objs = self._objects.get(kind, {})
        return [objs[k] for k in sorted(names)]

    def by_index(self, kind: str, index: str, value: str, namespace: str = "") -> list[Any]:
        """Return the objects whose index function yields ``value``, sorted."""
        objs = self._objects.get(kind, {})
        return [objs[k] for k in sorted(self._index_keys(kind, index, namespace, value))]

    def index_count(self, kind: str, index: str, value: str, namespace: str = "") -> int:
        """Return how many objects the index holds under ``value``."""
        return len(self._index_keys(kind, index, namespace, value))

    def owned_by(self, kind: str, namespace: str, owner_uid: str) -> list[Any]:
        """Return the objects of ``kind`` with an ownerReference to ``owner_uid``."""
        return self.by_index(kind, "owner", owner_uid, namespace)

    def changed_since(self, kind: str, resource_version: int) -> Optional[list[tuple[str, str]]]:
        """Return the (namespace, name) keys of ``kind`` written after ``resource_version``.

        The log keeps the last ``LOG_LIMIT`` to twice that many writes per kind, as etcd compacts old
        revisions: asked about a resourceVersion older than that, it returns None, the model's
        ``410 Gone``, and the caller lists everything again, as an informer relists.
        """
        if resource_version < self._log_floor.get(kind, 0):
            return None
        rvs, keys = self._log.get(kind, ([], []))
        start = bisect.bisect_right(rvs, resource_version)
        return keys[start:]

    # ------------------------------------------------------------ indexes and watches

    def add_index(self, kind: str, name: str, func: IndexFunc, namespaced: bool = True) -> None:
        """Register an index: ``func(obj)`` yields the values to look it up by."""
        self._index_funcs.setdefault(kind, {})[name] = (func, namespaced)
        for obj in self._objects.get(kind, {}).values():
            self._index(obj, add=True, only=name)

    def watch(self, kind: str, handler: Callable[[WatchEvent], None]) -> None:
        """Call ``handler(WatchEvent)`` after every write of ``kind``."""
        self._handlers.setdefault(kind, []).append(handler)

    def unwatch(self, kind: str, handler: Callable[[WatchEvent], None]) -> None:
        """Stop calling ``handler``: a client closed its watch (``kubectl get -w`` ended)."""
        self._handlers[kind].remove(handler)

    # ------------------------------------------------------------ writes

    def create(self, obj: Any) -> Any:
        """Store a new object; fill uid, resourceVersion and creationTimestamp."""
        kind, ns, name = key_of(obj)
        if (ns, name) in self._objects.get(kind, {}):
            raise errors.already_exists(kind, name)
        meta = dataclasses.replace(
            obj.metadata,
            uid=obj.metadata.uid or self._new_uid(),
            creation_timestamp=self._now(),
            generation=1 if hasattr(obj, "spec") else 0,
            resource_version=str(self._rv + 1),
        )
        return self._commit("ADDED", dataclasses.replace(obj, metadata=meta), None)

    def update(self, obj: Any) -> Any:
        """Replace an existing object; bump ``generation`` when its spec changed.

        The new version is built once, with its resourceVersion, and compared
        with the old one field by field (ignoring the resourceVersion), so an
        update costs two copies instead of eight.
        """
        kind, ns, name = key_of(obj)
        old = self.get(kind, ns, name)
        generation = old.metadata.generation
        if hasattr(obj, "spec") and obj.spec != old.spec:
            generation += 1
        meta = dataclasses.replace(obj.metadata, uid=old.metadata.uid, generation=generation,
                                   creation_timestamp=old.metadata.creation_timestamp,
                                   resource_version=str(self._rv + 1))
        new = dataclasses.replace(obj, metadata=meta)
        if _same(new, old):
            return old  # a no-op write: no new resourceVersion, no event
        return self._commit("MODIFIED", new, old)

    def delete(self, kind: str, namespace: str, name: str) -> Any:
        """Remove an object at once and return its last version."""
        old = self.get(kind, namespace, name)
        self._rv += 1
        del self._objects[kind][(namespace, name)]
        self._sorted.pop(kind, None)
        self._index(old, add=False)
        self._append_log(kind, namespace, name)
        self._notify(WatchEvent("DELETED", old, old))
        return old

    # ------------------------------------------------------------ internals

    def _commit(self, event_type: str, obj: Any, old: Any) -> Any:
        """Store ``obj`` (its resourceVersion already the next one), index it and tell the watchers."""
        self._rv += 1
        kind, ns, name = key_of(obj)
        if old is not None:
            self._index(old, add=False)
        else:
            self._sorted.pop(kind, None)
        self._objects.setdefault(kind, {})[(ns, name)] = obj
        self._index(obj, add=True)
        self._append_log(kind, ns, name)
        self._notify(WatchEvent(event_type, obj, old))
        return obj

    def _append_log(self, kind: str, ns: str, name: str) -> None:
        rvs, keys = self._log.setdefault(kind, ([], []))
        rvs.append(self._rv)
        keys.append((ns, name))
        if len(rvs) > 2 * LOG_LIMIT:  # compact: forget the older half
            self._log_floor[kind] = rvs[-LOG_LIMIT - 1]
            del rvs[:-LOG_LIMIT], keys[:-LOG_LIMIT]

    def _notify(self, event: WatchEvent) -> None:
        for handler in self._handlers.get(event.object.kind, ()):
            handler(event)

    def _all_index_funcs(self, kind: str) -> dict[str, tuple[IndexFunc, bool]]:
        funcs = {"labels": (_label_values, True), "owner": (_owner_values, True)}
        funcs.update(self._index_funcs.get(kind, {}))
        return funcs

    def _index(self, obj: Any, add: bool, only: str = "") -> None:
        kind, ns, name = key_of(obj)
        for index, (func, namespaced) in self._all_index_funcs(kind).items():
            if only and index != only:
                continue
            scope = ns if namespaced else ""
            for value in func(obj):
                bucket = self._indexes.setdefault((kind, index, scope, value), set())
                if add:
                    bucket.add((ns, name))
                else:
                    bucket.discard((ns, name))

    def _index_keys(self, kind: str, index: str, namespace: str, value: str) -> set[tuple[str, str]]:
        return self._indexes.get((kind, index, namespace, value), set())


_OTHER_FIELDS: dict[type, tuple[str, ...]] = {}


def _same(a: Any, b: Any) -> bool:
    """True if two versions differ at most in resourceVersion (compared field by field, no copies but one)."""
    if type(a) is not type(b):
        return False
    names = _OTHER_FIELDS.get(type(a))
    if names is None:
        names = _OTHER_FIELDS[type(a)] = tuple(f.name for f in dataclasses.fields(a) if f.name != "metadata")
    if any(getattr(a, n) != getattr(b, n) for n in names):
        return False
    return dataclasses.replace(a.metadata, resource_version=b.metadata.resource_version) == b.metadata
