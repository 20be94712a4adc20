"""The de-identified intake export: timer runs and closed survey answers, as CSV rows.

No person ids, names, free text, row ids or timestamps leave in it: each timer run is
its event, intent category and duration; each response its survey, version and closed
answers, one row per answer. Rows get fresh numbers in an order unrelated to time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from fieldkit.csv_export import csv_file
from fieldkit.event import load_event
from fieldkit.intake.surveys import responses
from fieldkit.intake.timers import VOID, all_timers
from fieldkit.store import Store

COLUMNS = (
    "kind", "event_id", "ref", "category", "duration_seconds", "review",
    "survey_id", "survey_version", "question_id", "answer",
)


def _opaque_order(row_id: str) -> str:
    # ULIDs sort by time; hashing them gives an order that says nothing about when.
    return hashlib.sha256(row_id.encode()).hexdigest()


def export_rows(store: Store) -> Iterator[dict]:
    template = load_event(store).template
    now = store.now()
    runs = sorted(all_timers(store), key=lambda r: _opaque_order(r.timer_id))
    number = 0
    for run in runs:
        review = run.needs_review(template.event.ends, now)
        if (run.is_open and not review) or run.state == VOID:
            continue  # still in progress (not a run yet), or voided by a review
        number += 1
        yield {
            "kind": "timer",
            "event_id": store.event_id,
            "ref": f"T{number}",
            "category": run.category or "",
            "duration_seconds": int(run.elapsed(now).total_seconds()),
            "review": "ran past the event's end" if review else "",
        }
    for number, response in enumerate(sorted(responses(store), key=lambda r: _opaque_order(r["id"])), 1):
        for question_id, answer in response["answers"].items():
            yield {
                "kind": "response",
                "event_id": store.event_id,
                "ref": f"R{number}",
                "survey_id": response["survey_id"],
                "survey_version": response["survey_version"],
                "question_id": question_id,
                "answer": "; ".join(answer) if isinstance(answer, list) else answer,
            }


def export_csv(store: Store, out: Path, *, excel: bool = False) -> tuple[int, int]:
    """Write the export (with a BOM for Excel when `excel`); returns (timer runs, responses) written."""
    timers, refs = 0, set()
    with csv_file(out, COLUMNS, excel=excel) as rows:
        for row in export_rows(store):
            rows.write(row)
            if row["kind"] == "timer":
                timers += 1
            else:
                refs.add(row["ref"])
    return timers, len(refs)
