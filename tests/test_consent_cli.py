"""`fieldkit consent ...` and `fieldkit print consent-forms`: thin commands, refusals as sentences."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from fieldkit.cli import main
from fieldkit.event import create_event
from fieldkit.event.template import load_template
from fieldkit.people.registry import add_person
from tests.conftest import PASSPHRASE, SAMPLE_EVENTS
from tests.cups_support import cups_pdf_queue  # noqa: F401  (fixture)
from tests.sample_dates import sample_day

ENV = {"FIELDKIT_PASSPHRASE": PASSPHRASE}


@pytest.fixture
def event_db(tmp_path):
    """A database with one person on it; the store is closed so the CLI opens it itself."""
    path = tmp_path / "cli.db"
    store = create_event(path, load_template(SAMPLE_EVENTS / "wellbeing-popup.toml"), PASSPHRASE)
    person = add_person(store, "Ελένη Παπαδάκη", email="eleni@example.org", phone="020 7946 0001")
    store.close()
    return path, person


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], env=ENV)



def give(db, person, *extra):
    return run("consent", "give", person, "--db", db, "--method", "spoken", *extra)


def pdf_text_of(pdf) -> str:
    return " ".join(PdfReader(pdf).pages[0].extract_text().split())


def test_give_status_revoke_and_receipt(event_db, tmp_path):
    db, person = event_db
    result = give(db, person, "--permit", "record_attendance", "--permit", "contact_for_followup",
                  "--deny", "share_intake_with_practitioners", "--witness", "Sam Lee")
    assert result.exit_code == 0, result.output
    assert "3 purposes" in result.output

    status = run("consent", "status", person, "--db", db)
    assert status.exit_code == 0
    lines = {line.split()[1]: line.split()[0] for line in status.output.splitlines()}
    assert lines == {"record_attendance": "yes", "share_intake_with_practitioners": "no",
                     "contact_for_followup": "yes", "aggregate_reporting": "no"}

    receipt = run("consent", "receipt", person, "--db", db, "--pdf", tmp_path / "receipt.pdf")
    assert receipt.exit_code == 0, receipt.output
    data = json.loads(receipt.stdout)  # stdout is only the JSON; "Saved ..." goes to stderr
    assert "Saved" in receipt.stderr
    assert data["version"] == "KI-CR-v1.1.0" and data["jurisdiction"] == "GB"
    assert data["piiPrincipalId"] == person and data["collectionMethod"] == "Spoken"
    assert data["piiControllers"][0]["piiController"].startswith("Northside Neighbours CIC")
    purposes = {p["purposeId"]: p for p in data["services"][0]["purposes"]}
    # Only what was consented to is listed as consent: not the "no", not the never asked.
    assert set(purposes) == {"record_attendance", "contact_for_followup"}
    assert purposes["contact_for_followup"]["textVersion"] == "1"
    assert "Share what you tell us" in pdf_text_of(tmp_path / "receipt.pdf")  # the paper states every decision
    assert "Ελένη" not in receipt.stdout  # the JSON names no one
    pdf_text = pdf_text_of(tmp_path / "receipt.pdf")
    assert "Name: Ελένη Παπαδάκη" in pdf_text and data["consentReceiptID"] in pdf_text
    assert "Contact you afterwards: Yes" in pdf_text

    revoked = run("consent", "revoke", person, "contact_for_followup", "--db", db)
    assert revoked.exit_code == 0, revoked.output
    assert "Removed contact details (email, phone): 2 items" in revoked.output
    again = run("consent", "receipt", person, "--db", db)
    changed = json.loads(again.output)
    assert changed["consentReceiptID"] != data["consentReceiptID"]
    assert [p["purposeId"] for p in changed["services"][0]["purposes"]] == ["record_attendance"]  # withdrawn: no longer consent


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--permit", "marketing"), "no consent purpose 'marketing'"),
        (("--permit", "record_attendance", "--deny", "record_attendance"), "either --permit or --deny"),
        ((), "at least one purpose"),
    ],
)
def test_give_refuses_bad_input_and_records_nothing(event_db, args, words):
    db, person = event_db
    result = give(db, person, *args)
    assert result.exit_code != 0 and words in result.output
    assert "no " in run("consent", "status", person, "--db", db).output.split("\n")[0]


def test_revoke_and_receipt_refuse_with_a_sentence(event_db):
    db, person = event_db
    result = run("consent", "revoke", person, "contact_for_followup", "--db", db)
    assert result.exit_code != 0 and "no consent for “Contact you afterwards” to withdraw" in result.output
    result = run("consent", "receipt", person, "--db", db)
    assert result.exit_code != 0 and "No consent has been recorded" in result.output
    for command in ("receipt", "status"):
        result = run("consent", command, "NOBODY", "--db", db)
        assert result.exit_code != 0 and "There is no person NOBODY" in result.output


def test_sweep_reports_and_keeps_never_asked_until_the_end_of_the_event_day(event_db):
    db, _person = event_db
    result = run("consent", "sweep", "--db", db)
    assert result.exit_code == 0, result.output
    assert "Purged covered data of 0 people." in result.output
    assert f"{sample_day(1)} 00:00" in result.output


def test_print_blank_and_prefilled_forms(event_db, tmp_path):
    db, person = event_db
    out = tmp_path / "forms.pdf"
    result = run("print", "consent-forms", "--db", db, "--out", out, "--blank", 3)
    assert result.exit_code == 0, result.output
    assert "3 consent forms on 3 pages (A4)." in result.output and str(out) in result.output
    assert len(PdfReader(out).pages) == 3
    result = run("print", "consent-forms", "--db", db, "--out", tmp_path / "one.pdf", "--person", person)
    assert result.exit_code == 0, result.output
    assert "Ελένη Παπαδάκη" in PdfReader(tmp_path / "one.pdf").pages[0].extract_text()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "either --blank N"),
        (("--blank", 2, "--person", "X"), "either --blank N"),
        (("--blank", 0), "between 1 and 1000"),
        (("--person", "NOBODY"), "There is no person NOBODY"),
    ],
)
def test_print_consent_forms_refuses_bad_input(event_db, tmp_path, args, words):
    db, _person = event_db
    out = tmp_path / "never.pdf"
    result = run("print", "consent-forms", "--db", db, "--out", out, *args)
    assert result.exit_code != 0 and words in result.output
    assert not out.exists()


def test_printer_that_is_not_there_keeps_the_pdf_and_says_where(event_db, tmp_path, monkeypatch):
    db, _person = event_db
    monkeypatch.setenv("PATH", str(tmp_path / "no-cups"))
    out = tmp_path / "forms.pdf"
    result = run("print", "consent-forms", "--db", db, "--out", out, "--blank", 1, "--printer", "desk-laser")
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert "CUPS is not installed" in result.output and f"The PDF is saved at {out.resolve()}" in result.output


def test_print_printers_without_cups_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-cups"))
    result = run("print", "printers")
    assert result.exit_code != 0 and "CUPS is not installed" in result.output and "--out" in result.output


def test_print_consent_forms_through_cups_reports_the_job(event_db, tmp_path, cups_pdf_queue):  # noqa: F811
    db, _person = event_db
    out = tmp_path / "forms.pdf"
    listed = run("print", "printers")
    assert cups_pdf_queue.name in listed.output
    result = run("print", "consent-forms", "--db", db, "--out", out, "--blank", 1, "--printer", cups_pdf_queue.name)
    assert result.exit_code == 0, result.output
    job = result.output.split(" as job ")[1].split(".")[0]
    assert job.startswith(cups_pdf_queue.name)
    assert cups_pdf_queue.wait_for_job(job).exists()
