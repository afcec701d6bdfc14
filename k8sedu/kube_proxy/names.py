"""How kube-proxy names its chains and marks (k8s-reference.md 1.1 and 1.2).

Mirrors the name helpers of k/k ``pkg/proxy/iptables/proxier.go``. iptables
chain names must be at most 28 characters, so every per-service chain is a
prefix plus 16 characters of a hash: ``KUBE-SVC-`` (Cluster policy),
``KUBE-SVL-`` (Local policy), ``KUBE-EXT-`` (external destinations) and
``KUBE-FW-`` (loadBalancerSourceRanges) all share the hash of the service
port name and protocol, so the four chains of one port are easy to spot
together; ``KUBE-SEP-`` adds the endpoint to the hash.
"""

from __future__ import annotations

import functools
import hashlib

from k8sedu.kube_proxy.changes import ServicePortName

KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
KUBE_PROXY_CANARY = "KUBE-PROXY-CANARY"
# The kubelet's chains on the same node (k/k ``pkg/kubelet/kubelet_network_linux.go``): its canary
# (``iptClient.Monitor`` keeps one in mangle, nat and filter, as kube-proxy does its own) and the
# hint chain in mangle that tells other components whether the node uses iptables-nft or -legacy.
KUBE_KUBELET_CANARY = "KUBE-KUBELET-CANARY"
KUBE_IPTABLES_HINT = "KUBE-IPTABLES-HINT"
KUBE_FIREWALL = "KUBE-FIREWALL"

MASQUERADE_MARK = 0x4000
"""``1 << masqueradeBit`` with the default bit 14."""

LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000
"""Above this many endpoints kube-proxy drops the comments from KUBE-SVC endpoint
rules and KUBE-SEP rules to keep iptables-restore fast (``largeClusterMode``)."""


_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648, as Go's base32.StdEncoding
_PAIRS = [a + b for a in _BASE32 for b in _BASE32]  # every 10-bit group as its two characters


@functools.lru_cache(maxsize=1 << 18)
def port_proto_hash(service_port_name: str, protocol: str) -> str:
    """Return the 16-character chain suffix for a service port (``portProtoHash``).

    ``base32(sha256(servicePortName + protocol))[:16]``, no separator. Remembered: kube-proxy renders the
    same chains again at every sync of a Service, and a big Service has thousands of endpoints.

    Examples
    --------
    >>> port_proto_hash("ns1/svc1:p80", "tcp")
    'XPGD46QRK7WJZT7O'
    >>> import base64, hashlib
    >>> digest = hashlib.sha256(b"ns/web:http" + b"tcp10.244.1.2:80").digest()
    >>> port_proto_hash("ns/web:http", "tcp10.244.1.2:80") == base64.b32encode(digest)[:16].decode()
    True
    """
    digest = hashlib.sha256((service_port_name + protocol).encode()).digest()
    # base32 turns each 5 bytes into 8 characters, so the first 10 bytes (80 bits) give exactly the first
    # 16 characters: eight 10-bit groups, each looked up as a pair (base64.b32encode is pure Python).
    bits = int.from_bytes(digest[:10], "big")
    return "".join([_PAIRS[(bits >> shift) & 1023] for shift in (70, 60, 50, 40, 30, 20, 10, 0)])


def _port_chain(prefix: str, name: ServicePortName) -> str:
    return prefix + port_proto_hash(str(name), name.protocol.lower())


def service_chain_name(name: ServicePortName) -> str:
    """Return the ``KUBE-SVC-`` chain (all usable endpoints) of a service port (``servicePortPolicyClusterChain``).

    Examples
    --------
    >>> service_chain_name(ServicePortName("default", "kubernetes", "https", "TCP"))
    'KUBE-SVC-NPX46M4PTMTKRN6Y'
    """
    return _port_chain("KUBE-SVC-", name)


def local_chain_name(name: ServicePortName) -> str:
    """Return the ``KUBE-SVL-`` chain (this node's endpoints only) of a service port (``servicePortPolicyLocalChainName``).

    Examples
    --------
    >>> local_chain_name(ServicePortName("ns5", "svc5", "p80", "TCP"))
    'KUBE-SVL-NUKIZ6OKUXPJNT4C'
    """
    return _port_chain("KUBE-SVL-", name)


def external_chain_name(name: ServicePortName) -> str:
    """Return the ``KUBE-EXT-`` chain (NodePort, LB and external IP traffic) of a service port.

    Examples
    --------
    >>> external_chain_name(ServicePortName("ns5", "svc5", "p80", "TCP"))
    'KUBE-EXT-NUKIZ6OKUXPJNT4C'
    """
    return _port_chain("KUBE-EXT-", name)


def firewall_chain_name(name: ServicePortName) -> str:
    """Return the ``KUBE-FW-`` chain (loadBalancerSourceRanges) of a service port.

    Examples
    --------
    >>> firewall_chain_name(ServicePortName("ns5", "svc5", "p80", "TCP"))
    'KUBE-FW-NUKIZ6OKUXPJNT4C'
    """
    return _port_chain("KUBE-FW-", name)


def endpoint_chain_name(name: ServicePortName, endpoint: str) -> str:
    """Return the ``KUBE-SEP-`` chain of one endpoint ``"ip:port"`` (``servicePortEndpointChainName``).

    Examples
    --------
    >>> endpoint_chain_name(ServicePortName("ns1", "svc1", "p80", "TCP"), "10.180.0.1:80")
    'KUBE-SEP-SXIVWICOYRO3J4NJ'
    """
    return "KUBE-SEP-" + port_proto_hash(str(name), name.protocol.lower() + endpoint)
