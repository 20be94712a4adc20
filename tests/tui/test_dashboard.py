"""The dashboard (F6) at 80x24: four plots with their numbers and words, small counts hidden."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fieldkit.event import create_event
from fieldkit.metrics.referral_log import import_referrals
from fieldkit.roles import DESK
from fieldkit.store import open_store
from fieldkit.tui.app import FieldKitApp
from fieldkit.tui.widgets.charts import ChartPanel, curve
from tests.conftest import PASSPHRASE
from tests.metrics import clinic_day, pilot
from tests.referrals.conftest import Clock


@pytest.fixture
def season(db_path, template, tmp_path):
    """A clinic day, then four months of referrals from the synthetic pilot's log."""
    create_event(db_path, template, PASSPHRASE).close()
    clock = Clock(clinic_day.EVENT_START)
    store = open_store(db_path, PASSPHRASE, wall=clock)
    expected = clinic_day.play(store, clock, registered=120, came=90, walk_ins=20, doubles=14, followups=40)
    report_date = (clinic_day.EVENT_START + timedelta(days=200)).date()
    clock.millis = int((clinic_day.EVENT_START + timedelta(days=200)).timestamp() * 1000)
    import_referrals(store, pilot.write(pilot.generate(report_date=report_date), tmp_path / "pilot.csv"))
    yield store, expected
    store.close()


def panel_text(app, name: str) -> str:
    return str(app.screen.query_one(f"#chart-{name}", ChartPanel).render())


async def test_the_dashboard_plots_the_report_with_numbers_and_words(season):
    store, expected = season
    app = FieldKitApp(store)
    async with app.run_test(size=(80, 24)) as pilot_:
        await pilot_.press("f6")
        await app.workers.wait_for_complete()
        await pilot_.pause()
        assert app.current_mode == "dashboard"
        arrivals = panel_text(app, "arrivals")
        assert f"{expected.attended} came" in arrivals and "█" in arrivals
        intent = panel_text(app, "intent")
        assert "conversations timed" in intent
        funnel = panel_text(app, "funnel")
        issued = len(pilot.generate().rows) + sum(expected.referrals.values())
        first_line = funnel.splitlines()[0]
        assert first_line.startswith("issued") and "█" in first_line and first_line.endswith(f"{issued:,}")
        assert "reached a first session (95% CI" in funnel
        curve = panel_text(app, "curve")
        assert "c community" in curve and re.search(r"Community 1\.\d\dx as often \(1\.\d\d-1\.\d\d\)", curve)
        assert "<11" in app.screen.query_one("#dashboard-status").render().plain
        app.save_screenshot(str(store.path.with_name("dashboard.svg")))


async def test_a_check_in_desk_has_no_dashboard(season):
    store, _ = season
    store.set_meta("role", DESK)
    app = FieldKitApp(store)
    async with app.run_test(size=(80, 24)) as pilot_:
        await pilot_.press("f6")
        await pilot_.pause()
        assert app.current_mode == "checkin"


def test_the_day_labels_of_the_first_session_curve_never_run_together():
    # At 80x24 the panel is narrow: "0─714──30" read as day 714.
    for width in range(12, 81):
        labels = re.findall(r"\d+", curve([], width, 4)[-1].split(" days")[0])
        assert labels[0] == "0" and set(labels) <= {"0", "7", "14", "30", "90"}, (width, labels)
        assert labels == sorted(labels, key=int), (width, labels)
