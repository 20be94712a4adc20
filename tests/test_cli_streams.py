"""What the command line says: results on stdout in plain English, progress and diagnostics on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from tests.conftest import PASSPHRASE

DATA = Path(__file__).parent / "data"


@pytest.fixture
def run(store, db_path, monkeypatch):
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    store.close()

    def _run(*args):
        result = CliRunner().invoke(main, [*map(str, args), "--db", str(db_path)])
        assert result.exit_code == 0, result.output
        return result

    return _run


def test_a_progress_bar_goes_to_stderr_and_the_result_to_stdout(run, tmp_path):
    out = tmp_path / "cards.pdf"
    result = run("print", "referral-cards", "--blank", "25", "--out", out)
    assert result.stdout.splitlines()[0] == "25 referral cards written."
    assert "Cards" not in result.stdout and "Cards" in result.stderr


def test_import_says_what_it_recognised_on_stdout_and_each_bad_row_on_stderr(run, tmp_path):
    export = tmp_path / "people.csv"
    export.write_text("name,email\nAna Silva,ana@example.org\n,nobody@example.org\n", encoding="utf-8")
    result = run("import", "registrations", export, "--skip-bad")
    assert result.stdout.startswith("Recognised a plain CSV file: ")
    assert result.stdout.splitlines()[-1] == "1 imported, 0 already here, 0 cancelled, 1 bad row."
    assert result.stderr.startswith("line 3: ") and "line 3" not in result.stdout


def test_each_export_kind_is_named_with_its_article(run):
    said = {name: run("import", "registrations", DATA / name, "--check").stdout.splitlines()[0]
            for name in ("eventbrite_attendees.csv", "pretix_positions.csv", "google_forms.csv")}
    assert said["eventbrite_attendees.csv"].startswith("Recognised an Eventbrite export: ")
    assert said["pretix_positions.csv"].startswith("Recognised a pretix export: ")
    assert said["google_forms.csv"].startswith("Recognised a Google Forms export: ")


def test_counts_of_one_are_singular(run, tmp_path):
    run("referral", "introducer", "add", "Amina Yusuf")
    assert "1 referral label written." in run(
        "print", "referral-cards", "--blank", "1", "--layout", "label", "--out", tmp_path / "one.pdf").stdout
    run("referral", "issue", "--channel", "walk_in", "--need", "grief")
    assert run("referral", "list").stdout.splitlines()[-1] == "1 referral."
