"""The ``-m`` matches kube-proxy's rules use, and the one with state: ``-m recent``.

Each match is a small frozen dataclass whose ``args()`` prints it the way a
real ``iptables-save`` (v1.8.9) does after the kernel has normalised it
(``k8sedu.netfilter`` interprets the same objects). Most matches look only
at the packet; ``-m statistic`` also draws a random number and ``-m
recent`` reads and writes per-node kernel state, modelled by
``RecentTable``: the lists behind ClientIP session affinity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union


def kernel_probability(p: float) -> float:
    """Return the probability the kernel really applies for ``--probability p``.

    The statistic match keeps a 31-bit integer, ``lround(0x80000000 * p)``,
    and compares it with a random 31-bit number (netfilter ``libxt_statistic.c``).

    Examples
    --------
    >>> kernel_probability(0.3333333333)
    0.33333333348855376
    """
    return math.floor(0x80000000 * p + 0.5) / 0x80000000


def saved_probability(p: float) -> str:
    """Return ``p`` as ``iptables-save`` prints it: the kernel's value with ``%.11f``.

    Examples
    --------
    >>> [saved_probability(p) for p in (0.5, 0.3333333333, 0.2)]
    ['0.50000000000', '0.33333333349', '0.20000000019']
    """
    return f"{kernel_probability(p):.11f}"


_NO_QUOTE = frozenset("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def quote(value: str) -> str:
    """Quote a string argument the way iptables-save does (``xtables_save_string``).

    Only a non-empty run of letters, digits, ``_`` and ``-`` stays bare;
    anything else, including ``/`` and ``:``, is double-quoted.

    Examples
    --------
    >>> quote("plain_word"), quote("ns1/svc1:p80"), quote("a b")
    ('plain_word', '"ns1/svc1:p80"', '"a b"')
    """
    if value and all(c in _NO_QUOTE for c in value):
        return value
    escaped = "".join("\\" + c if c in "\"\\'" else c for c in value)
    return f'"{escaped}"'


@dataclass(frozen=True)
class Comment:
    """``-m comment --comment TEXT``: matches everything; documents the rule."""

    text: str

    def args(self) -> str:
        return f"-m comment --comment {quote(self.text)}"


@dataclass(frozen=True)
class PortMatch:
    """``-m tcp [--dport N]`` (or udp/sctp); the rule also carries ``-p``."""

    protocol: str
    dport: int = 0

    def args(self) -> str:
        return f"-m {self.protocol} --dport {self.dport}" if self.dport else f"-m {self.protocol}"


@dataclass(frozen=True)
class Statistic:
    """``-m statistic --mode random --probability P``: matches with chance P."""

    probability: float

    def args(self) -> str:
        return f"-m statistic --mode random --probability {saved_probability(self.probability)}"


@dataclass(frozen=True)
class AddrType:
    """``-m addrtype [--src-type T] [--dst-type T]``: is the address one of this host's own?

    ``AddrType()`` is ``--dst-type LOCAL`` (the NodePort catch-all);
    ``AddrType(src_type="LOCAL", dst_type="")`` is ``--src-type LOCAL``
    (traffic the node itself sent). iptables-save prints src before dst.
    """

    dst_type: str = "LOCAL"
    src_type: str = ""
    dst_negate: bool = False  # ``! --dst-type LOCAL`` (kindnet's KIND-MASQ-AGENT jump)

    def args(self) -> str:
        src = f" --src-type {self.src_type}" if self.src_type else ""
        bang = " !" if self.dst_negate else ""
        dst = f"{bang} --dst-type {self.dst_type}" if self.dst_type else ""
        return "-m addrtype" + src + dst


@dataclass(frozen=True)
class MarkMatch:
    """``-m mark [!] --mark VALUE/MASK``: ``(packet mark & MASK) == VALUE``."""

    value: int
    mask: int
    negate: bool = False

    def args(self) -> str:
        bang = "! " if self.negate else ""
        return f"-m mark {bang}--mark {self.value:#x}/{self.mask:#x}"


@dataclass(frozen=True)
class Conntrack:
    """``-m conntrack [!] --ctstate S1,S2``: the connection-tracking state is one of them."""

    states: tuple[str, ...]
    negate: bool = False

    def args(self) -> str:
        bang = "! " if self.negate else ""
        return f"-m conntrack {bang}--ctstate {','.join(self.states)}"


@dataclass(frozen=True)
class Recent:
    """``-m recent``: a kernel list of recently seen source addresses (``xt_recent``).

    ``mode="set"`` records the packet's source in list ``name`` (and always
    matches); ``mode="rcheck"`` matches if the source is in the list, and
    with ``seconds`` only if it was recorded less than that many seconds
    ago; ``reap`` also purges older entries. kube-proxy's session affinity
    is built from exactly these two forms. The kernel adds its defaults
    (``--mask 255.255.255.255 --rsource``) and iptables-save prints them.

    Examples
    --------
    >>> Recent("KUBE-SEP-Y", "rcheck", seconds=10800, reap=True).args()
    '-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-Y --mask 255.255.255.255 --rsource'
    >>> Recent("KUBE-SEP-Y", "set").args()
    '-m recent --set --name KUBE-SEP-Y --mask 255.255.255.255 --rsource'
    """

    name: str
    mode: str = "rcheck"
    seconds: int = 0
    reap: bool = False

    def __post_init__(self):
        if self.mode not in ("set", "rcheck"):
            raise ValueError(f"recent: mode {self.mode!r} is not modelled (use 'set' or 'rcheck')")

    def args(self) -> str:
        parts = ["-m recent", f"--{self.mode}"]
        if self.seconds:
            parts.append(f"--seconds {self.seconds}")
        if self.reap:
            parts.append("--reap")
        parts.append(f"--name {self.name} --mask 255.255.255.255 --rsource")
        return " ".join(parts)


@dataclass(frozen=True)
class Multiport:
    """``-m multiport --dports P1,P2``: the destination port is one of these (at most 15).

    The CNI portmap plugin jumps to a pod's ``CNI-DN-`` chain with one; it
    writes ``--destination-ports``, which iptables-save prints as ``--dports``.

    Examples
    --------
    >>> Multiport((80, 443)).args()
    '-m multiport --dports 80,443'
    """

    dports: tuple[int, ...]

    def args(self) -> str:
        return "-m multiport --dports " + ",".join(str(p) for p in self.dports)


Match = Union[Comment, PortMatch, Statistic, AddrType, MarkMatch, Conntrack, Recent, Multiport]


class RecentTable:
    """The kernel's ``xt_recent`` lists on one node: ``(list name, source IP) -> last time set``.

    Unlike rules, this is *state*: ``--set`` writes it while packets flow,
    and it outlives every sync (kube-proxy rewrites rules, never these
    lists). Times are simulated seconds, passed in by the caller.

    Examples
    --------
    >>> recent = RecentTable()
    >>> recent.set("KUBE-SEP-Y", "10.244.1.5", now=100.0)
    >>> recent.check("KUBE-SEP-Y", "10.244.1.5", now=150.0, seconds=60)
    True
    >>> recent.check("KUBE-SEP-Y", "10.244.1.5", now=160.0, seconds=60)
    False
    >>> recent.check("KUBE-SEP-Y", "10.244.9.9", now=150.0)
    False
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}

    def set(self, name: str, source: str, now: float) -> None:
        """Record ``source`` in list ``name`` at time ``now`` (``--set``)."""
        self._seen[(name, source)] = now

    def check(self, name: str, source: str, now: float, seconds: int = 0, reap: bool = False) -> bool:
        """Return True if ``source`` is in list ``name``, seen less than ``seconds`` ago if given.

        The kernel's test is ``time_after(stamp, now - seconds)``: strictly
        within the window. ``reap`` deletes the entry once it is too old.
        """
        last = self._seen.get((name, source))
        if last is None:
            return False
        if seconds and now - last >= seconds:
            if reap:
                del self._seen[(name, source)]
            return False
        return True

    def copy(self) -> "RecentTable":
        """Return an independent copy (a walk that must leave the kernel's lists alone writes into one)."""
        twin = RecentTable()
        twin._seen = dict(self._seen)
        return twin

    def entries(self) -> list[tuple[str, str, float]]:
        """Return every ``(list name, source, last seen)``, sorted."""
        return sorted((name, src, t) for (name, src), t in self._seen.items())

    def __len__(self) -> int:
        return len(self._seen)


