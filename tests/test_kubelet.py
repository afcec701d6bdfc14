"""The kubelet and the CNI plugin: a pod's life on its node, on simulated time."""


import pytest

from k8sedu import Cluster
from k8sedu.cni import HostLocalIPAM, RangeExhausted
from k8sedu.kubelet import PULL_SECONDS, REPULL_SECONDS, SANDBOX_SECONDS, STOP_SECONDS
from k8sedu.kubelet.backoff import Backoff
from k8sedu.objects import (Container, Deployment, DeploymentSpec, HTTPGetAction, LabelSelector, ObjectMeta,
                            PodSpec, PodTemplateSpec, Probe, frozen)


def deploy(cluster, name="web", replicas=1, probe=None, image="nginx"):
    labels = frozen({"app": name})
    container = Container(name, image, readiness_probe=probe)
    cluster.api.create(Deployment(ObjectMeta(name=name, namespace="default", labels=labels),
                                  DeploymentSpec(LabelSelector(labels),
                                                 PodTemplateSpec(ObjectMeta(labels=labels), PodSpec((container,))),
                                                 replicas)))
    cluster.settle()


def phases(cluster, name="web"):
    return [(p.status.phase, p.ready, bool(p.status.pod_ip)) for p in cluster.list("Pod", selector={"app": name})]


def test_a_pod_goes_pending_then_running_and_ready_over_simulated_seconds():
    cluster = Cluster(seed=1)
    deploy(cluster)
    assert phases(cluster) == [("Pending", False, False)]
    cluster.advance(SANDBOX_SECONDS)
    assert phases(cluster) == [("Pending", False, True)]  # sandbox up, IP assigned, image pulling
    cluster.advance(PULL_SECONDS)
    assert phases(cluster) == [("Running", True, True)]  # no readiness probe: ready when started


def test_a_readiness_probe_delays_ready_after_running():
    cluster = Cluster(seed=1)
    deploy(cluster, probe=Probe(HTTPGetAction(80, "/"), initial_delay_seconds=10))
    cluster.advance(SANDBOX_SECONDS + PULL_SECONDS)
    assert phases(cluster) == [("Running", False, True)]
    cluster.advance(10)
    assert phases(cluster) == [("Running", True, True)]


def test_a_second_pod_on_the_node_does_not_pull_again():
    """Source: kubelet images.go ``shouldPullImage``: IfNotPresent (a tag other than latest) and present."""
    cluster = Cluster(nodes=1, seed=1)
    deploy(cluster, "a", image="nginx:1.27")
    cluster.advance(10)
    deploy(cluster, "b", image="nginx:1.27")
    cluster.advance(SANDBOX_SECONDS)
    assert phases(cluster, "b") == [("Running", True, True)]
    assert cluster.events.about("Pod")[-3].message == 'Container image "nginx:1.27" already present on machine'


def test_an_untagged_image_is_pulled_again_for_every_pod():
    """Source: k/k ``SetDefaults_Container`` (no tag or ``:latest`` -> imagePullPolicy Always) and images.go."""
    cluster = Cluster(nodes=1, seed=1)
    deploy(cluster, "a")
    cluster.advance(10)
    deploy(cluster, "b")
    cluster.advance(SANDBOX_SECONDS)
    assert phases(cluster, "b") == [("Pending", False, True)]
    cluster.advance(REPULL_SECONDS)
    assert phases(cluster, "b") == [("Running", True, True)]
    assert [e.message for e in cluster.events.about("Pod")[-4:-2]] == [
        'Pulling image "nginx"', 'Successfully pulled image "nginx" in 1s (1s including waiting)']


def test_pod_ips_come_from_the_nodes_pod_cidr_starting_at_dot_2():
    """Source: CNI host-local IPAM (sequential after the last reserved IP, the gateway .1 skipped)."""
    cluster = Cluster(nodes=1, seed=1)  # one node: the kube-system pods with their own IPs came first
    taken = sorted(int(p.status.pod_ip.rsplit(".", 1)[1]) for p in cluster.core.api.list("Pod")
                   if p.status.pod_ip.startswith("10.244."))
    assert taken == list(range(2, 2 + len(taken)))  # CoreDNS took .2 and .3 ...
    deploy(cluster, replicas=2)
    cluster.advance(5)
    assert sorted(p.status.pod_ip for p in cluster.list("Pod")) == [f"10.244.0.{taken[-1] + 1}",
                                                                    f"10.244.0.{taken[-1] + 2}"]


def test_a_deleted_pod_terminates_then_disappears_and_its_replacement_gets_a_new_ip():
    cluster = Cluster(seed=1)
    deploy(cluster)
    cluster.advance(5)
    [old] = cluster.list("Pod")
    cluster.api.delete("Pod", "default", old.metadata.name)
    cluster.settle()
    pods = {p.metadata.name: p for p in cluster.list("Pod")}
    assert pods[old.metadata.name].terminating
    cluster.advance(STOP_SECONDS)
    [new] = cluster.list("Pod")
    assert new.metadata.name != old.metadata.name
    cluster.advance(5)
    new = cluster.get("Pod", new.metadata.name)
    assert new.status.pod_ip and new.status.pod_ip != old.status.pod_ip


@pytest.mark.parametrize("cidr, first", [("10.244.1.0/24", "10.244.1.2"), ("10.244.0.0/24", "10.244.0.2")])
def test_host_local_ipam_skips_the_gateway(cidr, first):
    assert HostLocalIPAM(cidr).allocate() == first


def test_host_local_ipam_hands_out_ips_after_the_last_reserved_even_when_one_is_freed():
    ipam = HostLocalIPAM("10.244.1.0/24")
    a, b = ipam.allocate(), ipam.allocate()
    ipam.release(a)
    assert ipam.allocate() == "10.244.1.4"


def test_host_local_ipam_wraps_around_and_reports_exhaustion():
    ipam = HostLocalIPAM("10.244.1.0/29")  # .2 .. .6
    ips = [ipam.allocate() for _ in range(5)]
    assert ips[-1] == "10.244.1.6"
    ipam.release("10.244.1.3")
    assert ipam.allocate() == "10.244.1.3"
    with pytest.raises(RangeExhausted):
        ipam.allocate()


def test_the_scheduler_spreads_replicas_and_keeps_workloads_off_the_tainted_control_plane():
    cluster = Cluster(seed=3)
    deploy(cluster, replicas=4)
    nodes = sorted(p.spec.node_name for p in cluster.list("Pod"))
    assert nodes == ["kind-worker", "kind-worker", "kind-worker2", "kind-worker2"]
    assert cluster.events.about("Pod")[-1].reason == "Scheduled"


def test_a_single_node_cluster_schedules_on_its_untainted_control_plane():
    cluster = Cluster(nodes=1, seed=3)
    deploy(cluster)
    assert [p.spec.node_name for p in cluster.list("Pod")] == ["kind-control-plane"]


@pytest.mark.parametrize("failures_at, expected", [
    ((0,), [10.0]),
    ((0, 1, 2, 3, 4, 5, 6, 7), [10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0, 300.0]),  # doubling, capped at 5 min
    ((0, 1, 602), [10.0, 20.0, 10.0]),  # quiet for more than 2 x 5 min: starts again
    ((0, 1, 600), [10.0, 20.0, 40.0]),  # exactly 10 min is not more than 10 min
])
def test_the_kubelets_back_off_doubles_from_10s_to_5min_and_forgets_after_10_quiet_minutes(failures_at, expected):
    """Source: client-go ``util/flowcontrol/backoff.go`` (``Next``, ``hasExpired``: ``eventTime - lastUpdate >
    2*maxDuration``) with the kubelet's ``NewBackOff(10s, MaxContainerBackOff=300s)``."""
    backoff = Backoff()
    assert [backoff.next("pod_container", t) for t in failures_at] == expected


def pod_conditions(cluster, name="web"):
    [pod] = cluster.list("Pod", selector={"app": name})
    return {c.type: (c.status, c.last_transition_time, c.reason, c.message) for c in pod.status.conditions}


def test_each_condition_keeps_the_time_its_status_last_changed_and_says_why_it_is_false():
    """As ``generateAPIPodStatus`` and the status manager's ``updateLastTransitionTime`` write them: the time moves
    only when the status does; PodScheduled keeps the binding's time; not-ready says which containers."""
    cluster = Cluster(seed=1)
    start = cluster.now
    deploy(cluster)
    unready = ("ContainersNotReady", "containers with unready status: [web]")
    assert pod_conditions(cluster) == {"PodReadyToStartContainers": ("False", start, "", ""),
                                       "Initialized": ("True", start, "", ""),
                                       "Ready": ("False", start, *unready), "ContainersReady": ("False", start, *unready),
                                       "PodScheduled": ("True", start, "", "")}
    cluster.advance(SANDBOX_SECONDS + PULL_SECONDS)
    ready_at = start + SANDBOX_SECONDS + PULL_SECONDS
    assert pod_conditions(cluster) == {"PodReadyToStartContainers": ("True", start + SANDBOX_SECONDS, "", ""),
                                       "Initialized": ("True", start, "", ""),
                                       "Ready": ("True", ready_at, "", ""), "ContainersReady": ("True", ready_at, "", ""),
                                       "PodScheduled": ("True", start, "", "")}
    [pod] = cluster.list("Pod", selector={"app": "web"})
    assert [c.type for c in pod.status.conditions] == ["PodReadyToStartContainers", "Initialized", "Ready",
                                                       "ContainersReady", "PodScheduled"]
    cluster.advance(60)
    assert pod_conditions(cluster)["Ready"] == ("True", ready_at, "", "")  # nothing moved: the time stays


def test_a_completed_pod_is_not_ready_because_it_completed():
    cluster = Cluster(seed=1)
    cluster.kubectl("run once --image=busybox:1.36 --restart=Never")  # busybox's sh exits at once without a tty
    cluster.advance(30)
    pod = cluster.get("Pod", "once")
    assert pod.status.phase == "Succeeded"
    ready = next(c for c in pod.status.conditions if c.type == "Ready")
    assert (ready.status, ready.reason, ready.message) == ("False", "PodCompleted", "")
