"""The report as CSV files in a folder, one per table, with the same suppression as every output."""

from __future__ import annotations

from pathlib import Path

from fieldkit.csv_export import csv_file
from fieldkit.metrics.cohorts import INCIDENCE_DAYS

FILES = ("events.csv", "arrivals.csv", "intent.csv", "referrals.csv", "comparison.csv")


def _cell(value) -> str:
    """A count as shown ("<11", "*" when withheld); a rate with four decimals; "" when it cannot be said."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _count(value) -> str:
    return "*" if value is None else str(value)


def _write(excel: bool, path: Path, header: list[str], rows: list[list[str]]) -> None:
    with csv_file(path, header, excel=excel) as out:
        for row in rows:
            out.write(row)


def write_csv(doc: dict, folder: Path, *, excel: bool = False) -> list[Path]:
    """Write the report's tables into `folder` (made if missing; through the one CSV writer,
    with a BOM for Excel when `excel`); returns the files written."""
    folder.mkdir(exist_ok=True)
    counts = ("registered", "attended", "walk_ins", "no_shows", "double_checkins")
    events = [
        [e["name"], e["starts"], e["community"], *(_count(e[c]) for c in counts),
         _count(e["followup"]["people"]), _cell(e["followup"]["rate"]),
         _count(e["returning"]["people"]), _cell(e["returning"]["rate"]),
         _count(e["referrals"]["issued"]), _cell(e["referrals"]["per_100_attendees"]),
         _cell(e["referrals"]["velocity_days"]["median"]), _cell(e["referrals"]["rebook_7_days"])]
        for e in doc["events"]
    ]
    _write(excel, folder / "events.csv",
           ["event", "starts", "community", *counts, "followup", "followup_rate", "returning", "returning_rate",
            "referrals", "referrals_per_100_attendees", "velocity_median_days", "rebook_7_days"], events)
    arrivals = []
    for e in doc["events"]:
        for kind, key in (("quarter_hour", "by_quarter_hour"), ("desk", "by_desk")):
            for value, n in ((e["arrivals"] or {}).get(key) or {}).items():
                arrivals.append([e["name"], kind, value, _count(n)])
    _write(excel, folder / "arrivals.csv", ["event", "by", "value", "people"], arrivals)
    intent = [
        [e["name"], category, _count(v["timers"]), _cell(v["share"]),
         _cell(v["duration_minutes"]["median"]), _cell(v["duration_minutes"]["p90"])]
        for e in doc["events"] for category, v in e["intent"]["by_category"].items()
    ]
    _write(excel, folder / "intent.csv", ["event", "category", "timers", "share", "median_minutes", "p90_minutes"], intent)
    referrals = []
    refs = doc["referrals"]
    sections = [("total", {"": refs["total"]})] + [(d, refs[f"by_{d}"]) for d in ("channel", "month", "event", "community")]
    for dimension, cohorts in sections:
        for value, c in cohorts.items():
            referrals.append(
                [dimension, value, *(_count(c[n]) for n in ("referrals", "vetted", "booked", "first_session", "third_session", "ended")),
                 _cell(c["conversion"]["rate"]), *(_cell(x) for x in (c["conversion"]["ci95"] or [None, None])),
                 _cell(c["third_session_conversion"]["rate"]),
                 _cell(c["days_to_first_session"]["median"]), _cell(c["days_to_first_session"]["p90"]),
                 *(_cell(c["cumulative_incidence"][str(d)]) for d in INCIDENCE_DAYS),
                 _cell(c["retention"]["30_days"]), _cell(c["retention"]["90_days"])]
            )
    _write(excel, folder / "referrals.csv",
           ["dimension", "value", "referrals", "vetted", "booked", "first_session", "third_session", "ended",
            "conversion", "conversion_ci95_low", "conversion_ci95_high", "third_session_conversion",
            "days_to_first_session_median", "days_to_first_session_p90",
            *(f"first_session_by_day_{d}" for d in INCIDENCE_DAYS), "retention_30_days", "retention_90_days"], referrals)
    comparison = refs["community_vs_directory"]
    _write(excel, folder / "comparison.csv", ["figure", "value"],
           [[k, _cell(v) if not isinstance(v, list) else " ".join(_cell(x) for x in v)] for k, v in comparison.items()])
    return [folder / name for name in FILES]
