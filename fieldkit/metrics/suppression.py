"""Small-cell suppression: the one function every count shown or exported passes through.

Counts from 1 to `threshold - 1` are shown as "<11" (for the default threshold of 11).
Because totals are shown too, a single hidden cell in a row or column could be worked
out by subtraction, so a second cell is hidden as well (complementary suppression),
shown as "*". Zeros are shown: hiding them protects no one and hides real gaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLD = 11
COMPLEMENT = "*"


def small_label(threshold: int = DEFAULT_THRESHOLD) -> str:
    return f"<{threshold}"


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts as it may be shown: each cell is a number as text, "<11" or "*"."""

    cells: tuple[tuple[str, ...], ...]
    row_totals: tuple[str, ...]
    column_totals: tuple[str, ...]
    total: str

    @property
    def row(self) -> tuple[str, ...]:
        """The cells of a one-row table (the common case: one breakdown with its total)."""
        return self.cells[0]


def suppress(rows: Sequence[Sequence[int]], *, threshold: int = DEFAULT_THRESHOLD) -> SuppressedTable:
    """Suppress small counts in a table whose row, column and grand totals are all shown.

    A one-dimensional breakdown is a table with one row: `suppress([counts]).row`.
    """
    values = [[int(v) for v in row] for row in rows]
    if any(v < 0 for row in values for v in row):
        raise ValueError("Counts cannot be negative.")
    width = max((len(r) for r in values), default=0)
    if any(len(r) != width for r in values):
        raise ValueError("Every row needs the same number of counts.")
    height = len(values)

    # The table grown by one column of row totals and one row of column totals;
    # every line (row or column) of it then sums to its last entry.
    grid = [row + [sum(row)] for row in values]
    grid.append([sum(values[r][c] for r in range(height)) for c in range(width)] + [sum(map(sum, values))])
    hidden = [[0 < v < threshold for v in row] for row in grid]
    complement = [[False] * (width + 1) for _ in grid]

    lines = [[(r, c) for c in range(width + 1)] for r in range(height + 1)]
    lines += [[(r, c) for r in range(height + 1)] for c in range(width + 1)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(hidden[r][c] for r, c in line) != 1:
                continue
            # Exactly one hidden entry: it equals the line's total minus the rest, so hide
            # the smallest other non-zero entry too (an entry that is 0 would reveal nothing).
            candidates = [(grid[r][c], r, c) for r, c in line if not hidden[r][c] and grid[r][c] > 0]
            if not candidates:
                continue
            _, r, c = min(candidates)
            hidden[r][c] = complement[r][c] = True
            changed = True

    def show(r: int, c: int) -> str:
        if not hidden[r][c]:
            return str(grid[r][c])
        return COMPLEMENT if complement[r][c] else small_label(threshold)

    return SuppressedTable(
        cells=tuple(tuple(show(r, c) for c in range(width)) for r in range(height)),
        row_totals=tuple(show(r, width) for r in range(height)),
        column_totals=tuple(show(height, c) for c in range(width)),
        total=show(height, width),
    )


def suppress_count(count: int, *, threshold: int = DEFAULT_THRESHOLD) -> str:
    """One count on its own (no totals beside it to subtract from)."""
    return small_label(threshold) if 0 < count < threshold else str(count)
