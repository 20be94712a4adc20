"""The report document turned into the plain data the PDF pages draw (printables/report.py)."""

from __future__ import annotations

from pathlib import Path

from fieldkit.metrics import text
from fieldkit.metrics.cohorts import INCIDENCE_DAYS
from printables.report import Bar, Curve, ReportPages, Table, render_report

FUNNEL = (("referrals", "issued"), ("vetted", "vetted"), ("booked", "booked"),
          ("first_session", "first session"), ("third_session", "third session"))


def _bar(label: str, value: int | str | None) -> Bar:
    return Bar(label, value if isinstance(value, int) else None, text.count(value))


def _curve(name: str, cohort: dict) -> Curve:
    points = [(d, cohort["cumulative_incidence"][str(d)]) for d in INCIDENCE_DAYS]
    return Curve(name, tuple((d, v) for d, v in points if isinstance(v, float)))


def _cohort_rows(cohorts: dict[str, dict], label=lambda key, c: key) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (label(key, c), text.count(c["referrals"]), text.count(c["first_session"]), text.percent(c["conversion"]["rate"]),
         text.interval(c["conversion"]["ci95"]), text.count(c["third_session"]), text.days(c["days_to_first_session"]["median"]))
        for key, c in cohorts.items()
    )


def pages_of(doc: dict) -> ReportPages:
    """What the PDF says, from the suppressed report document."""
    refs = doc["referrals"]
    sentences = []
    for event in doc["events"]:
        sentences.append(f"{event['name']} ({text.long_date(event['starts'])}): " + " ".join(text.event_sentences(event)))
    sentences += [text.cohort_sentence("Referrals", refs["total"]), refs["community_vs_directory"]["sentence"]]
    with_arrivals = [e for e in doc["events"] if e["arrivals"] and e["arrivals"]["by_quarter_hour"]]
    arrivals = ()
    title = ""
    if len(with_arrivals) == 1:
        event = with_arrivals[0]
        arrivals = tuple(_bar(q, n) for q, n in event["arrivals"]["by_quarter_hour"].items())
        title = f"Arrivals per quarter hour at {event['name']}"
    headings = ("", "referrals", "first session", "%", "95% CI", "third session", "median days")
    tables = [
        Table("Referrals by channel", ("channel", *headings[1:]), _cohort_rows(refs["by_channel"], lambda k, c: k.replace("_", " "))),
        Table("Referrals by month of issue", ("month", *headings[1:]), _cohort_rows(refs["by_month"])),
        Table("Referrals by event", ("event", *headings[1:]), _cohort_rows(refs["by_event"], lambda k, c: c["name"][:40])),
    ]
    if len(refs["by_community"]) > 1:
        tables.append(Table("Referrals by community", ("community", *headings[1:]), _cohort_rows(refs["by_community"])))
    for event in doc["events"]:
        by_category = event["intent"]["by_category"]
        if by_category:
            tables.append(Table(
                f"What people came for at {event['name']}", ("intent", "conversations", "share", "median minutes"),
                tuple((c.replace("_", " "), text.count(v["timers"]), text.percent(v["share"]),
                       text.days(None if v["duration_minutes"]["median"] is None else round(v["duration_minutes"]["median"], 1)))
                      for c, v in by_category.items()),
            ))
    dates = ", ".join(text.long_date(d) for d in doc["report_dates"])
    return ReportPages(
        title="Field Kit report: " + (doc["events"][0]["name"] if len(doc["events"]) == 1 else "the network"),
        subtitle=f"{', '.join(doc['communities'])} · as of {dates}",
        legend=text.LEGEND,
        sentences=tuple(sentences),
        arrivals_title=title,
        arrivals=arrivals,
        funnel=tuple(_bar(label, refs["total"][key]) for key, label in FUNNEL),
        curves=(_curve("all referrals", refs["total"]),
                *(_curve(c.replace("_", " "), refs["by_channel"][c]) for c in ("community", "directory"))),
        tables=tuple(tables),
        footer="Made with Field Kit from de-identified counts. Definitions of every figure: docs/metrics.md.",
    )


def write_pdf(doc: dict, out: Path, page_size: str) -> int:
    """Write the report as a PDF; returns its number of pages."""
    return render_report(pages_of(doc), out, page_size)
