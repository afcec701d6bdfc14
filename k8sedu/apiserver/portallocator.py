"""NodePort allocation from ``--service-node-port-range`` (default 30000-32767).

Mirrors the API server's ``pkg/registry/core/service/portallocator``: a
requested port is checked and reserved, otherwise a free port is picked at
random, preferring the upper (dynamic) band as the ClusterIP allocator does.
NodePorts are unique per cluster *and protocol*, so the model keeps one
allocator per protocol. The error texts are the allocator's own.
"""

from __future__ import annotations

import random


class PortAllocator:
    """Hands out and takes back ports from one range, for one protocol."""

    def __init__(self, rng: random.Random, low: int = 30000, high: int = 32767):
        self.low, self.high = low, high
        self._rng = rng
        size = high - low + 1
        # calculateRangeOffset: min(max(16, size/32), 128), none for 16 ports or fewer; 86 for 30000-32767
        self._static = 0 if size <= 16 else min(max(16, size // 32), 128)
        self._used: set[int] = set()

    @property
    def range(self) -> str:
        return f"{self.low}-{self.high}"

    def __contains__(self, port: int) -> bool:
        return port in self._used

    def allocate(self, port: int) -> None:
        """Reserve a requested port, or raise ValueError with the allocator's words."""
        if not self.low <= port <= self.high:
            raise ValueError(f"provided port is not in the valid range. The range of valid ports is {self.range}")
        if port in self._used:
            raise ValueError("provided port is already allocated")
        self._used.add(port)

    def allocate_next(self) -> int:
        """Pick a free port at random, from the dynamic band first.

        Examples
        --------
        >>> alloc = PortAllocator(random.Random(0))
        >>> 30000 + 86 <= alloc.allocate_next() <= 32767
        True
        """
        for low, high in ((self.low + self._static, self.high), (self.low, self.low + self._static - 1)):
            span = high - low + 1
            start = self._rng.randint(low, high)
            for step in range(span):
                port = low + (start - low + step) % span
                if port not in self._used:
                    self._used.add(port)
                    return port
        raise ValueError("range is full")

    def release(self, port: int) -> None:
        self._used.discard(port)
