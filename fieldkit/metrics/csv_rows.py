"""Reading the CSV files referrals and outcomes come in: forgiving headers, dates, bad rows with their line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from fieldkit.errors import Refused
from fieldkit.people.importer import csv_lines


class CsvRefused(Refused):
    """The file as a whole cannot be imported; nothing was changed."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def fold_header(header: str) -> str:
    """`First session`, `first_session_at` and `First session date` all become `first_session`."""
    folded = re.sub(r"[\s_\-]+", "_", header.replace("\ufeff", "").strip().lower()).strip("_")
    return re.sub(r"_(at|date)$", "", folded)


@dataclass(frozen=True)
class CsvRows:
    columns: dict[str, int]  # field -> index of its column
    ignored: tuple[str, ...]  # headers that name no field
    width: int
    rows: tuple[tuple[int, list[str]], ...]  # (line, cells), padded to the header's width


def read_rows(path: Path, fields: tuple[str, ...], required: tuple[str, ...], what: str) -> CsvRows:
    """The column of each known field, and every non-empty row with the line it starts on."""
    headers, rows = csv_lines(path)
    if headers is None:
        raise CsvRefused("csv_empty", f"{path.name} is empty: export the {what} again and retry.")
    columns: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        name = fold_header(header)
        if name in fields and name not in columns:
            columns[name] = index
        else:
            ignored.append(header)
    missing = [f for f in required if f not in columns]
    if missing:
        raise CsvRefused(
            "csv_missing_column",
            f"{path.name} has no {' or '.join(repr(m) for m in missing)} column: its columns are "
            f"{', '.join(repr(h) for h in headers)}; name them {', '.join(fields)}.",
        )
    if not rows:
        raise CsvRefused("csv_no_rows", f"{path.name} has a header row but no {what}: nothing to import.")
    # Short rows are padded: a spreadsheet drops trailing empty cells.
    padded = tuple((line, values + [""] * (len(headers) - len(values))) for line, values in rows)
    return CsvRows(columns, tuple(ignored), len(headers), padded)


def cells(values: list[str], columns: dict[str, int]) -> dict[str, str]:
    """The cell of each known field, spaces tidied."""
    return {name: " ".join(values[i].split()) for name, i in columns.items()}


def too_wide(values: list[str], width: int) -> str | None:
    """Why a row with more filled cells than the header has is bad, or None."""
    if any(v.strip() for v in values[width:]):
        return f"{len(values)} cells where the header has {width}"
    return None


def parse_moment(text: str, zone: ZoneInfo, column: str) -> datetime:
    """An ISO date (noon that day, in the event's time zone) or date and time, as UTC."""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(12), tzinfo=zone)
        else:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a date: write it like 2026-01-31 or 2026-01-31 14:30") from None
    if moment.year < 2000:  # (a typo for the year, e.g. 1926: no clinic's log goes back that far)
        raise ValueError(f"{column} {text!r} is before 2000: check the year")
    return moment.astimezone(UTC)
