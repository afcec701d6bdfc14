"""Property tests: random sequences of create / scale / delete-pod / advance keep the invariants.

After every step (once the controllers settle):
- each Service's ready endpoints are exactly the ready, non-terminating pods its selector matches;
- no two pods share an IP;
- each node's KUBE-SVC chains DNAT to exactly the endpoints the EndpointSlices make usable;
- every request to a Service lands on a ready pod of that Service (or is rejected when it has none);
- the same seed and the same steps give the same cluster.
"""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8sedu import Cluster
from k8sedu.objects import (Container, ContainerPort, Deployment, DeploymentSpec, LabelSelector, ObjectMeta,
                            PodSpec, PodTemplateSpec, Service, ServicePort, ServiceSpec, frozen)

APPS = ("currency-exchange", "currency-conversion")
PORT = {"currency-exchange": 8000, "currency-conversion": 8100, "client": 80}
CLIENT = "client"

step = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(APPS), st.integers(0, 4)),
    st.tuples(st.just("scale"), st.sampled_from(APPS), st.integers(0, 5)),
    st.tuples(st.just("delete-pod"), st.sampled_from(APPS), st.integers(0, 5)),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 1, 2, 3, 10]), st.just(0)),
)


def deployment(app, replicas):
    labels = frozen({"app": app})
    image = f"in28min/{app}:0.0.1"
    template = PodTemplateSpec(ObjectMeta(labels=labels),
                               PodSpec((Container(app, image, (ContainerPort(PORT[app]),)),)))
    return Deployment(ObjectMeta(name=app, namespace="default", labels=labels),
                      DeploymentSpec(LabelSelector(labels), template, replicas))


def new_cluster(seed):
    cluster = Cluster(seed=seed)
    cluster.api.create(deployment(CLIENT, 1))
    cluster.advance(10)
    return cluster


def apply(cluster, action, app, n):
    api = cluster.api
    if action == "create" and api.try_get("Deployment", "default", app) is None:
        api.create(deployment(app, n))
        api.create(Service(ObjectMeta(name=app, namespace="default"),
                           ServiceSpec(ports=(ServicePort(PORT[app]),), selector=frozen({"app": app}))))
    elif action == "scale" and (dep := api.try_get("Deployment", "default", app)) is not None:
        import dataclasses
        api.update(dataclasses.replace(dep, spec=dataclasses.replace(dep.spec, replicas=n)))
    elif action == "delete-pod":
        pods = cluster.list("Pod", selector={"app": app})
        if pods:
            api.delete("Pod", "default", pods[n % len(pods)].metadata.name)
    elif action == "advance":
        cluster.advance(app)
    cluster.settle()


def ready_pod_ips(cluster, app):
    return {p.status.pod_ip for p in cluster.list("Pod", selector={"app": app})
            if p.ready and not p.terminating and p.status.pod_ip}


def usable_slice_endpoints(cluster, app):
    eps = [e for s in cluster.list("EndpointSlice", selector={"kubernetes.io/service-name": app})
           for e in s.endpoints]
    ready = {e.addresses[0] for e in eps if e.conditions.ready}
    return ready or {e.addresses[0] for e in eps if e.conditions.serving and e.conditions.terminating}


def check_invariants(cluster):
    # hostNetwork pods (kube-proxy, kindnet, the static pods) share their node's IP by design
    ips = [p.status.pod_ip for p in cluster.list("Pod", namespace=None) if p.status.pod_ip and not p.spec.host_network]
    assert len(ips) == len(set(ips)), "two pods share an IP"
    client = cluster.pod_names({"app": CLIENT})[0]
    for app in APPS:
        if cluster.api.try_get("Service", "default", app) is None:
            continue
        endpoints = cluster.get("Endpoints", app)
        listed = {a.ip for s in endpoints.subsets for a in s.addresses}
        assert listed == ready_pod_ips(cluster, app)
        slice_ready = {e.addresses[0] for s in cluster.list("EndpointSlice", selector={"kubernetes.io/service-name": app})
                       for e in s.endpoints if e.conditions.ready}
        assert slice_ready == ready_pod_ips(cluster, app)
        usable = usable_slice_endpoints(cluster, app)
        for node in ("kind-worker", "kind-worker2"):
            rules = cluster.iptables_save(node)
            svc_ip = cluster.get("Service", app).spec.cluster_ip
            chain = re.search(rf"-d {re.escape(svc_ip)}/32 .* -j (KUBE-SVC-\w+)", rules)
            if not usable:
                assert chain is None and f'"default/{app} has no endpoints"' in rules
                continue
            seps = re.findall(rf"-A {chain.group(1)} .*-j (KUBE-SEP-\w+)", rules)
            targets = {re.search(rf"-A {sep} .*--to-destination ([\d.]+):", rules).group(1) for sep in seps}
            assert targets == usable
        trace = cluster.request(f"http://{app}:{PORT[app]}/", from_pod=client)
        if usable:
            pod = cluster.get("Pod", trace.pod)
            assert trace.ok and pod.metadata.labels["app"] == app and pod.status.pod_ip in usable
            if slice_ready:
                assert pod.ready and not pod.terminating
        else:
            assert not trace.ok and "no endpoints" in trace.reason


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), steps=st.lists(step, min_size=1, max_size=12))
def test_invariants_hold_after_every_step(seed, steps):
    cluster = new_cluster(seed)
    for action in steps:
        apply(cluster, *action)
        check_invariants(cluster)


def snapshot(cluster):
    pods = [(p.metadata.name, p.spec.node_name, p.status.pod_ip, p.ready) for p in cluster.list("Pod", None)]
    services = [(s.metadata.name, s.spec.cluster_ip) for s in cluster.list("Service", None)]
    return pods, services, cluster.iptables_save("kind-worker"), [str(e) for e in cluster.events]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), steps=st.lists(step, min_size=1, max_size=8))
def test_same_seed_same_cluster(seed, steps):
    first, second = new_cluster(seed), new_cluster(seed)
    for action in steps:
        apply(first, *action)
        apply(second, *action)
    assert snapshot(first) == snapshot(second)
