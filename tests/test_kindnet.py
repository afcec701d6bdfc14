"""kindnet's and the CNI portmap plugin's nat rules on a kind node: what iptables-save shows, and what they do.

Sources: kind v0.27.0 ``images/kindnetd/cmd/kindnetd/masq.go`` (kindnetd v20250214-acbabc1a, the image
``pkg/build/nodeimage/const_cni.go`` pins; it writes iptables through go-iptables), ``cni.go`` (the conflist:
ptp with ``ipMasq: false``, then portmap), and containernetworking/plugins v1.6.1 (kind's base image
``CNI_PLUGINS_VERSION``) ``plugins/meta/portmap/portmap_iptables.go``, ``portmap_iptables_test.go``,
``pkg/utils/utils.go``. The real binaries' round trip of a whole kind node dump is in
``test_iptables_restore.py`` ("kind node with kindnet and portmap").
"""

import pytest

from k8sedu import Cluster, kindnet
from k8sedu.kube_proxy.tables import Table
from k8sedu.netfilter import Packet, trace_chain

MASQ_LINES = [
    '-A POSTROUTING -m addrtype ! --dst-type LOCAL -m comment --comment "kind-masq-agent: ensure nat POSTROUTING '
    'directs all non-LOCAL destination traffic to our custom KIND-MASQ-AGENT chain" -j KIND-MASQ-AGENT',
    '-A KIND-MASQ-AGENT -d 10.244.0.0/16 -m comment --comment "kind-masq-agent: local traffic is not subject to '
    'MASQUERADE" -j RETURN',
    '-A KIND-MASQ-AGENT -m comment --comment "kind-masq-agent: outbound traffic is subject to MASQUERADE (must be '
    'last in chain)" -j MASQUERADE',
]

# portmap_iptables_test.go "generates a correct standard container chain"
UPSTREAM_ID = ("icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8yohb9c"
               "eu0daez5hashee8ooYai5wa3y")


@pytest.fixture(scope="module")
def kind():
    """kind's ingress config with ingress-nginx's kind manifest: its controller has hostPorts 80 and 443."""
    cluster = Cluster(ingress_ready=True)
    cluster.install("ingress-nginx")
    cluster.advance(120)
    return cluster


def nat_lines(cluster, node):
    text = cluster.iptables_save(node)
    return text[text.index("*nat"):].splitlines()


@pytest.mark.parametrize("node", ["kind-control-plane", "kind-worker", "kind-worker2"])
def test_every_kind_node_has_kindnets_masquerade_agent(kind, node):
    """masq.go SyncRules: NewChain KIND-MASQ-AGENT; AppendUnique ``-d <POD_SUBNET> -j RETURN`` (the comment
    "local traffic is not subject to MASQUERADE"), then ``-j MASQUERADE`` ("must be last in chain"), then the
    POSTROUTING jump ``-m addrtype ! --dst-type LOCAL``; POD_SUBNET is kind's podSubnet 10.244.0.0/16. The
    jump comes after kube-proxy's (kube-proxy prepends, kindnetd appends)."""
    lines = nat_lines(kind, node)
    assert ":KIND-MASQ-AGENT - [0:0]" in lines
    assert [line for line in lines if "KIND-MASQ-AGENT" in line and line.startswith("-A")] == MASQ_LINES
    post = [line for line in lines if line.startswith("-A POSTROUTING")]
    assert post[-2:] == ['-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
                         MASQ_LINES[0]]


def test_portmap_chains_exist_only_where_a_hostport_pod_runs(kind):
    """portmap_iptables.go forwardPorts: the chains are created at the first CNI ADD with port mappings; the
    controller runs on the ingress-ready node only. (The model drops them with the last hostPort pod; a real
    node keeps CNI-HOSTPORT-DNAT/SETMARK/MASQ.)"""
    assert any(line.startswith(":CNI-HOSTPORT-DNAT") for line in nat_lines(kind, "kind-control-plane"))
    assert not any("CNI-" in line for line in nat_lines(kind, "kind-worker"))


def test_ingress_nginx_hostports_as_portmap_writes_them(kind):
    """portmap_iptables.go: genToplevelDnatChain (PREROUTING and OUTPUT ``-m addrtype --dst-type LOCAL``,
    appended), genMarkMasqChain (POSTROUTING, prepended, "CNI portfwd requiring masquerade"; ``-m mark --mark
    0x2000/0x2000 -j MASQUERADE``: DefaultMarkBit 13), genSetMarkChain ("CNI portfwd masquerade mark"),
    fillDnatRules (one multiport entry per protocol with the ``dnat name: "kindnet" id: "<sandbox>"`` comment;
    per port: hairpin ``-s <pod IP>/<podCIDR prefix>``, localhost ``-s 127.0.0.1``, DNAT), as iptables-save
    prints them (multiport ``--destination-ports`` as ``--dports``)."""
    pod = kind.list("Pod", namespace="ingress-nginx")[0]
    ip, chain = pod.status.pod_ip, kindnet.dnat_chain_name(kindnet.sandbox_id(pod))
    lines = [line for line in nat_lines(kind, "kind-control-plane") if "CNI-" in line and line.startswith("-A")]
    assert lines == [
        "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
        "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
        '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
        f"-A {chain} -s 10.244.0.0/24 -p tcp -m tcp --dport 80 -j CNI-HOSTPORT-SETMARK",
        f"-A {chain} -s 127.0.0.1/32 -p tcp -m tcp --dport 80 -j CNI-HOSTPORT-SETMARK",
        f"-A {chain} -p tcp -m tcp --dport 80 -j DNAT --to-destination {ip}:80",
        f"-A {chain} -s 10.244.0.0/24 -p tcp -m tcp --dport 443 -j CNI-HOSTPORT-SETMARK",
        f"-A {chain} -s 127.0.0.1/32 -p tcp -m tcp --dport 443 -j CNI-HOSTPORT-SETMARK",
        f"-A {chain} -p tcp -m tcp --dport 443 -j DNAT --to-destination {ip}:443",
        f'-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"kindnet\\" id: '
        f'\\"{kindnet.sandbox_id(pod)}\\"" -m multiport --dports 80,443 -j {chain}',
        "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
        '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
    ]
    post = [line for line in nat_lines(kind, "kind-control-plane") if line.startswith("-A POSTROUTING")]
    assert post[0].endswith("-j CNI-HOSTPORT-MASQ")  # prepended, after kube-proxy had written its jump


@pytest.mark.parametrize("network, chain", [
    ("testNetName", "CNI-DN-bfd599665540dd91d5d28"),
    ("test", "CNI-DN-67e92b96e692a494b6b85"),
])
def test_dnat_chain_names_match_portmaps_own_test_vectors(network, chain):
    """portmap_iptables_test.go genDnatChain expectations; pkg/utils/utils.go MustFormatChainNameWithPrefix
    (sha512 of name+id, prefix CNI-DN-, 28 characters)."""
    assert kindnet.dnat_chain_name(UPSTREAM_ID, network) == chain


def test_dnat_rules_follow_portmaps_own_test_vectors():
    """portmap_iptables_test.go: mappings tcp 8080->80, tcp 8081->80, udp 8080->81, udp 8082->82 for
    10.0.0.2/24 give one multiport entry per protocol (tcp before udp) and three rules per mapping in mapping
    order (hairpin mark, localhost mark, DNAT)."""
    pod = kindnet.HostPortPod(UPSTREAM_ID, "10.0.0.2/24", (("tcp", 8080, 80), ("tcp", 8081, 80),
                                                           ("udp", 8080, 81), ("udp", 8082, 82)), network="test")
    chains = {c.name: c for c in kindnet.hostport_chains([pod])}
    entries = [r.to_text() for r in chains["CNI-HOSTPORT-DNAT"].rules]
    assert [e.split(" -m multiport ")[1] for e in entries] == [
        "--dports 8080,8081 -j CNI-DN-67e92b96e692a494b6b85", "--dports 8080,8082 -j CNI-DN-67e92b96e692a494b6b85"]
    assert [e.split()[3] for e in entries] == ["tcp", "udp"]
    rules = [r.to_text().split(" ", 2)[2] for r in chains["CNI-DN-67e92b96e692a494b6b85"].rules]
    assert rules[:3] == ["-s 10.0.0.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
                         "-s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
                         "-p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80"]
    assert rules[6:9] == ["-s 10.0.0.0/24 -p udp -m udp --dport 8080 -j CNI-HOSTPORT-SETMARK",
                          "-s 127.0.0.1/32 -p udp -m udp --dport 8080 -j CNI-HOSTPORT-SETMARK",
                          "-p udp -m udp --dport 8080 -j DNAT --to-destination 10.0.0.2:81"]


def test_more_than_fifteen_host_ports_split_the_multiport_entry():
    """portmap utils.go splitPortList: multiport takes at most 15 ports, so the list is cut every 15."""
    pod = kindnet.HostPortPod("c" * 64, "10.244.1.5/24", tuple(("tcp", 9000 + i, 80) for i in range(17)))
    entries = kindnet.hostport_chains([pod])[0].rules
    assert [len(r.matches[1].dports) for r in entries] == [15, 2]


POD_NET = ["10.244.0.0/16"]


@pytest.mark.parametrize("why, packet, mark, target, last_chain", [
    ("pod to a pod on another node: the pod subnet RETURNs",
     Packet("10.244.1.5", "10.244.2.7", 80), 0, "ACCEPT", "KIND-MASQ-AGENT"),
    ("pod to another node's address: masqueraded",
     Packet("10.244.1.5", "172.18.0.4", 30080), 0, "MASQUERADE", "KIND-MASQ-AGENT"),
    ("pod to the internet: masqueraded",
     Packet("10.244.1.5", "93.184.215.14", 80), 0, "MASQUERADE", "KIND-MASQ-AGENT"),
    ("to one of the node's own addresses: POSTROUTING does not jump",
     Packet("10.244.1.5", "172.18.0.3", 80, dst_local=True), 0, "ACCEPT", "KUBE-POSTROUTING"),
    ("kube-proxy's mark: KUBE-POSTROUTING masquerades first",
     Packet("172.18.0.1", "10.244.2.7", 80), 0x4000, "MASQUERADE", "KUBE-POSTROUTING"),
    ("portmap's mark: CNI-HOSTPORT-MASQ masquerades first",
     Packet("127.0.0.1", "10.244.0.5", 80), 0x2000, "MASQUERADE", "CNI-HOSTPORT-MASQ"),
])
def test_postrouting_decides_who_masquerades(kind, why, packet, mark, target, last_chain):
    """Derived from code: masq.go SyncRules and portmap genMarkMasqChain as the model's netfilter walks them,
    after kube-proxy's KUBE-POSTROUTING (proxier.go: masquerade only packets with mark 0x4000)."""
    nat = kindnet.node_nat(kind.core, "kind-control-plane")
    verdict = kindnet.postrouting(nat, packet, mark)
    assert verdict.target == target, why
    assert verdict.path[-1][0] == last_chain, why


def test_addrtype_negation_is_walked_and_printed():
    """iptables-extensions(8) addrtype: ``! --dst-type LOCAL`` matches destinations that are not local;
    derived from code: the walker's addrtype match."""
    jump = kindnet.masq_agent_jump()
    assert "-m addrtype ! --dst-type LOCAL" in jump.to_text()
    table = kindnet.merge_nat(Table.build("nat", []), POD_NET)
    assert trace_chain(table, "POSTROUTING", Packet("10.244.1.5", "1.1.1.1", 80)).target == "MASQUERADE"
    assert trace_chain(table, "POSTROUTING", Packet("10.244.1.5", "1.1.1.1", 80, dst_local=True)).target == "ACCEPT"


def test_a_pod_reaching_the_internet_is_masqueraded_by_the_rule_not_by_a_fixed_step(kind):
    """masq.go: the last KIND-MASQ-AGENT rule MASQUERADEs pod traffic leaving the pod network; the trace's
    egress hop names the rules that did it."""
    kind.kubectl("run client --image=nginx")
    kind.advance(30)
    trace = kind.request("http://example.com/", from_pod="client")
    egress = next(h for h in trace.hops if h.action == "egress")
    assert "by kindnet's KIND-MASQ-AGENT" in egress.detail
    assert egress.rules[-1].startswith("KIND-MASQ-AGENT: -A KIND-MASQ-AGENT -m comment")
    assert trace.client_ip_seen == kind.core.node_ip(kind.get("Pod", "client").spec.node_name)


@pytest.mark.parametrize("source, url, masqueraded_by, seen", [
    ("node/kind-control-plane", "http://localhost/", "CNI-HOSTPORT-MASQ", "10.244.0.1"),  # -s 127.0.0.1 is marked
    ("node/kind-control-plane", "http://172.18.0.2/", None, "172.18.0.2"),  # the node's own address is kept
    ("host", "http://localhost/", None, "172.18.0.1"),  # via kind's extraPortMappings: the docker gateway
])
def test_hostport_traffic_follows_portmaps_rules(kind, source, url, masqueraded_by, seen):
    """portmap fillDnatRules: hairpin and localhost connections are marked and masqueraded (the pod sees the
    node's address toward it, the ptp gateway), any other source is kept; derived from code."""
    trace = kind.request(url, source=source)
    hop = next(h for h in trace.hops if h.component == "portmap (kind-control-plane)")
    assert any("CNI-HOSTPORT-DNAT: " in rule for rule in hop.rules)
    assert trace.client_ip_seen == seen
    assert (f"masqueraded by {masqueraded_by}" in hop.detail) if masqueraded_by else ("masqueraded" not in hop.detail)


def test_a_cloud_node_shows_no_kindnet_chain():
    """kindnet is kind's CNI; a cloud cluster runs its provider's CNI, which the model does not print."""
    cluster = Cluster(cloud="azure")
    assert "KIND-MASQ-AGENT" not in cluster.iptables_save(cluster.list("Node")[0].metadata.name)
