"""NodePort allocation as the API server's portallocator does it (``pkg/registry/core/service/portallocator``).

``calculateRangeOffset`` reserves a static lower band of ``min(max(16, size/32), 128)`` ports for
NodePorts users ask for by number; random allocation takes from the ports above it first. For the
default range 30000-32767 (2,768 ports) the band is 30000-30085.
"""

import random

import pytest

from k8sedu.apiserver.portallocator import PortAllocator


def test_random_nodeports_avoid_the_static_band_of_86_ports_until_the_rest_is_used():
    alloc = PortAllocator(random.Random(1))
    dynamic = [alloc.allocate_next() for _ in range(2768 - 86)]
    assert min(dynamic) == 30086 and len(set(dynamic)) == 2768 - 86
    static = [alloc.allocate_next() for _ in range(86)]
    assert sorted(static) == list(range(30000, 30086))
    with pytest.raises(ValueError, match="range is full"):
        alloc.allocate_next()


@pytest.mark.parametrize("low, high, band", [(30000, 30015, 0), (30000, 30099, 16), (20000, 32767, 128)])
def test_static_band_follows_calculate_range_offset(low, high, band):
    alloc = PortAllocator(random.Random(2), low, high)
    first = [alloc.allocate_next() for _ in range(high - low + 1 - band)]
    assert min(first) == low + band
