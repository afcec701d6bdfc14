"""Benchmark: the cost of one change must follow the change, not the cluster's size.

One change = scale a Deployment by one replica, let the controllers settle and
the new pod become Ready (endpoints follow), then re-sync one node's
kube-proxy rules. It is timed on the 3-node teaching cluster and on a cluster
with 1,000 Services and 10,000 pods (100 nodes, within Kubernetes' published
limit of 110 pods per node), in the same run, and printed as a ratio.

Target (issue 2): big / small <= 3.

Run: make bench   (or: .venv/bin/python benchmarks/bench_change_cost.py [--services N --replicas R])
"""

from __future__ import annotations

import argparse
import statistics
import time

from k8sedu import Cluster

TARGET_RATIO = 3.0


def build(services: int, replicas: int, nodes: int) -> Cluster:
    """A cluster with ``services`` Deployments of ``replicas`` pods, each behind a ClusterIP Service."""
    cluster = Cluster(nodes=nodes, seed=1)
    for i in range(services):
        cluster.kubectl(f"create deployment app-{i} --image=nginx --replicas={replicas} --port=80")
        cluster.kubectl(f"expose deployment app-{i} --port=80")
    cluster.advance(30)
    return cluster


def one_change(cluster: Cluster, replicas: int, node: str) -> float:
    """Time scaling app-0 to ``replicas``, settling until Ready, and re-syncing ``node``'s rules."""
    start = time.perf_counter()
    cluster.kubectl(f"scale deployment app-0 --replicas={replicas}")
    cluster.advance(5)
    cluster.kube_proxy(node).sync()
    return time.perf_counter() - start


def measure(cluster: Cluster, base: int, node: str, repeats: int) -> float:
    """Median seconds per change over ``repeats`` changes (alternating +1 and -1)."""
    cluster.kube_proxy(node).sync()  # the first sync renders everything; changes come after
    times = [one_change(cluster, base + (1 if i % 2 == 0 else 0), node) for i in range(repeats)]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=41)
    args = parser.parse_args()

    small = build(services=1, replicas=2, nodes=3)
    t0 = time.perf_counter()
    big = build(services=args.services, replicas=args.replicas, nodes=args.nodes)
    build_seconds = time.perf_counter() - t0
    pods = len(big.list("Pod"))

    small_cost = measure(small, 2, "kind-worker", args.repeats)
    big_cost = measure(big, args.replicas, "kind-worker", args.repeats)
    ratio = big_cost / small_cost
    print(f"teaching cluster: 3 nodes, 1 service, 2 pods: one change {small_cost * 1e3:.2f} ms (median)")
    print(f"large cluster: {args.nodes} nodes, {args.services} services, {pods} pods "
          f"(built in {build_seconds:.0f} s): one change {big_cost * 1e3:.2f} ms (median)")
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"ratio large/teaching: {ratio:.2f}   target <= {TARGET_RATIO:.0f}   ({verdict} the target)")


if __name__ == "__main__":
    main()
