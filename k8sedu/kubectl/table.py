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


def tabwrite(text: str, minwidth: int = 0, padding: int = 2) -> str:
    """Align tab-separated ``text`` as Go's ``text/tabwriter`` does (kubectl describe: minwidth 0, padding 2).

    A column is a run of consecutive lines that all have a tab-terminated cell
    at that position; a line with fewer cells ends the run, so each block of
    ``Label:\\tvalue`` lines is aligned on its own. Text after a line's last
    tab is not part of a column and is never padded.

    Examples
    --------
    >>> print(tabwrite("Name:\\tweb\\nNamespace:\\tdefault\\nPort:\\t<unset>\\t80/TCP\\nEvents:\\n  Type\\tReason\\n"), end="")
    Name:       web
    Namespace:  default
    Port:       <unset>  80/TCP
    Events:
      Type  Reason
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []
    _format(lines, 0, len(lines), [], minwidth, padding, out)
    return "\n".join(out)


def _format(lines: list[list[str]], line0: int, line1: int, widths: list[int], minwidth: int, padding: int,
            out: list[str]) -> None:
    """Go's ``Writer.format``: find each column block, fix its width, recurse to the columns right of it."""
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(lines, line0, this, widths, out)
        line0 = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + padding)
            this += 1
        _format(lines, line0, this, widths + [width], minwidth, padding, out)
        line0 = this
    _write_lines(lines, line0, line1, widths, out)


def _write_lines(lines: list[list[str]], line0: int, line1: int, widths: list[int], out: list[str]) -> None:
    for cells in lines[line0:line1]:
        out.append("".join(cell.ljust(widths[j]) if j < len(widths) and j < len(cells) - 1 else cell
                           for j, cell in enumerate(cells)))
