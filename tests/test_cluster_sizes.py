"""Clusters of every size Kubernetes supports (1 to 5,000 nodes), with addresses that stay valid.

Node InternalIPs come from the node network in order (kind: docker's network
172.18.0.0/16, .1 the gateway); pod CIDRs are one /24 per node from kind's
10.244.0.0/16 while it holds them, else from the smallest prefix around it
(what an admin passes as ``--pod-network-cidr``); a node that gets no /24 is
left without one with node-ipam's ``CIDRNotAvailable`` event. Sizes past the
published limit, or past a cloud subnet, are refused in words.
"""

import ipaddress

import pytest

from k8sedu import Cluster


def test_300_kind_nodes_have_distinct_valid_addresses_and_pod_cidrs():
    cluster = Cluster(nodes=300, seed=1)
    nodes = cluster.list("Node", None)
    ips = [ipaddress.ip_address(n.address("InternalIP")) for n in nodes]
    assert len(set(ips)) == 300 and all(ip in ipaddress.ip_network("172.18.0.0/16") for ip in ips)
    assert ipaddress.ip_address("172.18.0.1") not in ips  # the gateway
    cidrs = [ipaddress.ip_network(n.spec.pod_cidr) for n in nodes]
    assert cluster.core.cluster_cidr == "10.244.0.0/15"
    assert len(set(cidrs)) == 300 and all(c.prefixlen == 24 and c.subnet_of(ipaddress.ip_network("10.244.0.0/15"))
                                          for c in cidrs)


def test_a_node_without_a_free_pod_cidr_gets_cidr_not_available():
    cluster = Cluster(cloud="aws", nodes=130, seed=1)  # the model's EKS pod range 10.0.128.0/17 holds 128 /24s
    without = [n.metadata.name for n in cluster.list("Node", None) if not n.spec.pod_cidr]
    assert len(without) == 2
    events = [e for e in cluster.events if e.reason == "CIDRNotAvailable"]
    assert [e.name for e in events] == without
    assert events[0].message == f"Node {without[0]} status is now: CIDRNotAvailable" and events[0].type == "Normal"


@pytest.mark.parametrize("kwargs, message", [
    ({"nodes": 5001}, "k8sedu models clusters of up to 5000 nodes, Kubernetes' published limit; got nodes=5001"),
    ({"nodes": 0}, "a cluster needs at least one node, got nodes=0"),
    ({"nodes": -3}, "a cluster needs at least one node, got nodes=-3"),
    ({"nodes": 4100, "cloud": "gcp"}, "4100 nodes do not fit in the model's gcp subnet 10.128.0.0/20 (at most 4085 nodes)"),
])
def test_impossible_sizes_are_refused_in_words(kwargs, message):
    with pytest.raises(ValueError) as err:
        Cluster(**kwargs)
    assert str(err.value) == message
