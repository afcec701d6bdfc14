"""The AGE column: apimachinery's ``duration.HumanDuration``, ported.

kubectl never prints a timestamp in a table; it prints how long ago it was,
with two or three significant figures: ``45s``, ``3m20s``, ``47m``, ``5h12m``,
``3d4h``, ``400d``. The thresholds grow with the age, so a fresh pod shows
seconds and a year-old node shows days. This is
``k8s.io/apimachinery/pkg/util/duration/duration.go`` line for line; the model's
clock gives simulated seconds instead of a Go ``time.Duration``.
"""

from __future__ import annotations

import math
from typing import Optional

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def human_duration(seconds: float) -> str:
    """Return ``seconds`` as kubectl's AGE column shows it.

    Integer divisions truncate, as Go's do: 119.9 seconds is still ``119s``.

    Examples
    --------
    >>> [human_duration(s) for s in (0, 59, 119, 120, 599, 600, 10799)]
    ['0s', '59s', '119s', '2m', '9m59s', '10m', '179m']
    >>> [human_duration(s) for s in (3 * HOUR, 5 * HOUR + 12 * MINUTE, 8 * HOUR, 47 * HOUR)]
    ['3h', '5h12m', '8h', '47h']
    >>> [human_duration(s) for s in (2 * DAY, 3 * DAY + 4 * HOUR, 8 * DAY, 730 * DAY, 800 * DAY, 9 * 365 * DAY)]
    ['2d', '3d4h', '8d', '2y', '2y70d', '9y']
    >>> human_duration(-1.5), human_duration(-2)
    ('0s', '<invalid>')
    """
    whole = math.trunc(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 2 * MINUTE:
        return f"{whole}s"
    minutes = whole // MINUTE
    if minutes < 10:
        s = whole % MINUTE
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 3 * 60:
        return f"{minutes}m"
    hours = whole // HOUR
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def age(created: Optional[float], now: float) -> str:
    """Return the AGE cell for an object created at ``created`` (``<unknown>`` if unset).

    This is the printers' ``translateTimestampSince``.

    Examples
    --------
    >>> age(30.0, 300.0), age(None, 300.0)
    ('4m30s', '<unknown>')
    """
    if created is None:
        return "<unknown>"
    return human_duration(now - created)
