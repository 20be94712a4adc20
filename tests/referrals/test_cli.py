"""`fieldkit directory` and `fieldkit referral`: thin commands over the referral domain."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from tests.conftest import PASSPHRASE, REPO_ROOT
from tests.cups_support import cups_pdf_queue  # noqa: F401  (fixture)


@pytest.fixture
def run(store, db_path, monkeypatch):
    """Invoke the CLI in-process on the fixture's event database."""
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    store.close()

    def _run(*args, ok=True):
        result = CliRunner().invoke(main, [*args, "--db", str(db_path)])
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    return _run


def test_directory_list_and_filters(run):
    out = run("directory", "list", "--language", "el")
    assert "Ελένη Παπαδάκη [eleni-papadaki]" in out and "Amara" not in out
    assert "joao-ferreira" in run("directory", "list", "--not-accepting")
    assert "No practitioner matches" in run("directory", "list", "--specialism", "astrology")


def test_directory_export_hsds(run, tmp_path):
    out = tmp_path / "directory.json"
    assert "Wrote 4 services" in run("directory", "export", "--hsds", "--out", str(out))
    assert json.loads(out.read_text())["services"][1]["contacts"][0]["name"] == "Ελένη Παπαδάκη"
    assert "add --hsds" in run("directory", "export", "--out", str(tmp_path / "x.json"), ok=False)
    assert not (tmp_path / "x.json").exists()


def test_issue_vet_book_and_credit_from_the_command_line(run):
    run("referral", "introducer", "add", "Amina Yusuf", "--group", "Tenants' association")
    introducer_id = run("referral", "introducer", "list").split("id ")[-1].strip()
    issued = run("referral", "issue", "--channel", "community", "--introducer", introducer_id, "--need", "grief")
    code = issued.split()[0]
    assert "UNVETTED" in issued and "to amara-okafor" in issued
    refusal = run("referral", "status", code, "booked", ok=False)
    assert "cannot become booked" in refusal and "Vet it first" in refusal
    assert "vetted by eleni-papadaki" in run("referral", "status", code, "vetted", "--practitioner", "eleni-papadaki")
    run("referral", "status", code.lower().replace("-", ""), "booked")
    assert "Amina Yusuf (Tenants' association): 1 credit " in run("referral", "introducer", "list")
    assert f"reached booked" in run("referral", "credits")
    history = run("referral", "show", code)
    assert "issued (cli)" in history and "booked (cli)" in history
    assert "1 referral." in run("referral", "list", "--status", "booked")
    assert "0 referrals." in run("referral", "list", "--status", "issued")
    assert "re-referral" in run("referral", "stats")


@pytest.mark.parametrize(
    "args, words",
    [
        (["referral", "status", "ZZZZ-ZZZZ-Z", "booked"], "typing mistake"),
        (["referral", "status", "hello", "booked"], "not a referral code"),
        (["referral", "issue", "--channel", "community"], "needs its introducer"),
        (["referral", "issue", "--channel", "directory", "--practitioner", "dr-who"], "No practitioner 'dr-who'"),
        (["referral", "scan", "FK1:AAAA"], "not a Field Kit code"),
    ],
)
def test_bad_input_is_one_sentence_and_changes_nothing(run, db_path, args, words):
    from fieldkit.store import open_store

    before = open_store(db_path, PASSPHRASE)
    count = before.db.execute("SELECT count(*) FROM changes").fetchone()[0]
    before.close()
    out = run(*args, ok=False)
    assert words in out and "Traceback" not in out
    after = open_store(db_path, PASSPHRASE)
    assert after.db.execute("SELECT count(*) FROM changes").fetchone()[0] == count
    after.close()


def test_every_command_has_help(run):
    for path in (["directory"], ["directory", "list"], ["directory", "export"], ["referral"], ["referral", "issue"],
                 ["referral", "status"], ["referral", "scan"], ["referral", "outcome"], ["referral", "introducer", "add"]):
        out = CliRunner().invoke(main, [*path, "--help"]).output
        assert "Usage:" in out and len(out.splitlines()) > 3


def test_runs_as_a_subprocess(store, db_path):
    store.close()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "FIELDKIT_PASSPHRASE": PASSPHRASE}
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "referral", "issue", "--channel", "walk_in", "--db", str(db_path)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "UNVETTED" in done.stdout


def test_print_blank_cards_from_the_command_line(run, tmp_path, db_path):
    out = tmp_path / "cards.pdf"
    said = run("print", "referral-cards", "--blank", "12", "--out", str(out))
    assert "12 referral cards written." in said and f"Saved {out}" in said
    assert out.read_bytes().startswith(b"%PDF")
    assert "--blank N, or --referral ID" in run("print", "referral-cards", "--out", str(tmp_path / "y.pdf"), ok=False)
    assert "between 1 and" in run("print", "referral-cards", "--blank", "0", "--out", str(tmp_path / "y.pdf"), ok=False)
    assert not (tmp_path / "y.pdf").exists()


def test_print_a_referral_card_as_a_label_or_one_card(run, tmp_path):
    import pypdf

    code = run("referral", "issue", "--channel", "walk_in", "--need", "grief").split()[0]
    label = tmp_path / "label.pdf"
    assert "1 referral label written." in run("print", "referral-cards", "--referral", code, "--layout", "label", "--out", str(label))
    card = tmp_path / "card.pdf"
    assert "1 referral card written." in run("print", "referral-cards", "--referral", code, "--layout", "card", "--out", str(card))
    [page] = pypdf.PdfReader(card).pages
    assert (round(float(page.mediabox.width) / 72 * 25.4), round(float(page.mediabox.height) / 72 * 25.4)) == (85, 55)
    assert "grief" not in page.extract_text().casefold()


def test_printing_cards_through_the_real_cups_queue(run, tmp_path, db_path, cups_pdf_queue):  # noqa: F811
    from tests.referrals.test_cards import decode_all

    out = tmp_path / "cups-cards.pdf"
    said = run("print", "referral-cards", "--blank", "10", "--out", str(out), "--printer", cups_pdf_queue.name)
    job = said.split(" as job ")[1].strip().rstrip(".")
    printed = cups_pdf_queue.wait_for_job(job)
    texts = [t for page in decode_all(printed.read_bytes(), scale=2) for t in page]
    from fieldkit import tokens
    from fieldkit.store import open_store

    store = open_store(db_path, PASSPHRASE)
    try:
        keyring = tokens.KeyRing.from_store(store)
        ids = {tokens.parse_token(t, keyring, store.now()).id for t in texts}
        assert len(ids) == 10
        assert all(store.db.execute("SELECT 1 FROM referral_cards WHERE id = ?", [i]).fetchone() for i in ids)
    finally:
        store.close()


def test_referral_issue_refuses_a_language_no_practitioner_speaks_and_lists_those_they_do(run):
    said = run("referral", "issue", "--channel", "walk_in", "--language", "klingon", ok=False)
    assert "'klingon' is not a language the practitioners of this event speak: choose one of el, en, es, pt, ru, uk, yo." in said
    assert "0 referrals." in run("referral", "list")
