"""docs/metrics.md and the report name the same metrics, and the same tables of counts."""

from __future__ import annotations

import re

from fieldkit.metrics.aggregates import TABLES, Aggregates
from fieldkit.metrics.report import build
from tests.conftest import REPO_ROOT

DOCS = (REPO_ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")


def documented() -> set[str]:
    return set(re.findall(r"^### `([a-z0-9_]+)`$", DOCS, flags=re.MULTILINE))


def reported() -> set[str]:
    """The metrics a report holds: an event's figures, its intent and referral figures, a
    cohort's figures and the comparison's (names and labels are not metrics)."""
    aggregates = Aggregates(report_dates=["2026-12-31"])
    aggregates.tables["events"] = [("E", "North", "Event", "2026-12-05", 0)]
    aggregates.tables["intent"] = [("E", "not_now", 60, 1)]
    doc = build(aggregates)
    event = doc["events"][0]
    names = set(event) - {"id", "name", "community", "starts", "intent", "referrals"}
    names |= set(event["intent"]) | set(event["intent"]["by_category"]["not_now"])
    names |= set(event["referrals"])
    names |= set(doc["referrals"]["total"])
    comparison = doc["referrals"]["community_vs_directory"]
    names |= {k for k in comparison if not k.endswith("_ci95")}
    return names - {"by_category"}


def test_every_metric_is_defined_once_and_every_definition_is_reported():
    headings = re.findall(r"^### `([a-z0-9_]+)`$", DOCS, flags=re.MULTILINE)
    assert len(headings) == len(set(headings)), "a metric is defined twice"
    assert documented() == reported()


def test_every_table_of_counts_is_described():
    described = set(re.findall(r"^\| `([a-z_]+)` \|", DOCS, flags=re.MULTILINE))
    assert described == set(TABLES)
