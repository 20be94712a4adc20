"""The synthetic pilot, imported with `fieldkit import referrals`: the report recovers what was drawn."""

from __future__ import annotations

import json
from datetime import date, timedelta

import jsonschema
import pytest

from tests.conftest import REPO_ROOT
from tests.metrics import pilot

SCHEMA = json.loads((REPO_ROOT / "docs" / "report-schema.json").read_text())


@pytest.fixture
def pilot_report(cli, tmp_path):
    report_date = date.today() - timedelta(days=1)  # the command line runs on today's clock
    drawn = pilot.generate(report_date=report_date)
    log = pilot.write(drawn, tmp_path / "pilot.csv")
    code, out = cli("import", "referrals", str(log))
    assert code == 0, out
    assert f"{len(drawn.rows):,} referrals added".replace(",", "") in out.replace(",", "")
    code, out = cli("report", "--json", "--as-of", report_date.isoformat())
    assert code == 0, out
    return drawn, json.loads(out)


def test_the_report_recovers_each_channels_conversion_exactly_and_the_lift_within_its_interval(pilot_report):
    drawn, doc = pilot_report
    jsonschema.validate(doc, SCHEMA)
    by_channel = doc["referrals"]["by_channel"]
    for channel in pilot.CHANNELS:
        assert by_channel[channel]["referrals"] == drawn.referrals[channel]
        assert by_channel[channel]["first_session"] == drawn.first_sessions[channel]
        assert by_channel[channel]["third_session"] == drawn.third_sessions[channel]
        assert by_channel[channel]["conversion"]["rate"] == drawn.first_sessions[channel] / drawn.referrals[channel]
        low, high = by_channel[channel]["conversion"]["ci95"]
        assert low < pilot.CHANNELS[channel][1] < high  # each channel's true chance, within its Wilson interval
    comparison = doc["referrals"]["community_vs_directory"]
    low, high = comparison["rate_ratio_ci95"]
    assert low < pilot.LIFT < high
    assert comparison["p_value"] < 0.001
    assert comparison["median_days_ratio"] < 1  # community introductions started sooner
    assert comparison["sentence"].startswith("Community introductions reached a first session ")
    assert "more often than directory referrals" in comparison["sentence"] and "sooner" in comparison["sentence"]


def test_open_and_ended_referrals_shape_the_cumulative_incidence(pilot_report):
    drawn, doc = pilot_report
    total = doc["referrals"]["total"]
    assert total["referrals"] == len(drawn.rows)
    curve = total["cumulative_incidence"]
    assert 0 < curve["7"] < curve["14"] < curve["30"] <= curve["90"]
    # Aalen-Johansen with endings competing: by day 90 it is the share who started (nobody
    # is censored before every first session happened), not more as Kaplan-Meier would say.
    assert curve["90"] == pytest.approx(sum(drawn.first_sessions.values()) / len(drawn.rows))
    assert total["ended"] > 0 and total["referrals"] - total["first_session"] - drawn.ended == drawn.open


def test_the_terminal_report_says_it_in_sentences(cli, pilot_report):
    drawn, _ = pilot_report
    code, out = cli("report", "--as-of", (date.today() - timedelta(days=1)).isoformat())
    assert code == 0
    assert "Community introductions reached a first session" in out
    assert f"Referrals: {len(drawn.rows):,} referrals;" in out
    assert "Counts from 1 to 10 show as <11" in out
