"""Simulated time: one clock and one timer heap for the whole cluster.

Real controllers run concurrently against a wall clock; the model replaces
that with a discrete-event scheduler, as simpy's ``Environment`` does. Delayed
work (a container starting, a readiness probe passing, a pod finishing its
termination) goes on a heap ordered by ``(time, priority, seq)``, so runs are
reproducible: two timers due at the same moment fire in the order they were
scheduled, one after the other, before the controllers react to either
(``due_with``).
"""

from __future__ import annotations

import datetime
import heapq
from dataclasses import dataclass, field
from typing import Callable


# The simulated wall clock: second 0 of every cluster is this moment (what AGE, timestamps and
# iptables-save's date are counted from).
EPOCH = datetime.datetime(2026, 1, 5, 9, 0, 0, tzinfo=datetime.timezone.utc)


def rfc3339(seconds: float) -> str:
    """The moment ``seconds`` after EPOCH as the API writes times: RFC 3339 in UTC, whole seconds.

    >>> rfc3339(90.5)
    '2026-01-05T09:01:30Z'
    """
    return (EPOCH + datetime.timedelta(seconds=int(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(order=True)
class Timer:
    time: float
    priority: int
    seq: int
    callback: Callable[[], None] = field(compare=False)
    label: str = field(compare=False, default="")


class Clock:
    """The cluster's simulated clock, in seconds since the cluster was created."""

    def __init__(self) -> None:
        self.now: float = 0.0
        self._heap: list[Timer] = []
        self._seq = 0

    def call_later(self, delay: float, callback: Callable[[], None], label: str = "", priority: int = 0) -> Timer:
        """Run ``callback`` once ``delay`` simulated seconds have passed."""
        if delay < 0:
            raise ValueError(f"delay must be >= 0, got {delay}")
        self._seq += 1
        timer = Timer(self.now + delay, priority, self._seq, callback, label)
        heapq.heappush(self._heap, timer)
        return timer

    def next_due(self, until: float) -> Timer | None:
        """Pop the earliest timer due at or before ``until`` and move time to it."""
        if not self._heap or self._heap[0].time > until:
            return None
        timer = heapq.heappop(self._heap)
        self.now = max(self.now, timer.time)
        return timer

    def due_with(self, timer: Timer) -> Timer | None:
        """Pop the next timer due at the same moment as ``timer``, if there is one."""
        if self._heap and self._heap[0].time == timer.time:
            return heapq.heappop(self._heap)
        return None

    def pending(self) -> list[Timer]:
        """The timers still waiting, earliest first."""
        return sorted(self._heap)
