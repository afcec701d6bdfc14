"""The EndpointSlice controller's writes, against the rules of the real reconciler (k8s.io/endpointslice).

``reconcileByPortMapping``: a slice is rewritten only when one of its endpoints changed or left; new endpoints fill
the rewritten slices (fullest first), then new slices, and a remainder under the maximum goes to the one unchanged
slice it fills closest to full. ``finalize``: a slice to create takes the name of one to delete. A Service without
endpoints keeps one placeholder slice with no ports. Endpoints are grouped by their resolved ports.
"""

import dataclasses
import itertools
import random

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from k8sedu.apiserver import APIServer
from k8sedu.apiserver.store import Store
from k8sedu.controllers.endpointslice import EndpointSliceController
from k8sedu.events import EventLog, Recorder
from k8sedu.objects import (Container, ContainerPort, Namespace, ObjectMeta, Pod, PodCondition, PodSpec, PodStatus,
                            Service, ServicePort, ServiceSpec, frozen)

APP = frozen({"app": "web"})
KEY = ("default", "web")


def make_api() -> APIServer:
    counter = itertools.count(1)
    api = APIServer(Store(now=lambda: 0.0, new_uid=lambda: f"uid-{next(counter)}"), random.Random(7), lambda: 0.0)
    api.create(Namespace(ObjectMeta(name="default")))
    return api


def controller(api: APIServer, max_per_slice: int = 10) -> EndpointSliceController:
    return EndpointSliceController(api, Recorder(EventLog(), lambda: 0.0, "eps"), max_endpoints_per_slice=max_per_slice)


def service(labels=APP, cluster_ip="", target_port="http") -> Service:
    return Service(ObjectMeta(name="web", namespace="default", labels=frozen(labels)),
                   ServiceSpec(ports=(ServicePort(80, target_port),), selector=APP, cluster_ip=cluster_ip))


def pod(i: int, ready: bool = True, port: int = 8080) -> Pod:
    ip = f"10.244.{i // 200 + 1}.{i % 200 + 2}"
    status = PodStatus(phase="Running", pod_ip=ip, pod_ips=(ip,),
                       conditions=(PodCondition("Ready", "True" if ready else "False"),))
    spec = PodSpec((Container("c", "nginx", (ContainerPort(port, "http"),)),), node_name="kind-worker")
    return Pod(ObjectMeta(name=f"p{i:03d}", namespace="default", labels=APP), spec, status)


def slices(api: APIServer) -> dict[str, list[str]]:
    """Slice name -> the pod names it lists, in order."""
    return {s.metadata.name: [e.target_ref.name for e in s.endpoints] for s in api.list("EndpointSlice", "default")}


def sync(api: APIServer, ctrl: EndpointSliceController) -> list[str]:
    """Run one sync; return the names of the slices it wrote (created, updated or deleted)."""
    rv = api.store.resource_version
    ctrl.reconcile(KEY)
    return sorted({name for _, name in api.store.changed_since("EndpointSlice", rv)})


def built(pods: int, max_per_slice: int = 10) -> tuple[APIServer, EndpointSliceController]:
    """A Service with ``pods`` ready pods, synced once."""
    api = make_api()
    api.create(service())
    ctrl = controller(api, max_per_slice)
    for i in range(pods):
        api.create(pod(i))
    sync(api, ctrl)
    return api, ctrl


def test_a_service_without_endpoints_keeps_one_placeholder_with_no_ports():
    api = make_api()
    api.create(service(target_port=8080))
    ctrl = controller(api)
    [name] = sync(api, ctrl)
    [placeholder] = api.list("EndpointSlice", "default")
    assert (placeholder.endpoints, placeholder.ports) == ((), ())  # kubectl shows PORTS <unset>
    assert sync(api, ctrl) == []  # the placeholder is kept as it is
    api.create(pod(0))
    assert sync(api, ctrl) == [name]  # the new slice takes the placeholder's name (finalize)
    [s] = api.list("EndpointSlice", "default")
    assert [(p.name, p.port) for p in s.ports] == [("", 8080)]
    api.delete("Pod", "default", "p000", grace_period=0)
    assert sync(api, ctrl) == [name]  # back to the placeholder, same name
    assert api.get("EndpointSlice", "default", name).ports == ()


def seven_and_five(api: APIServer, ctrl: EndpointSliceController) -> tuple[str, str]:
    """Two slices of at most 10, holding 7 and 5 endpoints; return their names."""
    for i in range(15):
        api.create(pod(i))
    sync(api, ctrl)
    full, half = sorted(slices(api), key=lambda n: -len(slices(api)[n]))
    for name in slices(api)[full][:3]:
        api.delete("Pod", "default", name, grace_period=0)
    assert sync(api, ctrl) == [full]
    assert (len(slices(api)[full]), len(slices(api)[half])) == (7, 5)
    return full, half


@pytest.mark.parametrize("new, filled, size", [(3, 0, 10), (4, 1, 9), (5, 1, 10), (6, None, 6)])
def test_a_remainder_goes_to_the_unchanged_slice_it_fills_closest_to_full(new, filled, size):
    api = make_api()
    api.create(service())
    ctrl = controller(api)
    names = seven_and_five(api, ctrl)
    before = set(slices(api))
    for i in range(new):
        api.create(pod(20 + i))
    [written] = sync(api, ctrl)  # one slice, whichever way
    if filled is None:  # fits neither: a new slice
        assert written not in before
    else:
        assert written == names[filled]
    assert len(slices(api)[written]) == size


def test_as_many_new_endpoints_as_a_slice_holds_go_to_a_new_slice_first():
    api, ctrl = built(14)
    before = slices(api)
    for i in range(12):  # 10 to a new slice, then 2 to the 4-endpoint slice (closest to full that fits)
        api.create(pod(14 + i))
    written = sync(api, ctrl)
    after = slices(api)
    [new] = set(after) - set(before)
    [four] = [n for n, pods in before.items() if len(pods) == 4]
    assert sorted(written) == sorted([new, four])
    assert (len(after[new]), len(after[four])) == (10, 6)


def test_only_the_slice_of_a_changed_endpoint_is_rewritten_and_it_is_filled_first():
    api, ctrl = built(18)
    holder = next(n for n, pods in slices(api).items() if "p003" in pods)
    api.update(pod(3, ready=False))
    assert sync(api, ctrl) == [holder]
    api.delete("Pod", "default", "p003", grace_period=0)
    api.create(pod(40))
    assert sync(api, ctrl) == [holder]  # the slice rewritten anyway takes the newcomer
    assert "p040" in slices(api)[holder]


def test_pods_whose_named_port_resolves_differently_get_their_own_slice():
    api = make_api()
    api.create(service())
    api.create(pod(0, port=8080))
    api.create(pod(1, port=9090))
    ctrl = controller(api)
    ctrl.reconcile(KEY)

    def by_port():
        return {s.ports[0].port: [e.target_ref.name for e in s.endpoints] for s in api.list("EndpointSlice", "default")}
    assert by_port() == {8080: ["p000"], 9090: ["p001"]}
    api.update(pod(0, ready=False))  # the 8080 slice is rewritten and has room, but only for its own ports
    api.create(pod(2, port=9090))
    ctrl.reconcile(KEY)
    assert by_port() == {8080: ["p000"], 9090: ["p001", "p002"]}


def test_slices_carry_the_service_labels_but_the_reserved_ones_and_follow_them():
    api = make_api()
    api.create(service(labels={"app": "web", "kubernetes.io/service-name": "spoof",
                               "endpointslice.kubernetes.io/managed-by": "me"}, cluster_ip="None"))
    ctrl = controller(api)
    ctrl.reconcile(KEY)
    [s] = api.list("EndpointSlice", "default")
    assert dict(s.metadata.labels) == {"app": "web", "kubernetes.io/service-name": "web",
                                       "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                                       "service.kubernetes.io/headless": ""}
    svc = api.get("Service", "default", "web")
    api.update(dataclasses.replace(svc, metadata=dataclasses.replace(svc.metadata, labels=frozen({"tier": "front"}))))
    assert sync(api, ctrl) == [s.metadata.name]
    assert api.get("EndpointSlice", "default", s.metadata.name).metadata.labels["tier"] == "front"
    assert "app" not in api.get("EndpointSlice", "default", s.metadata.name).metadata.labels


events = st.lists(st.tuples(st.sampled_from(["add", "remove", "flip"]), st.integers(0, 39)), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(st.lists(events, min_size=1, max_size=6))
def test_every_endpoint_is_listed_once_and_a_sync_touches_at_most_one_slice_it_need_not(batches):
    """Whatever happens between syncs: each pod's endpoint is in exactly one slice, no slice is over the maximum
    or empty (but a lone placeholder), a sync rewrites a slice none of whose endpoints changed at most once (the
    remainder's slice), and a second sync writes nothing."""
    api = make_api()
    api.create(service())
    ctrl = controller(api, max_per_slice=5)
    ctrl.reconcile(KEY)
    for batch in batches:
        before = {s.metadata.name: s for s in api.list("EndpointSlice", "default")}
        touched = set()
        for op, i in batch:
            name = f"p{i:03d}"
            current = api.try_get("Pod", "default", name)
            if op == "add" and current is None:
                api.create(pod(i))
            elif op == "remove" and current is not None:
                api.delete("Pod", "default", name, grace_period=0)
                touched.add(name)
            elif op == "flip" and current is not None:
                api.update(pod(i, ready=not current.ready))
                touched.add(name)
        written = sync(api, ctrl)
        pods = {p.metadata.name for p in api.list("Pod", "default")}
        listed = [name for names in slices(api).values() for name in names]
        assert sorted(listed) == sorted(pods)
        assert all(len(names) <= 5 for names in slices(api).values())
        assert all(slices(api).values()) or len(slices(api)) == 1
        needless = [n for n in written if n in before and not {e.target_ref.name for e in before[n].endpoints} & touched
                    and before[n].endpoints and n in slices(api)]
        assert len(needless) <= 1
        assert sync(api, ctrl) == []


TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"


def test_the_trigger_time_is_the_earliest_change_written_and_goes_when_nothing_moved():
    """``TriggerTimeTracker``: the first sync writes the Service's creationTimestamp; later syncs the earliest
    Ready transition (or Service creation) that moved since the sync before; none moved, no annotation. The
    Endpoints controller keeps its own tracker and writes the same."""
    from k8sedu import Cluster
    from k8sedu.clock import rfc3339

    cluster = Cluster(seed=2)
    cluster.kubectl("create deployment web --image=nginx --replicas=2")
    cluster.advance(1)
    created = cluster.now
    cluster.kubectl("expose deployment web --port=80")

    def annotations():
        [s] = cluster.list("EndpointSlice", selector={"kubernetes.io/service-name": "web"})
        return s.metadata.annotations.get(TRIGGER), cluster.get("Endpoints", "web").metadata.annotations.get(TRIGGER)

    def ready_times():
        return sorted(next(c.last_transition_time for c in p.status.conditions if c.type == "Ready")
                      for p in cluster.list("Pod", selector={"app": "web"}))
    assert annotations() == (rfc3339(created), rfc3339(created))
    cluster.advance(20)
    first = ready_times()
    assert annotations() == (rfc3339(first[0]),) * 2
    cluster.advance(30)
    cluster.kubectl("scale deployment web --replicas=3")
    cluster.advance(20)
    [newest] = sorted(set(ready_times()) - set(first))
    assert newest > first[-1] and annotations() == (rfc3339(newest),) * 2
    cluster.kubectl("label service web tier=front")
    cluster.advance(1)
    assert annotations() == (None, None)  # rewritten for the labels alone: no trigger moved
    assert cluster.get("Endpoints", "web").metadata.labels == {"app": "web", "tier": "front"}
