"""What one ``kubectl get`` table is made of: a ``Printer`` (its columns and a row function) and ``Options``.

Kept apart from ``printers`` so that modules adding printers for more kinds
(``ingress_print``) can build on these without importing the table of all
kinds they are merged into.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Options:
    """What changes a cell: the clock (for AGE) and ``-o wide``."""

    now: float
    wide: bool = False


@dataclass(frozen=True)
class Printer:
    columns: tuple[str, ...]
    wide_columns: tuple[str, ...]
    row: Callable[[Any, Options], list[str]]
    wide_header: tuple[str, ...] = ()  # when -o wide puts columns in the middle (events), the whole header
