"""Check-in semantics: nonces, double scans, flagged repeats, voids, walk-ins and refusals."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from ulid import ULID

from fieldkit.checkin import CheckinRefused, Desk, describe
from fieldkit.checkin.desk import ADMITTED, DOUBLE_SCAN, REPEAT, checkin_id_for
from fieldkit.checkin.passes import pass_token
from fieldkit.cli import main
from fieldkit.event import create_event
from fieldkit.event.overview import event_overview
from fieldkit.keys import revoke_token
from fieldkit.people.importer import import_registrations
from fieldkit.people.registry import add_person, add_registration, find_people
from fieldkit.store import create_store, id_text, new_id, open_store
from fieldkit.tokens import sign_token
from tests.conftest import PASSPHRASE
from tests.sample_dates import sample_time

LONDON = ZoneInfo("Europe/London")
DATA = Path(__file__).parent / "data"


class FakeWall:
    """A wall clock the test moves by hand (milliseconds)."""

    def __init__(self):
        self.millis = int(sample_time(10, 32).timestamp() * 1000)

    def __call__(self) -> int:
        return self.millis

    def advance(self, seconds: float) -> None:
        self.millis += int(seconds * 1000)


@pytest.fixture
def wall():
    return FakeWall()


@pytest.fixture
def desk(store, reopen, wall):
    store.close()
    return Desk(reopen(wall=wall))


def register(store, name: str) -> str:
    with store.transaction():
        return add_registration(store, add_person(store, name), source="test")


def table_counts(store) -> tuple:
    return tuple(store.counts().items()) + (store.db.execute("SELECT count(*) FROM changes").fetchone()[0],)


def test_scan_admits_and_says_welcome(desk):
    reg = register(desk.store, "Ana Silva")
    result = desk.scan(pass_token(desk.store, reg))
    assert (result.status, result.name, result.registration_id) == (ADMITTED, "Ana Silva", reg)
    assert describe(result, LONDON) == "Welcome, Ana: checked in".replace("Ana", "Ana Silva")
    assert desk.counters().checked_in == 1


def test_same_nonce_twice_is_one_checkin(desk, wall):
    token = pass_token(desk.store, register(desk.store, "Ana Silva"))
    first = desk.scan(token, nonce="scan-1")
    wall.advance(30)
    again = desk.scan(token, nonce="scan-1")
    assert again.checkin_id == first.checkin_id
    assert desk.store.db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 1


def test_checkin_id_is_derived_from_the_nonce_on_this_laptop(desk):
    result = desk.scan(pass_token(desk.store, register(desk.store, "Ana Silva")), nonce="scan-1")
    assert result.checkin_id == checkin_id_for(desk.store.device_id, "scan-1")
    assert ULID.from_str(result.checkin_id)  # shaped like every other id
    # Another laptop's scan that happened to use the same nonce is another check-in.
    assert checkin_id_for(new_id(), "scan-1") != result.checkin_id
    assert desk.store.db.execute("SELECT nonce FROM checkins").fetchone() == ("scan-1",)
    # A ULID nonce (what the desk sends) lends its time: ids still sort by when.
    nonce = new_id()
    assert ULID.from_str(checkin_id_for(desk.store.device_id, nonce)).timestamp == ULID.from_str(nonce).timestamp
    indexed = {row[2] for row in desk.store.db.execute("SELECT * FROM pragma_index_list('checkins')")}
    assert "idx_checkins_nonce" not in indexed


def test_a_desk_made_nonce_gives_the_id_its_retry_would_find(desk):
    """The desk makes its nonce and the check-in id without decoding the nonce again: the id
    must be the one a retry with that nonce derives (and the nonce a ULID like any other)."""
    result = desk.scan(pass_token(desk.store, register(desk.store, "Ana Silva")))
    (nonce,) = desk.store.db.execute("SELECT nonce FROM checkins WHERE id = ?", [result.checkin_id]).fetchone()
    assert str(ULID.from_str(nonce)) == nonce
    assert checkin_id_for(desk.store.device_id, nonce) == result.checkin_id


def test_id_text_writes_any_16_bytes_as_python_ulid_does():
    for raw in [bytes(16), b"\xff" * 16, *(os.urandom(16) for _ in range(2000))]:
        assert id_text(raw) == str(ULID.from_bytes(raw))


def test_a_desks_own_nonce_is_a_ulid_of_the_moment_of_the_scan(desk):
    before = datetime.now(timezone.utc)
    result = desk.scan(pass_token(desk.store, register(desk.store, "Ana Silva")))
    (nonce,) = desk.store.db.execute("SELECT nonce FROM checkins WHERE id = ?", [result.checkin_id]).fetchone()
    made = ULID.from_str(nonce).datetime
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= made <= datetime.now(timezone.utc)
    assert result.checkin_id[:10] == nonce[:10]  # the check-in id sorts by the scan's time


def test_same_code_within_two_seconds_is_one_checkin(desk, wall):
    token = pass_token(desk.store, register(desk.store, "Ana Silva"))
    first = desk.scan(token)
    wall.advance(1.5)
    second = desk.scan(token)
    assert second.status == DOUBLE_SCAN and second.checkin_id == first.checkin_id
    assert desk.store.db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 1


def test_second_checkin_is_recorded_and_flagged(desk, wall):
    token = pass_token(desk.store, register(desk.store, "Ana Silva"))
    first = desk.scan(token)
    wall.advance(60 * 45)
    second = desk.scan(token)
    assert second.status == REPEAT and second.checkin_id != first.checkin_id and second.flagged
    assert second.earlier.at == first.at and second.earlier.desk == "desk-1"
    assert describe(second, LONDON) == "Ana Silva: already checked in at 10:32 at desk-1: recorded again and flagged"
    # Derived from the check-ins held, not stored when written (fieldkit/checkin/flags.py).
    assert desk.store.db.execute("SELECT repeat_of FROM checkins WHERE id = ?", [second.checkin_id]).fetchone() == (None,)
    assert desk.counters().checked_in == 1 and desk.counters().flagged == 1
    assert [(r.checkin_id, r.flagged) for r in desk.recent()] == [(second.checkin_id, True)]  # one line a person


def test_checkin_from_another_desk_flags_this_one(tmp_path, template, wall):
    """After sync, a check-in made at desk 2 is the earlier one (simulated by its fact row)."""
    store = create_event(tmp_path / "e.db", template, None, device_name="desk-1")
    store.wall = wall
    try:
        reg = register(store, "Zoë Müller")
        store.db.execute(
            "INSERT INTO checkins (id, origin, hlc, registration_id, nonce, method, desk, checked_in_at)"
            " VALUES (?, 'other-laptop', '0000000000001-000000', ?, 'n', 'pass', 'desk-2', ?)",
            [new_id(), reg, "2026-12-05T10:05:00.000+00:00"],
        )
        result = Desk(store).scan(pass_token(store, reg))
        assert result.status == REPEAT
        assert describe(result, LONDON).endswith("already checked in at 10:05 at desk-2: recorded again and flagged")
    finally:
        store.close()


def test_undo_voids_by_a_new_fact(desk):
    token = pass_token(desk.store, register(desk.store, "Ana Silva"))
    result = desk.scan(token)
    voided = desk.undo_last()
    assert voided.checkin_id == result.checkin_id and voided.name == "Ana Silva"
    assert desk.store.db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 1  # kept
    assert desk.counters().checked_in == 0 and desk.recent() == []
    with pytest.raises(CheckinRefused) as caught:
        desk.undo_last()
    assert caught.value.code == "nothing_to_undo"
    # After an undo the person can be checked in again, as a first check-in.
    assert desk.scan(token).status == ADMITTED


def test_walk_in(desk):
    result = desk.walk_in("  Kwame   Mensah ")
    assert result.name == "Kwame Mensah" and result.method == "walk_in"
    assert describe(result, LONDON) == "Welcome, Kwame Mensah: registered as a walk-in and checked in"
    assert desk.counters() == type(desk.counters())(registered=1, checked_in=1, walk_ins=1)
    assert desk.walk_in("Kwame Mensah", nonce="w1").checkin_id == desk.walk_in("Kwame Mensah", nonce="w1").checkin_id
    with pytest.raises(CheckinRefused) as caught:
        desk.walk_in("   ")
    assert caught.value.code == "no_name"


def test_pick_by_name(desk):
    register(desk.store, "Ana Silva")
    (hit,) = desk.search("sil")
    assert hit.checked_in_at is None
    result = desk.check_in_registration(hit.registration_id)
    assert result.name == "Ana Silva" and result.method == "name"
    assert desk.search("ana")[0].checked_in_at == result.at
    with pytest.raises(CheckinRefused):
        desk.check_in_registration(new_id())


def test_check_in_person_without_registration(desk):
    person = add_person(desk.store, "Li Wei")
    assert desk.check_in_person(person).name == "Li Wei"
    with pytest.raises(CheckinRefused):
        desk.check_in_person(new_id())


def test_valid_pass_whose_registration_has_not_synced_is_admitted(desk):
    result = desk.scan(sign_token(desk.store, "pass", new_id()))
    assert result.status == ADMITTED and result.name is None
    assert "has not reached this laptop yet" in describe(result, LONDON)


@pytest.mark.parametrize(
    ("make_code", "code", "words"),
    [
        (lambda store, other: "hello", "malformed", "not a Field Kit code"),
        (lambda store, other: sign_token(other, "pass", new_id()), "other_event", "Not a pass for this event"),
        (lambda store, other: sign_token(store, "referral", new_id()), "wrong_kind", "referral card, not a pass"),
        (lambda store, other: _forge(sign_token(store, "pass", new_id())), "forged", "not signed by this event"),
    ],
)
def test_refusals_change_nothing(desk, tmp_path, template, make_code, code, words):
    other = create_event(tmp_path / "other.db", template, None)
    try:
        text = make_code(desk.store, other)
    finally:
        other.close()
    before = table_counts(desk.store)
    with pytest.raises(CheckinRefused) as caught:
        desk.scan(text)
    assert caught.value.code == code and words in caught.value.message
    assert table_counts(desk.store) == before


def _forge(token: str) -> str:
    """Change one signed byte: the signature no longer matches."""
    position = len(token) - 10
    return token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]


def test_revoked_pass(desk):
    reg = register(desk.store, "Ana Silva")
    token = pass_token(desk.store, reg)
    revoke_token(desk.store, reg, "pass reported stolen")
    with pytest.raises(CheckinRefused) as caught:
        desk.scan(token)
    assert caught.value.code == "revoked" and caught.value.message == "This pass was revoked: do not admit on it; ask the coordinator."


def test_recent_lists_newest_first(desk, wall):
    for name in ("A One", "B Two", "C Three"):
        desk.scan(pass_token(desk.store, register(desk.store, name)))
        wall.advance(5)
    assert [r.name for r in desk.recent()] == ["C Three", "B Two", "A One"]
    assert len(desk.recent(limit=2)) == 2


def test_overview_counts_checked_in(desk):
    desk.walk_in("Kwame Mensah")
    assert event_overview(desk.store).checked_in == 1


# -- name search --------------------------------------------------------------


def test_find_people_prefix_and_word_prefix(store):
    for name in ("Ana Silva", "Anabel Ortiz", "Silvia Ana", "Ελένη Παπαδάκη", "Zoë Müller", "Bob Anders"):
        add_person(store, name)
    assert [p.display_name for p in find_people(store, "ana")] == ["Ana Silva", "Anabel Ortiz", "Silvia Ana"]
    assert [p.display_name for p in find_people(store, "and")] == ["Bob Anders"]
    assert [p.display_name for p in find_people(store, "ANA S")] == ["Ana Silva", "Silvia Ana"]  # words in any order
    assert [p.display_name for p in find_people(store, "παπ")] == ["Ελένη Παπαδάκη"]
    assert [p.display_name for p in find_people(store, "mull")] == ["Zoë Müller"]
    assert [p.display_name for p in find_people(store, "zoe")] == ["Zoë Müller"]
    assert find_people(store, "-") == [] and find_people(store, '"') == [] and find_people(store, "") == []
    assert len(find_people(store, "a", limit=2)) == 2


def test_search_index_follows_renames_and_purges(store):
    person = add_person(store, "Ana Silva")
    store.set_record("people", person, {"display_name": "Ana Costa", "search_name": "ana costa"})
    assert [p.display_name for p in find_people(store, "cost")] == ["Ana Costa"]
    assert find_people(store, "silv") == []
    store.purge("people", person, "test")
    assert find_people(store, "cost") == []


# -- the command ----------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)), env={"FIELDKIT_PASSPHRASE": PASSPHRASE})


def test_import_print_and_check_in_from_the_command_line(store, db_path, tmp_path):
    """Must show: Eventbrite and pretix imports, passes printed, every QR checks the right person in."""
    from tests.test_passes import decode_passes

    import_registrations(store, DATA / "eventbrite_attendees.csv")
    import_registrations(store, DATA / "pretix_positions.csv")
    store.close()
    out = tmp_path / "passes.pdf"
    assert run("print", "passes", "--db", db_path, "--out", out).exit_code == 0
    decoded = decode_passes(out)
    assert len(decoded) == 8
    for code, printed in decoded:
        result = run("checkin", code, "--db", db_path)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Welcome, ")
        name = result.output.removeprefix("Welcome, ").split(": checked in")[0]
        assert name in printed
    again = run("checkin", decoded[0][0], "--db", db_path)
    assert again.exit_code == 0 and "checked in" in again.output


@pytest.mark.parametrize("code", ["FK1:NOTATOKEN", "Ana Silva", "FK1:" + "A" * 143])
def test_cli_refuses_with_the_reason_and_changes_nothing(store, db_path, code):
    before = table_counts(store)
    store.close()
    result = run("checkin", code, "--db", db_path)
    assert result.exit_code == 3
    assert "Refused (" in result.output
    reopened = open_store(db_path, PASSPHRASE)
    try:
        assert table_counts(reopened) == before
    finally:
        reopened.close()


def test_cli_on_a_laptop_without_the_event(tmp_path):
    create_store(tmp_path / "desk.db", PASSPHRASE, device_name="desk-2", role="desk").close()
    result = run("checkin", "FK1:AAAA", "--db", tmp_path / "desk.db")
    assert result.exit_code == 1 and "holds no event yet" in result.output


def _bytes_read() -> int:
    with open("/proc/self/io") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("rchar"))


def test_a_warmed_desk_reads_nothing_from_disk_for_its_first_scan(store, reopen):
    """The check-in screen warms its desk when first idle: the first scans of the day then find
    every page they look up in memory, as the hundredth does."""
    with store.transaction():
        regs = [add_registration(store, add_person(store, f"Person {n}"), source="test") for n in range(3000)]
    tokens = [pass_token(store, reg) for reg in regs[::1000]]
    store.close()
    desk = Desk(reopen())
    desk.keyring()  # the key ring is read once per desk anyway
    before = table_counts(desk.store)
    desk.warm()
    assert table_counts(desk.store) == before  # reads only
    read = _bytes_read()
    results = [desk.scan(token) for token in tokens]
    assert [r.status for r in results] == [ADMITTED] * len(tokens)
    assert _bytes_read() - read < 4096 * len(tokens)  # at most the write-ahead log's own reads
