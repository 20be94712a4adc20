"""The event report for funders as a PDF (A4 or Letter): sentences, charts and tables, from plain data.

Charts are reportlab graphics: arrivals over time, the referral funnel and the time to a
first session. A withheld value is drawn as no bar, with its label ("<11" or "*") where
the bar would be, so a chart never shows more than the tables do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm

from printables.page import LEADING, PageWriter

SERIES = (colors.HexColor("#1b6ca8"), colors.HexColor("#d1495b"), colors.HexColor("#66a182"), colors.HexColor("#edae49"))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: withheld
    text: str  # the value as the tables show it: "412", "<11", "*"


@dataclass(frozen=True)
class Curve:
    name: str
    points: tuple[tuple[float, float], ...]  # (day, share); withheld days left out


@dataclass(frozen=True)
class Table:
    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ReportPages:
    title: str
    subtitle: str
    legend: str
    sentences: tuple[str, ...]
    arrivals_title: str
    arrivals: tuple[Bar, ...]
    funnel: tuple[Bar, ...]
    curves: tuple[Curve, ...]
    tables: tuple[Table, ...]
    footer: str


def _heading(page: PageWriter, text: str, keep: float = 0) -> None:
    """A heading, on the next page if what follows it (`keep` points) would not fit under it."""
    page.need(30 + keep)
    page.y -= 6
    page.paragraph(text, 12, bold=True, gap=4)


def _chart(page: PageWriter, drawing: Drawing) -> None:
    page.need(drawing.height + 6)
    page.y -= drawing.height
    renderPDF.draw(drawing, page.canvas, page.left, page.y)
    page.y -= 6


def _drawing(page: PageWriter, width: float, height: float) -> Drawing:
    """A drawing whose default font is the embedded one: reportlab's, Helvetica, is never embedded."""
    return Drawing(width, height, initialFontName=page.fonts.regular)


def _bars(page: PageWriter, bars: tuple[Bar, ...], *, horizontal: bool, height: float) -> Drawing:
    width = page.text_width
    drawing = _drawing(page, width, height)
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    chart.x, chart.y = (110, 10) if horizontal else (30, 28)
    chart.width, chart.height = width - chart.x - 50, height - chart.y - 10
    values = [b.value or 0 for b in bars]
    chart.data = [values if not horizontal else list(reversed(values))]
    labels = [b.label for b in bars]
    chart.categoryAxis.categoryNames = labels if not horizontal else list(reversed(labels))
    chart.bars[0].fillColor = SERIES[0]
    chart.bars[0].strokeColor = None
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = page.fonts.regular
        axis.labels.fontSize = 7
    if not horizontal and len(bars) > 16:
        chart.categoryAxis.labels.angle = 90
        chart.categoryAxis.labels.dy = -12
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(values + [1]) * 1.15
    chart.barLabelFormat = lambda v: ""
    drawing.add(chart)
    step = (chart.height if horizontal else chart.width) / max(1, len(bars))
    for i, bar in enumerate(bars if not horizontal else list(reversed(bars))):
        value = bar.value or 0
        if horizontal:
            x = chart.x + chart.width * value / chart.valueAxis.valueMax + 4
            y = chart.y + step * (i + 0.5) - 3
            drawing.add(String(x, y, bar.text, fontName=page.fonts.bold, fontSize=8))
        elif len(bars) <= 24 or bar.value is None:
            x = chart.x + step * (i + 0.5)
            y = chart.y + chart.height * value / chart.valueAxis.valueMax + 3
            drawing.add(String(x, y, bar.text, fontName=page.fonts.regular, fontSize=6, textAnchor="middle"))
    return drawing


def _curves(page: PageWriter, curves: tuple[Curve, ...], height: float) -> Drawing:
    width = page.text_width
    drawing = _drawing(page, width, height)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 36, 24, width - 150, height - 34
    shown = [c for c in curves if c.points]
    plot.data = [[(0, 0.0), *c.points] for c in shown] or [[(0, 0.0)]]
    for i, _ in enumerate(shown):
        plot.lines[i].strokeColor = SERIES[i % len(SERIES)]
        plot.lines[i].strokeWidth = 1.6
        plot.lines[i].symbol = makeMarker("FilledCircle", size=3)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, 90
    plot.xValueAxis.valueSteps = [0, 7, 14, 30, 60, 90]
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, 1
    plot.yValueAxis.valueSteps = [0, 0.25, 0.5, 0.75, 1]
    plot.yValueAxis.labelTextFormat = lambda v: f"{v * 100:.0f}%"
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = page.fonts.regular
        axis.labels.fontSize = 7
    drawing.add(plot)
    drawing.add(String(plot.x + plot.width / 2, 4, "days after the referral was issued", fontName=page.fonts.regular, fontSize=7, textAnchor="middle"))
    legend = Legend()
    legend.x, legend.y = plot.x + plot.width + 14, plot.y + plot.height
    legend.fontName, legend.fontSize = page.fonts.regular, 8
    legend.colorNamePairs = [(SERIES[i % len(SERIES)], c.name) for i, c in enumerate(shown)]
    drawing.add(legend)
    return drawing


def _table(page: PageWriter, table: Table, size: float = 7.5) -> None:
    _heading(page, table.title)
    font, bold = page.fonts.regular, page.fonts.bold
    cells = [table.headings, *table.rows]
    widths = [max(page.canvas.stringWidth(row[i], bold if r == 0 else font, size) for r, row in enumerate(cells)) + 8
              for i in range(len(table.headings))]
    scale = min(1.0, page.text_width / sum(widths))
    for r, row in enumerate(cells):
        page.need(size * LEADING + 2)
        page.y -= size * LEADING
        x = page.left
        page.canvas.setFont(bold if r == 0 else font, size * scale)
        for i, cell in enumerate(row):
            if i == 0:
                page.canvas.drawString(x, page.y, cell)
            else:
                page.canvas.drawRightString(x + widths[i] * scale - 4, page.y, cell)
            x += widths[i] * scale
        if r == 0:
            page.canvas.setLineWidth(0.4)
            page.canvas.line(page.left, page.y - 2, page.left + page.text_width, page.y - 2)
    page.y -= 6


def render_report(pages: ReportPages, out: str | Path | BinaryIO, page_size: str) -> int:
    """Draw the report; returns the number of pages."""
    page = PageWriter(out, page_size, title=pages.title, footer=lambda p: p.footer_lines([pages.footer, pages.legend]))
    page.paragraph(pages.title, 18, bold=True, gap=2)
    page.paragraph(pages.subtitle, 10, grey=0.35, gap=8)
    for sentence in pages.sentences:
        page.paragraph(sentence, 10, gap=4)
    if pages.arrivals:
        _heading(page, pages.arrivals_title, keep=62 * mm)
        _chart(page, _bars(page, pages.arrivals, horizontal=False, height=62 * mm))
    _heading(page, "The referral funnel: how far referrals got", keep=48 * mm)
    _chart(page, _bars(page, pages.funnel, horizontal=True, height=48 * mm))
    _heading(page, "Time to a first session: share of referrals with one, by days after issue", keep=62 * mm + 20)
    page.paragraph("Endings (declined, expired) compete; open referrals are censored at the report date (Aalen-Johansen).", 8, grey=0.35)
    _chart(page, _curves(page, pages.curves, 62 * mm))
    for table in pages.tables:
        _table(page, table)
    return page.save()
