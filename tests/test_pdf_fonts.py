"""Every kind of PDF Field Kit makes embeds every font it references (print-shop preflight)."""

from __future__ import annotations

import io

import pytest

from printables.consent_forms import ConsentForm, FormPurpose, FormSheet, render_consent_forms
from printables.consent_receipt import PrintedReceipt, ReceiptLine, render_receipt
from printables.passes import PassCard, PassSheet, render_passes
from printables.referral_cards import CARD, LABEL, SHEET, CardBatch, ReferralCard, render_cards
from tests.pdf_checks import font_names, unembedded_fonts

TOKEN = "FK1:" + "ABCDEFGH23" * 10
FORM_SHEET = FormSheet("Ευεξία Pop-up", "Saturday 5 December 2026", "Mill Lane Hall", "Northside Neighbours CIC", "GB")
PURPOSE = FormPurpose("record_attendance", "Record that you came", "We note that you came today.", "2", "ab" * 32, True)


def passes(out):
    render_passes(PassSheet("Ευεξία Pop-up", "Saturday", "Hall"), [PassCard("Олена Коваленко", TOKEN, "Drop-in")], out)


def cards(out, layout=SHEET):
    batch = CardBatch("Your next step", "This card carries no personal details.", "Ευεξία Pop-up", layout=layout)
    render_cards(batch, [ReferralCard(TOKEN, "7K3M-9QPA-X"), ReferralCard(TOKEN, "7K3M-9QPA-Y", "Ελένη Παπαδάκη", how_to_book="Email eleni@example.org")], out)


def labels(out):
    cards(out, LABEL)


def single_card(out):
    cards(out, CARD)


def consent_forms(out):
    render_consent_forms(FORM_SHEET, [ConsentForm("Form 1 of 1", "F1", TOKEN, (PURPOSE,), "Łukasz Wójcik", "5 Dec 2026")], out)


def receipt(out):
    line = ReceiptLine("Record that you came", "We note that you came today.", "Yes", "decided 5 Dec 2026 (spoken)")
    render_receipt(FORM_SHEET, PrintedReceipt("R1", "Łukasz Wójcik", "5 December 2026", (line,), "Consent texts: v2"), out)


@pytest.mark.parametrize("make", [passes, cards, labels, single_card, consent_forms, receipt], ids=lambda f: f.__name__)
def test_every_font_a_pdf_references_is_embedded(make):
    out = io.BytesIO()
    make(out)
    pdf = out.getvalue()
    assert font_names(pdf), "the PDF names no font at all: the check would prove nothing"
    assert unembedded_fonts(pdf) == set()
    assert not any("Helvetica" in name for name in font_names(pdf))


def test_every_pdf_starts_from_the_one_canvas_that_embeds_its_font():
    """A canvas made anywhere else would start its pages on Helvetica again."""
    from tests.conftest import REPO_ROOT

    makers = [
        str(path.relative_to(REPO_ROOT))
        for package in ("fieldkit", "printables", "sync")
        for path in (REPO_ROOT / package).rglob("*.py")
        if "Canvas(" in path.read_text(encoding="utf-8")
    ]
    assert makers == ["printables/document.py"]
