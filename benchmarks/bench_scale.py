"""Benchmark: the model at Kubernetes' own limits (issue 15).

Tiers, each built in its own process (so peak memory, ru_maxrss, is the
tier's own) and stopped at a time cap:

- teaching: 3 nodes, one Deployment of 2 behind a Service;
- medium: 500 nodes, 5,000 Services of 10 pods, plus one Service with 250 endpoints;
- large: 5,000 nodes, 10,000 Services, 150,000 user pods (15 per Service); system DaemonSet pods on top;
- wide (for information): 50 nodes, one Service of 5,000 pods, the case where one Service's pods change together
  (its EndpointSlices are written once per moment, not once per pod).

Build = create the cluster, apply every Deployment and Service (in batches,
as ``kubectl apply -f`` of a long list), advance until every pod is Ready.
For each tier that builds: build time, peak memory, one change (scale one
Deployment by one, settle, re-sync one node's rules) and ``send(1000)``, the
last two relative to the teaching tier (each timed after a ``gc.collect()``,
so the garbage of the step before is not counted in it); also, for information, one
``iptables-save`` and the first request from a node (which renders that
node's rules). It also prints ``import k8sedu`` time.

Targets: the large tier builds in under 5 minutes and 8 GiB on a 2-core
machine; change and send <= 3x. A tier that does not build within its cap
reports how far it got. The last line reads exactly
``scale: build 150k pods in N s, change X.XXx, send Y.YYx, peak M MiB``
(``N`` is ``>CAP`` when the large tier did not finish).

Run: make bench   (or: .venv/bin/python benchmarks/bench_scale.py [--cap SECONDS] [--tiers teaching,medium,large,wide])
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import time

TIERS = {"teaching": (3, 1, 2, 0), "medium": (500, 5000, 10, 250), "large": (5000, 10000, 15, 0),
         "wide": (50, 1, 5000, 0)}
TARGET_BUILD_S, TARGET_MIB, TARGET_RATIO = 300.0, 8192.0, 3.0
BATCH = 500  # objects per apply
IMAGE = "in28min/currency-exchange:0.0.1-RELEASE"


def manifests(services: int, replicas: int, big: int) -> list[dict]:
    """A Deployment and a ClusterIP Service for each app (the last one with ``big`` replicas if given)."""
    objects = []
    for i in range(services + (1 if big else 0)):
        name, count = (f"app-{i}", replicas) if i < services else ("big", big)
        labels = {"app": name}
        objects.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
                        "spec": {"replicas": count, "selector": {"matchLabels": labels},
                                 "template": {"metadata": {"labels": labels},
                                              "spec": {"containers": [{"name": "app", "image": IMAGE,
                                                                       "ports": [{"containerPort": 8000}]}]}}}})
        objects.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                        "spec": {"selector": labels, "ports": [{"port": 8000}]}})
    return objects


def child(tier: str) -> None:
    """Build one tier and print its figures as JSON (progress goes to stderr)."""
    started = time.perf_counter()
    from k8sedu import Cluster

    nodes, services, replicas, big = TIERS[tier]
    cluster = Cluster(nodes=nodes, seed=1)
    print(f"{tier}: {nodes} nodes up after {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    objects = manifests(services, replicas, big)
    for start in range(0, len(objects), BATCH):
        cluster.apply(objects[start:start + BATCH])
        cluster.advance(1)
        print(f"{tier}: {min(start + BATCH, len(objects))}/{len(objects)} objects applied after "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    wanted = services * replicas + big
    while sum(p.ready for p in cluster.list("Pod")) < wanted:
        cluster.advance(5)
    build = time.perf_counter() - started
    send, first = send_ms(cluster)
    print(json.dumps({"tier": tier, "pods": len(cluster.list("Pod", None)), "build_s": build,
                      "change_ms": change_ms(cluster), "save_ms": save_ms(cluster), "send_ms": send,
                      "first_request_ms": first,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


def change_ms(cluster) -> float:
    """Median of nine changes: scale a Deployment by one (down, up, ...), settle, re-sync one node's rules.

    Re-syncing is what kube-proxy's partial sync does on that node: the
    changed Service re-rendered and the node's tables (kube-proxy's filter,
    and nat with kindnet's chains) as the kernel would then hold them.
    Printing them all (``iptables-save``) is timed apart, in ``save_ms``: its
    output grows with the cluster whatever the model does.
    """
    from k8sedu.kindnet import node_nat
    node = cluster.list("Node", None)[-1].metadata.name
    proxy = cluster.kube_proxy(node)
    n = cluster.get("Deployment", "app-0").spec.replicas
    gc.collect()  # the garbage of what ran before is not this change's (timeit goes further: it turns gc off)
    times = []
    for step in range(9):  # by one, down and up (the large tier is at the 150,000-pod bound)
        replicas = n - 1 if step % 2 == 0 else n
        start = time.perf_counter()
        cluster.kubectl(f"scale deployment app-0 --replicas={replicas}")
        cluster.advance(5)
        node_nat(cluster.core, node), proxy.filter
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def save_ms(cluster) -> float:
    """One ``iptables-save`` on a node after a change (its text grows with the rules)."""
    node = cluster.list("Node", None)[-1].metadata.name
    cluster.kubectl("scale deployment app-0 --replicas=2")
    cluster.advance(5)
    gc.collect()
    start = time.perf_counter()
    cluster.iptables_save(node=node)
    return (time.perf_counter() - start) * 1e3


def send_ms(cluster) -> tuple[float, float]:
    """``send(1000)`` to app-0 from a pod of app-0, after one request that makes the client's node render its
    rules (the model renders a node's rules when first asked; a real kube-proxy has them from its start);
    returns (send, that first request) in ms."""
    client = cluster.pod_names({"app": "app-0"})[0]
    gc.collect()
    start = time.perf_counter()
    cluster.send("http://app-0:8000/", n=1, from_pod=client)
    first = (time.perf_counter() - start) * 1e3
    gc.collect()
    start = time.perf_counter()
    cluster.send("http://app-0:8000/", n=1000, from_pod=client)
    return (time.perf_counter() - start) * 1e3, first


def run_tier(tier: str, cap: float) -> dict:
    """One tier in its own process, stopped at ``cap`` seconds; its figures, or how far it got."""
    process = subprocess.Popen([sys.executable, __file__, "--child", tier], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        last = err.strip().splitlines()[-1] if err.strip() else "nothing built yet"
        return {"tier": tier, "timeout": cap, "progress": last}
    if process.returncode != 0:
        return {"tier": tier, "error": err.strip().splitlines()[-1] if err.strip() else f"exit {process.returncode}"}
    return json.loads(out.strip().splitlines()[-1])


def import_seconds() -> float:
    out = subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); import k8sedu; "
                          "print(time.perf_counter() - t)"], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--cap", type=float, default=330.0, help="seconds a tier may take (default 330)")
    parser.add_argument("--tiers", default="teaching,medium,large,wide")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(f"import k8sedu: {import_seconds():.3f} s   target < 0.15 s")
    results = {tier: run_tier(tier, args.cap) for tier in args.tiers.split(",")}
    base = results.get("teaching", {})
    for tier, r in results.items():
        if "build_s" not in r:
            why = r.get("error") or f"not built within {r['timeout']:.0f} s; last progress: {r['progress']}"
            print(f"{tier:9} {why}")
            continue
        change = r["change_ms"] / base["change_ms"] if "change_ms" in base else float("nan")
        send = r["send_ms"] / base["send_ms"] if "send_ms" in base else float("nan")
        r["change_x"], r["send_x"] = change, send
        print(f"{tier:9} {r['pods']:>7} pods built in {r['build_s']:7.1f} s, peak {r['peak_mib']:7.0f} MiB, "
              f"change {r['change_ms']:7.2f} ms ({change:.2f}x), send(1000) {r['send_ms']:8.1f} ms ({send:.2f}x); "
              f"iptables-save {r['save_ms']:.0f} ms, first request on a node {r['first_request_ms']:.0f} ms")
    large = results.get("large", {})
    build = f"{large['build_s']:.0f}" if "build_s" in large else f">{large.get('timeout', args.cap):.0f}"
    print(f"targets: large tier under {TARGET_BUILD_S:.0f} s and {TARGET_MIB:.0f} MiB; change and send <= {TARGET_RATIO}x")
    print(f"scale: build 150k pods in {build} s, change {large.get('change_x', float('nan')):.2f}x, "
          f"send {large.get('send_x', float('nan')):.2f}x, peak {large.get('peak_mib', float('nan')):.0f} MiB")


if __name__ == "__main__":
    main()
