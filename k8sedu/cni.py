"""The CNI plugin's IP address management on one node (host-local IPAM).

Mirrors containernetworking/plugins ``plugins/ipam/host-local``: the node's
``podCIDR`` is the range; ``.1`` is the bridge's gateway and is skipped; IPs
are handed out one after another from the last one reserved, wrapping at the
end of the range. So the first pods on a node get ``.2``, ``.3``, ..., and a
replacement pod gets a *new* IP rather than the one just freed: one more
reason never to hard-code a pod IP.
"""

from __future__ import annotations

import ipaddress


class RangeExhausted(Exception):
    pass


class HostLocalIPAM:
    """Allocates pod IPs sequentially from one node's podCIDR."""

    def __init__(self, pod_cidr: str):
        network = ipaddress.ip_network(pod_cidr)
        self._first = int(network.network_address) + 2  # .1 is the gateway
        self._last = int(network.broadcast_address) - 1
        self._last_reserved = self._first - 1
        self._used: set[int] = set()

    def allocate(self) -> str:
        """Return the next free IP after the last one handed out.

        Examples
        --------
        >>> ipam = HostLocalIPAM("10.244.1.0/24")
        >>> ipam.allocate(), ipam.allocate()
        ('10.244.1.2', '10.244.1.3')
        """
        size = self._last - self._first + 1
        for step in range(1, size + 1):
            candidate = self._first + (self._last_reserved - self._first + step) % size
            if candidate not in self._used:
                self._used.add(candidate)
                self._last_reserved = candidate
                return str(ipaddress.ip_address(candidate))
        raise RangeExhausted("no IP addresses available in range set")

    def release(self, ip: str) -> None:
        self._used.discard(int(ipaddress.ip_address(ip)))
