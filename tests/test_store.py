"""The API store behaves like client-go's ObjectTracker, with watch events."""

import pytest

from k8sedu.apiserver.errors import StatusError
from k8sedu.objects import ObjectMeta, Pod, frozen


def pod(name, ns="default", **labels):
    return Pod(ObjectMeta(name=name, namespace=ns, labels=frozen(labels)))


def test_create_assigns_uid_resource_version_and_creation_time(store, clock):
    clock.now = 12.0
    created = store.create(pod("a"))
    assert created.metadata.uid == "uid-1"
    assert created.metadata.resource_version == "1"
    assert created.metadata.creation_timestamp == 12.0


def test_every_write_gets_a_higher_resource_version(store):
    a = store.create(pod("a"))
    b = store.create(pod("b"))
    a2 = store.update(pod("a", app="x"))
    assert int(a.metadata.resource_version) < int(b.metadata.resource_version) < int(a2.metadata.resource_version)


def test_update_keeps_identity_fields(store, clock):
    a = store.create(pod("a"))
    clock.now = 99
    a2 = store.update(pod("a", app="x"))
    assert (a2.metadata.uid, a2.metadata.creation_timestamp) == (a.metadata.uid, a.metadata.creation_timestamp)


def test_an_update_that_changes_nothing_is_not_a_write(store):
    a = store.create(pod("a"))
    events = []
    store.watch("Pod", events.append)
    assert store.update(a) == a
    assert events == []


@pytest.mark.parametrize("op, reason, message", [
    (lambda s: s.create(pod("a")), "AlreadyExists", 'pods "a" already exists'),
    (lambda s: s.update(pod("nope")), "NotFound", 'pods "nope" not found'),
    (lambda s: s.delete("Pod", "default", "nope"), "NotFound", 'pods "nope" not found'),
    (lambda s: s.get("Deployment", "default", "nope"), "NotFound", 'deployments.apps "nope" not found'),
])
def test_errors_use_the_api_wording(store, op, reason, message):
    store.create(pod("a"))
    rv = store.resource_version
    with pytest.raises(StatusError) as err:
        op(store)
    assert (err.value.reason, err.value.message) == (reason, message)
    assert store.resource_version == rv


def test_list_is_sorted_by_namespace_then_name(store):
    for ns, name in [("kube-system", "b"), ("default", "z"), ("default", "a")]:
        store.create(pod(name, ns))
    assert [(p.metadata.namespace, p.metadata.name) for p in store.list("Pod")] == [
        ("default", "a"), ("default", "z"), ("kube-system", "b")]
    assert [p.metadata.name for p in store.list("Pod", "default")] == ["a", "z"]


def test_watch_delivers_added_modified_deleted_with_old_object(store):
    events = []
    store.watch("Pod", events.append)
    store.create(pod("a"))
    store.update(pod("a", app="x"))
    store.delete("Pod", "default", "a")
    assert [e.type for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[1].old.metadata.labels == {} and events[1].object.metadata.labels == {"app": "x"}
    assert events[2].object.metadata.labels == {"app": "x"}


def test_select_uses_labels_and_follows_label_changes(store):
    store.create(pod("a", app="web", tier="fe"))
    store.create(pod("b", app="web"))
    store.create(pod("c", app="web", ns="kube-system"))
    assert [p.metadata.name for p in store.select("Pod", "default", {"app": "web"})] == ["a", "b"]
    assert [p.metadata.name for p in store.select("Pod", "default", {"app": "web", "tier": "fe"})] == ["a"]
    store.update(pod("a", app="db"))
    assert [p.metadata.name for p in store.select("Pod", "default", {"app": "web"})] == ["b"]
    assert store.select("Pod", "default", {}) == []


def test_changed_since_lists_keys_written_after_a_resource_version(store):
    store.create(pod("a"))
    rv = store.resource_version
    store.create(pod("b"))
    store.delete("Pod", "default", "a")
    assert store.changed_since("Pod", rv) == [("default", "b"), ("default", "a")]


def test_objects_are_frozen(store):
    a = store.create(pod("a", app="x"))
    with pytest.raises(Exception):
        a.metadata.name = "b"
    with pytest.raises(TypeError):
        a.metadata.labels["app"] = "y"


def test_a_compacted_change_log_says_so_instead_of_answering_short(store, monkeypatch):
    """Like etcd's compaction (a watch from a compacted revision gets 410 Gone): None, and the caller relists."""
    from k8sedu.apiserver import store as store_module
    monkeypatch.setattr(store_module, "LOG_LIMIT", 3)
    start = store.resource_version
    for i in range(7):
        store.create(pod(f"p{i}"))
    assert store.changed_since("Pod", start) is None
    recent = store.resource_version - 3
    assert store.changed_since("Pod", recent) == [("default", "p4"), ("default", "p5"), ("default", "p6")]
    assert len(store._log["Pod"][0]) <= 6  # bounded
