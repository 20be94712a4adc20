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
from fieldkit.referrals import ReferralRefused
from fieldkit.referrals.cards import print_cards


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


def test_referral_cards_show_practitioner_and_booking_but_nothing_personal(clinic):
    from fieldkit.people.registry import add_person

    person = add_person(clinic, "Zoë Quantrill")
    r = rf.issue_referral(clinic, channel="walk_in", need="parenting", language="el", person_id=person)
    out = io.BytesIO()
    print_cards(clinic, out, referrals=[r.display_code])
    text = pypdf.PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
    for expected in ("Ελένη Παπαδάκη", "parenting", "Email eleni.p@example.org", r.display_code,
                     "Northside Wellbeing Pop-up", "Your next step"):
        assert expected in text
    assert "Zoë" not in text and "Quantrill" not in text
    [[qr_text]] = decode_all(out.getvalue(), scale=2)
    assert rf.resolve(clinic, qr_text).id == r.id
    assert "Zo" not in qr_text and person not in qr_text


def test_label_and_letter_layouts(clinic):
    r = rf.issue_referral(clinic, channel="walk_in", need="trauma")
    label = io.BytesIO()
    print_cards(clinic, label, referrals=[r.id, r.id], label=True)
    reader = pypdf.PdfReader(io.BytesIO(label.getvalue()))
    assert len(reader.pages) == 2
    assert float(reader.pages[0].mediabox.width) == pytest.approx(62 * mm, abs=0.1)
    assert "Олена Коваленко" in reader.pages[0].extract_text()
    assert decode_all(label.getvalue(), scale=2)[0] == [rf.signed_code(clinic, r.card_id)]
    letter = io.BytesIO()
    print_cards(clinic, letter, blank=12, page_size="Letter")
    reader = pypdf.PdfReader(io.BytesIO(letter.getvalue()))
    assert float(reader.pages[0].mediabox.height) == pytest.approx(792, abs=0.5)
    assert [len(p) for p in decode_all(letter.getvalue())] == [10, 2]


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
