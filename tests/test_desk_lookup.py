"""Issue 14 in the domain: names any keyboard can find, numbers and emails, platform tickets,
walk-ins taken back, namesakes, parties and the last check-ins one line a person."""

from __future__ import annotations

import sqlite3
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from fieldkit.checkin import CheckinRefused, Desk, describe
from fieldkit.checkin.desk import ADMITTED, BY_TICKET, REPEAT
from fieldkit.checkin.passes import pass_token
from fieldkit.cli import main
from fieldkit.event.overview import event_overview
from fieldkit.people.importer import import_registrations
from fieldkit.people.registry import add_person, add_registration, find_people
from fieldkit.people.tickets import looks_like_ticket, ticket_digest
from fieldkit.store import open_store, schema
from tests.conftest import PASSPHRASE, SAMPLE_EVENTS

PRETIX = (
    "Order code;Position ID;Status;Email;Order date;Product;Attendee name;Attendee email;Ticket secret\n"
    "WK1DE;1;paid;buyer@example.edu;2027-02-01;Drop-in visit;Hélène Garnier;;h7kqm2xw9prvz3tn8bcj4dfg6ys5aue2\n"
    "WK1DE;2;paid;buyer@example.edu;2027-02-01;Drop-in visit;Jean Garnier;jean@example.edu;p4r8s2t6v9w3x7y5z2a8b4c6d9e3f7g5\n"
    "GZD8P;1;paid;lucia@example.edu;2027-02-02;Family;Lucía Fernández;lucia@example.edu;Mx9Q2wE7rT4yU8iO3pA6sD1fG5hJ0kLz\n"
)


def names(found) -> list[str]:
    return [p.display_name for p in found]


@pytest.fixture
def sample(store):
    import_registrations(store, SAMPLE_EVENTS / "wellbeing-popup-registrations.csv")
    return store


@pytest.fixture
def pretix(store, tmp_path):
    path = tmp_path / "pretix.csv"
    path.write_text(PRETIX, encoding="utf-8")
    report = import_registrations(store, path)
    assert report.applied and len(report.new) == 3
    return store


@pytest.mark.parametrize(
    ("query", "name"),
    [("lukasz", "Łukasz Wójcik"), ("soren", "Søren Kierkegård"), ("yilmaz", "Mehmet Yılmaz"),
     ("ivan", "Іван Петренко"), ("giorgos", "Γιώργος Παπαδόπουλος"), ("Іван", "Іван Петренко"),
     ("dvorak tomas", "Dvořák Tomáš"), ("kierkegard", "Søren Kierkegård")],
)
def test_a_keyboard_without_the_letters_finds_the_name(sample, query, name):
    assert name in names(find_people(sample, query))


def test_people_find_lukasz_on_the_command_line(sample, db_path):
    sample.close()
    result = CliRunner().invoke(main, ["people", "find", "lukasz", "--db", str(db_path)], env={"FIELDKIT_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    assert "Łukasz Wójcik" in result.output


def test_found_by_order_or_attendee_number_and_by_email(sample):
    assert names(find_people(sample, "2456780005")) == ["Dvořák Tomáš"]  # Eventbrite's attendee number
    assert names(find_people(sample, "1289340294")) == ["Marek Dvořák"]  # and order number
    assert names(find_people(sample, "PERSON43@example.org")) == ["Marek Dvořák"]
    assert find_people(sample, "nobody@example.org") == []


def test_an_older_database_has_its_names_folded_again_when_opened(tmp_path):
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    schema.migrations.apply(db, stop_before="m061_desk_search_tickets_and_voids")
    meta = {"app": "fieldkit", "encrypted": "0", "device_id": "D1", "device_name": "desk-1", "role": "desk",
            "event_id": "E1", "hlc": "", "schema_version": str(schema.schema_version() - 1)}
    db["fieldkit_meta"].insert_all([{"key": k, "value": v} for k, v in meta.items()], replace=True)
    # As the earlier folding kept them: diacritics gone, but Ł, ø and every other script kept.
    for pid, name, key in [("P1", "Łukasz Wójcik", "łukasz wojcik"), ("P2", "Іван Петренко", "иван петренко")]:
        db["people"].insert({"id": pid, "origin": "D1", "hlc": "0000000000001-000000", "display_name": name, "search_name": key})
    db.close()
    store = open_store(path, None)
    try:
        assert names(find_people(store, "lukasz")) == ["Łukasz Wójcik"]
        assert names(find_people(store, "ivan")) == ["Іван Петренко"]
    finally:
        store.close()


def test_a_pretix_ticket_secret_admits_its_holder_and_is_kept_only_as_a_digest(pretix):
    desk = Desk(pretix)
    result = desk.scan("h7kqm2xw9prvz3tn8bcj4dfg6ys5aue2")
    assert result.name == "Hélène Garnier" and result.method == BY_TICKET and result.status == ADMITTED
    assert describe(result, ZoneInfo("UTC")) == "Welcome, Hélène Garnier: checked in by their ticket"
    tables = [r[0] for r in pretix.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    dump = "\n".join(str(row) for t in tables for row in pretix.db.execute(f"SELECT * FROM [{t}]"))
    assert "h7kqm2xw9prvz3tn8bcj4dfg6ys5aue2" not in dump and ticket_digest(pretix, "h7kqm2xw9prvz3tn8bcj4dfg6ys5aue2") in dump
    # The same duplicate handling as passes: a later scan is recorded and flagged.
    desk.double_scan_window = type(desk.double_scan_window)(0)
    assert desk.scan("h7kqm2xw9prvz3tn8bcj4dfg6ys5aue2").status == REPEAT


def test_a_ticket_scanned_with_caps_lock_still_admits(pretix):
    assert Desk(pretix).scan("mX9q2We7Rt4Yu8Io3Pa6Sd1Fg5Hj0KlZ").name == "Lucía Fernández"  # swapped case


def test_an_unknown_ticket_is_refused_and_changes_nothing(pretix):
    before = pretix.db.execute("SELECT count(*) FROM changes").fetchone()[0]
    with pytest.raises(CheckinRefused) as caught:
        Desk(pretix).scan("zzzzzzzz99999999")
    assert caught.value.code == "malformed" and "nor a ticket of this event" in caught.value.message
    assert pretix.db.execute("SELECT count(*) FROM changes").fetchone()[0] == before


def test_re_importing_keeps_secrets_for_registrations_imported_before(store, tmp_path):
    path = tmp_path / "pretix.csv"
    path.write_text("\n".join(line.rsplit(";", 1)[0] for line in PRETIX.splitlines()) + "\n", encoding="utf-8")
    import_registrations(store, path)
    assert store.db.execute("SELECT count(*) FROM ticket_secrets").fetchone()[0] == 0
    path.write_text(PRETIX, encoding="utf-8")
    report = import_registrations(store, path)
    assert report.already_had == 3 and store.db.execute("SELECT count(*) FROM ticket_secrets").fetchone()[0] == 3
    import_registrations(store, path)  # idempotent
    assert store.db.execute("SELECT count(*) FROM ticket_secrets").fetchone()[0] == 3


def test_an_eventbrite_barcode_admits_too(store, tmp_path):
    path = tmp_path / "eventbrite.csv"
    path.write_text(
        "Order #,First Name,Last Name,Attendee #,Barcode #,Ticket Type,Attendee Status\n"
        "5550001,Ana,Silva,8880001,555000188800011001,Free drop-in,Attending\n",
        encoding="utf-8",
    )
    import_registrations(store, path)
    assert Desk(store).scan("555000188800011001").name == "Ana Silva"


def test_the_party_of_an_order_and_of_a_form(pretix):
    desk = Desk(pretix)
    first = desk.scan("h7kqm2xw9prvz3tn8bcj4dfg6ys5aue2")
    admission = desk.admission(first)
    assert admission.ticket == "Drop-in visit"
    assert admission.party.words() == "party of 2 (order WK1DE): 1 of 2 in"
    assert desk.admission(desk.scan("Mx9Q2wE7rT4yU8iO3pA6sD1fG5hJ0kLz")).party is None  # an order of one
    with pretix.transaction():
        reg = add_registration(pretix, add_person(pretix, "Kofi Boateng"), source="csv", party_size=3)
    assert desk.admission(desk.scan(pass_token(pretix, reg))).party.words() == "party of 3 on this one pass"


def test_undoing_a_walk_in_takes_back_its_registration(sample):
    desk = Desk(sample)
    before = desk.counters()
    result = desk.walk_in("Li Wei")
    voided = desk.undo_last()
    assert voided.walk_in and voided.name == "Li Wei"
    assert desk.counters() == before and event_overview(sample).registered == before.registered
    assert sample.db.execute("SELECT count(*) FROM registration_voids").fetchone()[0] == 1
    assert sample.db.execute("SELECT count(*) FROM registrations WHERE id = ?", [result.registration_id]).fetchone()[0] == 1
    assert desk.search("li wei") == []  # no longer someone to find at the desk
    with pytest.raises(CheckinRefused) as caught:
        desk.scan(pass_token(sample, result.registration_id))
    assert caught.value.code == "taken_back"


def test_undoing_a_name_check_in_keeps_the_registration(sample):
    desk = Desk(sample)
    (ana,) = desk.search("ana silva")
    desk.check_in_person(ana.person_id)
    assert not desk.undo_last().walk_in
    assert sample.db.execute("SELECT count(*) FROM registration_voids").fetchone()[0] == 0


@pytest.mark.parametrize("name", ["xyzzyFK1:AEFQAAAA", "fk1:abc", "h7kqm2xw9prvz3tn8bcj4dfg6ys5aue2", "555000188800011001"])
def test_a_walk_in_is_never_named_by_a_code(store, name):
    with pytest.raises(CheckinRefused) as caught:
        Desk(store).walk_in(name)
    assert caught.value.code == "not_a_name"
    assert store.db.execute("SELECT count(*) FROM people").fetchone()[0] == 0


def test_namesakes_are_the_same_words_in_any_order(sample):
    desk = Desk(sample)
    assert [a.name for a in desk.namesakes("ana silva")] == ["Ana Silva"]
    assert [a.name for a in desk.namesakes("Tomas Dvorak")] == ["Dvořák Tomáš"]
    assert desk.namesakes("ana") == [] and desk.namesakes("") == []


def test_search_says_what_tells_namesakes_apart(sample):
    hits = {a.name: a for a in Desk(sample).search("dvorak")}
    assert set(hits) == {"Dvořák Tomáš", "Marek Dvořák"}
    assert hits["Marek Dvořák"].order_ref == "1289340294" and hits["Marek Dvořák"].ticket == "Free drop-in"


def test_the_last_check_ins_name_each_person_once(sample):
    desk = Desk(sample)
    desk.double_scan_window = type(desk.double_scan_window)(0)
    ana, zoe = (desk.search(n)[0] for n in ("ana silva", "zoe muller"))
    for person in (ana, zoe, ana, ana):
        desk.check_in_person(person.person_id)
    recent = desk.recent()
    assert [r.name for r in recent] == ["Ana Silva", "Zoë Müller"]
    assert recent[0].flagged and not recent[1].flagged


def test_looks_like_ticket():
    assert looks_like_ticket("h7kqm2xw9prvz3tn8bcj4dfg6ys5aue2") and looks_like_ticket("555000188800011001")
    assert not looks_like_ticket("Ana Silva") and not looks_like_ticket("Anna-Maria") and not looks_like_ticket("ab12")
