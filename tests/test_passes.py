"""Attendee passes: every QR on every page decodes to a valid pass of the person printed beside it."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from click.testing import CliRunner

from fieldkit.checkin.passes import pass_cards, pass_sheet
from fieldkit.cli import main
from fieldkit.people.importer import import_registrations
from fieldkit.people.registry import registration_for
from fieldkit.tokens import KeyRing, parse_token
from printables import passes as layout
from printables.passes import render_passes
from tests.conftest import PASSPHRASE
from tests.sample_dates import sample_time

DATA = Path(__file__).parent / "data"
SCALE = 3.0
NOW = sample_time(11)


def decode_passes(pdf: Path) -> list[tuple[str, str]]:
    """(QR text, the text printed in the same pass cell) for every code in the PDF."""
    found = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            width, height = page.get_size()
            cell_w = (width - 2 * layout.MARGIN) / layout.COLUMNS
            cell_h = (height - 2 * layout.MARGIN) / layout.ROWS
            text = page.get_textpage()
            for result in zxingcpp.read_barcodes(page.render(scale=SCALE).to_pil()):
                centre_x = (result.position.top_left.x + result.position.bottom_right.x) / 2 / SCALE
                centre_y = height - (result.position.top_left.y + result.position.bottom_right.y) / 2 / SCALE
                column = int((centre_x - layout.MARGIN) // cell_w)
                row_from_bottom = int((centre_y - layout.MARGIN) // cell_h)
                left = layout.MARGIN + column * cell_w
                bottom = layout.MARGIN + row_from_bottom * cell_h
                words = text.get_text_bounded(left, bottom, left + cell_w, bottom + cell_h)
                found.append((result.text, " ".join(words.split())))
    finally:
        document.close()
    return found


@pytest.fixture
def imported(store):
    import_registrations(store, DATA / "eventbrite_attendees.csv")
    import_registrations(store, DATA / "pretix_positions.csv")
    return store


@pytest.mark.parametrize("page_size", ["A4", "Letter"])
def test_every_qr_decodes_to_the_person_printed_beside_it(imported, tmp_path, page_size):
    store = imported
    cards = pass_cards(store)
    sheet = pass_sheet(store)
    sheet = type(sheet)(sheet.event_name, sheet.when, sheet.venue, page_size)
    pdf = tmp_path / "passes.pdf"
    pages = render_passes(sheet, cards, pdf)
    assert len(cards) == 8 and pages == 1
    keyring = KeyRing.from_store(store)
    decoded = decode_passes(pdf)
    assert len(decoded) == len(cards)
    seen = set()
    for text, printed in decoded:
        token = parse_token(text, keyring, NOW)
        registration = registration_for(store, token.id)
        assert token.kind == "pass" and registration is not None
        assert registration.display_name in printed
        assert "@" not in text and registration.display_name not in text  # no personal data in the code
        seen.add(token.id)
    assert len(seen) == len(cards)


def test_many_passes_fill_several_pages(store, tmp_path):
    from fieldkit.people.registry import add_person, add_registration

    with store.transaction():
        for number in range(19):
            add_registration(store, add_person(store, f"Person Number{number}"), source="test")
    pdf = tmp_path / "many.pdf"
    assert render_passes(pass_sheet(store), pass_cards(store), pdf) == 3
    assert len(decode_passes(pdf)) == 19


def test_long_and_non_latin_names_render(store, tmp_path):
    from fieldkit.checkin.passes import pass_token
    from fieldkit.store import new_id
    from printables.passes import PassCard, PassSheet

    names = ["Ελένη Παπαδάκη", "Олена Коваленко", "Maria Antonietta Giuseppina de los Santos Fernández-Villanueva"]
    cards = [PassCard(name, pass_token(store, new_id()), "Free drop-in") for name in names]
    pdf = tmp_path / "names.pdf"
    render_passes(PassSheet("Ευεξία Pop-up", "Saturday", "Hall"), cards, pdf)
    document = pypdfium2.PdfDocument(pdf)
    text = " ".join(document[0].get_textpage().get_text_range().split())
    document.close()
    for name in names[:2]:
        assert name in text
    assert "Villanueva" in text and "Ευεξία" in text


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)), env={"FIELDKIT_PASSPHRASE": PASSPHRASE})


def test_cli_print_passes(imported, db_path, tmp_path):
    out = tmp_path / "out.pdf"
    result = run("print", "passes", "--db", db_path, "--out", out)
    assert result.exit_code == 0, result.output
    assert "8 passes on 1 page (A4)." in result.output and "Saved " in result.output
    assert len(decode_passes(out)) == 8


def test_cli_print_passes_with_no_registrations(store, db_path, tmp_path):
    result = run("print", "passes", "--db", db_path, "--out", tmp_path / "x.pdf")
    assert result.exit_code == 1 and "no registrations yet" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_cli_refuses_on_a_laptop_without_a_signing_key(tmp_path):
    from fieldkit.store import create_store

    desk = create_store(tmp_path / "desk.db", PASSPHRASE, device_name="desk-2", role="desk")
    desk.close()
    result = run("print", "passes", "--db", tmp_path / "desk.db", "--out", tmp_path / "x.pdf")
    assert result.exit_code == 1 and "Error: This database holds no event yet" in result.output


def test_no_text_of_a_pass_runs_over_its_qr_however_long_the_name(store, tmp_path):
    # A 55-letter single word was drawn across the code: 6 pt was as small as it went.
    from fieldkit.checkin.passes import pass_token
    from fieldkit.store import new_id
    from printables.passes import PassCard, PassSheet
    from tests.pdf_checks import character_boxes, qr_boxes

    names = ["Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft",
             "Maria Antonietta Giuseppina de los Santos Fernández-Villanueva y Borbón-Dos Sicilias Habsburg",
             "Ana Silva"]
    cards = [PassCard(name, pass_token(store, new_id()), "Adult ticket with a very long descriptive title " * 3)
             for name in names]
    pdf = tmp_path / "long.pdf"
    render_passes(PassSheet("A community wellbeing pop-up whose name goes on and on and on", "Saturday", "Hall"),
                  cards, pdf)
    page = pypdfium2.PdfDocument(pdf)[0]
    codes, chars = qr_boxes(page), character_boxes(page)
    assert len(codes) == 3 and len(chars) > 100
    for _, code in codes:
        assert "".join(char for char, box in chars if box.overlaps(code)) == ""
    text = page.get_textpage().get_text_range()
    assert "Ana Silva" in text and "Wolfeschlegel" in text and "\u2026" in text  # cut, and said to be
