"""What an audit typed at the command line that gave a traceback: each is now one sentence, and nothing is left half done."""

from __future__ import annotations

import pytest

from fieldkit.checkin.passes import pass_token
from fieldkit.people.registry import add_registration
from fieldkit.store import open_store
from tests.conftest import PASSPHRASE
from tests.test_cli_refusals import TEMPLATE, content, event_db, refused, run  # noqa: F401 (event_db: a fixture)


def test_a_word_that_is_not_utf8_is_refused_and_nothing_is_made(tmp_path):
    # A terminal in Latin-1 sends "Zoë" as bytes Python can only keep as surrogates.
    result = run("init", TEMPLATE, "--db", tmp_path / "event.db", "--device-name", "Zo\udceb")
    assert result.exit_code == 2 and "Word 6 of the command is not UTF-8 text" in result.output
    assert "Zo" not in result.output and not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["", "   ", "x" * 41])
def test_init_refuses_a_laptop_name_no_one_could_read(tmp_path, name):
    result = run("init", TEMPLATE, "--db", tmp_path / "event.db", "--device-name", name)
    assert result.exit_code == 2 and "a laptop name has 1 to 40 characters on one line" in result.output
    assert not list(tmp_path.iterdir())


def test_an_init_that_fails_part_way_leaves_nothing_and_runs_again(tmp_path, monkeypatch):
    def broken(store):
        raise KeyboardInterrupt  # Ctrl+C while the event's certificate authority is made

    monkeypatch.setattr("fieldkit.event.ca.create_event_ca", broken)
    path = tmp_path / "event.db"
    assert isinstance(run("init", TEMPLATE, "--db", path).exception, (KeyboardInterrupt, SystemExit))
    assert not list(tmp_path.iterdir())
    monkeypatch.undo()
    result = run("init", TEMPLATE, "--db", path, "--device-name", " front \t desk ")
    assert result.exit_code == 0 and "(device front desk, coordinator)" in result.output


@pytest.mark.parametrize("command", [("export", "aggregates"), ("intake", "export")])
def test_an_empty_out_path_is_refused(event_db, command):
    path, _ = event_db
    refused(run(*command, "--db", path, "--out", ""), "--out needs a file name (it was empty)")


def test_a_file_name_the_system_refuses_is_one_sentence(event_db, tmp_path):
    path, _ = event_db
    before = content(path)
    result = run("print", "consent-forms", "--db", path, "--blank", 1, "--out", tmp_path / ("A" * 300 + ".pdf"))
    refused(result, "File name too long (the system refused it). Check the path")
    assert content(path) == before


def test_a_pass_typed_with_caps_lock_checks_in_at_the_command_line_too(event_db):
    path, person = event_db
    store = open_store(path, PASSPHRASE)
    code = pass_token(store, add_registration(store, person, source="import"))
    store.close()
    result = run("checkin", "--db", path, f"  {code.lower()}\n")
    assert result.exit_code == 0 and "Ελένη Παπαδάκη" in result.output


def test_check_does_not_call_a_sound_database_damaged_when_it_cannot_open_it(event_db):
    # SQLite cannot make its write-ahead log beside the database (here a folder is in the
    # way; on a read-only folder it is the same): that is no damage, and restoring would not help.
    path, _ = event_db
    path.with_name(path.name + "-wal").mkdir()
    result = run("check", "--db", path)
    assert result.exit_code == 1 and "Damaged" not in result.output and "restore" not in result.output
    assert "cannot be opened" in result.output


def test_a_database_in_a_read_only_folder_says_so(event_db, monkeypatch):
    path, _ = event_db
    path.with_name(path.name + "-wal").mkdir()
    monkeypatch.setattr("fieldkit.store.faults.os.access", lambda where, mode: where != path.parent)
    refused(run("info", "--db", path), "its folder is read-only (SQLite keeps two working files beside it)")


@pytest.mark.parametrize("text", ["\ufeffa long passphrase here\n", "a long passphrase here\nsecond line\n"])
def test_init_refuses_a_passphrase_file_that_is_not_one_plain_line(tmp_path, text):
    # Taken whole, the mark or the second line would be part of the key: typing the visible
    # passphrase later would be "the wrong passphrase" for good.
    secret = tmp_path / "passphrase.txt"
    secret.write_text(text, encoding="utf-8")
    result = run("init", TEMPLATE, "--db", tmp_path / "event.db", "--passphrase-file", secret, env={})
    refused(result, "holds more than one line, or an invisible mark at its start")
    assert not (tmp_path / "event.db").exists()


def test_a_report_as_of_the_last_day_there_is_is_refused_not_a_traceback(event_db):
    path, _ = event_db
    refused(run("report", "--db", path, "--as-of", "9999-12-31"), "--as-of is too far ahead")


def test_a_failed_init_into_an_empty_file_that_was_there_leaves_it_there_empty(tmp_path, monkeypatch):
    def broken(store):
        raise KeyboardInterrupt

    monkeypatch.setattr("fieldkit.event.ca.create_event_ca", broken)
    path = tmp_path / "event.db"
    path.touch()  # made beforehand (a mktemp, a file manager): not Field Kit's to delete
    assert isinstance(run("init", TEMPLATE, "--db", path).exception, (KeyboardInterrupt, SystemExit))
    assert [p.name for p in tmp_path.iterdir()] == ["event.db"] and path.stat().st_size == 0
