"""Charts drawn with text for the terminal: columns, bars and a small curve, each with its numbers."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static

from fieldkit.metrics.charts import Bar, Curve

EIGHTHS = " ▁▂▃▄▅▆▇█"
WITHHELD = "·"  # a hidden value: no bar, so the chart says no more than the tables
MARKS = {"all": "●", "community": "c", "directory": "d"}


def columns(bars: Sequence[Bar], height: int) -> list[str]:
    """One column per bar, `height` rows of block characters; hidden bars a dot on the floor."""
    top = max((b.value for b in bars if b.value is not None), default=0) or 1
    rows = []
    for row in range(height, 0, -1):
        line = ""
        for bar in bars:
            if bar.value is None:
                line += WITHHELD if row == 1 else " "
                continue
            filled = bar.value / top * height - (row - 1)
            line += EIGHTHS[max(0, min(8, round(filled * 8)))]
        rows.append(line)
    return rows


def bars(items: Sequence[Bar], width: int) -> list[str]:
    """One line per bar: its label, the bar, and its number or label."""
    label_width = max((len(b.label) for b in items), default=0)
    top = max((b.value for b in items if b.value is not None), default=0) or 1
    room = max(4, width - label_width - 8)
    lines = []
    for bar in items:
        drawn = WITHHELD if bar.value is None else "█" * max(1 if bar.value else 0, round(bar.value / top * room))
        lines.append(f"{bar.label:<{label_width}} {drawn} {bar.text}")
    return lines


def curve(curves: Sequence[Curve], width: int, height: int, last_day: int = 90) -> list[str]:
    """Share (0 to 100%, bottom to top) against days after issue: each series a step line of
    its own mark through the days the report gives."""
    grid = [[" "] * width for _ in range(height)]
    for series in sorted(curves, key=lambda c: c.name == "all"):  # "all" drawn last, on top
        mark = MARKS.get(series.name, "+")
        points = [(0, 0.0), *series.points]
        for x in range(width):
            day = x * last_day / (width - 1)
            known = [share for d, share in points if d <= day]
            if not known or day > points[-1][0]:
                continue
            y = min(height - 1, round(known[-1] * (height - 1)))
            grid[height - 1 - y][x] = mark
    axis = ["100%" if i == 0 else " 50%" if i == height // 2 else "  0%" if i == height - 1 else "    " for i in range(height)]
    ruler = ["─"] * width
    free = 0  # the first column a label may start at: labels never touch ("0─714" read as 714)
    for day in (0, 7, 14, 30, 90):  # the days the report gives, written on the axis
        at = min(width - len(str(day)), round(day * (width - 1) / last_day))
        if at >= free:
            ruler[at:at + len(str(day))] = str(day)
            free = at + len(str(day)) + 1
    return [f"{axis[i]}│{''.join(row)}" for i, row in enumerate(grid)] + [f"    └{''.join(ruler)} days"]


class ChartPanel(Static):
    """A titled panel: a chart and, under it, what it says in words."""

    def show(self, lines: list[str], words: str, *, gap: bool = True) -> None:
        self.update("\n".join([*lines, *([""] if gap else []), words]))
