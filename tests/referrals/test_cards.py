"""Referral cards: every QR of a 1,000-card PDF decodes to a valid referral code; layouts; refusals."""

from __future__ import annotations

import io

import pypdf
import pypdfium2
import pytest
import zxingcpp
from reportlab.lib.units import mm

from fieldkit import referrals as rf
from fieldkit import tokens
from fieldkit.event import load_event
from fieldkit.referrals import ReferralRefused
from fieldkit.referrals.cards import print_cards, single_card
from printables.referral_cards import CARD, LABEL, SHEET, render_cards
from tests.pdf_checks import character_boxes, qr_boxes


def decode_all(pdf: bytes, scale: float = 1.5) -> list[list[str]]:
    """The QR texts found on each page (pypdfium2 render, zxing-cpp decode)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            [r.text for r in zxingcpp.read_barcodes(page.render(scale=scale, grayscale=True).to_pil(),
                                                    formats=zxingcpp.BarcodeFormat.QRCode)]
            for page in document
        ]
    finally:
        document.close()


def cards_recorded(store) -> int:
    return store.db.execute("SELECT count(*) FROM referral_cards").fetchone()[0]


def test_every_qr_of_1000_blank_cards_decodes_to_a_valid_referral_code(clinic):
    out = io.BytesIO()
    assert print_cards(clinic, out, blank=1000) == 1000
    pages = decode_all(out.getvalue())
    assert len(pages) == 100 and all(len(p) == 10 for p in pages)
    keyring = tokens.KeyRing.from_store(clinic)
    seen = set()
    for text in (t for page in pages for t in page):
        token = tokens.parse_token(text, keyring, clinic.now())
        assert token.kind == tokens.REFERRAL
        card = rf.card(clinic, token.id)
        assert card is not None and card.blank
        seen.add(card.id)
    assert len(seen) == 1000 == cards_recorded(clinic)


def test_short_code_printed_beside_each_qr_names_the_same_card(clinic):
    out = io.BytesIO()
    print_cards(clinic, out, blank=10)
    text = pypdf.PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
    keyring = tokens.KeyRing.from_store(clinic)
    for qr_text in decode_all(out.getvalue())[0]:
        card = rf.card(clinic, tokens.parse_token(qr_text, keyring, clinic.now()).id)
        assert card.display_code in text


def test_referral_cards_show_practitioner_and_booking_but_nothing_personal_and_no_need(clinic):
    from fieldkit.people import add_person

    person = add_person(clinic, "Zoë Quantrill")
    r = rf.issue_referral(clinic, channel="walk_in", need="parenting", language="el", person_id=person)
    out = io.BytesIO()
    print_cards(clinic, out, referrals=[r.display_code])
    text = pypdf.PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
    for expected in ("Ελένη Παπαδάκη", "Email eleni.p@example.org", r.display_code,
                     "Northside Wellbeing Pop-up", "Your next step"):
        assert expected in text
    assert "Zoë" not in text and "Quantrill" not in text
    practitioner = load_event(clinic).template.practitioner(r.practitioner_id)
    for need in ("parenting", *practitioner.specialisms):  # what the person came for stays off the card
        assert need.casefold() not in text.casefold()
    [[qr_text]] = decode_all(out.getvalue(), scale=2)
    assert rf.resolve(clinic, qr_text).id == r.id
    assert "Zo" not in qr_text and person not in qr_text


@pytest.mark.parametrize("layout", [LABEL, CARD, SHEET])
def test_the_printed_card_keeps_every_word_off_its_code(clinic, layout):
    r = rf.issue_referral(clinic, channel="walk_in", need="trauma")
    out = io.BytesIO()
    print_cards(clinic, out, referrals=[r.id], layout=layout)
    page = pypdfium2.PdfDocument(out.getvalue())[0]
    [(qr_text, code)] = qr_boxes(page)
    assert rf.resolve(clinic, qr_text).id == r.id
    chars = character_boxes(page)
    assert "Олена Коваленко" in page.get_textpage().get_text_range()
    assert [char for char, box in chars if box.overlaps(code)] == []


def test_the_app_prints_one_card_as_the_template_says_never_a_sheet(clinic):
    r = rf.issue_referral(clinic, channel="walk_in", need="trauma")
    batch, cards = single_card(clinic, r.display_code)
    assert batch.layout == CARD and len(cards) == 1 and cards[0].short_code == r.display_code
    out = io.BytesIO()
    render_cards(batch, cards, out)
    [page] = pypdf.PdfReader(io.BytesIO(out.getvalue())).pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((85 * mm, 55 * mm), abs=0.1)


def test_progress_is_reported_for_long_batches(clinic):
    seen = []
    print_cards(clinic, io.BytesIO(), blank=25, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(10, 25), (20, 25), (25, 25)]


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"blank": 0}, "card_count"),
        ({"blank": 10_000}, "card_count"),
        ({}, "what_to_print"),
        ({"blank": 2, "referrals": ["X"]}, "what_to_print"),
        ({"referrals": ["0000-0000-0"]}, "unknown_code"),
        ({"blank": 2, "page_size": "A5"}, "page_size"),
        ({"blank": 2, "layout": "poster"}, "layout"),
    ],
)
def test_bad_requests_print_and_record_nothing(clinic, kwargs, code):
    out = io.BytesIO()
    with pytest.raises(ReferralRefused) as info:
        print_cards(clinic, out, **kwargs)
    assert info.value.code == code
    assert out.getvalue() == b"" and cards_recorded(clinic) == 0


def test_codes_are_recorded_only_once_the_pdf_is_written(clinic, tmp_path):
    with pytest.raises(OSError):
        print_cards(clinic, tmp_path / "missing-folder" / "cards.pdf", blank=3)
    assert cards_recorded(clinic) == 0
