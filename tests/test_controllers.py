"""Controllers, each tested alone: preload the store, call reconcile(key), assert on the writes."""

import dataclasses
import random

import pytest

from k8sedu.apiserver.admission import UNREACHABLE
from k8sedu.controllers.deployment import DeploymentController
from k8sedu.controllers.endpoints import EndpointsController
from k8sedu.controllers.endpointslice import EndpointSliceController
from k8sedu.controllers.garbagecollector import GarbageCollector
from k8sedu.controllers.replicaset import ReplicaSetController, deletion_rank
from k8sedu.core import Core
from k8sedu.events import EventLog, Recorder
from k8sedu.kubectl import run
from k8sedu.objects import (Container, ContainerPort, Deployment, DeploymentSpec, LabelSelector, ObjectMeta,
                            OwnerReference, Pod, PodCondition, PodSpec, PodStatus, PodTemplateSpec, ReplicaSet,
                            ReplicaSetSpec, Service, ServicePort, ServiceSpec, frozen)

APP = frozen({"app": "currency-exchange"})


@pytest.fixture
def log():
    return EventLog()


def recorder(log, clock, name):
    return Recorder(log, lambda: clock.now, name)


def template():
    return PodTemplateSpec(ObjectMeta(labels=APP),
                           PodSpec((Container("currency-exchange", "in28min/currency-exchange:0.0.1-RELEASE",
                                              (ContainerPort(8000, "http"),)),)))


def deployment(replicas=2):
    return Deployment(ObjectMeta(name="currency-exchange", namespace="default", labels=APP),
                      DeploymentSpec(LabelSelector(APP), template(), replicas))


def writes(store, since):
    """What was written after resourceVersion ``since``: (kind, name) in order."""
    return [(kind, name) for kind in ("Deployment", "ReplicaSet", "Pod", "EndpointSlice", "Endpoints")
            for _, name in store.changed_since(kind, since)]


def running_pod(name, ip, ready=True, labels=APP, node="kind-worker", terminating=False):
    status = PodStatus(phase="Running", pod_ip=ip, pod_ips=(ip,),
                       conditions=(PodCondition("Ready", "True" if ready else "False"),))
    meta = ObjectMeta(name=name, namespace="default", labels=labels)
    spec = PodSpec((Container("c", "in28min/currency-exchange:0.0.1-RELEASE", (ContainerPort(8000, "http"),)),),
                   node_name=node)
    pod = Pod(meta, spec, status)
    if terminating:
        pod = dataclasses.replace(pod, metadata=dataclasses.replace(meta, deletion_timestamp=1.0))
    return pod


# ---------------------------------------------------------------- Deployment

def test_deployment_creates_a_replicaset_named_after_the_template_hash(api, log, clock):
    api.create(deployment(replicas=2))
    ctrl = DeploymentController(api, recorder(log, clock, "deployment-controller"))
    ctrl.reconcile(("default", "currency-exchange"))
    [rs] = api.list("ReplicaSet", "default")
    hash_ = rs.metadata.labels["pod-template-hash"]
    assert rs.metadata.name == f"currency-exchange-{hash_}"
    assert rs.spec.replicas == 2
    assert rs.spec.selector.match_labels == {"app": "currency-exchange", "pod-template-hash": hash_}
    assert rs.spec.template.metadata.labels == rs.spec.selector.match_labels
    assert rs.metadata.owner_references[0].kind == "Deployment"
    assert [e.message for e in log] == [f"Scaled up replica set {rs.metadata.name} from 0 to 2"]


def test_deployment_reconcile_is_idempotent(api, log, clock):
    api.create(deployment())
    ctrl = DeploymentController(api, recorder(log, clock, "deployment-controller"))
    ctrl.reconcile(("default", "currency-exchange"))
    rv = api.store.resource_version
    ctrl.reconcile(("default", "currency-exchange"))
    assert api.store.resource_version == rv


def test_scaling_a_deployment_scales_its_replicaset(api, log, clock):
    api.create(deployment(2))
    ctrl = DeploymentController(api, recorder(log, clock, "deployment-controller"))
    ctrl.reconcile(("default", "currency-exchange"))
    dep = api.get("Deployment", "default", "currency-exchange")
    api.update(dataclasses.replace(dep, spec=dataclasses.replace(dep.spec, replicas=3)))
    ctrl.reconcile(("default", "currency-exchange"))
    [rs] = api.list("ReplicaSet", "default")
    assert rs.spec.replicas == 3
    assert log[-1].reason == "ScalingReplicaSet" and log[-1].message.endswith("from 2 to 3")


# ---------------------------------------------------------------- ReplicaSet

def replicaset(replicas):
    return ReplicaSet(ObjectMeta(name="currency-exchange-5d4f8c6b9", namespace="default", labels=APP),
                      ReplicaSetSpec(LabelSelector(APP), template(), replicas))


def test_replicaset_creates_missing_pods_with_generated_names(api, log, clock):
    api.create(replicaset(2))
    ReplicaSetController(api, recorder(log, clock, "replicaset-controller")).reconcile(
        ("default", "currency-exchange-5d4f8c6b9"))
    pods = api.list("Pod", "default")
    assert len(pods) == 2
    for p in pods:
        assert p.metadata.name.startswith("currency-exchange-5d4f8c6b9-")
        assert len(p.metadata.name) == len("currency-exchange-5d4f8c6b9-") + 5
        assert p.metadata.owner_references[0].name == "currency-exchange-5d4f8c6b9"
    assert [e.reason for e in log] == ["SuccessfulCreate", "SuccessfulCreate"]


def test_replicaset_deletes_the_least_valuable_pod_first(api, log, clock):
    rs = api.create(replicaset(1))
    owner = (OwnerReference("apps/v1", "ReplicaSet", rs.metadata.name, rs.metadata.uid),)
    for p in (running_pod("ready", "10.244.1.2"), running_pod("not-ready", "10.244.1.3", ready=False)):
        api.create(dataclasses.replace(p, metadata=dataclasses.replace(p.metadata, owner_references=owner)))
    ReplicaSetController(api, recorder(log, clock, "rs")).reconcile(("default", rs.metadata.name))
    assert api.get("Pod", "default", "not-ready").metadata.deletion_timestamp is not None
    assert api.get("Pod", "default", "ready").metadata.deletion_timestamp is None


def test_deletion_rank_prefers_unscheduled_then_pending_then_not_ready():
    unscheduled = Pod(ObjectMeta(name="a"))
    pending = dataclasses.replace(running_pod("b", "10.244.1.2"), status=PodStatus(phase="Pending"))
    not_ready = running_pod("c", "10.244.1.3", ready=False)
    ready = running_pod("d", "10.244.1.4")
    assert sorted([ready, not_ready, pending, unscheduled], key=deletion_rank) == [
        unscheduled, pending, not_ready, ready]


# ---------------------------------------------------------------- EndpointSlice and Endpoints

def service():
    return Service(ObjectMeta(name="currency-exchange", namespace="default", labels=APP),
                   ServiceSpec(ports=(ServicePort(8000, "http"),), selector=APP))


def test_endpointslice_lists_matching_pods_with_conditions(api, log, clock):
    api.create(service())
    api.create(running_pod("ready", "10.244.1.2"))
    api.create(running_pod("starting", "10.244.2.2", ready=False))
    api.create(running_pod("leaving", "10.244.1.3", terminating=True))
    api.create(running_pod("other", "10.244.1.9", labels=frozen({"app": "other"})))
    EndpointSliceController(api, recorder(log, clock, "eps")).reconcile(("default", "currency-exchange"))
    [s] = api.list("EndpointSlice", "default")
    assert s.metadata.name.startswith("currency-exchange-")
    assert s.metadata.labels["kubernetes.io/service-name"] == "currency-exchange"
    assert s.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert [(p.name, p.port) for p in s.ports] == [("", 8000)]  # named targetPort resolved on the pod
    conditions = {e.addresses[0]: (e.conditions.ready, e.conditions.serving, e.conditions.terminating)
                  for e in s.endpoints}
    assert conditions == {"10.244.1.2": (True, True, False), "10.244.2.2": (False, False, False),
                          "10.244.1.3": (False, True, True)}


def test_endpoints_keep_ready_and_not_ready_apart_and_drop_terminating(api, log, clock):
    api.create(service())
    api.create(running_pod("ready", "10.244.1.10"))
    api.create(running_pod("ready2", "10.244.1.2"))
    api.create(running_pod("starting", "10.244.2.2", ready=False))
    api.create(running_pod("leaving", "10.244.1.3", terminating=True))
    EndpointsController(api, recorder(log, clock, "ep")).reconcile(("default", "currency-exchange"))
    [subset] = api.get("Endpoints", "default", "currency-exchange").subsets
    # sorted as strings: endpoints util LessEndpointAddress compares the bytes of the IP text
    assert [a.ip for a in subset.addresses] == ["10.244.1.10", "10.244.1.2"]
    assert [a.ip for a in subset.not_ready_addresses] == ["10.244.2.2"]


def test_a_service_without_pods_still_gets_one_empty_slice(api, log, clock):
    api.create(service())
    EndpointSliceController(api, recorder(log, clock, "eps")).reconcile(("default", "currency-exchange"))
    [s] = api.list("EndpointSlice", "default")
    assert s.endpoints == ()


def test_endpointslices_hold_at_most_max_endpoints_and_keep_endpoints_in_place(api, log, clock):
    api.create(service())
    for i in range(5):
        api.create(running_pod(f"p{i}", f"10.244.1.{i + 2}"))
    ctrl = EndpointSliceController(api, recorder(log, clock, "eps"), max_endpoints_per_slice=2)
    ctrl.reconcile(("default", "currency-exchange"))
    slices = api.list("EndpointSlice", "default")
    assert sorted(len(s.endpoints) for s in slices) == [1, 2, 2]
    before = {s.metadata.name: {e.addresses[0] for e in s.endpoints} for s in slices}
    api.delete("Pod", "default", "p0", grace_period=0)
    rv = api.store.resource_version
    ctrl.reconcile(("default", "currency-exchange"))
    changed = [name for _, name in api.store.changed_since("EndpointSlice", rv)]
    assert len(changed) == 1  # only the slice that held p0 is written
    after = {s.metadata.name: {e.addresses[0] for e in s.endpoints} for s in api.list("EndpointSlice", "default")}
    for name, ips in after.items():
        assert ips <= before.get(name, ips)


# ---------------------------------------------------------------- garbage collector

def test_deleting_a_service_deletes_its_endpointslices(api, log, clock):
    api.create(service())
    EndpointSliceController(api, recorder(log, clock, "eps")).reconcile(("default", "currency-exchange"))
    svc = api.delete("Service", "default", "currency-exchange")
    GarbageCollector(api).reconcile(("default", f"Service/{svc.metadata.uid}"))
    assert api.list("EndpointSlice", "default") == []


# ---------------------------------------------------------------- rolling update

def test_a_new_template_rolls_out_within_max_surge_and_max_unavailable():
    from k8sedu import Cluster
    cluster = Cluster(seed=2)
    cluster.kubectl("create deployment web --image=nginx --replicas=4 --port=80")
    cluster.kubectl("expose deployment web --port=80")
    cluster.advance(10)
    dep = cluster.get("Deployment", "web")
    template = dep.spec.template
    container = dataclasses.replace(template.spec.containers[0], image="nginx:1.27")
    cluster.api.update(dataclasses.replace(dep, spec=dataclasses.replace(dep.spec, template=dataclasses.replace(
        template, spec=dataclasses.replace(template.spec, containers=(container,))))))
    for _ in range(10):
        cluster.settle()
        pods = [p for p in cluster.list("Pod", selector={"app": "web"}) if not p.terminating]
        assert len(pods) <= 4 + 1  # maxSurge: 25% of 4, rounded up
        ready = {a.ip for s in cluster.get("Endpoints", "web").subsets for a in s.addresses}
        assert len(ready) >= 4 - 1  # maxUnavailable: 25% of 4, rounded down
        cluster.advance(1)
    images = {cluster.get("Pod", p).spec.containers[0].image for p in cluster.pod_names({"app": "web"})}
    assert images == {"nginx:1.27"}
    sets = {rs.metadata.name: rs.spec.replicas for rs in cluster.list("ReplicaSet")
            if rs.metadata.name.startswith("web-")}
    assert sorted(sets.values()) == [0, 4]


# ---------------------------------------------------------------- cluster behaviour (issue 10)

def test_a_deleted_kubernetes_service_comes_back_at_the_next_10_s_tick_with_the_same_cluster_ip():
    """kube-apiserver's bootstrap controller (pkg/controlplane/controller/kubernetesservice) runs every
    EndpointInterval (10 s): CreateOrUpdateMasterServiceIfNeeded and ReconcileEndpoints recreate
    default/kubernetes with the range's first IP, and its Endpoints naming the API server."""
    core = Core(nodes=1, rng=random.Random(0))
    before = core.api.get("Service", "default", "kubernetes")
    assert run(core, "delete svc kubernetes").exit_code == 0
    assert core.api.try_get("Service", "default", "kubernetes") is None
    core.advance(10 - core.now % 10)
    after = core.api.get("Service", "default", "kubernetes")
    assert (after.spec.cluster_ip, after.spec.ports) == (before.spec.cluster_ip, before.spec.ports) == (
        "10.96.0.1", before.spec.ports)
    assert after.metadata.uid != before.metadata.uid
    endpoints = core.api.get("Endpoints", "default", "kubernetes")
    assert [(a.ip, p.port) for s in endpoints.subsets for a in s.addresses for p in s.ports] == [
        (core.node_ip("kind-control-plane"), 6443)]


def test_with_every_node_down_the_node_lifecycle_controller_stops_evicting():
    """nodelifecycle handleDisruption: with no node Ready the zone is in FullDisruption ("Entering master
    disruption mode"): markNodeAsReachable takes the NoExecute taints off and the eviction limiter is 0.
    When a node is Ready again the mode ends and the nodes still down are tainted and evicted anew."""
    core = Core(nodes=2, rng=random.Random(7))
    run(core, "create deployment web --image=nginx --replicas=4")
    core.advance(30)
    nodes = [n.metadata.name for n in core.api.list("Node")]
    for name in nodes:
        core.fail_node(name)
    core.advance(50 + 600)
    web = [p for p in core.api.list("Pod", "default")]
    assert web and all(p.metadata.deletion_timestamp is None for p in web)  # nothing evicted
    assert core.node_lifecycle.full_disruption
    for node in core.api.list("Node"):
        assert {(t.key, t.effect) for t in node.spec.taints if t.key == UNREACHABLE} == {(UNREACHABLE, "NoSchedule")}
    core.recover_node("kind-control-plane")
    assert not core.node_lifecycle.full_disruption
    worker = core.api.get("Node", "", "kind-worker")
    assert (UNREACHABLE, "NoExecute") in {(t.key, t.effect) for t in worker.spec.taints}
    on_worker = lambda: [p for p in core.api.store.by_index("Pod", "node", "kind-worker") if p.metadata.namespace == "default"]
    assert on_worker()
    core.advance(299)
    assert all(p.metadata.deletion_timestamp is None for p in on_worker())
    core.advance(1)
    assert on_worker() and all(p.metadata.deletion_timestamp is not None for p in on_worker())
