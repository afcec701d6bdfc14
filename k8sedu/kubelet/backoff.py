"""The kubelet's back-off: client-go ``util/flowcontrol.Backoff`` as the kubelet configures it.

The kubelet keeps two: one for image pulls (key ``<pod uid>_<image>``) and one
for container restarts (key ``<pod>_<namespace>_<uid>_<container>``), both
``NewBackOff(10s, 300s)`` (k/k ``pkg/kubelet/kubelet.go``: ``backOffPeriod``,
``MaxContainerBackOff``). Each failure doubles the wait, up to 5 minutes; an
entry not updated for twice the maximum (10 minutes) starts again at 10 s.
"""

from __future__ import annotations

INITIAL_SECONDS = 10.0
MAX_SECONDS = 300.0


class Backoff:
    """Per-key exponential back-off on simulated time.

    Examples
    --------
    >>> b = Backoff()
    >>> [b.next("k", t) for t in (0, 1, 2, 3, 4, 5, 6)]
    [10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]
    >>> b.next("k", 6 + 601)  # quiet for more than 10 minutes: back to the start
    10.0
    """

    def __init__(self, initial: float = INITIAL_SECONDS, maximum: float = MAX_SECONDS):
        self.initial = initial
        self.maximum = maximum
        self._entries: dict[str, tuple[float, float]] = {}  # key -> (current back-off, last update)

    def _expired(self, key: str, now: float) -> bool:
        return now - self._entries[key][1] > 2 * self.maximum

    def next(self, key: str, now: float) -> float:
        """Record a failure at ``now`` and return the back-off that now applies (``Backoff.Next``)."""
        if key not in self._entries or self._expired(key, now):
            duration = self.initial
        else:
            duration = min(2 * self._entries[key][0], self.maximum)
        self._entries[key] = (duration, now)
        return duration

    def wait(self, key: str, since: float, now: float) -> float:
        """Seconds still to wait after an event at ``since`` (``IsInBackOffSince``); 0 when free."""
        if key not in self._entries or self._expired(key, since):
            return 0.0
        return max(0.0, self._entries[key][0] - (now - since))

    def wait_since_update(self, key: str, now: float) -> float:
        """Seconds still to wait after the last recorded failure (``IsInBackOffSinceUpdate``)."""
        if key not in self._entries:
            return 0.0
        return self.wait(key, self._entries[key][1], now)

    def current(self, key: str) -> float:
        """The back-off now recorded for ``key`` (0 if none)."""
        return self._entries.get(key, (0.0, 0.0))[0]
