"""Consent forms, blank and pre-filled: each purpose's text, yes/no boxes, a signed QR, versions in the footer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.units import mm

from printables.page import PageWriter
from printables.qr import draw_qr

QR_SIZE = 34 * mm  # a ~150-character token: about 0.65 mm per module
INTRO = (
    "For each purpose below, tick Yes or No. Saying no to any of them does not stop you "
    "getting help today. You can change your mind at any time: tell any volunteer."
)
INTRO_FILLED = (
    "These are the choices recorded for you. Check each one, and sign below if they are "
    "right. You can change your mind at any time: tell any volunteer."
)


@dataclass(frozen=True)
class FormPurpose:
    id: str
    title: str
    text: str
    version: str
    text_sha256: str
    choice: bool | None = None  # pre-filled: True yes, False no; None leaves both boxes empty


@dataclass(frozen=True)
class ConsentForm:
    """One form: its label, the signed form id its QR carries, and what is printed on it."""

    label: str
    form_id: str
    token: str
    purposes: tuple[FormPurpose, ...]
    person_name: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class FormSheet:
    """What every form of the event shares."""

    event_name: str
    when: str
    venue: str
    controller: str
    jurisdiction: str
    page_size: str = "A4"


def versions_line(purposes) -> str:
    """The footer line naming each purpose's text version and hash (any objects with
    `id`, `version` and `text_sha256`: template purposes or form purposes)."""
    return "Consent texts: " + "; ".join(f"{p.id} version {p.version} (sha256 {p.text_sha256[:12]})" for p in purposes)


def _footer(sheet: FormSheet, form: ConsentForm):
    def draw(page: PageWriter) -> float:
        return page.footer_lines(
            [
                versions_line(form.purposes),
                f"Data controller: {sheet.controller} ({sheet.jurisdiction}). Form ID {form.form_id}. "
                f"Page {page.pages}.",
            ]
        )

    return draw


def _header(page: PageWriter, sheet: FormSheet, form: ConsentForm) -> None:
    qr_x = page.width - page.left - QR_SIZE
    draw_qr(page.canvas, form.token, qr_x, page.y - QR_SIZE, QR_SIZE)
    beside = qr_x - page.left - 6 * mm
    top = page.y
    page.paragraph("Consent form", 18, bold=True, width=beside, gap=2)
    page.paragraph(sheet.event_name, 12, bold=True, width=beside, gap=1)
    page.paragraph(f"{sheet.when}. {sheet.venue}", 9, width=beside, gap=4)
    page.paragraph(f"{form.label} \u00b7 Form ID {form.form_id}", 8.5, width=beside, grey=0.3, gap=0)
    page.y = min(page.y, top - QR_SIZE) - 2 * mm
    if form.person_name:
        page.paragraph(f"Name: {form.person_name}", 13, bold=True, gap=1)
    else:
        page.rule("Name:", page.text_width * 0.7, 11)
    if form.date:
        page.paragraph(f"Date: {form.date}", 11, gap=2)
    else:
        page.rule("Date:", page.text_width * 0.45, 11)
    page.y -= 3 * mm
    decided = any(p.choice is not None for p in form.purposes)
    page.paragraph(INTRO_FILLED if decided else INTRO, 9.5, gap=3 * mm)


def _purpose(page: PageWriter, purpose: FormPurpose) -> None:
    # Keep a purpose's title, first lines and boxes together on one page.
    page.need(11 * 1.25 + 9.5 * 1.25 * min(3, len(page.lines(purpose.text, 9.5))) + 20)
    page.paragraph(purpose.title, 11, bold=True, gap=1)
    page.paragraph(purpose.text, 9.5, gap=1)
    page.paragraph(f"Text version {purpose.version}", 7.5, grey=0.4, gap=0)
    page.tick_boxes([("Yes", purpose.choice is True), ("No", purpose.choice is False)])
    page.y -= 2 * mm


def _signatures(page: PageWriter) -> None:
    page.y -= 2 * mm
    page.rule("Signature:", page.text_width * 0.6, 11)
    page.rule("Witness (name and signature, if any):", page.text_width, 11)
    page.rule("Recorded by (volunteer):", page.text_width * 0.8, 11)


def render_consent_forms(sheet: FormSheet, forms: list[ConsentForm], out: str | Path | BinaryIO) -> int:
    """Write the forms as one PDF (each form starts a page); returns the number of pages."""
    if not forms:
        raise ValueError("There are no forms to print.")
    page = PageWriter(out, sheet.page_size, title=f"Consent forms: {sheet.event_name}", footer=_footer(sheet, forms[0]))
    for index, form in enumerate(forms):
        if index:
            page.footer = _footer(sheet, form)
            page.new_page()
        _header(page, sheet, form)
        for purpose in form.purposes:
            _purpose(page, purpose)
        _signatures(page)
    return page.save()
