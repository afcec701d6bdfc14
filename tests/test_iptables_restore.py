"""The rendered rules are real iptables: the real ``iptables-restore`` accepts them,
and the real ``iptables-save`` prints them back exactly as the model prints them,
for every Service type (NodePort, LoadBalancer with and without source ranges,
externalIPs, Local policies, session affinity), with and without comments.

Each test first checks that the binary can run here at all (installed, and
able to load an empty table, which needs netfilter access, usually root). Only
then does it feed our rules; from that point any error is a failure, never a
skip. The round-trip test loads the rules into a throw-away network namespace
(``unshare --net``), so the host's own rules are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from k8sedu.apiserver.store import Store
from k8sedu.kube_proxy import KubeProxy
from k8sedu.objects import (
    Endpoint, EndpointConditions, EndpointPort, EndpointSlice, ObjectMeta, Service, ServicePort,
    ServiceSpec, frozen,
)
from test_kube_proxy_types import OTHER, SMALL_STORES, add_service, flow_store, overall_store, proxy_for

RESTORE = ("iptables-restore", "iptables-legacy-restore", "iptables-nft-restore")
EMPTY_TABLES = "*filter\nCOMMIT\n*nat\nCOMMIT\n"


def _find(binary: str):
    for path in (shutil.which(binary), f"/usr/sbin/{binary}", f"/sbin/{binary}"):
        if path and os.access(path, os.X_OK):
            return path
    return None


def _run(cmd: list[str], text: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=60)


def runnable(binary: str) -> str:
    """Return the binary's path, or skip if iptables cannot run here at all."""
    path = _find(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed")
    try:
        probe = _run([path, "--test"], EMPTY_TABLES)
    except OSError as err:
        pytest.skip(f"{binary} cannot be started: {err}")
    if probe.returncode != 0:
        pytest.skip(f"{binary} cannot load even an empty table here (no netfilter access?): {probe.stderr.strip()}")
    return path


def ruleset(endpoints_per_service: int = 2) -> str:
    """iptables-save text for ClusterIP services with endpoints, without, udp, tcp and a fallback."""
    store = Store(now=lambda: 0.0, new_uid=lambda: "uid")

    def add(name, ip, ports, ips, conditions=EndpointConditions()):
        store.create(Service(ObjectMeta(name=name, namespace="default"), ServiceSpec(cluster_ip=ip, ports=ports)))
        if ips:
            store.create(EndpointSlice(
                ObjectMeta(name=f"{name}-abcde", namespace="default",
                           labels=frozen({"kubernetes.io/service-name": name})),
                endpoints=tuple(Endpoint((a,), conditions) for a in ips),
                ports=tuple(EndpointPort(p.port, p.name, p.protocol) for p in ports)))

    many = [f"10.244.{i // 200 + 1}.{i % 200 + 2}" for i in range(endpoints_per_service)]
    add("web", "10.96.0.20", (ServicePort(80, 8080, name="http"), ServicePort(443, 8443, name="https")), many)
    add("dns", "10.96.0.10", (ServicePort(53, 53, name="dns", protocol="UDP"),), ["10.244.0.2", "10.244.0.3"])
    add("empty", "10.96.0.21", (ServicePort(80),), [])
    add("draining", "10.96.0.22", (ServicePort(80),), ["10.244.2.5"],
        EndpointConditions(ready=False, serving=True, terminating=True))
    return KubeProxy("kind-worker", store).iptables_save("Mon Jan  5 09:00:00 2026")


def all_types_ruleset(endpoints_per_service: int = 0) -> str:
    """Every Service type and policy, affinity, source ranges (one holding the node IP), a big service."""
    store = flow_store()
    add_service(store, "sticky", "10.96.0.60", affinity=600, endpoints=(("10.244.2.60", OTHER), ("10.244.2.61", OTHER)))
    add_service(store, "fw-node", "10.96.0.61", type="LoadBalancer", node_port=30160, lb=("192.168.8.60",),
                ranges=("203.0.113.0/24", "172.18.0.0/16"), endpoints=(("10.244.2.62", OTHER),))
    if endpoints_per_service:
        many = tuple((f"10.244.{i // 200 + 3}.{i % 200 + 2}", OTHER) for i in range(endpoints_per_service))
        add_service(store, "big", "10.96.0.62", type="LoadBalancer", node_port=30161, etp="Local", hc=32161,
                    lb=("192.168.8.61",), affinity=60, endpoints=many)
    return proxy_for(store).iptables_save("Mon Jan  5 09:00:00 2026")


def kind_node_ruleset() -> str:
    """A kind node's whole dump: kube-proxy's and the kubelet's chains plus kindnetd's KIND-MASQ-AGENT and
    the CNI portmap plugin's CNI-HOSTPORT-* / CNI-DN-* chains (ingress-nginx's hostPorts 80 and 443)."""
    from k8sedu.cluster import Cluster
    cluster = Cluster(ingress_ready=True)
    cluster.install("ingress-nginx")
    cluster.advance(120)
    return cluster.iptables_save("kind-control-plane")


RULESETS = {
    "kind node with kindnet and portmap": kind_node_ruleset,
    "small": lambda: ruleset(3),
    "large-cluster mode": lambda: ruleset(1001),
    "all types": lambda: all_types_ruleset(),
    "all types, large-cluster mode": lambda: all_types_ruleset(1001),
    "upstream TestOverallIPTablesRules": lambda: KubeProxy("test-hostname", overall_store(), "10.0.0.0/8").iptables_save(),
    **{f"one {name}": (lambda build=build: proxy_for(build()).iptables_save()) for name, build in SMALL_STORES.items()},
}


@pytest.mark.parametrize("size", sorted(RULESETS))
@pytest.mark.parametrize("binary", RESTORE)
def test_iptables_restore_accepts_the_rendered_rules(binary, size):
    path = runnable(binary)
    result = _run([path, "--test"], RULESETS[size]())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("binary", RESTORE)
def test_iptables_restore_test_mode_really_checks_syntax(binary):
    path = runnable(binary)
    broken = ruleset().replace("--mode random", "--mode sometimes", 1)
    result = _run([path, "--test"], broken)
    assert result.returncode != 0
    assert "Error occurred at line" in result.stderr


def _tables(text: str) -> dict[str, list[str]]:
    """Split iptables-save text into {table: lines}, dropping the dated comment lines."""
    tables: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("*"):
            current = tables.setdefault(line[1:], [])
        if current is not None and not line.startswith("#"):
            current.append(line)
    return tables


@pytest.mark.parametrize("size", sorted(RULESETS))
@pytest.mark.parametrize("binary", ["iptables", "iptables-legacy", "iptables-nft"])
def test_real_iptables_save_prints_our_text_back_unchanged(binary, size):
    restore, save, unshare = _find(f"{binary}-restore"), _find(f"{binary}-save"), _find("unshare")
    if not (restore and save and unshare):
        pytest.skip(f"{binary}-restore, {binary}-save or unshare is not installed")
    probe = _run([unshare, "--net", restore, "--test"], EMPTY_TABLES)
    if probe.returncode != 0:
        pytest.skip(f"cannot use a private network namespace here: {probe.stderr.strip()}")
    ours = RULESETS[size]()
    result = _run([unshare, "--net", "sh", "-c", f'"{restore}" && "{save}"'], ours)
    assert result.returncode == 0, result.stderr
    assert _tables(result.stdout) == _tables(ours)


@pytest.mark.parametrize("binary", ["iptables", "iptables-legacy", "iptables-nft"])
def test_real_iptables_save_prints_mangle_filter_nat_in_that_order(binary):
    """The real iptables-save (v1.8.9) prints the tables in its own order, mangle, filter, nat,
    whatever order iptables-restore loaded them in; the model's node dump follows it."""
    restore, save, unshare = _find(f"{binary}-restore"), _find(f"{binary}-save"), _find("unshare")
    if not (restore and save and unshare):
        pytest.skip(f"{binary}-restore, {binary}-save or unshare is not installed")
    probe = _run([unshare, "--net", restore, "--test"], EMPTY_TABLES)
    if probe.returncode != 0:
        pytest.skip(f"cannot use a private network namespace here: {probe.stderr.strip()}")
    ours = RULESETS["small"]()
    tables = ours.split("COMMIT\n")
    reordered = "COMMIT\n".join(reversed(tables[:-1])) + "COMMIT\n"  # nat, filter, mangle
    result = _run([unshare, "--net", "sh", "-c", f'"{restore}" && "{save}"'], reordered)
    assert result.returncode == 0, result.stderr
    order = [line for line in result.stdout.splitlines() if line.startswith("*")]
    assert order == [line for line in ours.splitlines() if line.startswith("*")] == ["*mangle", "*filter", "*nat"]


@pytest.mark.parametrize("table, chains", [
    ("mangle", ["KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY", "KUBE-PROXY-CANARY"]),
    ("filter", ["KUBE-KUBELET-CANARY", "KUBE-PROXY-CANARY"]),
    ("nat", ["KUBE-KUBELET-CANARY", "KUBE-PROXY-CANARY"]),
])
def test_each_table_keeps_the_canaries_and_mangle_the_hint(table, chains):
    """k/k pkg/kubelet/kubelet_network_linux.go (initNetworkUtil: Monitor("KUBE-KUBELET-CANARY", mangle,
    nat, filter); syncIPTablesRules: KUBE-IPTABLES-HINT in mangle) and pkg/proxy/iptables/proxier.go
    (NewProxier: Monitor(kubeProxyCanaryChain, mangle, nat, filter))."""
    found = [line[1:].split()[0] for line in _tables(RULESETS["small"]())[table] if line.startswith(":KUBE-")
             and ("CANARY" in line or "HINT" in line)]
    assert found == chains
