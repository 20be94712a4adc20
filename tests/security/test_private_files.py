"""Everything Field Kit writes that holds personal data or keys is owner-only (0600), even
when the file was already there with a wider mode, so another account on a shared laptop
cannot read a database, its write-ahead log, a pass sheet, a receipt, an export or a join file."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from fieldkit.checkin.passes import deliver_single_pass, pass_cards, pass_sheet
from fieldkit.cli import main
from fieldkit.event import create_event
from fieldkit.people.registry import add_person, add_registration
from fieldkit.private_files import create_private, open_private, write_private
from fieldkit.store import open_store
from sync.enroll import enroll_device, write_join_file
from tests.conftest import PASSPHRASE

ENV = {"FIELDKIT_PASSPHRASE": PASSPHRASE}


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def widened(path):
    """A file an older Field Kit (or a careless copy) left readable by everyone."""
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    return path


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], env=ENV)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def event(tmp_path, template):
    store = create_event(tmp_path / "event.db", template, PASSPHRASE)
    person = add_person(store, "Ana Silva", email="ana@example.org")
    add_registration(store, person, source="test")
    yield store, person
    store.close()


def test_a_new_database_and_its_log_files_are_owner_only(event):
    store, _ = event
    path = store.path
    store.set_record("people", None, {"display_name": "Bo Chen"})  # the -wal and -shm exist now
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert companion.exists() and mode(companion) == 0o600, companion


def test_an_older_database_left_readable_is_narrowed_when_opened(event):
    store, _ = event
    path = store.path
    store.close()
    os.chmod(path, 0o644)
    open_store(path, PASSPHRASE).close()
    assert mode(path) == 0o600


def test_pass_sheets_consent_forms_and_receipts_are_owner_only(event, tmp_path):
    store, person = event
    path = store.path
    store.close()
    passes, forms, receipt = (widened(tmp_path / name) for name in ("passes.pdf", "forms.pdf", "receipt.pdf"))
    run("print", "passes", "--db", path, "--out", passes)
    run("print", "consent-forms", "--db", path, "--person", person, "--out", forms)
    run("consent", "give", person, "--db", path, "--method", "spoken", "--permit", "record_attendance")
    run("consent", "receipt", person, "--db", path, "--pdf", receipt)
    for pdf in (passes, forms, receipt):
        assert pdf.read_bytes().startswith(b"%PDF") and mode(pdf) == 0o600, pdf


def test_a_walk_ins_pass_is_owner_only_in_an_owner_only_folder(event, tmp_path):
    store, _ = event
    folder = tmp_path / "passes"
    sentence = deliver_single_pass(pass_sheet(store), pass_cards(store)[0], folder, "")
    (pdf,) = folder.glob("pass-*.pdf")
    assert str(pdf) in sentence or pdf.name in sentence
    assert mode(pdf) == 0o600 and mode(folder) == 0o700


def test_the_intake_export_is_owner_only(event, tmp_path):
    store, _ = event
    path = store.path
    store.close()
    out = widened(tmp_path / "intake.csv")
    run("intake", "export", "--db", path, "--out", out)
    assert mode(out) == 0o600


def test_a_join_file_is_owner_only_even_over_an_older_file(event, tmp_path):
    store, _ = event
    join = widened(tmp_path / "desk-2.join")
    write_join_file(enroll_device(store, "desk-2", "desk"), join, "a long join passphrase")
    assert mode(join) == 0o600 and join.read_bytes().startswith(b"FIELDKIT-JOIN")


def test_the_one_helper_creates_narrows_and_writes(tmp_path):
    made = create_private(tmp_path / "new")
    assert mode(made) == 0o600 and made.read_bytes() == b""
    old = widened(tmp_path / "old")
    write_private(old, b"secret")
    assert mode(old) == 0o600 and old.read_bytes() == b"secret"
    with open_private(widened(tmp_path / "text"), "w", encoding="utf-8") as handle:
        handle.write("Łukasz")
    assert mode(tmp_path / "text") == 0o600
    with pytest.raises(ValueError):
        with open_private(tmp_path / "x", "a"):
            pass
