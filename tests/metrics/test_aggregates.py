"""Aggregate files: additive counts only, and a network report over them equal to one database's."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.event import create_event
from fieldkit.event.template import load_template
from fieldkit.metrics.aggregates import TABLES
from tests.conftest import PASSPHRASE
from tests.metrics import pilot
from tests.sample_dates import SAMPLE_EVENTS_AS_WRITTEN as SAMPLE_EVENTS  # every clock here is pinned

REPORT_DATE = date.today() - timedelta(days=1)


def fieldkit(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def fails(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 1, result.output
    return result.output


@pytest.fixture
def event_db(tmp_path, monkeypatch):
    """Make an event database holding some of the pilot's referral log."""
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    made = []

    def make(name: str, rows: list[dict], template: str = "wellbeing-popup.toml"):
        path = tmp_path / f"{name}.db"
        create_event(path, load_template(SAMPLE_EVENTS / template), PASSPHRASE).close()
        log = pilot.write(pilot.Pilot(rows, {}, {}, {}, 0, 0), tmp_path / f"{name}.csv")
        fieldkit("import", "referrals", str(log), "--db", str(path))
        made.append(path)
        return path

    return make


def report(*args: str) -> dict:
    return json.loads(fieldkit("report", "--json", *args))


def export(db, out) -> str:
    fieldkit("export", "aggregates", "--db", str(db), "--out", str(out), "--as-of", REPORT_DATE.isoformat())
    return str(out)


def test_two_halves_combined_give_the_report_of_one_database_holding_all(event_db, tmp_path):
    rows = pilot.generate(report_date=REPORT_DATE).rows
    whole = event_db("whole", rows)
    first, second = event_db("first", rows[::2]), event_db("second", rows[1::2])
    one = report("--db", str(whole), "--as-of", REPORT_DATE.isoformat())
    combined = report("--combine", export(first, tmp_path / "a.sqlite"), export(second, tmp_path / "b.sqlite"))
    assert combined["referrals"] == one["referrals"]
    assert combined["referrals"]["by_channel"]["community"]["referrals"] == pilot.CHANNELS["community"][0]


def test_a_network_report_breaks_down_by_community_suppressed(event_db, tmp_path):
    rows = pilot.generate(report_date=REPORT_DATE).rows
    north = event_db("north", rows[:1200])
    campus = event_db("campus", rows[1200:1205], template="campus-dropin.toml")  # five referrals
    doc = report("--combine", export(north, tmp_path / "n.sqlite"), export(campus, tmp_path / "c.sqlite"))
    by_community = doc["referrals"]["by_community"]
    assert set(by_community) == {"Northside Neighbours", "Student Peer Support Network"}
    assert by_community["Student Peer Support Network"]["referrals"] == "<11"
    assert by_community["Northside Neighbours"]["referrals"] is None  # else 1,205 minus it gives the five away
    assert doc["referrals"]["total"]["referrals"] == 1205
    assert len(doc["events"]) == 2


def test_the_aggregate_file_holds_counts_only(event_db, tmp_path):
    rows = pilot.generate(report_date=REPORT_DATE).rows
    db = event_db("event", rows)
    out = tmp_path / "agg.sqlite"
    export(db, out)
    conn = sqlite3.connect(out)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {*TABLES, "about"}
    texts = set()
    for table in TABLES:
        for row in conn.execute(f"SELECT * FROM {table}"):
            texts |= {v for v in row if isinstance(v, str)}
    conn.close()
    introducers = set(pilot.INTRODUCERS)
    assert not texts & introducers and not any("PILOT" in t or "declined:" in t for t in texts)
    assert not any(re.fullmatch(r"[0-9a-f]{32,}", t) for t in texts)  # no pseudonyms
    allowed = re.compile(r"[0-9A-Z]{26}|\d{4}-\d{2}(-\d{2})?|[a-z_0-9]+|\d\d:\d\d|desk \d+|Northside.*|")
    assert all(allowed.fullmatch(t) for t in texts), sorted(t for t in texts if not allowed.fullmatch(t))


def test_combining_refuses_other_files_and_one_event_twice_in_one_sentence(event_db, tmp_path):
    db = event_db("event", pilot.generate(report_date=REPORT_DATE).rows[:50])
    agg = export(db, tmp_path / "a.sqlite")
    out = fails("report", "--combine", agg, agg)
    assert "is in two of the files: give each event's file once." in out
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert "is not a Field Kit aggregate file" in fails("report", "--combine", str(other))
    assert "Give --combine the aggregate files (and no --db)" in fails("report", "--combine")
