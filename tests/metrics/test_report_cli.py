"""`fieldkit report`: its window, its files, re-engagement across events, and its refusals."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.event import create_event
from fieldkit.metrics.csv_out import FILES
from fieldkit.store import open_store
from tests.conftest import PASSPHRASE
from tests.metrics import clinic_day
from tests.referrals.conftest import Clock

AS_OF = "2027-03-01"


def played(path, template, **kwargs):
    create_event(path, template, PASSPHRASE).close()
    clock = Clock(clinic_day.EVENT_START)
    store = open_store(path, PASSPHRASE, wall=clock)
    try:
        return clinic_day.play(store, clock, **kwargs)
    finally:
        store.close()


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, list(args))
        return result.exit_code, result.output

    return invoke


def test_people_who_came_to_an_earlier_event_are_counted_as_returning(tmp_path, template, run):
    played(tmp_path / "spring.db", template)
    expected = played(tmp_path / "winter.db", template, registered=40, came=30, walk_ins=12, doubles=12, followups=12)
    code, out = run("report", "--db", str(tmp_path / "winter.db"), "--earlier", str(tmp_path / "spring.db"), "--json", "--as-of", AS_OF)
    assert code == 0, out
    returning = json.loads(out)["events"][0]["returning"]
    # Every Guest and Walk-in of winter came in spring too (the same names), except the two
    # who said no to aggregate reporting: left out of both.
    assert returning == {"people": expected.attended, "rate": 1.0, "earlier_events": 1}
    code, out = run("report", "--db", str(tmp_path / "winter.db"), "--json", "--as-of", AS_OF)
    assert json.loads(out)["events"][0]["returning"] == {"people": 0, "rate": 0.0, "earlier_events": 0}


def test_the_window_and_the_files(tmp_path, template, run):
    played(tmp_path / "event.db", template)
    db = str(tmp_path / "event.db")
    code, out = run("report", "--db", db, "--json", "--as-of", AS_OF, "--since", "2026-12-06")
    doc = json.loads(out)
    assert doc["events"] == [] and doc["referrals"]["total"]["referrals"] == 0  # all of it was on the 5th
    code, out = run("report", "--db", db, "--as-of", AS_OF, "--until", "2026-12-05", "--csv", str(tmp_path / "tables"))
    assert code == 0 and "Wrote 5 CSV files" in out and "Referrals: 30 referrals" in out
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == sorted(FILES)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--since", "2027-01-02", "--until", "2027-01-01"), "--since is after --until"),
        (("--combine",), "Give --combine the aggregate files (and no --db)"),
        (("--csv", "/nowhere/at/all/tables"), "does not exist: create it or choose another --csv folder"),
    ],
)
def test_refusals_are_one_sentence(tmp_path, template, run, args, says):
    create_event(tmp_path / "event.db", template, PASSPHRASE).close()
    code, out = run("report", "--db", str(tmp_path / "event.db"), *args)
    assert code == 1 and says in out and len(out.strip().splitlines()) == 1
