"""The core on its own: built without the facade, driven by the tools, with add-ons registered in one place."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from k8sedu import Cluster, KubectlError, kubectl, manifests, viz
from k8sedu.core import Core

WEB = "create deployment web --image=in28min/currency-exchange:0.0.1-RELEASE --replicas=2 --port=8000"


@pytest.fixture(scope="module")
def core():
    core = Core(nodes=3, rng=random.Random(7))
    assert kubectl.run(core, WEB).exit_code == 0
    assert kubectl.run(core, "expose deployment web --port=8000").exit_code == 0
    core.advance(10)
    return core


def test_importing_the_core_loads_no_tool_facade_or_edge_module():
    # An empty package object stands in for k8sedu/__init__.py (the edge, which imports the facade).
    code = ("import sys, types, k8sedu.protocols as p; package = types.ModuleType('k8sedu'); "
            "package.__path__ = list(sys.modules['k8sedu'].__path__); "
            "[sys.modules.pop(m) for m in list(sys.modules) if m.startswith('k8sedu')]; "
            "sys.modules['k8sedu'] = package; import k8sedu.core; "
            "print(sorted(m for m in sys.modules if m.startswith('k8sedu')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'k8sedu.core'" in loaded and "'k8sedu.network'" in loaded
    for higher in ("k8sedu.cluster", "k8sedu.kubectl", "k8sedu.manifests", "k8sedu.viz", "k8sedu.widgets",
                   "k8sedu.magics", "k8sedu.checks", "k8sedu.notebook"):
        assert f"'{higher}'" not in loaded


def test_kubectl_manifests_and_viz_work_on_a_core_without_a_cluster(core):
    pods = kubectl.run(core, "get pods -o name").stdout.split()
    assert len(pods) == 2 and all(p.startswith("pod/web-") for p in pods)
    assert "service/web" in manifests.apply(core, {"apiVersion": "v1", "kind": "Service",
                                                   "metadata": {"name": "web"},
                                                   "spec": {"selector": {"app": "web"},
                                                            "ports": [{"port": 8000}]}})
    assert "name: web" in manifests.export(core)
    graph = viz.traffic_graph(core)
    assert {f"pod/{p.split('/')[1]}" for p in pods} <= set(graph.nodes)


def test_the_facade_builds_the_same_core_from_the_same_seed():
    direct = Core(nodes=3, rng=random.Random(7))
    facade = Cluster(seed=7).core
    for c in (direct, facade):
        kubectl.run(c, WEB)
        c.advance(10)
    names = [sorted(p.metadata.name for p in c.api.list("Pod", "default")) for c in (direct, facade)]
    assert names[0] == names[1]


def test_the_core_holds_time_and_advance_fires_timers_then_settles():
    core = Core(nodes=2, rng=random.Random(1))
    start = core.now
    kubectl.run(core, WEB)
    assert [p.ready for p in core.api.list("Pod", "default")] == [False, False]
    core.advance(10)
    assert core.now == start + 10
    assert [p.ready for p in core.api.list("Pod", "default")] == [True, True]
    with pytest.raises(ValueError, match="time only moves forward"):
        core.advance(-1)



def test_timers_due_at_the_same_moment_fire_together_then_the_controllers_settle_once():
    """Changes made at one simulated moment reach a controller as one coalesced key, as a work queue coalesces
    the events that arrive before its worker takes the key: the EndpointSlice is written once per moment at which
    pods of the Service gained an IP or changed readiness, not once per pod."""
    core = Core(nodes=3, rng=random.Random(3))
    kubectl.run(core, WEB)
    kubectl.run(core, "expose deployment web --port=8000")
    core.advance(30)
    moments = set()

    def pod_changed(event) -> None:
        old, new = event.old, event.object
        if old is not None and (old.status.pod_ip, old.ready) != (new.status.pod_ip, new.ready):
            moments.add(core.now)
    core.api.store.watch("Pod", pod_changed)
    rv = core.api.store.resource_version
    kubectl.run(core, "scale deployment web --replicas=20")
    core.advance(30)
    writes = core.api.store.changed_since("EndpointSlice", rv)
    assert len(core.api.list("Pod", "default")) == 20
    assert len(writes) == len(moments) < 10

@pytest.mark.parametrize("name, options, message", [
    ("traefik", {}, 'error: unknown add-on "traefik": this cluster offers "ingress-nginx", "metallb"'),
    ("metallb", {}, "error: MetalLB needs an address pool"),
    ("metallb", {"addresses": "172.18.255.200-172.18.255.210", "default_class": True},
     "error: add-on metallb takes addresses; not default_class"),
    ("ingress-nginx", {"addresses": "172.18.255.200-172.18.255.210"},
     "error: add-on ingress-nginx takes default_class, watch_ingress_without_class; not addresses"),
])
def test_a_refused_install_says_why_and_changes_nothing(name, options, message):
    core = Core(nodes=2, rng=random.Random(3))
    version, state = core.api.store.resource_version, core.random.getstate()
    with pytest.raises(KubectlError) as caught:
        core.install(name, **options)
    assert str(caught.value).startswith(message)
    assert core.api.store.resource_version == version and core.random.getstate() == state


def test_installing_an_add_on_twice_is_refused_before_anything_changes():
    core = Core(nodes=2, rng=random.Random(3))
    core.install("ingress-nginx")
    version = core.api.store.resource_version
    with pytest.raises(KubectlError, match="ingress-nginx is already installed"):
        core.install("ingress-nginx")
    assert core.api.store.resource_version == version


def test_add_ons_declare_what_they_installed_and_how_traffic_enters():
    core = Core(nodes=2, rng=random.Random(3))
    core.install("metallb", addresses="172.18.255.200-172.18.255.201")
    core.install("ingress-nginx")
    core.advance(30)
    addons = core.addons
    nginx_svc = core.api.get("Service", "ingress-nginx", "ingress-nginx-controller")
    assert addons.installed(nginx_svc) and addons.installed(core.api.get("Namespace", "", "metallb-system"))
    assert addons.installed(core.api.get("IngressClass", "", "nginx"))
    assert not addons.installed(core.api.get("Service", "default", "kubernetes"))
    assert [lb.address for lb in addons.load_balancers()] == ["172.18.255.200"]  # MetalLB serves nginx's LB
    pod = core.api.store.select("Pod", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})[0]
    assert addons.serving(pod, 80) is addons.get("ingress-nginx") and addons.serving(pod, 8443) is None
    notes = addons.export_notes()
    assert "metallb-native.yaml" in notes and "ingress-nginx/controller-v1.12.0" in notes
    assert addons.route_node() is None


def test_a_cloud_core_registers_its_load_balancer_controller():
    core = Core(nodes=2, cloud="gcp", rng=random.Random(3))
    assert "cloud-provider" in core.addons
    with pytest.raises(KubectlError, match="MetalLB is for clusters without a cloud provider"):
        core.install("metallb", addresses="172.18.255.200-172.18.255.201")
