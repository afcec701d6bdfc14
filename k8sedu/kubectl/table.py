"""Column layout: Go's ``text/tabwriter`` as kubectl configures it.

kubectl writes each table row as cells separated by tabs and lets
``text/tabwriter`` align them (cli-runtime ``pkg/printers/tabwriter.go``:
``minwidth 6, tabwidth 4, padding 3``, pad with spaces). A column is as wide
as its widest cell plus 3 spaces, and never narrower than 6. The last cell of
a line ends the line rather than a column, so it is not padded: kubectl output
has no trailing spaces unless the last cell is empty.
"""

from __future__ import annotations

from typing import Sequence

MIN_WIDTH = 6
PADDING = 3


def tabulate(rows: Sequence[Sequence[str]]) -> list[str]:
    """Align ``rows`` of cells into lines, as kubectl's tabwriter does.

    Every row must have the same number of cells (a kubectl table always does).

    Examples
    --------
    >>> for line in tabulate([["NAME", "READY", "AGE"], ["web-1", "1/1", "5s"], ["a", "0/1", "119s"]]):
    ...     print(repr(line))
    'NAME    READY   AGE'
    'web-1   1/1     5s'
    'a       0/1     119s'

    A short column is still 6 wide (3 of text, 3 of padding):

    >>> tabulate([["A", "B"], ["x", "y"]])
    ['A     B', 'x     y']
    """
    if not rows:
        return []
    columns = len(rows[0])
    if any(len(row) != columns for row in rows):
        raise ValueError("every row of a table needs the same number of cells")
    widths = [max(MIN_WIDTH, max(len(row[i]) for row in rows) + PADDING) for i in range(columns - 1)]
    return ["".join(cell.ljust(width) for cell, width in zip(row, widths)) + row[-1] for row in rows]
