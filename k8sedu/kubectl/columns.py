"""What one ``kubectl get`` table is made of: a ``Printer`` (its columns and a row function), ``Options``, and cells.

A ``Printer`` is one row of ``printers.PRINTERS``: like the server's
``TableColumnDefinition``s it lists every column in order, and names the ones
only ``-o wide`` shows (``Priority: 1``), wherever they sit (``kubectl get
events -o wide`` puts some in the middle). The cell helpers here are the ones
several kinds share: label lists, selectors, `` + N more...`` and the
load-balancer addresses of a Service's EXTERNAL-IP or an Ingress's ADDRESS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

NONE = "<none>"
LOAD_BALANCER_WIDTH = 16  # printers.go: longer EXTERNAL-IP / ADDRESS cells are cut without -o wide
MAX_LISTED = 3  # endpoints, slices, ports: the first three, then " + N more..."


@dataclass(frozen=True)
class Options:
    """What changes a cell: the clock (for AGE) and ``-o wide``."""

    now: float
    wide: bool = False


@dataclass(frozen=True)
class Printer:
    """The columns of one kind (all of them, in ``-o wide`` order) and the function that fills a row."""

    columns: tuple[str, ...]
    row: Callable[[Any, Options], list[str]]
    wide_only: tuple[str, ...] = ()  # the columns only -o wide shows

    def header(self, opts: Options) -> list[str]:
        return [c for c in self.columns if opts.wide or c not in self.wide_only]


def format_labels(labels: Mapping[str, str]) -> str:
    """``k=v,k2=v2`` sorted by key, or ``<none>`` (apimachinery ``labels.FormatLabels``)."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or NONE


def selector_string(labels: Mapping[str, str]) -> str:
    """A matchLabels selector as ``selector.String()`` prints it (empty when empty)."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def more(items: Sequence[str], total: int) -> str:
    """Join the first three items; mention how many more there were."""
    text = ",".join(items[:MAX_LISTED])
    return f"{text} + {total - MAX_LISTED} more..." if total > MAX_LISTED else text


def load_balancer_cell(ingress: Sequence[Any], wide: bool) -> str:
    """The IPs or hostnames of a load balancer status, sorted and unique; cut to 16 characters without -o wide.

    Examples
    --------
    >>> from k8sedu.objects import LoadBalancerIngress as I
    >>> load_balancer_cell((I(ip="203.0.113.10"), I(ip="198.51.100.7")), wide=False)
    '198.51.100.7,...'
    >>> load_balancer_cell((I(hostname="a1b2c3d4e5f6-123.us-east-1.elb.amazonaws.com"),), wide=True)
    'a1b2c3d4e5f6-123.us-east-1.elb.amazonaws.com'
    """
    text = ",".join(sorted({i.ip or i.hostname for i in ingress if i.ip or i.hostname}))
    if not wide and len(text) > LOAD_BALANCER_WIDTH:
        text = text[:LOAD_BALANCER_WIDTH - 3] + "..."
    return text


def address_cell(status: Any, wide: bool) -> str:
    """An Ingress's ADDRESS (``ingressLoadBalancerStatusStringer``): empty until a controller writes one.

    Examples
    --------
    >>> from k8sedu.objects import IngressLoadBalancerStatus as S, IngressLoadBalancerIngress as I
    >>> address_cell(S(), wide=False)
    ''
    >>> address_cell(S((I(hostname="a1b2c3d4e5f6-123.us-east-1.elb.amazonaws.com"),)), wide=False)
    'a1b2c3d4e5f6-...'
    """
    return load_balancer_cell(status.ingress, wide)
