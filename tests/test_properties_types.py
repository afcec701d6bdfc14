"""Property tests for Service types: random type changes, node failures and firewall changes.

After every step:
- no leaked ClusterIPs or NodePorts: the allocators hold exactly what the Services use;
- each node's rules match the Services: a KUBE-NODEPORTS rule for each node port of a Service with
  endpoints, a DNAT to exactly the usable endpoints;
- the cloud's load balancers follow the Services: one per LoadBalancer Service, none for others,
  and a ready one's address is in the Service's status;
- a request to the ClusterIP from a healthy pod lands on a ready pod of the Service or is rejected.
"""

import dataclasses
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8sedu import Cluster

TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
NAMES = ("currency-exchange", "currency-conversion")

type_change = st.tuples(st.just("type"), st.sampled_from(NAMES), st.sampled_from(TYPES))
step = st.one_of(
    type_change, type_change, type_change,
    st.tuples(st.just("recreate"), st.sampled_from(NAMES), st.sampled_from(TYPES)),
    st.tuples(st.just("policy"), st.sampled_from(NAMES), st.sampled_from(("Cluster", "Local"))),
    st.tuples(st.just("scale"), st.sampled_from(NAMES), st.integers(0, 3)),
    st.tuples(st.just("fail"), st.sampled_from((0, 1, 2)), st.just("")),
    st.tuples(st.just("recover"), st.sampled_from((0, 1, 2)), st.just("")),
    st.tuples(st.just("firewall"), st.sampled_from(("open", "close")), st.just("")),
    st.tuples(st.just("advance"), st.sampled_from((1, 5, 30, 60)), st.just("")),
)


def new_cluster(seed):
    cluster = Cluster(cloud="gcp", seed=seed)
    for name, port in zip(NAMES, (8000, 8100)):
        cluster.kubectl(f"create deployment {name} --image=in28min/{name}:0.0.1 --replicas=2 --port={port}")
        cluster.kubectl(f"expose deployment {name} --port={port}")
    cluster.kubectl("create deployment client --image=nginx --replicas=3 --port=80")
    cluster.advance(10)
    return cluster


def apply(cluster, action, a, b):
    api = cluster.api
    nodes = [n.metadata.name for n in cluster.list("Node")]
    if action == "type":
        svc = cluster.get("Service", a)
        spec = dataclasses.replace(svc.spec, type=b, external_name="example.com" if b == "ExternalName" else "")
        if b != "ExternalName" and not spec.cluster_ip:
            spec = dataclasses.replace(spec, cluster_ip="", cluster_ips=())
        if b not in ("NodePort", "LoadBalancer"):
            spec = dataclasses.replace(spec, external_traffic_policy="")
        api.update(dataclasses.replace(svc, spec=spec))
    elif action == "recreate":
        port = cluster.get("Service", a).spec.ports[0].port if cluster.get("Service", a).spec.ports else 8000
        cluster.kubectl(f"delete service {a}")
        if b != "ExternalName":
            cluster.kubectl(f"expose deployment {a} --port={port} --type={b}")
        else:
            cluster.kubectl(f"expose deployment {a} --port={port}")
    elif action == "policy":
        svc = cluster.get("Service", a)
        if svc.spec.type in ("NodePort", "LoadBalancer"):
            api.update(dataclasses.replace(svc, spec=dataclasses.replace(svc.spec, external_traffic_policy=b)))
    elif action == "scale":
        cluster.kubectl(f"scale deployment {a} --replicas={b}")
    elif action == "fail":
        cluster.fail_node(nodes[a])
    elif action == "recover":
        cluster.recover_node(nodes[a])
    elif action == "firewall":
        if b == "" and a == "open":
            cluster.cloud.firewall.allow("tcp:30000-32767", name="nodeports")
        else:
            cluster.cloud.firewall.remove("nodeports")
    elif action == "advance":
        cluster.advance(a)
    cluster.settle()


def usable(cluster, name):
    eps = [e for s in cluster.list("EndpointSlice", selector={"kubernetes.io/service-name": name}) for e in s.endpoints]
    ready = {e.addresses[0] for e in eps if e.conditions.ready}
    return ready or {e.addresses[0] for e in eps if e.conditions.serving and e.conditions.terminating}


def check(cluster):
    services = cluster.list("Service", None)
    ips = [s.spec.cluster_ip for s in services if s.spec.cluster_ip not in ("", "None")]
    assert cluster.api.service_ips.used == len(ips) == len(set(ips))
    for proto, allocator in cluster.api.services.node_ports.items():
        held = {p.node_port for s in services for p in s.spec.ports if p.protocol == proto and p.node_port}
        if proto == "TCP":
            held |= {s.spec.health_check_node_port for s in services if s.spec.health_check_node_port}
        assert allocator._used == held
    lbs = set(cluster.cloud.load_balancers)
    assert lbs == {(s.metadata.namespace, s.metadata.name) for s in services if s.spec.type == "LoadBalancer"}
    for s in services:
        if s.spec.type != "LoadBalancer":
            assert s.status.load_balancer.ingress == ()
    for name in NAMES:
        svc = cluster.get("Service", name)
        if svc.spec.type == "ExternalName":
            continue
        rules = cluster.iptables_save(cluster.list("Node")[0].metadata.name)
        eps = usable(cluster, name)
        for port in svc.spec.ports:
            if port.node_port and eps:
                assert re.search(rf"-A KUBE-NODEPORTS .*--dport {port.node_port} -j KUBE-EXT-", rules)
        chain = re.search(rf'"default/{name} cluster IP" .* -j (KUBE-SVC-\w+)', rules)
        if not eps:
            assert chain is None
            continue
        seps = re.findall(rf"^-A {chain.group(1)} .*-j (KUBE-SEP-\w+)$", rules, re.M)
        targets = {re.search(rf"-A {sep} .*--to-destination ([\d.]+):", rules).group(1) for sep in seps}
        assert targets == eps
        client = next((p.metadata.name for p in cluster.list("Pod", selector={"app": "client"})
                       if p.ready and cluster.core.node_is_up(p.spec.node_name)), None)
        if client is not None:
            trace = cluster.request(f"http://{svc.spec.cluster_ip}:{svc.spec.ports[0].port}/", from_pod=client)
            if trace.ok:
                assert trace.pod in {p.metadata.name for p in cluster.list("Pod", selector={"app": name})}
                assert cluster.get("Pod", trace.pod).status.pod_ip in eps
            else:
                assert "is down" in trace.reason or "no endpoints" in trace.reason


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), steps=st.lists(step, min_size=1, max_size=10))
def test_type_changes_failures_and_firewall_keep_the_invariants(seed, steps):
    cluster = new_cluster(seed)
    for action in steps:
        apply(cluster, *action)
        check(cluster)
