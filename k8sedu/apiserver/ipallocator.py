"""ClusterIP allocation from the service CIDR.

Mirrors the API server's service IP allocator (``pkg/registry/core/service/
ipallocator``). The range is split into a static (lower) band for IPs that
users ask for by value and a dynamic (upper) band that random allocation
prefers (KEP-3070: band size ``min(max(16, size/16), 256)``). The first
address goes to the ``kubernetes`` Service; kubeadm gives ``kube-dns`` the
tenth.
"""

from __future__ import annotations

import ipaddress
import random


class RangeFull(Exception):
    pass


def static_band(cidr_size: int) -> int:
    """``calculateRangeOffset``: ``min(max(16, size/16), 256)``, or 0 for a range of 16 addresses or fewer.

    Examples
    --------
    >>> static_band(16), static_band(256), static_band(65536), static_band(2 ** 20)
    (0, 16, 256, 256)
    """
    if cidr_size <= 16:
        return 0
    return min(max(16, cidr_size // 16), 256)


class IPAllocator:
    """Hands out and takes back IPs from one CIDR."""

    def __init__(self, cidr: str, rng: random.Random):
        self.network = ipaddress.ip_network(cidr)
        self._rng = rng
        self._base = int(self.network.network_address)
        # no network address, and for IPv4 no broadcast address either (NewAllocatorCIDRRange)
        self._size = self.network.num_addresses - (2 if self.network.version == 4 else 1)
        self._static = static_band(self.network.num_addresses)
        self._used: set[int] = set()

    def __contains__(self, ip: str) -> bool:
        return ipaddress.ip_address(ip) in self.network

    @property
    def used(self) -> int:
        return len(self._used)

    def allocate(self, ip: str) -> None:
        """Reserve a requested IP, with the allocator's own error texts."""
        if ip not in self:
            raise ValueError(f"the provided IP ({ip}) is not in the valid range. "
                             f"The range of valid IPs is {self.network}")
        offset = int(ipaddress.ip_address(ip)) - self._base
        if not 1 <= offset <= self._size:  # the network or broadcast address: outside what it hands out
            raise ValueError(f"the provided IP ({ip}) is not in the valid range. "
                             f"The range of valid IPs is {self.network}")
        if offset in self._used:
            raise ValueError("provided IP is already allocated")
        self._used.add(offset)

    def allocate_next(self) -> str:
        """Pick a free IP at random, from the dynamic band first."""
        for low, high in ((self._static + 1, self._size), (1, self._static)):
            offset = self._free_from(low, high)
            if offset is not None:
                self._used.add(offset)
                return str(ipaddress.ip_address(self._base + offset))
        raise RangeFull("range is full")

    def release(self, ip: str) -> None:
        if ip and ip != "None" and ip in self:
            self._used.discard(int(ipaddress.ip_address(ip)) - self._base)

    def _free_from(self, low: int, high: int) -> int | None:
        if high < low:
            return None
        start = self._rng.randint(low, high)
        span = high - low + 1
        for step in range(span):
            offset = low + (start - low + step) % span
            if offset not in self._used:
                return offset
        return None
