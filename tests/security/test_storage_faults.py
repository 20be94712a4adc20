"""Storage faults: a bad passphrase file, a damaged page, a cut-off file and a wrong passphrase
are four different sentences, never a traceback, and nothing is changed by any of them."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from click.testing import CliRunner

from fieldkit.checkin import CheckinRefused, Desk
from fieldkit.checkin.passes import pass_cards
from fieldkit.cli import main
from fieldkit.event import create_event
from fieldkit.event.template import load_template
from fieldkit.people.importer import import_registrations
from fieldkit.store import open_store
from fieldkit.store.check import check_database
from fieldkit.store.connection import read_passphrase_file
from fieldkit.store.errors import (
    DamagedDatabase,
    PassphraseFileRefused,
    TruncatedDatabase,
    WrongPassphrase,
)
from tests.conftest import PASSPHRASE, SAMPLE_EVENTS

TEMPLATE = SAMPLE_EVENTS / "wellbeing-popup.toml"
PAGE = 4096


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    """An encrypted event with its registrations: (database, a pass, the root page of people)."""
    folder = tmp_path_factory.mktemp("faults")
    store = create_event(folder / "event.db", load_template(TEMPLATE), PASSPHRASE)
    import_registrations(store, SAMPLE_EVENTS / "wellbeing-popup-registrations.csv")
    token = pass_cards(store)[0].token
    (root,) = store.db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'people'").fetchone()
    store.close()
    (folder / "passphrase").write_text(PASSPHRASE + "\n")
    return folder, token, root


@pytest.fixture
def copy(event, tmp_path):
    """copy(damage) -> a fresh copy of the event database with `damage(path)` done to it."""

    def _copy(damage=lambda path: None):
        path = tmp_path / "copy.db"
        shutil.copy(event[0] / "event.db", path)
        damage(path)
        return path

    return _copy


def overwrite(page: int, offset: int = 300):
    def damage(path):
        with open(path, "r+b") as handle:
            handle.seek((page - 1) * PAGE + offset)
            handle.write(b"\x01\x02\x03\x04")

    return damage


def cut_to(size_of):
    def damage(path):
        with open(path, "r+b") as handle:
            handle.truncate(size_of(path.stat().st_size))

    return damage


def digest(path) -> tuple[str | None, ...]:
    return tuple(
        hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None
        for p in (path, path.with_name(path.name + "-wal"))
    )


def run(*args, passphrase_file=None):
    options = ["--passphrase-file", str(passphrase_file)] if passphrase_file else []
    env = {} if passphrase_file else {"FIELDKIT_PASSPHRASE": PASSPHRASE}
    return CliRunner().invoke(main, [str(a) for a in args] + options, env=env)


def one_sentence(result) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


# -- four faults, four sentences -------------------------------------------------


def test_the_four_faults_are_four_sentences_with_their_own_codes(copy, tmp_path, event):
    nul, latin = tmp_path / "nul.txt", tmp_path / "latin.txt"
    nul.write_bytes(PASSPHRASE.encode() + b"\x00\n")
    latin.write_bytes("contraseña".encode("latin-1"))
    raised = {}
    for name, passphrase_file in (("nul", nul), ("latin", latin)):
        with pytest.raises(PassphraseFileRefused) as refused:
            read_passphrase_file(passphrase_file)
        raised[name] = refused.value
    for name, damage, passphrase in (
        ("damaged", overwrite(1), PASSPHRASE),
        ("cut", cut_to(lambda size: size - 10 * PAGE), PASSPHRASE),
        ("wrong", lambda path: None, "not the passphrase"),
    ):
        path = copy(damage)
        before = digest(path)
        with pytest.raises((DamagedDatabase, TruncatedDatabase, WrongPassphrase)) as refused:
            open_store(path, passphrase)
        raised[name] = refused.value
        assert digest(path) == before
    codes = {name: error.code for name, error in raised.items()}
    assert codes == {
        "nul": "passphrase_file", "latin": "passphrase_file",
        "damaged": "damaged_database", "cut": "truncated_database", "wrong": "wrong_passphrase",
    }
    sentences = {error.message for error in raised.values()}
    assert len(sentences) == 5 and all("\n" not in s for s in sentences)
    assert "NUL" in raised["nul"].message and "UTF-8" in raised["latin"].message
    assert "fieldkit check" in raised["damaged"].message and "cut off" in raised["cut"].message


@pytest.mark.parametrize(
    "content, words",
    [(PASSPHRASE.encode() + b"\x00", "holds a NUL byte"), (b"\xff\xfe secret", "is not UTF-8 text")],
)
def test_a_bad_passphrase_file_is_one_sentence_for_every_command(copy, tmp_path, content, words):
    path = copy()
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_bytes(content)
    before = digest(path)
    for command in (["info"], ["people", "find", "ana"], ["check"]):
        assert words in one_sentence(run(*command, "--db", path, passphrase_file=passphrase_file))
    assert digest(path) == before


@pytest.mark.parametrize(
    "cut",
    [lambda size: size - 10 * PAGE, lambda size: size - 1000, lambda size: PAGE * 3],
    ids=["whole pages", "part of a page", "first pages only"],
)
def test_a_cut_off_file_is_not_called_a_wrong_passphrase(copy, cut):
    path = copy(cut_to(cut))
    before = digest(path)
    sentence = one_sentence(run("info", "--db", path))
    assert "shorter than the database it holds" in sentence and "passphrase" not in sentence
    assert digest(path) == before


def test_a_damaged_first_page_is_not_called_a_wrong_passphrase(copy):
    path = copy(overwrite(1))
    sentence = one_sentence(run("info", "--db", path))
    assert "is damaged (page 1 cannot be read)" in sentence and "passphrase" not in sentence


# -- a damaged page is said, not read past ---------------------------------------


@pytest.mark.parametrize(
    "command",
    [["people", "find", "ana"], ["print", "passes", "--out", "{tmp}/passes.pdf"], ["checkin", "{token}"]],
    ids=["people find", "print passes", "checkin"],
)
def test_commands_that_read_a_damaged_page_say_so_and_change_nothing(copy, event, tmp_path, command):
    _, token, people_root = event
    path = copy(overwrite(people_root))
    before = digest(path)
    args = [a.format(tmp=tmp_path, token=token) for a in command]
    sentence = one_sentence(run(*args, "--db", path))
    assert f"{path} is damaged" in sentence and f"fieldkit check --db {path}" in sentence
    assert digest(path) == before
    assert not (tmp_path / "passes.pdf").exists() or (tmp_path / "passes.pdf").stat().st_size == 0


def test_the_desk_shows_a_damaged_page_as_a_refusal_not_a_crash(copy, event):
    _, token, people_root = event
    path = copy(overwrite(people_root))
    before = digest(path)
    store = open_store(path, PASSPHRASE)
    try:
        with pytest.raises(CheckinRefused) as refused:  # what the check-in screen shows in words
            Desk(store).scan(token)
    finally:
        store.close()
    assert refused.value.code == "damaged_database" and "fieldkit check" in refused.value.message
    assert digest(path) == before


@pytest.mark.parametrize("page", [1, 2, 5, 20, 40, 70, -1])
def test_four_bytes_overwritten_anywhere_never_give_a_traceback(copy, event, page):
    _, token, _ = event
    path = copy()
    pages = path.stat().st_size // PAGE
    overwrite(page if page > 0 else pages)(path)
    for command in (["info"], ["people", "find", "a"], ["checkin", token, "--nonce", "N1"]):
        result = run(*command, "--db", path)
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, repr(result.exception))
        if result.exit_code:
            assert "is damaged" in one_sentence(result) or "shorter" in result.output


# -- fieldkit check ----------------------------------------------------------------


def test_check_says_nothing_is_damaged_on_a_sound_file(copy):
    path = copy()
    result = run("check", "--db", path)
    assert result.exit_code == 0, result.output
    assert "every page verifies" in result.output and "integrity check: ok" in result.output
    assert result.output.strip().endswith("Nothing is damaged.")


def test_check_names_the_damaged_page_and_table_and_what_to_do(copy, event):
    people_root = event[2]
    path = copy(overwrite(people_root))
    before = digest(path)
    result = run("check", "--db", path)
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert f"1 of {path.stat().st_size // PAGE} pages fail ({people_root})" in lines[1]
    assert "Damaged: people (each with its indexes)." in lines
    assert lines[-1].startswith("Error: ") and "from another laptop by sync" in lines[-1]
    assert digest(path) == before


def test_check_tells_a_cut_off_file_and_a_wrong_passphrase(copy):
    path = copy(cut_to(lambda size: size - 10 * PAGE))
    report = check_database(path, PASSPHRASE)
    assert report.cut_off and isinstance(report.refusal(), TruncatedDatabase)
    with pytest.raises(WrongPassphrase):
        check_database(copy(), "not the passphrase")
