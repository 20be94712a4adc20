"""Attendee passes: several per A4 or Letter page, each with a name and a vector QR."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from printables.document import PAGE_SIZES, new_canvas
from printables.fonts import clipped, fit_font_size, fonts
from printables.qr import draw_qr

COLUMNS, ROWS = 2, 4
MARGIN = 12 * mm
PADDING = 4 * mm
QR_SIZE = 42 * mm  # module ~0.86 mm for a version 6 code: easy for any desk scanner
HINT = "Show this code at the check-in desk."


@dataclass(frozen=True)
class PassCard:
    """One pass: the printed name and the signed token its QR carries (no personal data)."""

    name: str
    token: str
    ticket: str | None = None


@dataclass(frozen=True)
class PassSheet:
    """What every pass of the event shares."""

    event_name: str
    when: str
    venue: str
    page_size: str = "A4"


def passes_per_page() -> int:
    return COLUMNS * ROWS


def _cut_lines(canvas: Canvas, width: float, height: float, cell_w: float, cell_h: float) -> None:
    canvas.saveState()
    canvas.setStrokeColorRGB(0.75, 0.75, 0.75)
    canvas.setLineWidth(0.4)
    canvas.setDash(3, 3)
    for column in range(COLUMNS + 1):
        x = MARGIN + column * cell_w
        canvas.line(x, MARGIN, x, height - MARGIN)
    for row in range(ROWS + 1):
        y = MARGIN + row * cell_h
        canvas.line(MARGIN, y, width - MARGIN, y)
    canvas.restoreState()


def _draw_name(canvas: Canvas, name: str, x: float, top: float, width: float) -> None:
    bold = fonts().bold
    size = 15.0
    lines = simpleSplit(name, bold, size, width)
    if len(lines) > 2:
        # Very long names: two lines, shrunk until each fits; what is left over ends in "…".
        wider = simpleSplit(name, bold, size, width * len(lines) / 2) or [name]
        lines = wider[:2] if len(wider) <= 2 else [wider[0], " ".join(wider[1:])]
    size = min(fit_font_size(line, bold, width, size) for line in lines)
    lines = [clipped(line, bold, size, width) for line in lines]  # never over the QR beside it
    canvas.setFont(bold, size)
    for number, line in enumerate(lines):
        canvas.drawString(x, top - size * (1.15 * number + 1), line)


def _draw_pass(canvas: Canvas, sheet: PassSheet, card: PassCard, x: float, y: float, w: float, h: float) -> None:
    f = fonts()
    qr_x = x + w - PADDING - QR_SIZE
    draw_qr(canvas, card.token, qr_x, y + (h - QR_SIZE) / 2, QR_SIZE)
    text_x = x + PADDING
    text_w = qr_x - text_x - 2 * mm
    top = y + h - PADDING
    canvas.setFillColorRGB(0.25, 0.25, 0.25)
    event_size = fit_font_size(sheet.event_name, f.bold, text_w, 9)
    canvas.setFont(f.bold, event_size)
    canvas.drawString(text_x, top - 9, clipped(sheet.event_name, f.bold, event_size, text_w))
    canvas.setFont(f.regular, 7)
    for number, line in enumerate(simpleSplit(f"{sheet.when}. {sheet.venue}", f.regular, 7, text_w)[:3]):
        canvas.drawString(text_x, top - 20 - 8.5 * number, line)
    canvas.setFillColorRGB(0, 0, 0)
    _draw_name(canvas, card.name, text_x, y + h * 0.55, text_w)
    canvas.setFont(f.regular, 8)
    if card.ticket:
        canvas.drawString(text_x, y + PADDING + 12, fit_ticket(card.ticket, f.regular, text_w))
    canvas.setFillColorRGB(0.35, 0.35, 0.35)
    canvas.setFont(f.regular, fit_font_size(HINT, f.regular, text_w, 6.5, 4))
    canvas.drawString(text_x, y + PADDING, HINT)


def fit_ticket(text: str, font: str, width: float) -> str:
    return clipped(simpleSplit(text, font, 8, width)[0], font, 8, width) if text else ""  # (one word too long)


def render_passes(sheet: PassSheet, cards: list[PassCard], out: str | Path | BinaryIO) -> int:
    """Write the passes as a PDF to `out`; returns the number of pages."""
    width, height = PAGE_SIZES[sheet.page_size]
    canvas = new_canvas(out, (width, height), title=f"Passes: {sheet.event_name}")
    cell_w = (width - 2 * MARGIN) / COLUMNS
    cell_h = (height - 2 * MARGIN) / ROWS
    per_page = passes_per_page()
    pages = max(1, -(-len(cards) // per_page))
    for page in range(pages):
        chunk = cards[page * per_page:(page + 1) * per_page]
        _cut_lines(canvas, width, height, cell_w, cell_h)
        for index, card in enumerate(chunk):
            column, row = index % COLUMNS, index // COLUMNS
            cell_x = MARGIN + column * cell_w
            cell_y = height - MARGIN - (row + 1) * cell_h
            _draw_pass(canvas, sheet, card, cell_x, cell_y, cell_w, cell_h)
        canvas.showPage()
    canvas.save()
    return pages
