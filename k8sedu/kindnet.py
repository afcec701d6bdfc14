"""kindnet, kind's CNI daemon, and the CNI portmap plugin it chains: the nat rules they keep on a node.

Mirrors kind v0.27.0's ``kindest/kindnetd:v20250214-acbabc1a`` (kind
``images/kindnetd/cmd/kindnetd/masq.go``, ``cni.go``) and the portmap plugin
of CNI plugins v1.6.1, the version kind's base image builds
(containernetworking/plugins ``plugins/meta/portmap/portmap_iptables.go``).
Besides kube-proxy's and the kubelet's chains, ``iptables-save`` on a kind
node shows:

* **KIND-MASQ-AGENT** (nat): kindnetd's masquerade agent, written with
  go-iptables (not nftables, in this release). POSTROUTING sends every packet
  whose destination is not one of the node's own addresses there; traffic to
  the pod subnet RETURNs (pods see each other's real addresses), everything
  else is MASQUERADEd to the address of the interface it leaves by. So a pod
  that talks to a node, the host or the internet shows up with its node's IP.
* **CNI-HOSTPORT-\\*** (nat), once a pod with a ``hostPort`` runs on the
  node: the kubelet passes the pod's port mappings to the CNI chain in
  kindnet's conflist (``ptp`` then ``portmap``), and portmap DNATs
  ``<node address>:<hostPort>`` to the pod in a per-pod ``CNI-DN-<hash>``
  chain, marking connections from the pod's own subnet (hairpin) or from
  127.0.0.1 for masquerade (``CNI-HOSTPORT-SETMARK``, mark bit 13, and
  ``CNI-HOSTPORT-MASQ`` in POSTROUTING).

Not modelled: Docker's embedded-DNS chains (``DOCKER_OUTPUT``,
``DOCKER_POSTROUTING``, rewritten by kind's entrypoint to the Docker
network's gateway): they DNAT to a port Docker's resolver picks at random
each time the node container starts, so no fixed text is faithful; and
kindnetd's network-policy table, which is nftables (``kindnet-network-policies``)
and never shows in iptables-save. Portmap's top-level chains stay after the
last hostPort pod is gone on a real node; here they come and go with it.
Real sandbox IDs are random; the model derives one from the pod's UID.
"""

from __future__ import annotations

import dataclasses
import hashlib
import weakref
from typing import TYPE_CHECKING, Iterable, Optional

from k8sedu.kube_proxy.matches import AddrType, Comment, MarkMatch, Multiport, PortMatch
from k8sedu.kube_proxy.tables import Chain, Rule, Table, iptables_save, or_mark
from k8sedu.netfilter import Packet, Verdict
from k8sedu.netfilter.walk import sampler, walk_chain

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.objects import Pod
    from k8sedu.protocols import DataPlane

__all__ = ["KIND_MASQ_AGENT", "HOSTPORT_DNAT", "HOSTPORT_SETMARK", "HOSTPORT_MASQ", "HOSTPORT_MARK",
           "masq_agent_chain", "masq_agent_jump", "dnat_chain_name", "sandbox_id", "HostPortPod",
           "hostport_pods", "hostport_chains", "merge_nat", "node_nat", "postrouting", "iptables_save_node"]

KIND_MASQ_AGENT = "KIND-MASQ-AGENT"  # masq.go masqChainName
HOSTPORT_DNAT = "CNI-HOSTPORT-DNAT"
HOSTPORT_SETMARK = "CNI-HOSTPORT-SETMARK"
HOSTPORT_MASQ = "CNI-HOSTPORT-MASQ"
HOSTPORT_MARK = 1 << 13  # portmap's DefaultMarkBit = 13 (kube-proxy's masquerade mark is bit 14)
NETWORK_NAME = "kindnet"  # the conflist's "name"; portmap hashes it into the chain name


# ---------------------------------------------------------------- kindnetd's masquerade agent

def masq_agent_chain(pod_subnets: Iterable[str]) -> Chain:
    """KIND-MASQ-AGENT as ``SyncRules`` appends it: RETURN for each pod subnet, then MASQUERADE.

    Examples
    --------
    >>> print(*masq_agent_chain(["10.244.0.0/16"]).rules, sep="\\n")  # doctest: +NORMALIZE_WHITESPACE
    -A KIND-MASQ-AGENT -d 10.244.0.0/16 -m comment
       --comment "kind-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN
    -A KIND-MASQ-AGENT -m comment
       --comment "kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE
    """
    c = KIND_MASQ_AGENT
    keep = tuple(Rule(c, "RETURN", destination=cidr, matches=(
        Comment("kind-masq-agent: local traffic is not subject to MASQUERADE"),)) for cidr in pod_subnets)
    return Chain(c, keep + (Rule(c, "MASQUERADE", matches=(
        Comment("kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)"),)),))


def masq_agent_jump() -> Rule:
    """The rule kindnetd appends to nat POSTROUTING: non-LOCAL destinations go to KIND-MASQ-AGENT."""
    return Rule("POSTROUTING", KIND_MASQ_AGENT, matches=(
        AddrType(dst_negate=True),
        Comment("kind-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic "
                "to our custom KIND-MASQ-AGENT chain"),
    ))


# ---------------------------------------------------------------- the CNI portmap plugin

def dnat_chain_name(container_id: str, network: str = NETWORK_NAME) -> str:
    """``utils.MustFormatChainNameWithPrefix(network, containerID, "DN-")``: 28 characters of sha512.

    Examples
    --------
    >>> name = dnat_chain_name("0" * 64)
    >>> name.startswith("CNI-DN-"), len(name)
    (True, 28)
    """
    digest = hashlib.sha512((network + container_id).encode()).hexdigest()
    return ("CNI-DN-" + digest)[:28]


def sandbox_id(pod: "Pod") -> str:
    """The pod sandbox's container ID (the ID portmap hashes): random in containerd, derived from the UID here."""
    return hashlib.sha256(f"{pod.metadata.uid}/sandbox".encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class HostPortPod:
    """What the kubelet hands portmap for one pod: its sandbox, address and ``(protocol, hostPort, containerPort)``s.

    ``address`` is the pod IP with the podCIDR's prefix length, as host-local
    IPAM returns it (``10.244.1.3/24``): portmap's hairpin rule matches that network.
    """

    container_id: str
    address: str
    mappings: tuple[tuple[str, int, int], ...]
    network: str = NETWORK_NAME  # the conflist's name (kind's: kindnet)

    @property
    def ip(self) -> str:
        return self.address.split("/")[0]

    @property
    def chain(self) -> str:
        return dnat_chain_name(self.container_id, self.network)


def hostport_pods(core: "DataPlane", node: str) -> tuple[HostPortPod, ...]:
    """The running pods on ``node`` with a ``hostPort``, in the order their sandboxes started.

    hostNetwork pods have no sandbox network, so no CNI call and no rule.
    """
    obj = core.api.try_get("Node", "", node)
    prefix = obj.spec.pod_cidr.split("/")[1] if obj is not None and obj.spec.pod_cidr else "32"
    found = []
    for pod in core.api.store.by_index("Pod", "node", node):
        mappings = tuple((p.protocol.lower(), p.host_port, p.container_port)
                         for c in pod.spec.containers for p in c.ports if p.host_port)
        if mappings and pod.status.phase == "Running" and pod.status.pod_ip and not pod.spec.host_network:
            found.append((pod.status.start_time or 0.0, pod.metadata.name,
                          HostPortPod(sandbox_id(pod), f"{pod.status.pod_ip}/{prefix}", mappings)))
    return tuple(entry for _, _, entry in sorted(found, key=lambda f: (f[0], f[1])))


def _dnat_entry_rules(pod: HostPortPod) -> tuple[Rule, ...]:
    """``fillDnatRules``' entry rules: per protocol (sorted), up to 15 ports each, into the pod's chain."""
    text = f'dnat name: "{pod.network}" id: "{pod.container_id}"'
    comment = Comment(text if len(text) <= 255 else text[:253] + "...")  # trimComment
    rules = []
    for proto in sorted({m[0] for m in pod.mappings}):
        ports = [m[1] for m in pod.mappings if m[0] == proto]
        for i in range(0, len(ports), 15):
            rules.append(Rule(HOSTPORT_DNAT, pod.chain, protocol=proto,
                              matches=(comment, Multiport(tuple(ports[i:i + 15])))))
    return tuple(rules)


def _dnat_chain(pod: HostPortPod) -> Chain:
    """``CNI-DN-<hash>``: per mapping, mark hairpin and localhost for masquerade, then DNAT."""
    c, rules = pod.chain, []
    for proto, host_port, container_port in pod.mappings:
        base = dict(protocol=proto, matches=(PortMatch(proto, host_port),))
        rules += [Rule(c, HOSTPORT_SETMARK, source=pod.address, **base),
                  Rule(c, HOSTPORT_SETMARK, source="127.0.0.1", **base),
                  Rule(c, "DNAT", to_destination=f"{pod.ip}:{container_port}", **base)]
    return Chain(c, tuple(rules))


def hostport_chains(pods: Iterable[HostPortPod]) -> tuple[Chain, ...]:
    """Portmap's chains for these pods: the three shared ones and one ``CNI-DN-`` per pod (none without pods)."""
    pods = tuple(pods)
    if not pods:
        return ()
    setmark = Chain(HOSTPORT_SETMARK, (Rule(HOSTPORT_SETMARK, "MARK", set_xmark=or_mark(HOSTPORT_MARK),
                                            matches=(Comment("CNI portfwd masquerade mark"),)),))
    masq = Chain(HOSTPORT_MASQ, (Rule(HOSTPORT_MASQ, "MASQUERADE",
                                      matches=(MarkMatch(HOSTPORT_MARK, HOSTPORT_MARK),)),))
    dnat = Chain(HOSTPORT_DNAT, tuple(r for pod in pods for r in _dnat_entry_rules(pod)))
    return (dnat, setmark, masq) + tuple(_dnat_chain(pod) for pod in pods)


# ---------------------------------------------------------------- the node's nat table

def merge_nat(proxy_nat: Table, pod_subnets: Iterable[str], pods: Iterable[HostPortPod] = ()) -> Table:
    """kube-proxy's nat table with kindnetd's and portmap's chains and jumps, in the order they were written.

    kube-proxy *prepends* its jumps when it starts; kindnetd then *appends*
    its POSTROUTING jump; portmap, at the first hostPort pod, appends its
    DNAT jumps to PREROUTING and OUTPUT and *prepends* CNI-HOSTPORT-MASQ to
    POSTROUTING (``genMarkMasqChain``: ``prependEntry``).

    Examples
    --------
    >>> nat = merge_nat(Table.build("nat", []), ["10.244.0.0/16"])
    >>> [r.target for r in nat.chain("POSTROUTING").rules]
    ['KIND-MASQ-AGENT']
    """
    pods = tuple(pods)
    extra = hostport_chains(pods)
    to_dnat = (Rule("", HOSTPORT_DNAT, matches=(AddrType("LOCAL"),)),) if pods else ()
    masq_first = (Rule("POSTROUTING", HOSTPORT_MASQ, matches=(Comment("CNI portfwd requiring masquerade"),)),) \
        if pods else ()
    chains = proxy_nat.chains
    changed = [dataclasses.replace(chains[hook], rules=chains[hook].rules + tuple(
        dataclasses.replace(r, chain=hook) for r in to_dnat)) for hook in ("PREROUTING", "OUTPUT")]
    post = chains["POSTROUTING"]
    changed.append(dataclasses.replace(post, rules=masq_first + post.rules + (masq_agent_jump(),)))
    changed.append(masq_agent_chain(pod_subnets))
    return proxy_nat.with_chains(changed + list(extra))


_CACHE: "weakref.WeakKeyDictionary[object, tuple[Table, int, tuple, Table]]" = weakref.WeakKeyDictionary()


def node_nat(core: "DataPlane", node: str) -> Table:
    """The nat table of ``node`` as the kernel holds it: kube-proxy's, plus kindnet's and portmap's on kind.

    On a cloud the provider's CNI, not kindnet, runs: kube-proxy's table alone.
    Merged again only when kube-proxy's table or the hostPort pods change.
    """
    proxy = core.kube_proxy(node)
    if core.cloud is not None:
        return proxy.nat
    nat, version = proxy.nat, core.api.store.resource_version
    cached = _CACHE.get(proxy)
    if cached is not None and cached[0] is nat and cached[1] == version:
        return cached[3]  # nothing changed in the API since
    key = (core.cluster_cidr, hostport_pods(core, node))
    merged = cached[3] if cached is not None and cached[0] is nat and cached[2] == key else \
        merge_nat(nat, [key[0]], key[1])
    _CACHE[proxy] = (nat, version, key, merged)  # per kube-proxy, gone with its cluster
    return merged


def postrouting(nat: Table, packet: Packet, mark: int = 0) -> Verdict:
    """Walk nat POSTROUTING for a new connection's first packet (after DNAT, with the mark nat gave it).

    Its target says who rewrites the source: MASQUERADE (KUBE-POSTROUTING for
    kube-proxy's mark, CNI-HOSTPORT-MASQ for portmap's, KIND-MASQ-AGENT for a
    pod's packet leaving the pod network) or nobody (``ACCEPT``, the policy).
    """
    return walk_chain(nat, "POSTROUTING", dataclasses.replace(packet, mark=mark), sampler(None), None, 0.0)


def iptables_save_node(core: "DataPlane", node: str, date: Optional[str] = None) -> str:
    """What ``iptables-save`` prints on ``node``: mangle, filter, then nat (kube-proxy's, kindnet's, portmap's)."""
    proxy = core.kube_proxy(node)
    return iptables_save(node_nat(core, node), proxy.filter, date, mangle=proxy.mangle)
