"""Bad input at the check-in desk and for referrals: one sentence, a non-zero exit, no traceback, the database file unchanged."""

from __future__ import annotations

import hashlib

import pytest

from fieldkit import referrals as rf
from fieldkit.checkin.passes import pass_cards
from fieldkit.event import create_event
from fieldkit.event.template import load_template
from fieldkit.people.importer import import_registrations
from tests.conftest import PASSPHRASE, SAMPLE_EVENTS
from tests.test_cli_refusals import run

TEMPLATE = SAMPLE_EVENTS / "wellbeing-popup.toml"
OTHER = SAMPLE_EVENTS / "campus-dropin.toml"


def refused(result, words: str, exit_code: int = 1) -> None:
    """One line naming what to do next, the given exit status, no traceback."""
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.output


def files(path) -> tuple[str | None, ...]:
    """The sha256 of the database file and of its -wal: equal digests, not a byte changed."""
    return tuple(
        hashlib.sha256(f.read_bytes()).hexdigest() if f.exists() else None
        for f in (path, path.with_name(path.name + "-wal"))
    )


def _event(path, template):
    store = create_event(path, load_template(template), PASSPHRASE)
    import_registrations(store, template.with_name(template.stem + "-registrations.csv"))
    return store


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """An event with registrations and one issued referral, a pass of it and a pass of another event."""
    folder = tmp_path_factory.mktemp("desk")
    other = _event(folder / "other.db", OTHER)
    other_pass = pass_cards(other)[0].token
    other.close()
    store = _event(folder / "event.db", TEMPLATE)
    good_pass = pass_cards(store)[0].token
    referral = rf.issue_referral(store, channel="directory", need="grief")
    store.close()
    return folder / "event.db", good_pass, other_pass, referral.display_code


@pytest.fixture
def unchanged(desk):
    path = desk[0]
    before = files(path)
    yield
    assert files(path) == before


def _forged(token: str) -> str:
    return token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("forged", "(forged)"),
        ("other", "(other_event)"),
        ("FK1:HELLO", "(malformed)"),
        ("", "(malformed)"),
        ("   ", "(malformed)"),
        ("FK1:", "(malformed)"),
    ],
)
def test_checkin_refuses_bad_codes_and_changes_nothing(desk, unchanged, code, reason):
    path, good, other = desk[:3]
    code = {"forged": _forged(good), "other": other}.get(code, code)
    refused(run("checkin", code, "--db", path), reason, exit_code=3)


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        (None, (), "does not exist: give the path of the CSV export file"),
        ("FOLDER", (), "is a folder: give the path of the CSV export file"),
        (bytes(range(256)) * 8, (), "is not UTF-8 text"),
        (b"", (), "is empty: export the registrations again"),
        (b"name,email\n", (), "has a header row but no registrations"),
        (b"Full name,Email\nAna B,ana@example.org\n", ("--map", "Full nme=name"), "the file has no column 'Full nme'"),
        (b"Full name,Email\nAna B,ana@example.org\n", ("--map", "Full name=nmae"), "unknown field"),
        (b"Full name,Email\nAna B,ana@example.org\n", ("--map", "Full name"), "expected COLUMN=FIELD"),
    ],
    ids=["missing", "folder", "binary", "empty", "header only", "map column typo", "map field typo", "map without ="],
)
def test_import_registrations_refuses_bad_files(desk, unchanged, tmp_path, content, args, words):
    csv_file = tmp_path / "export.csv"
    if content == "FOLDER":
        csv_file.mkdir()
    elif content is not None:
        csv_file.write_bytes(content)
    refused(run("import", "registrations", csv_file, "--db", desk[0], *args), words)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("passes", "--out", "MISSING/p.pdf"), "there is no folder"),
        (("referral-cards", "--blank", 2, "--out", "MISSING/c.pdf"), "there is no folder"),
        (("referral-cards", "--blank", 0, "--out", "c.pdf"), "Print between 1 and"),
        (("referral-cards", "--blank", -3, "--out", "c.pdf"), "Print between 1 and"),
        (("referral-cards", "--referral", "NOPE", "--out", "c.pdf"), "'NOPE' is not a referral code"),
        (("referral-cards", "--referral", "", "--out", "c.pdf"), "is not a referral code"),
        (("referral-cards", "--out", "c.pdf"), "Say what to print"),
    ],
    ids=["passes missing folder", "cards missing folder", "blank 0", "blank negative", "unknown referral",
         "empty referral", "nothing asked"],
)
def test_print_refusals_write_nothing(desk, unchanged, tmp_path, args, words):
    args = [str(tmp_path / a) if isinstance(a, str) and a.endswith(".pdf") else a for a in args]
    refused(run("print", *args, "--db", desk[0]), words)
    assert not list(tmp_path.rglob("*.pdf"))


def _typo(code: str) -> str:
    return code[:-1] + ("P" if code[-1] != "P" else "Q")


@pytest.mark.parametrize(
    ("code", "args", "words"),
    [
        ("NOPE", ("booked",), "'NOPE' is not a referral code"),
        ("", ("booked",), "is not a referral code"),
        ("TYPO", ("booked",), "has a typing mistake: check each character"),
        ("PASS", ("booked",), "not a referral card"),
        ("CODE", ("third_session",), "can only become vetted, declined or expired"),
        ("CODE", ("issued",), "is already issued"),
        ("CODE", ("declined",), "Say why"),
        ("CODE", ("vetted",), "choose which practitioner vets it"),
        ("CODE", ("vetted", "--practitioner", "nobody"), "No practitioner 'nobody'"),
    ],
    ids=["unknown", "empty", "typo", "a pass", "skips ahead", "same status", "no reason", "no vetter", "unknown vetter"],
)
def test_referral_status_refusals_change_nothing(desk, unchanged, code, args, words):
    path, good, _, display = desk
    code = {"TYPO": _typo(display), "PASS": good, "CODE": display}.get(code, code)
    refused(run("referral", "status", code, *args, "--db", path), words)


def test_directory_export_into_a_missing_folder(desk, unchanged, tmp_path):
    refused(run("directory", "export", "--hsds", "--out", tmp_path / "no" / "d.json", "--db", desk[0]), "choose another --out path")
