"""The report document turned into the plain data the PDF pages draw (printables/report.py)."""

from __future__ import annotations

from pathlib import Path

from fieldkit.metrics import charts, text
from printables.report import Bar, Curve, ReportPages, Table, render_report


def _bars(bars: tuple[charts.Bar, ...]) -> tuple[Bar, ...]:
    return tuple(Bar(b.label, b.value, b.text) for b in bars)


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
    event = charts.arrivals_event(doc)
    title = f"Arrivals per quarter hour at {event['name']}" if event else ""
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
        arrivals=_bars(charts.arrivals(doc)),
        funnel=_bars(charts.funnel(doc)),
        curves=tuple(Curve(c.name, c.points) for c in charts.curves(doc)),
        tables=tuple(tables),
        footer="Made with Field Kit from de-identified counts. Definitions of every figure: docs/metrics.md.",
    )


def write_pdf(doc: dict, out: Path, page_size: str) -> int:
    """Write the report as a PDF; returns its number of pages."""
    return render_report(pages_of(doc), out, page_size)
