"""Bad input on the command line: one sentence, a non-zero exit, no traceback, nothing changed."""

from __future__ import annotations

import hashlib
import socket

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.event import create_event
from fieldkit.event.template import load_template
from fieldkit.people.registry import add_person
from fieldkit.store import open_store
from tests.conftest import PASSPHRASE, SAMPLE_EVENTS

ENV = {"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_JOIN_PASSPHRASE": "join passphrase for tests"}
TEMPLATE = SAMPLE_EVENTS / "wellbeing-popup.toml"


def run(*args, env=ENV):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def refused(result, words: str) -> None:
    """One sentence naming what to do, exit 1, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], result.output


def content(path) -> str:
    """A digest of every row of every table: equal digests, unchanged database."""
    store = open_store(path, PASSPHRASE)
    try:
        digest = hashlib.sha256()
        for (table,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            for row in store.db.execute(f"SELECT * FROM [{table}] ORDER BY 1"):
                digest.update(repr((table, row)).encode())
        return digest.hexdigest()
    finally:
        store.close()


@pytest.fixture
def event_db(tmp_path):
    path = tmp_path / "event.db"
    store = create_event(path, load_template(TEMPLATE), PASSPHRASE)
    person = add_person(store, "Ελένη Παπαδάκη", email="eleni@example.org")
    store.close()
    return path, person


def test_a_missing_database_is_refused_before_asking_for_its_passphrase(tmp_path):
    result = run("info", "--db", tmp_path / "missing.db", env={"FIELDKIT_PASSPHRASE": ""})
    refused(result, "does not exist: check the --db path")
    assert "Passphrase" not in result.output


def test_init_over_an_existing_database_is_refused_before_asking(event_db):
    path, _ = event_db
    before = content(path)
    result = run("init", TEMPLATE, "--db", path, env={"FIELDKIT_PASSPHRASE": ""})
    refused(result, "already exists: choose another --db path")
    assert "Passphrase" not in result.output and content(path) == before


def test_init_where_no_database_can_be_made(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    result = run("init", TEMPLATE, "--db", tmp_path / "a-file" / "event.db")
    refused(result, "Cannot create")


@pytest.fixture
def join_file(event_db, tmp_path):
    path, _ = event_db
    out = tmp_path / "desk.join"
    assert run("device", "enroll", "desk-2", "--role", "desk", "--db", path, "--out", out).exit_code == 0
    return out


@pytest.mark.parametrize(
    ("damage", "env", "words"),
    [
        (None, {"FIELDKIT_JOIN_PASSPHRASE": "not the join passphrase"}, "passphrase does not open this join file"),
        (lambda data: data[:200], {}, "join file is damaged"),
        (lambda data: b"hello", {}, "not a Field Kit join file"),
    ],
    ids=["wrong join passphrase", "truncated", "not a join file"],
)
def test_joining_with_a_bad_join_file_creates_nothing(join_file, tmp_path, damage, env, words):
    if damage:
        join_file.write_bytes(damage(join_file.read_bytes()))
    new = tmp_path / "desk.db"
    refused(run("init", "--join", join_file, "--db", new, env={**ENV, **env}), words)
    assert not list(tmp_path.glob("desk.db*"))


def test_an_unwritable_join_file_enrolls_nobody(event_db, tmp_path, monkeypatch):
    path, _ = event_db
    before = content(path)
    refused(run("device", "enroll", "desk-2", "--role", "desk", "--db", path, "--out", tmp_path / "no" / "d.join"),
            "folder")

    def disk_full(bundle, out, passphrase):
        out.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("fieldkit.cli.device.write_join_file", disk_full)
    refused(run("device", "enroll", "desk-2", "--role", "desk", "--db", path, "--out", tmp_path / "d.join"),
            "nobody was enrolled")
    assert not (tmp_path / "d.join").exists()
    assert content(path) == before


def test_sync_serve_on_a_port_in_use_or_a_foreign_address(event_db):
    path, _ = event_db
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused(run("sync", "serve", "--db", path, "--port", port), f"Port {port} is already in use")
    refused(run("sync", "serve", "--db", path, "--host", "192.0.2.1", "--port", 0), "not an address of this laptop")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--method", "paper", "--form-id", "BOGUS"), "not a consent form id"),
        (("--method", "paper", "--form-id", "FK1:NOT-A-CODE"), "not a Field Kit code"),
        (("--method", "spoken", "--form-id", "01M887GX295N3WCXBSWN4EPZ4E"), "add --method paper"),
        (("--method", "spoken", "--permit", "no_such_purpose"), "no consent purpose 'no_such_purpose'"),
    ],
)
def test_consent_give_refuses_bad_forms_and_purposes(event_db, args, words):
    path, person = event_db
    before = content(path)
    refused(run("consent", "give", person, "--db", path, "--permit", "record_attendance", *args), words)
    assert content(path) == before


def test_a_typed_form_id_is_recorded_in_capitals(event_db):
    path, person = event_db
    result = run("consent", "give", person, "--db", path, "--method", "paper", "--permit", "record_attendance",
                 "--form-id", "01m887gx295n3wcxbswn4epz4e")
    assert result.exit_code == 0 and "(1 purpose)" in result.output, result.output
    store = open_store(path, PASSPHRASE)
    try:
        assert store.db.execute("SELECT form_id FROM consent_facts").fetchone()[0] == "01M887GX295N3WCXBSWN4EPZ4E"
    finally:
        store.close()


def test_consent_revoke_of_an_unknown_purpose_or_person(event_db):
    path, person = event_db
    before = content(path)
    refused(run("consent", "revoke", person, "no_such_purpose", "--db", path), "no consent purpose 'no_such_purpose'")
    refused(run("consent", "revoke", "NOBODY", "record_attendance", "--db", path), "There is no person NOBODY")
    assert content(path) == before


def test_a_receipt_into_a_missing_folder_prints_nothing_else(event_db, tmp_path):
    path, person = event_db
    assert run("consent", "give", person, "--db", path, "--method", "spoken", "--permit", "record_attendance").exit_code == 0
    refused(run("consent", "receipt", person, "--db", path, "--pdf", tmp_path / "no" / "r.pdf"), "--pdf path")


def test_consent_forms_into_a_missing_folder(event_db, tmp_path):
    path, _ = event_db
    refused(run("print", "consent-forms", "--db", path, "--blank", 2, "--out", tmp_path / "no" / "f.pdf"), "--out path")


def test_intake_check_template_with_a_missing_template(event_db, tmp_path):
    path, _ = event_db
    refused(run("intake", "check-template", tmp_path / "none.toml", "--db", path), "no such template file")


@pytest.mark.parametrize("kind", ["registrations", "referrals", "outcomes"])
def test_a_cut_off_unicode_text_export_is_refused_by_every_import(event_db, tmp_path, kind):
    path, _ = event_db
    cut = tmp_path / "cut.csv"  # Excel "Unicode text" (UTF-16) that lost its last byte
    cut.write_bytes(b"\xff\xfe" + "code,issued,channel,status,at\nA,2026-10-01,x,booked,2026-10-01\n".encode("utf-16-le")[:-1])
    before = content(path)
    refused(run("import", kind, cut, "--db", path), "cut.csv is Unicode (UTF-16) text that breaks off on line 2")
    assert content(path) == before


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda t: t.mkdir(), "a folder, not a template file"),
        (lambda t: t.write_bytes('[event]\nname = "Zo\xeb"\n'.encode("latin-1")), "not UTF-8 text"),
    ],
)
def test_init_and_check_template_refuse_a_template_they_cannot_read(event_db, tmp_path, make, words):
    template = tmp_path / "event.toml"
    make(template)
    refused(run("init", template, "--db", tmp_path / "new.db"), words)
    assert not (tmp_path / "new.db").exists()
    refused(run("intake", "check-template", template, "--db", event_db[0]), words)


@pytest.mark.parametrize("command", [("info",), ("app",), ("device", "list"), ("consent", "sweep"), ("intake", "export", "--out", "OUT")])
def test_a_wrong_passphrase_changes_nothing_for_any_command(event_db, command, tmp_path):
    path, _ = event_db
    before = path.read_bytes()
    command = [tmp_path / "x.csv" if word == "OUT" else word for word in command]
    result = run(*command, "--db", path, env={"FIELDKIT_PASSPHRASE": "wrong"})
    refused(result, "The passphrase does not open")
    assert path.read_bytes() == before and not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("how", ["env", "prompt"])
def test_a_database_passphrase_under_twelve_characters_is_refused_in_one_sentence(tmp_path, how):
    path = tmp_path / "event.db"
    sentence = "A database passphrase needs 12 characters or more: choose a longer one, a few words you will remember."
    if how == "env":
        result = run("init", TEMPLATE, "--db", path, env={"FIELDKIT_PASSPHRASE": "abc"})
        refused(result, sentence)
        assert not path.exists()
    else:  # asked again at the prompt until it is long enough, then confirmed
        result = CliRunner().invoke(main, ["init", str(TEMPLATE), "--db", str(path)],
                                    input="abc\n" + "a good long passphrase\n" * 2, env={"FIELDKIT_PASSPHRASE": ""})
        assert result.exit_code == 0, result.output
        assert result.output.count(sentence) == 1 and path.exists()


def test_the_store_itself_refuses_a_short_passphrase(tmp_path):
    from fieldkit.store import WeakPassphrase, create_store

    with pytest.raises(WeakPassphrase) as info:
        create_store(tmp_path / "x.db", "eleven char", device_name="desk", role="desk")
    assert info.value.code == "weak_passphrase" and not (tmp_path / "x.db").exists()
    create_store(tmp_path / "y.db", "twelve chars", device_name="desk", role="desk").close()
