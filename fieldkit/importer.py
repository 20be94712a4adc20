"""Registration import from the CSV exports clinics actually have.

Recognised: Eventbrite attendee reports, pretix attendee/order exports, Google
Forms/Sheets exports and plain name/email sheets. Only name, email, phone, ticket,
external id and date are kept; every other column is dropped on the floor.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from fieldkit.registry import add_person, add_registration
from fieldkit.store import Store

FIELDS = ("first_name", "last_name", "name", "email", "phone", "ticket", "external_id", "registered_at")

# Known header spellings, folded to lower case; first match wins per field.
_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "first_name", "firstname", "given name", "attendee first name"),
    "last_name": ("last name", "last_name", "lastname", "surname", "family name", "attendee last name"),
    "name": ("name", "full name", "attendee name", "your name", "invoice address name", "nom"),
    "email": ("email", "e-mail", "email address", "attendee email", "attendee e-mail", "your email"),
    "phone": ("phone", "cell phone", "mobile", "phone number", "telephone", "attendee phone"),
    "ticket": ("ticket type", "product", "ticket", "item"),
    "external_id": ("attendee #", "ticket #", "position id", "order code", "order #", "id"),
    "registered_at": ("order date", "timestamp", "registered", "date"),
}
_SOURCE_SIGNATURES = {
    "eventbrite": {"attendee #", "order #"},
    "pretix": {"order code", "position id"},
    "google-forms": {"timestamp"},
}


class ImportRefused(Exception):
    """The file cannot be imported as a whole; str() says why and what to do."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    source: str
    mapping: dict[str, str]
    new: list[str] = field(default_factory=list)
    already_had: int = 0
    bad: list[BadRow] = field(default_factory=list)
    applied: bool = False


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            f"{path} is not UTF-8 text: export it again as CSV (UTF-8) and retry."
        ) from None


def _dialect(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def detect_source(headers: list[str]) -> str:
    folded = {h.strip().lower() for h in headers}
    for source, signature in _SOURCE_SIGNATURES.items():
        if signature <= folded or (source == "google-forms" and "timestamp" in folded):
            return source
    return "csv"


def detect_mapping(headers: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Field -> column header. `overrides` is column=field from `--map`."""
    folded = {h.strip().lower(): h for h in headers}
    source = detect_source(headers)
    mapping: dict[str, str] = {}
    for name, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in folded and folded[alias] not in mapping.values():
                mapping[name] = folded[alias]
                break
    # pretix: the position id is only unique within the order; the order code leads.
    if source == "pretix" and "order code" in folded and "position id" in folded:
        mapping["external_id"] = f"{folded['order code']}+{folded['position id']}"
    for column, field_name in (overrides or {}).items():
        if field_name not in FIELDS:
            raise ImportRefused(
                f"--map {column}={field_name}: unknown field; use one of {', '.join(FIELDS)}."
            )
        if column not in headers:
            raise ImportRefused(f"--map {column}={field_name}: the file has no column {column!r}.")
        mapping[field_name] = column
    if "name" not in mapping and "first_name" not in mapping:
        raise ImportRefused(
            "No name column found: add --map COLUMN=name (or first_name/last_name)."
        )
    return mapping


def _value(row: dict[str, str], column: str | None) -> str:
    if column is None:
        return ""
    if "+" in column and column not in row:
        return "-".join(_value(row, part) for part in column.split("+"))
    return (row.get(column) or "").strip()


def _parse_row(row: dict[str, str], mapping: dict[str, str]) -> dict[str, str]:
    name = _value(row, mapping.get("name"))
    if not name:
        name = " ".join(
            part for part in (_value(row, mapping.get("first_name")), _value(row, mapping.get("last_name"))) if part
        )
    name = " ".join(name.split())
    if not name:
        raise ValueError("no name")
    if len(name) > 200:
        raise ValueError("name longer than 200 characters")
    email = _value(row, mapping.get("email"))
    if email and ("@" not in email or " " in email):
        raise ValueError(f"email {email!r} is not an address")
    return {
        "name": name,
        "email": email,
        "phone": _value(row, mapping.get("phone")),
        "ticket": _value(row, mapping.get("ticket")),
        "external_id": _value(row, mapping.get("external_id")),
        "registered_at": _value(row, mapping.get("registered_at")),
    }


def import_registrations(
    store: Store,
    path: str | Path,
    *,
    overrides: dict[str, str] | None = None,
    check: bool = False,
    skip_bad: bool = False,
) -> ImportReport:
    """Import a registrations CSV; idempotent by (source, external id).

    All-or-nothing unless `skip_bad`; `check` reports and writes nothing.
    """
    path = Path(path)
    text = _read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_dialect(text))
    headers = reader.fieldnames or []
    if not headers:
        raise ImportRefused(f"{path} is empty: there is no header row to read.")
    mapping = detect_mapping(headers, overrides)
    source = detect_source(headers)
    report = ImportReport(source=source, mapping=mapping)
    parsed: list[tuple[int, dict[str, str]]] = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                report.bad.append(BadRow(line, "wrong number of columns"))
                continue
            if not any((v or "").strip() for v in row.values()):
                continue
            try:
                parsed.append((line, _parse_row(row, mapping)))
            except ValueError as exc:
                report.bad.append(BadRow(line, str(exc)))
    except csv.Error as exc:
        raise ImportRefused(f"{path} line {reader.line_num}: {exc}; fix the file and retry.") from None

    existing = {
        row[0]
        for row in store.db.execute(
            "SELECT external_id FROM registrations WHERE source = ? AND event_id = ?",
            [source, store.event_id],
        )
    }
    seen: set[str] = set()
    todo = []
    for line, item in parsed:
        # Rows without an id of their own are keyed by their content, so a re-import matches.
        key = item["external_id"] or "sha256:" + hashlib.sha256(
            f"{item['name']}\x1f{item['email']}".encode()
        ).hexdigest()[:20]
        if key in existing:
            report.already_had += 1
        elif key in seen:
            report.bad.append(BadRow(line, f"duplicate of an earlier row ({key})"))
        else:
            seen.add(key)
            todo.append((key, item))
    report.new = [item["name"] for _, item in todo]
    if check or (report.bad and not skip_bad):
        return report
    with store.transaction():
        for key, item in todo:
            person = add_person(store, item["name"], email=item["email"] or None, phone=item["phone"] or None)
            add_registration(
                store,
                person,
                source=source,
                external_id=key,
                ticket=item["ticket"] or None,
                registered_at=item["registered_at"] or None,
            )
    report.applied = True
    return report
