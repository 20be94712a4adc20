"""Referral cards: 85 x 55 mm business cards, ten to an A4 or Letter sheet with crop marks,
one card to a page (a card printer), or one per 62 mm label. Each carries a vector QR
of its signed code and the short code.

A card carries no personal detail and no need: the practitioner, how to book, the event
and the codes. No text is drawn over a code or its quiet zone. What every card of a
batch shares is drawn once per batch as a PDF form and reused, so a thousand cards
cost little more than their QR codes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from printables.document import PAGE_SIZES, new_canvas
from printables.fonts import fit_font_size, fonts
from printables.qr import draw_qr

CARD_W, CARD_H = 85 * mm, 55 * mm
COLUMNS, ROWS = 2, 5
LABEL_W, LABEL_H = 62 * mm, 100 * mm
PADDING = 4 * mm
CARD_QR = 36 * mm  # a version 6 code at ~0.73 mm a module: easy for phones and desk scanners
LABEL_QR = 46 * mm
MARK_LENGTH = 6 * mm
MARK_GAP = 1.5 * mm
SHEET, CARD, LABEL = "sheet", "card", "label"
LAYOUTS = (SHEET, CARD, LABEL)  # ten cards to a sheet, one card to a page, one card to a label


@dataclass(frozen=True)
class ReferralCard:
    """One card: its signed code (the QR), the short code to type, and whom it refers to."""

    token: str
    short_code: str  # as displayed, e.g. 7K3M-9QPA-X
    practitioner: str | None = None  # None on a blank card: filled in by hand
    how_to_book: str | None = None


@dataclass(frozen=True)
class CardBatch:
    """What every card of a print run shares."""

    heading: str
    text: str
    event: str  # the event's name and date, as printed
    page_size: str = "A4"  # of a sheet; a card or label page is the card's own size
    layout: str = SHEET


Progress = Callable[[int, int], None]
# (canvas, text, x, y, size): how a code is drawn; benchmarks swap in other ways to compare.
QrDrawer = Callable[[Canvas, str, float, float, float], object]


def cards_per_page(batch: CardBatch) -> int:
    return COLUMNS * ROWS if batch.layout == SHEET else 1


def _clipped(line: str, font: str, size: float, width: float) -> str:
    """`line` cut short with an ellipsis until it fits `width` (a word too long to wrap)."""
    while line and stringWidth(line, font, size) > width:
        line = line[:-2] + "…"
    return line


def _lines(text: str, font: str, size: float, width: float, most: int) -> list[str]:
    """`text` wrapped to at most `most` lines, each within `width`: nothing runs into the code."""
    lines = simpleSplit(text, font, size, width)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1].rstrip()[:-1] + "…"
    return [_clipped(line, font, size, width) for line in lines]


def _fitted(text: str, font: str, width: float, largest: float, smallest: float, most: int) -> tuple[float, list[str]]:
    """The size (shrunk down to `smallest`) and lines in which `text` fits `width`: on one
    line, the whole text must fit; on several, its longest word (an email address)."""
    widest = text if most == 1 else max(text.split() or [""], key=lambda word: stringWidth(word, font, largest))
    size = fit_font_size(widest, font, width * 0.98, largest, smallest)  # a little slack for rounding
    return size, _lines(text, font, size, width, most)


class _Layout:
    """Where things go on a card (landscape) or a label (portrait), in points from its corner.

    A card has its text to the left of the code and the small print below it; a label has
    the code on top and everything else below it, the small print at the label's foot.
    """

    def __init__(self, batch: CardBatch):
        if batch.layout not in LAYOUTS:
            raise ValueError(f"{batch.layout!r} is not a card layout: use one of {', '.join(LAYOUTS)}.")
        self.label = batch.layout == LABEL
        if self.label:
            self.w, self.h, self.qr = LABEL_W, LABEL_H, LABEL_QR
            self.qr_x = (self.w - self.qr) / 2
            self.qr_y = self.h - PADDING - self.qr
            self.text_x, self.text_w = PADDING, self.w - 2 * PADDING
            self.code_y = self.qr_y - 3 * mm - 11  # the short code's baseline, under the code
            self.text_top = self.code_y - 4 * mm
            self.small_print_y, self.small_print_w = PADDING, self.text_w
        else:
            self.w, self.h, self.qr = CARD_W, CARD_H, CARD_QR
            self.qr_x = self.w - PADDING / 2 - self.qr
            self.qr_y = self.h - PADDING / 2 - self.qr
            self.text_x = PADDING
            self.text_w = self.qr_x - self.text_x - 1 * mm
            self.code_y = PADDING + 1 * mm
            self.text_top = self.h - PADDING
            self.small_print_y, self.small_print_w = self.code_y + 12, self.qr_x + self.qr - self.text_x


def _shared_form(canvas: Canvas, batch: CardBatch, layout: _Layout, blank: bool) -> str:
    """Draw what every card of the batch shares once, as a form to reuse."""
    f = fonts()
    name = f"card-{'blank' if blank else 'referral'}"
    canvas.beginForm(name, lowerx=0, lowery=0, upperx=layout.w, uppery=layout.h)
    x, w = layout.text_x, layout.text_w
    top = layout.text_top
    canvas.setFillColorRGB(0, 0, 0)
    size, [heading] = _fitted(batch.heading, f.bold, w, 11, 8, 1)
    canvas.setFont(f.bold, size)
    canvas.drawString(x, top - 10, heading)
    if blank:
        # Filled in by hand: whom to see and how to book, never what for.
        canvas.setFont(f.regular, 7)
        for i, label in enumerate(("Practitioner", "How to book", "")):
            canvas.drawString(x, top - 26 - 13 * i, f"{label}{':' if label else ''}")
            canvas.line(x + (0 if not label else canvas.stringWidth(label + ": ", f.regular, 7)), top - 27 - 13 * i, x + w, top - 27 - 13 * i)
    canvas.setFillColorRGB(0.3, 0.3, 0.3)
    canvas.setFont(f.regular, 5.5)
    text_lines = _lines(batch.text, f.regular, 5.5, layout.small_print_w, 3)
    event_lines = _lines(batch.event, f.bold, 6, w, 2)
    y = layout.small_print_y
    for line in reversed(text_lines):
        canvas.drawString(x, y, line)
        y += 6.5
    canvas.setFont(f.bold, 6)
    for line in reversed(event_lines):
        canvas.drawString(x, y, line)
        y += 7
    canvas.endForm()
    return name


def _draw_details(canvas: Canvas, card: ReferralCard, layout: _Layout) -> None:
    f = fonts()
    x, w, top = layout.text_x, layout.text_w, layout.text_top - 24
    canvas.setFillColorRGB(0, 0, 0)
    if card.practitioner:
        size, lines = _fitted(card.practitioner, f.bold, w, 9.5, 7.5, 2)
        canvas.setFont(f.bold, size)
        for line in lines:
            canvas.drawString(x, top, line)
            top -= size + 1.5
    if card.how_to_book:
        size, lines = _fitted(card.how_to_book, f.regular, w, 7, 5.5, 3)
        canvas.setFont(f.regular, size)
        for line in lines:
            canvas.drawString(x, top, line)
            top -= size + 1.5


def _draw_card(
    canvas: Canvas, card: ReferralCard, form: str, layout: _Layout, x: float, y: float, qr_drawer: QrDrawer
) -> None:
    f = fonts()
    canvas.saveState()
    canvas.translate(x, y)
    canvas.doForm(form)
    qr_drawer(canvas, card.token, layout.qr_x, layout.qr_y, layout.qr)
    if card.practitioner or card.how_to_book:
        _draw_details(canvas, card, layout)
    canvas.setFillColorRGB(0, 0, 0)
    size = 11 if layout.label else 9.5
    canvas.setFont(f.bold, size)
    if layout.label:
        canvas.drawCentredString(layout.w / 2, layout.code_y, card.short_code)
    else:
        canvas.drawCentredString(layout.qr_x + layout.qr / 2, layout.code_y, card.short_code)
    canvas.restoreState()


def _crop_marks(canvas: Canvas, page_w: float, page_h: float, left: float, bottom: float) -> None:
    """Short marks outside the grid where each cut goes (cards touch, so one cut serves two)."""
    right, top = left + COLUMNS * CARD_W, bottom + ROWS * CARD_H
    canvas.saveState()
    canvas.setLineWidth(0.3)
    canvas.setStrokeColorRGB(0, 0, 0)
    # Letter leaves only 2.2 mm above and below the grid: the marks shrink to fit.
    gap_y, gap_x = min(MARK_GAP, bottom / 3), min(MARK_GAP, left / 3)
    room_y, room_x = min(MARK_LENGTH, bottom - 2 * gap_y), min(MARK_LENGTH, left - 2 * gap_x)
    for column in range(COLUMNS + 1):
        cx = left + column * CARD_W
        canvas.line(cx, top + gap_y, cx, top + gap_y + room_y)
        canvas.line(cx, bottom - gap_y, cx, bottom - gap_y - room_y)
    for row in range(ROWS + 1):
        cy = bottom + row * CARD_H
        canvas.line(left - gap_x, cy, left - gap_x - room_x, cy)
        canvas.line(right + gap_x, cy, right + gap_x + room_x, cy)
    canvas.restoreState()


def render_cards(
    batch: CardBatch,
    cards: Sequence[ReferralCard],
    out: str | Path | BinaryIO,
    *,
    progress: Progress | None = None,
    qr_drawer: QrDrawer = draw_qr,
) -> int:
    """Write the cards as a PDF to `out`; returns the number of pages."""
    if not cards:
        raise ValueError("There are no cards to print.")
    layout = _Layout(batch)
    page_w, page_h = PAGE_SIZES[batch.page_size] if batch.layout == SHEET else (layout.w, layout.h)
    # Uncompressed: zlib at its default level would take a fifth of the 1 s budget for
    # 1,000 cards; the file is about 5 KB a card, which any printer takes.
    canvas = new_canvas(out, (page_w, page_h), title=f"Referral cards: {batch.event}", compress=False)
    forms = {}
    per_page = cards_per_page(batch)
    left = (page_w - COLUMNS * CARD_W) / 2
    bottom = (page_h - ROWS * CARD_H) / 2
    pages = -(-len(cards) // per_page)
    for page in range(pages):
        chunk = cards[page * per_page : (page + 1) * per_page]
        if batch.layout == SHEET:
            _crop_marks(canvas, page_w, page_h, left, bottom)
        for index, card in enumerate(chunk):
            blank = card.practitioner is None
            if blank not in forms:
                forms[blank] = _shared_form(canvas, batch, layout, blank)
            if batch.layout == SHEET:
                x = left + (index % COLUMNS) * CARD_W
                y = bottom + (ROWS - 1 - index // COLUMNS) * CARD_H
            else:
                x = y = 0.0
            _draw_card(canvas, card, forms[blank], layout, x, y, qr_drawer)
        canvas.showPage()
        if progress:
            progress(min(len(cards), (page + 1) * per_page), len(cards))
    canvas.save()
    return pages
