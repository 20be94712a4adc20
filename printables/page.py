"""Flowing text down A4/Letter pages: wrapped paragraphs, tick boxes, a footer on every page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit

from printables.document import PAGE_SIZES, new_canvas
from printables.fonts import fonts

MARGIN = 18 * mm
LEADING = 1.25  # line height as a multiple of the font size


class PageWriter:
    """A canvas with a cursor that moves down; starts a new page (with footer) when full."""

    def __init__(
        self,
        out: str | Path | BinaryIO,
        page_size: str,
        *,
        title: str,
        footer: Callable[[PageWriter], float] | None = None,
    ):
        self.width, self.height = PAGE_SIZES[page_size]
        self.canvas = new_canvas(out, (self.width, self.height), title=title)
        self.fonts = fonts()
        self.footer = footer
        self.pages = 0
        self.bottom = MARGIN
        self._start_page()

    @property
    def left(self) -> float:
        return MARGIN

    @property
    def text_width(self) -> float:
        return self.width - 2 * MARGIN

    def _start_page(self) -> None:
        self.pages += 1
        self.y = self.height - MARGIN
        # The footer is drawn first so its height is known before the body flows.
        self.bottom = MARGIN + (self.footer(self) if self.footer else 0.0)

    def new_page(self) -> None:
        self.canvas.showPage()
        self._start_page()

    def need(self, height: float) -> None:
        """Start a new page unless `height` points still fit above the footer."""
        if self.y - height < self.bottom:
            self.new_page()

    def lines(self, text: str, size: float, width: float | None = None, bold: bool = False) -> list[str]:
        font = self.fonts.bold if bold else self.fonts.regular
        return simpleSplit(text, font, size, width or self.text_width)

    def paragraph(
        self,
        text: str,
        size: float = 10,
        *,
        bold: bool = False,
        width: float | None = None,
        x: float | None = None,
        gap: float = 3,
        grey: float = 0.0,
    ) -> None:
        """Wrapped text at the cursor, moving it down (across pages if needed)."""
        font = self.fonts.bold if bold else self.fonts.regular
        self.canvas.setFillGray(grey)
        for line in self.lines(text, size, width, bold):
            self.need(size * LEADING)
            self.canvas.setFont(font, size)
            self.y -= size * LEADING
            self.canvas.drawString(self.left if x is None else x, self.y + size * 0.25, line)
        self.canvas.setFillGray(0)
        self.y -= gap

    def rule(self, label: str, width: float, size: float = 10) -> None:
        """A labelled line to write on: `Name ______`."""
        self.need(size * 2.4)
        self.y -= size * 2.2
        self.canvas.setFont(self.fonts.regular, size)
        self.canvas.drawString(self.left, self.y, label)
        start = self.left + self.canvas.stringWidth(label, self.fonts.regular, size) + 4
        self.canvas.setLineWidth(0.6)
        self.canvas.line(start, self.y - 2, self.left + width, self.y - 2)

    def tick_boxes(self, options: list[tuple[str, bool | None]], size: float = 11) -> None:
        """Boxes side by side, each ticked when its value is True."""
        box = size * 1.1
        self.need(box + 6)
        self.y -= box + 2
        x = self.left
        self.canvas.setLineWidth(0.9)
        for label, ticked in options:
            self.canvas.rect(x, self.y, box, box, stroke=1, fill=0)
            if ticked:
                self.canvas.line(x + 2, self.y + 2, x + box - 2, self.y + box - 2)
                self.canvas.line(x + 2, self.y + box - 2, x + box - 2, self.y + 2)
            self.canvas.setFont(self.fonts.bold, size)
            self.canvas.drawString(x + box + 4, self.y + box * 0.2, label)
            x += box + 8 + self.canvas.stringWidth(label, self.fonts.bold, size) + 24
        self.y -= 4

    def footer_lines(self, lines: list[str], size: float = 7) -> float:
        """Draw small grey lines at the foot of the page; returns the height they take."""
        wrapped = [part for line in lines for part in self.lines(line, size)]
        self.canvas.setFont(self.fonts.regular, size)
        self.canvas.setFillGray(0.35)
        for number, line in enumerate(reversed(wrapped)):
            self.canvas.drawString(self.left, MARGIN + number * size * LEADING, line)
        self.canvas.setFillGray(0)
        return len(wrapped) * size * LEADING + 4 * mm

    def save(self) -> int:
        self.canvas.showPage()
        self.canvas.save()
        return self.pages
