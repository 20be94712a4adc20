"""The consent gate: `allows()` per call and `consenting_people()` in bulk, against bare SQL.

No budget in DESIGN.md names the gate, but every feature asks it (sync scoping and
reports for every person), so it is measured: its per-call cost against the bare
indexed lookup of the same latest fact on the same connection (the floor), and the
bulk query against the same window query run bare.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._event import sample_template  # noqa: E402
from benchmarks._timing import time_each  # noqa: E402
from fieldkit.consent import allows, consenting_people  # noqa: E402
from fieldkit.consent.gate import utc_text
from fieldkit.event import create_event  # noqa: E402
from fieldkit.store import new_id  # noqa: E402

PURPOSE = "contact_for_followup"
AT = datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc)


def populate(store, people: int, template) -> list[str]:
    """`people` people, each with a grant; every third later withdrew it."""
    purpose = template.purpose(PURPOSE)
    ids = [new_id() for _ in range(people)]
    with store.transaction():
        for number, person in enumerate(ids):
            store.set_record("people", person, {"display_name": f"Person {number}", "search_name": f"person {number}"})
            fact = {
                "record_id": new_id(), "person_id": person, "purpose": PURPOSE, "action": "grant",
                "decision": "permit", "text_version": purpose.version, "text_sha256": purpose.text_sha256,
                "method": "spoken", "recorded_by_device": store.device_id, "recorded_by_role": store.role,
                "at": utc_text(AT - timedelta(hours=4)), "valid_until": utc_text(AT + timedelta(days=365)),
            }
            store.append_fact("consent_facts", fact)
            if number % 3 == 0:
                store.append_fact("consent_facts", {**fact, "id": new_id(), "action": "revoke", "decision": None,
                                                    "at": utc_text(AT - timedelta(hours=1))})
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000, help="people with consent facts")
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 people")
    args = parser.parse_args()
    people = 300 if args.quick else args.people

    template = sample_template()
    with tempfile.TemporaryDirectory() as tmp:
        store = create_event(Path(tmp) / "bench.db", template, "bench-passphrase")
        try:
            ids = populate(store, people, template)
            sample = ids[: min(len(ids), 2000)]
            at_text = utc_text(AT)
            bare_sql = (
                "SELECT action, decision, text_version, valid_until FROM consent_facts"
                " WHERE person_id = ? AND purpose = ? AND at <= ? ORDER BY at DESC, hlc DESC LIMIT 1"
            )
            floor = time_each(lambda p: store.db.execute(bare_sql, [p, PURPOSE, at_text]).fetchone(), sample)
            gate = time_each(lambda p: allows(store, p, PURPOSE, at=AT), sample)

            start = time.perf_counter()
            store.db.execute(
                "SELECT person_id FROM (SELECT *, row_number() OVER (PARTITION BY person_id"
                " ORDER BY at DESC, hlc DESC) AS n FROM consent_facts WHERE purpose = ? AND at <= ?)"
                " WHERE n = 1 AND action = 'grant' AND decision = 'permit'",
                [PURPOSE, at_text],
            ).fetchall()
            bulk_floor = time.perf_counter() - start
            start = time.perf_counter()
            allowed = consenting_people(store, PURPOSE, at=AT)
            bulk = time.perf_counter() - start
        finally:
            store.close()

    assert len(allowed) == people - len(range(0, people, 3))
    f50, g50 = statistics.median(floor), statistics.median(gate)
    g99 = statistics.quantiles(gate, n=100)[98]
    print(f"people {people}, {len(sample)} gate calls, encrypted database")
    print(f"floor  bare latest-fact lookup:      median {f50 * 1e6:8.1f} us")
    print(f"gate   allows():                     median {g50 * 1e6:8.1f} us   p99 {g99 * 1e6:8.1f} us")
    print(f"ratio  allows / bare lookup: {g50 / f50:.2f}x")
    print(f"bulk   consenting_people(): {bulk * 1000:8.1f} ms   bare window query {bulk_floor * 1000:8.1f} ms")
    print(f"ratio  consenting_people / bare query: {bulk / bulk_floor:.2f}x")


if __name__ == "__main__":
    main()
