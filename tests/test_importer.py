"""Registration import: every export shape the issue names, and every way a file goes wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.people.importer import ImportRefused, detect_mapping, detect_source, import_registrations
from tests.conftest import PASSPHRASE

DATA = Path(__file__).parent / "data"


def names(store) -> list[str]:
    return sorted(r[0] for r in store.db.execute("SELECT display_name FROM people"))


def snapshot(store) -> tuple:
    return tuple(store.counts().items()) + (store.db.execute("SELECT count(*) FROM changes").fetchone()[0],)


def write(tmp_path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_eventbrite_attendee_report(store):
    report = import_registrations(store, DATA / "eventbrite_attendees.csv")
    assert report.source == "eventbrite" and report.applied
    assert report.mapping["external_id"] == "Attendee #"
    assert names(store) == ["Ana Silva", "Zoë Müller-Łukasiewicz", "Γιώργος Παπαδόπουλος", "Мария Иванова"]
    assert report.cancelled == [5]  # Not Attending
    row = store.db.execute(
        "SELECT p.email, p.phone, r.ticket, r.external_id FROM people p JOIN registrations r"
        " ON r.person_id = p.id WHERE p.display_name = 'Ana Silva'"
    ).fetchone()
    assert row == ("ana@example.org", "07700 900100", "Free drop-in", "8880001")
    # Columns the clinic does not need are not kept anywhere.
    assert not store.db.execute("SELECT 1 FROM people WHERE display_name LIKE '%Mill Lane%'").fetchone()


def test_pretix_export_with_bom_semicolons_and_quoted_newlines(store):
    report = import_registrations(store, DATA / "pretix_positions.csv")
    assert report.source == "pretix"
    assert report.mapping["external_id"] == "Order code+Position ID"
    assert report.mapping["email"] == "Attendee email"  # the attendee's, not the buyer's
    assert [r.line for r in report.new] == [2, 4, 5, 7]  # line 2's comment runs onto line 3
    assert report.cancelled == [6]
    ids = sorted(r[0] for r in store.db.execute("SELECT external_id FROM registrations"))
    assert ids == ["CF32E-1", "GZD8P-1", "WK1DE-1", "WK1DE-2"]
    assert store.db.execute("SELECT email FROM people WHERE display_name = 'Hélène Garnier'").fetchone() == (None,)


def test_google_forms_export_finds_the_name_question(store):
    report = import_registrations(store, DATA / "google_forms.csv")
    assert report.source == "google-forms"
    assert report.mapping["name"] == "What is your name?"
    assert names(store) == ["Kwame Mensah", "Li Wei", "Olena Kovalenko"]


def test_plain_name_email_csv(store):
    report = import_registrations(store, DATA / "plain.csv")
    assert report.source == "csv" and len(report.new) == 3


@pytest.mark.parametrize("sample", ["eventbrite_attendees.csv", "pretix_positions.csv", "google_forms.csv", "plain.csv"])
def test_reimport_changes_nothing(store, sample):
    import_registrations(store, DATA / sample)
    before = snapshot(store)
    again = import_registrations(store, DATA / sample)
    assert again.new == [] and again.already_had > 0
    assert snapshot(store) == before


def test_bad_rows_are_reported_with_lines_and_nothing_is_imported(store):
    before = snapshot(store)
    report = import_registrations(store, DATA / "bad_rows.csv")
    assert not report.applied
    assert [(b.line, b.reason) for b in report.bad] == [
        (3, "no name"),
        (4, "the email is not an address (it needs one @ and a domain)"),
        (5, "2 columns where the header has 3"),
        (7, "the same registration as line 2"),
    ]
    assert snapshot(store) == before


def test_skip_bad_imports_the_good_rows(store):
    report = import_registrations(store, DATA / "bad_rows.csv", skip_bad=True)
    assert report.applied and names(store) == ["Ana Silva", "Dara Quinn"]


def test_check_changes_nothing(store):
    before = snapshot(store)
    report = import_registrations(store, DATA / "eventbrite_attendees.csv", check=True)
    assert len(report.new) == 4 and not report.applied
    assert snapshot(store) == before


def test_map_overrides(store, tmp_path):
    path = write(tmp_path, "Participant,Contact,Ref\nAna Silva,ana@example.org,A1\n")
    with pytest.raises(ImportRefused, match="--map"):
        import_registrations(store, path)
    report = import_registrations(store, path, overrides={"Participant": "name", "Ref": "external_id"})
    assert report.applied and report.mapping["name"] == "Participant"
    assert store.db.execute("SELECT external_id FROM registrations").fetchone() == ("A1",)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"Nope": "name"}, "no column 'Nope'"), ({"name": "shoe_size"}, "unknown field")],
)
def test_bad_map_is_refused(store, overrides, message):
    with pytest.raises(ImportRefused, match=message):
        import_registrations(store, DATA / "plain.csv", overrides=overrides)


def test_utf16_and_bom_and_crlf(store, tmp_path):
    path = write(tmp_path, "\ufeffname\temail\r\nÅsa Berg\tasa@example.org\r\n", encoding="utf-16")
    assert import_registrations(store, path).new[0].name == "Åsa Berg"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\n\n", "is empty"),
        (b"name\nR\xe9mi\n", "not UTF-8"),
        (b'name\n"unterminated\n', "line 2"),
        (b"colour,size\nred,10\n", "No name column"),
        # Excel "Unicode text" cut off on an odd byte, and one with half a character pair.
        (b"\xff\xfe" + "name,email\nAna,a@b.co\n".encode("utf-16-le") + b"\x00", "breaks off on line 3"),
        (b"\xff\xfe" + "name,email\n".encode("utf-16-le") + b"\x00\xd8A\x00\n\x00", "breaks off on line 2"),
        (b"Name,Name,Email,Email\nAna,Bob,a@b.co,c@d.co\n", "more than one column headed 'Name' and 'Email'"),
        (b"Name,Email,EMAIL \nAna,a@b.co,c@d.co\n", "more than one column headed 'Email',"),
    ],
)
def test_unreadable_files_are_refused_in_one_sentence(store, tmp_path, content, message):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    before = snapshot(store)
    with pytest.raises(ImportRefused, match=message) as caught:
        import_registrations(store, path)
    assert str(caught.value).endswith(".")
    assert snapshot(store) == before


def test_a_repeated_column_nobody_reads_is_no_reason_to_refuse(store, tmp_path):
    path = write(tmp_path, "Name,Email,Comment,Comment\nAna Silva,ana@example.org,hi,there\n")
    assert import_registrations(store, path).applied and names(store) == ["Ana Silva"]


def test_a_name_with_text_direction_controls_is_a_bad_row(store, tmp_path):
    # U+202E turns "Ana<RLO>gnp.exe" into "Anaexe.png" on screen and on a printed pass.
    path = write(tmp_path, "Name,Email\nAna\u202egnp.exe,a@b.co\nBo \u2067Lee\u2069,\nDara,\n")
    before = snapshot(store)
    report = import_registrations(store, path)
    assert [(b.line, b.reason) for b in report.bad] == [
        (2, "the name contains invisible text-direction characters"),
        (3, "the name contains invisible text-direction characters"),
    ]
    assert not report.applied and snapshot(store) == before


def test_rows_without_ids_are_keyed_by_content(store, tmp_path):
    import_registrations(store, write(tmp_path, "name,email\nAna Silva,ana@example.org\n"))
    report = import_registrations(store, write(tmp_path, "name,email\nANA  silva,ana@example.org\nBo,\n", "b.csv"))
    assert report.already_had == 1 and [r.name for r in report.new] == ["Bo"]


def test_detection_helpers():
    assert detect_source(["Order code", "Position ID"]) == "pretix"
    assert detect_source(["Name", "Email"]) == "csv"
    assert detect_mapping(["First Name", "Last Name", "E-mail"]) == {
        "first_name": "First Name",
        "last_name": "Last Name",
        "email": "E-mail",
    }


# -- the command ---------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)), env={"FIELDKIT_PASSPHRASE": PASSPHRASE})


def test_cli_check_lists_rows_and_changes_nothing(store, db_path):
    before = snapshot(store)
    result = run("import", "registrations", DATA / "eventbrite_attendees.csv", "--db", db_path, "--check")
    assert result.exit_code == 0, result.output
    assert "line 2: Ana Silva (Free drop-in)" in result.output
    assert "4 would import, 0 already here, 1 cancelled, 0 bad rows." in result.output
    assert snapshot(store) == before


def test_cli_bad_rows_fail_with_line_numbers(store, db_path):
    result = run("import", "registrations", DATA / "bad_rows.csv", "--db", db_path)
    assert result.exit_code == 1
    assert "line 4: the email is not an address" in result.output
    assert "Nothing was imported" in result.output
    ok = run("import", "registrations", DATA / "bad_rows.csv", "--db", db_path, "--skip-bad", "--map", "name=name")
    assert ok.exit_code == 0 and "2 imported" in ok.output


def test_cli_rejects_a_malformed_map(store, db_path):
    result = run("import", "registrations", DATA / "plain.csv", "--db", db_path, "--map", "name")
    assert result.exit_code == 1 and "expected COLUMN=FIELD" in result.output
