"""The additive counts every report is computed from, and the de-identified file that carries them.

A report never reads people or referrals directly: SQL (queries.py) turns the database
into these tables of counts, and the figures are worked out from the counts alone. So
the report of one database and the report of many aggregate files added together are
the same computation, and the file that travels holds no person rows, no free text, no
names of people and no pseudonyms: only counts by event, month, channel and step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fieldkit.errors import Refused

FORMAT = "fieldkit-aggregates/1"

# table -> its columns; the last column of a count table is the count.
TABLES: dict[str, tuple[str, ...]] = {
    "events": ("event_id", "community", "name", "starts", "earlier_events"),
    "attendance": ("event_id", "kind", "double_checkin", "followup", "returned", "people"),
    "arrivals": ("event_id", "quarter_hour", "desk", "people"),
    "intent": ("event_id", "category", "duration_seconds", "timers"),
    "referrals": ("community", "event_id", "month", "channel", "stage", "ended", "referrals"),
    "referral_days": ("community", "event_id", "month", "channel", "outcome", "day", "referrals"),
    "referral_windows": ("community", "event_id", "month", "channel", "window", "eligible", "reached"),
}
COUNTS = {"events": (), "referral_windows": ("eligible", "reached")}  # count columns where not the last
_INTEGER = {"earlier_events", "double_checkin", "followup", "returned", "people", "duration_seconds", "timers",
            "stage", "ended", "referrals", "day", "eligible", "reached"}


class AggregatesRefused(Refused):
    """An aggregate file that cannot be read or written; nothing was changed."""


@dataclass
class Aggregates:
    """Rows of each table in TABLES, and the report date(s) the counts were censored at."""

    report_dates: list[str] = field(default_factory=list)
    tables: dict[str, list[tuple]] = field(default_factory=lambda: {name: [] for name in TABLES})

    def rows(self, table: str) -> list[tuple]:
        return self.tables[table]

    def add(self, other: Aggregates) -> None:
        """Add another file's counts to these (a network report over many events)."""
        mine = {row[0] for row in self.tables["events"]}
        twice = [row[2] for row in other.tables["events"] if row[0] in mine]
        if twice:
            raise AggregatesRefused(
                "same_event", f"The event {twice[0]!r} is in two of the files: give each event's file once."
            )
        for name in TABLES:
            self.tables[name].extend(other.tables[name])
        self.report_dates = sorted(set(self.report_dates) | set(other.report_dates))


def without_desk_names(aggregates: Aggregates) -> Aggregates:
    """The same counts with each laptop's name replaced by "desk 1", "desk 2"... (names stay home)."""
    desks = sorted({row[2] for row in aggregates.tables["arrivals"]})
    label = {name: f"desk {n}" for n, name in enumerate(desks, 1)}
    tables = dict(aggregates.tables)
    tables["arrivals"] = [(e, q, label[d], n) for e, q, d, n in aggregates.tables["arrivals"]]
    return Aggregates(list(aggregates.report_dates), tables)


def combined(parts: Iterable[Aggregates]) -> Aggregates:
    total = Aggregates()
    for part in parts:
        total.add(part)
    return total


def _summed(table: str, rows: list[tuple]) -> list[tuple]:
    """Rows with the same key merged, counts added: the smallest honest file."""
    columns = TABLES[table]
    counts = COUNTS.get(table, (columns[-1],))
    key_at = [i for i, c in enumerate(columns) if c not in counts]
    count_at = [i for i, c in enumerate(columns) if c in counts]
    merged: dict[tuple, list[int]] = {}
    for row in rows:
        key = tuple(row[i] for i in key_at)
        into = merged.setdefault(key, [0] * len(count_at))
        for j, i in enumerate(count_at):
            into[j] += row[i]
    out = []
    for key, values in sorted(merged.items(), key=lambda kv: tuple(str(v) for v in kv[0])):
        row: list = [None] * len(columns)
        for j, i in enumerate(key_at):
            row[i] = key[j]
        for j, i in enumerate(count_at):
            row[i] = values[j]
        out.append(tuple(row))
    return out


def write_file(aggregates: Aggregates, out: Path) -> None:
    """Write the counts as an SQLite file that opens in Datasette (or loads into PostgreSQL)."""
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        with conn:
            conn.execute("CREATE TABLE about (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.executemany(
                "INSERT INTO about VALUES (?, ?)",
                [("format", FORMAT), ("report_dates", " ".join(aggregates.report_dates))],
            )
            for name, columns in TABLES.items():
                typed = ", ".join(f"{c} {'INTEGER' if c in _INTEGER else 'TEXT'} NOT NULL" for c in columns)
                conn.execute(f"CREATE TABLE {name} ({typed})")
                rows = aggregates.tables[name] if name == "events" else _summed(name, aggregates.tables[name])
                conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)
    finally:
        conn.close()
    tmp.replace(out)  # a half-written file never looks like a whole one


def read_file(path: Path) -> Aggregates:
    """Read a file `write_file` wrote; refuses anything else in one sentence."""
    if not path.is_file():
        raise AggregatesRefused("aggregates_missing", f"{path} does not exist: give the aggregate files `fieldkit export aggregates` wrote.")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            about = dict(conn.execute("SELECT key, value FROM about").fetchall())
            if about.get("format") != FORMAT:
                raise sqlite3.DatabaseError("format")
            found = Aggregates(report_dates=about.get("report_dates", "").split())
            for name, columns in TABLES.items():
                found.tables[name] = [tuple(r) for r in conn.execute(f"SELECT {', '.join(columns)} FROM {name}")]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise AggregatesRefused(
            "not_aggregates",
            f"{path} is not a Field Kit aggregate file: make one with `fieldkit export aggregates --db EVENT.db --out FILE.sqlite`.",
        ) from None
    return found
