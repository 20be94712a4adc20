"""Small-cell suppression of one table with its totals: the form every per-practitioner count passes through.

Counts from 1 to `threshold - 1` are shown as "<11" (for the default threshold of 11).
Because totals are shown too, a hidden cell could be worked out by subtraction (or from
"<11" meaning at least 1), so other cells are hidden as well (complementary suppression),
shown as "*". Zeros are shown: hiding them protects no one and hides real gaps. Reports
with many linked tables use `disclosure.suppress_report` directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fieldkit.metrics.disclosure import DEFAULT_THRESHOLD, rectangle, suppress_report

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

    A one-dimensional breakdown is a table with one row: `suppress([counts]).row`. The
    hiding is the report's (`fieldkit/metrics/disclosure.py`): no hidden cell can be had
    from the totals, from the other cells, or from what each label says of it.
    """
    values = [[int(v) for v in row] for row in rows]
    if any(v < 0 for row in values for v in row):
        raise ValueError("Counts cannot be negative.")
    width = max((len(r) for r in values), default=0)
    if any(len(r) != width for r in values):
        raise ValueError("Every row needs the same number of counts.")
    height = len(values)
    if not height or not width:
        return SuppressedTable(tuple(() for _ in values), ("0",) * height, ("0",) * width, "0")
    figures = {("cell", r, c): rectangle([r], [c], width) for r in range(height) for c in range(width)}
    figures |= {("row", r): rectangle([r], range(width), width) for r in range(height)}
    figures |= {("column", c): rectangle(range(height), [c], width) for c in range(width)}
    figures[("total",)] = rectangle(range(height), range(width), width)
    shown = suppress_report(values, figures, threshold=threshold)

    def label(key: tuple) -> str:
        return COMPLEMENT if shown[key].status == "complement" else shown[key].label

    return SuppressedTable(
        cells=tuple(tuple(label(("cell", r, c)) for c in range(width)) for r in range(height)),
        row_totals=tuple(label(("row", r)) for r in range(height)),
        column_totals=tuple(label(("column", c)) for c in range(width)),
        total=label(("total",)),
    )


def suppress_count(count: int, *, threshold: int = DEFAULT_THRESHOLD) -> str:
    """One count on its own (no totals beside it to subtract from)."""
    return small_label(threshold) if 0 < count < threshold else str(count)
