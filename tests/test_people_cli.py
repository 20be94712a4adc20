"""`fieldkit people find`: the person ids consent commands take, found by name."""

from __future__ import annotations

from click.testing import CliRunner

from fieldkit.checkin import Desk
from fieldkit.cli import main
from fieldkit.people.importer import import_registrations
from fieldkit.tokens import PASS, sign_token
from tests.conftest import PASSPHRASE, SAMPLE_EVENTS

ENV = {"FIELDKIT_PASSPHRASE": PASSPHRASE}


def find(db_path, *query):
    return CliRunner().invoke(main, ["people", "find", *query, "--db", str(db_path)], env=ENV)


def test_finds_by_any_word_with_accents_folded_and_says_who_came(store, db_path):
    import_registrations(store, SAMPLE_EVENTS / "wellbeing-popup-registrations.csv")
    zoe = store.db.execute("SELECT id FROM people WHERE display_name = 'Zoë Müller'").fetchone()[0]
    registration = store.db.execute("SELECT id FROM registrations WHERE person_id = ?", [zoe]).fetchone()[0]
    Desk(store).scan(sign_token(store, PASS, registration))

    found = find(db_path, "muller")
    assert found.exit_code == 0, found.output
    person_id, name, ticket, came = found.output.strip().split("\t")
    assert (person_id, name, ticket) == (zoe, "Zoë Müller", "Free drop-in")
    assert came.startswith("checked in ")
    assert "@" not in found.output  # contact details are not what a search shows

    ana = find(db_path, "Ana Sil")
    assert ana.exit_code == 0 and ana.output.strip().endswith("not checked in")


def test_nobody_found_is_one_sentence(store, db_path):
    before = store.counts()
    found = find(db_path, "zzz")
    assert found.exit_code == 1
    assert found.output.strip() == "Error: Nobody on this laptop matches 'zzz': try the first letters of a first or last name."
    assert store.counts() == before
