"""Referral cards and labels, read back from the PDF: no text on a code or its quiet zone, none off the card."""

from __future__ import annotations

import io

import pypdfium2
import pytest
from reportlab.lib.units import mm

from printables.referral_cards import CARD, LABEL, SHEET, CardBatch, ReferralCard, render_cards
from tests.pdf_checks import Box, character_boxes, qr_boxes

TOKEN = "FK1:" + "ABCDEFGH23" * 14  # as long as a signed referral code
LONG = ReferralCard(
    TOKEN,
    "7K3M-9QPA-X",
    "Maria Antonietta Giuseppina de los Santos Fernández-Villanueva",
    how_to_book="Email eleni.papadopoulou@example.org or call 07700 900123 on weekdays, "
    "or come to the Tuesday drop-in at the library",
)
SHORT = ReferralCard(TOKEN, "7K3M-9QPA-Y", "Ελένη Παπαδάκη", how_to_book="Email eleni.p@example.org")
BLANK = ReferralCard(TOKEN, "7K3M-9QPA-Z")


def batch(layout: str) -> CardBatch:
    return CardBatch(
        "Your next step towards feeling better: a heading far too long for a card",
        "Bring this card or quote its code when you book. It carries no personal details. "
        "A community that writes a long card text still gets it printed clear of the code.",
        "Northside Wellbeing Pop-up · Saturday 5 December 2026 · Mill Lane Community Hall",
        layout=layout,
    )


def pages(layout: str, cards: list[ReferralCard]):
    out = io.BytesIO()
    render_cards(batch(layout), cards, out)
    return pypdfium2.PdfDocument(out.getvalue())


@pytest.mark.parametrize("layout", [SHEET, CARD, LABEL])
def test_no_text_overlaps_a_code_or_its_quiet_zone(layout):
    document = pages(layout, [LONG, SHORT, BLANK])
    for page in document:
        codes = qr_boxes(page)
        chars = character_boxes(page)
        assert codes and all(text == TOKEN for text, _ in codes)
        assert len(chars) > 100
        for _, code in codes:
            on_code = "".join(char for char, box in chars if box.overlaps(code))
            assert on_code == "", f"text drawn over the code: {on_code!r}"


@pytest.mark.parametrize("layout, size_mm", [(CARD, (85, 55)), (LABEL, (62, 100))])
def test_a_single_card_or_label_is_a_page_of_its_own_size_with_all_its_text_on_it(layout, size_mm):
    document = pages(layout, [LONG, SHORT])
    assert len(document) == 2
    for page in document:
        width, height = page.get_size()
        assert (width, height) == pytest.approx((size_mm[0] * mm, size_mm[1] * mm), abs=0.1)
        edge = Box(0, 0, width, height)
        assert all(box.inside(edge) for _, box in character_boxes(page))
        assert len(qr_boxes(page)) == 1
    text = document[1].get_textpage().get_text_range()
    assert "Ελένη Παπαδάκη" in text and "eleni.p@example.org" in text and "7K3M-9QPA-Y" in text


def test_a_long_email_address_is_printed_whole():
    text = pages(CARD, [LONG])[0].get_textpage().get_text_range()
    assert "eleni.papadopoulou@example.org" in text.split()


def test_a_blank_card_asks_for_practitioner_and_booking_but_never_what_for():
    text = pages(CARD, [BLANK])[0].get_textpage().get_text_range()
    assert "Practitioner:" in text and "How to book:" in text
    assert "For:" not in text
