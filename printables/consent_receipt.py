"""A printed consent receipt the person takes home: what they decided, and how to change it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.units import mm

from printables.consent_forms import FormSheet
from printables.page import PageWriter


@dataclass(frozen=True)
class ReceiptLine:
    title: str
    text: str
    decision: str  # in words: "Yes", "No", "Withdrawn", "Not asked"
    details: str  # "given 5 Dec 2026 on screen, valid until 5 Dec 2027, text version 1"


@dataclass(frozen=True)
class PrintedReceipt:
    receipt_id: str
    person_name: str
    issued: str
    lines: tuple[ReceiptLine, ...]
    versions: str  # the footer line naming each text version


def render_receipt(sheet: FormSheet, receipt: PrintedReceipt, out: str | Path | BinaryIO) -> int:
    """Write the receipt as a PDF; returns the number of pages."""

    def footer(page: PageWriter) -> float:
        return page.footer_lines(
            [receipt.versions, f"Receipt ID {receipt.receipt_id}. Page {page.pages}."]
        )

    page = PageWriter(out, sheet.page_size, title=f"Consent receipt: {sheet.event_name}", footer=footer)
    page.paragraph("Your consent receipt", 18, bold=True, gap=2)
    page.paragraph(sheet.event_name, 12, bold=True, gap=1)
    page.paragraph(f"{sheet.when}. {sheet.venue}", 9, gap=3 * mm)
    page.paragraph(f"Name: {receipt.person_name}", 13, bold=True, gap=1)
    page.paragraph(f"Issued: {receipt.issued} \u00b7 Receipt ID {receipt.receipt_id}", 9, gap=4 * mm)
    for line in receipt.lines:
        page.need(40)
        page.paragraph(f"{line.title}: {line.decision}", 11, bold=True, gap=1)
        page.paragraph(line.text, 9.5, gap=1)
        page.paragraph(line.details, 8, grey=0.35, gap=3 * mm)
    page.paragraph(
        f"To change your mind about any of these, tell any volunteer at the event or contact "
        f"{sheet.controller}, quoting receipt {receipt.receipt_id}. What a withdrawn consent "
        "covered is removed from every laptop of the event.",
        9.5,
    )
    return page.save()
