"""Registration import from the CSV exports clinics actually have.

Recognised: Eventbrite attendee reports, pretix attendee/order exports, Google
Forms/Sheets exports and plain name/email sheets; `--map` covers the rest. Only
name, email, phone, ticket, external id, order, party size and date are kept, and
a platform's ticket secret only as a digest (fieldkit/people/tickets.py); every
other column is dropped on the floor. Importing is all-or-nothing (unless bad rows are to be
skipped) and idempotent by (source, external id).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from fieldkit.errors import Refused
from fieldkit.people.registry import add_person, add_registration
from fieldkit.people.tickets import keep_ticket_secret
from fieldkit.store import Store

FIELDS = (
    "first_name", "last_name", "name", "email", "phone", "ticket", "external_id", "registered_at", "status",
    "order", "party_size", "ticket_secret",
)
MAX_NAME = 200

# Known header spellings, folded; the first alias present wins, so the attendee's
# own column comes before the buyer's (pretix and Eventbrite have both).
_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": (
        "attendee name: given name", "attendee first name", "first name", "first_name",
        "firstname", "given name", "forename",
    ),
    "last_name": (
        "attendee name: family name", "attendee last name", "last name", "last_name",
        "lastname", "surname", "family name",
    ),
    "name": ("attendee name", "name", "full name", "your name", "invoice address name", "nom"),
    "email": (
        "attendee email", "attendee e-mail", "email", "e-mail", "email address", "your email",
        "e-mail address",
    ),
    "phone": ("attendee phone", "cell phone", "phone", "phone number", "mobile", "mobile phone", "telephone"),
    "ticket": ("ticket type", "product", "ticket", "item"),
    "external_id": ("attendee #", "ticket #", "order code", "order #", "registration id", "id"),
    "registered_at": ("order date", "timestamp", "registered", "registered at", "date"),
    "status": ("attendee status", "status", "order status"),
    "order": ("order code", "order #", "order number", "order id"),
    "party_size": ("party size", "group size", "number of people", "how many people", "quantity"),
    # What the person's ticket QR carries: admitted by it, kept only as a digest.
    "ticket_secret": ("ticket secret", "secret", "barcode #", "barcode"),
}
# Fields that may read a column another field uses too (pretix's order code is also half its id).
_SHARED = {"order"}
# Identifying columns of each export; a source is recognised when all are present.
_SOURCE_SIGNATURES = (
    ("eventbrite", ("attendee #", "order #")),
    ("pretix", ("order code",)),
    ("google-forms", ("timestamp",)),
)
# How each source is named in a sentence, article included.
SOURCE_WORDS = {
    "eventbrite": "an Eventbrite export",
    "pretix": "a pretix export",
    "google-forms": "a Google Forms export",
    "csv": "a plain CSV file",
}
# pretix numbers positions within an order: the order code alone is not unique.
_COMPOUND_IDS = {"pretix": ("order code", "position id")}
_CANCELLED = {"cancelled", "canceled", "refunded", "not attending", "deleted", "declined", "expired", "c"}
_DELIMITERS = (",", ";", "\t")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Embeddings, overrides and isolates: invisible, they make a name show as something it is not
# ("Ana\u202egnp.exe" reads "Anaexe.png"). The marks U+200E/U+200F only nudge neutral
# characters, and right-to-left names copied from elsewhere carry them, so they stay.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


class ImportRefused(Refused):
    """The file cannot be imported as a whole; str() says why and what to do."""

    code = "import_refused"


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass(frozen=True)
class NewRegistration:
    line: int
    name: str
    ticket: str


@dataclass
class ImportReport:
    source: str
    mapping: dict[str, str]
    new: list[NewRegistration] = field(default_factory=list)
    already_had: int = 0
    cancelled: list[int] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    applied: bool = False

    @property
    def source_words(self) -> str:
        """The file's kind in a sentence: "an Eventbrite export"."""
        return SOURCE_WORDS[self.source]


@dataclass(frozen=True)
class _Columns:
    """Where each kept field lives: field -> column indexes (joined when several)."""

    headers: tuple[str, ...]
    by_field: dict[str, tuple[int, ...]]

    def describe(self) -> dict[str, str]:
        return {name: "+".join(self.headers[i] for i in idx) for name, idx in self.by_field.items()}


def fold_header(header: str) -> str:
    """A header as compared with the alias lists: case, spacing, a trailing ':' or '?' ignored."""
    return " ".join(header.replace("\ufeff", "").replace("\xa0", " ").split()).lower().rstrip(":?").strip()


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))  # Excel's "Unicode text"
    try:
        return raw.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as exc:
        if not utf16:
            line = raw[: exc.start].count(b"\n") + 1
            raise ImportRefused(
                f"{path.name} is not UTF-8 text (first problem on line {line}): "
                "export it again as CSV UTF-8 and retry."
            ) from None
        line = raw[: exc.start].decode("utf-16", errors="replace").count("\n") + 1
        raise ImportRefused(
            f"{path.name} is Unicode (UTF-16) text that breaks off on line {line}, as if cut short or damaged: "
            "export it again as CSV UTF-8 and retry."
        ) from None


def _delimiter(text: str) -> str:
    """The delimiter the header line uses most, outside quotes."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "\r\n":
            break
        elif not quoted and ch in counts:
            counts[ch] += 1
    return max(_DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","


def detect_source(headers: list[str]) -> str:
    folded = {fold_header(h) for h in headers}
    for source, signature in _SOURCE_SIGNATURES:
        if set(signature) <= folded:
            return source
    return "csv"


def _index(headers: list[str], column: str) -> int | None:
    if column in headers:
        return headers.index(column)
    folded = [fold_header(h) for h in headers]
    return folded.index(fold_header(column)) if fold_header(column) in folded else None


def _find_columns(headers: list[str], source: str, overrides: dict[str, str]) -> _Columns:
    folded = [fold_header(h) for h in headers]
    by_field: dict[str, tuple[int, ...]] = {}
    used: set[int] = set()
    for column, field_name in overrides.items():
        if field_name not in FIELDS:
            raise ImportRefused(f"--map {column}={field_name}: unknown field; use one of {', '.join(FIELDS)}.")
        index = _index(headers, column)
        if index is None:
            raise ImportRefused(
                f"--map {column}={field_name}: the file has no column {column!r}; "
                f"its columns are {', '.join(repr(h) for h in headers)}."
            )
        by_field[field_name] = (index,)
        used.add(index)
    compound = _COMPOUND_IDS.get(source)
    if "external_id" not in by_field and compound and all(c in folded for c in compound):
        by_field["external_id"] = tuple(folded.index(c) for c in compound)
        used.update(by_field["external_id"])
    for name, aliases in _ALIASES.items():
        if name in by_field:
            continue
        for alias in aliases:
            if alias in folded and (folded.index(alias) not in used or name in _SHARED):
                by_field[name] = (folded.index(alias),)
                used.add(folded.index(alias))
                break
    if "name" not in by_field and "first_name" not in by_field:
        # Google Forms questions: "What is your name?" and the like, when only one fits.
        candidates = [i for i, h in enumerate(folded) if re.search(r"\bname\b", h) and i not in used]
        if len(candidates) == 1:
            by_field["name"] = (candidates[0],)
    _refuse_repeated_headers(headers, [i for idx in by_field.values() for i in idx])
    if "name" not in by_field and "first_name" not in by_field:
        raise ImportRefused(
            "No name column found: rerun with --map 'COLUMN=name' (or first_name and last_name)."
        )
    return _Columns(tuple(headers), by_field)


def _refuse_repeated_headers(headers: list[str], kept: list[int]) -> None:
    """A column that is read must be the only one with its header: with two 'Email' columns
    which one holds the address is a guess, and the other's values would be dropped unseen."""
    folded = [fold_header(h) for h in headers]
    repeated = dict.fromkeys(headers[i] for i in kept if folded.count(folded[i]) > 1)
    if repeated:
        raise ImportRefused(
            f"The file has more than one column headed {' and '.join(repr(h) for h in repeated)}, "
            "so which one to read is a guess: delete or rename the extra columns and retry."
        )


def detect_mapping(headers: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Field -> column header(s) ('+' joins several). `overrides` is column=field from `--map`."""
    return _find_columns(headers, detect_source(headers), overrides or {}).describe()


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    email: str
    phone: str
    ticket: str
    external_id: str
    registered_at: str
    status: str
    order: str = ""
    party_size: int | None = None
    ticket_secret: str = ""

    def key(self) -> str:
        # Rows without an id of their own are keyed by their content, so a re-import matches.
        if self.external_id:
            return self.external_id
        digest = hashlib.sha256(f"{search_fold(self.name)}\x1f{self.email.lower()}".encode())
        return "sha256:" + digest.hexdigest()[:20]


def search_fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _parse_row(line: int, values: list[str], columns: _Columns) -> _Row:
    def value(name: str) -> str:
        idx = columns.by_field.get(name, ())
        return "-".join(v for v in (values[i].strip() for i in idx) if v)

    name = value("name") or " ".join(p for p in (value("first_name"), value("last_name")) if p)
    name = " ".join(name.split())
    if not name:
        raise ValueError("no name")
    if _CONTROL.search(name):
        raise ValueError("the name contains control characters")
    if _BIDI.search(name):
        raise ValueError("the name contains invisible text-direction characters")
    if len(name) > MAX_NAME:
        raise ValueError(f"the name is longer than {MAX_NAME} characters")
    email = value("email")
    if email and not _EMAIL.fullmatch(email):
        raise ValueError("the email is not an address (it needs one @ and a domain)")
    return _Row(
        line=line,
        name=name,
        email=email,
        phone=" ".join(value("phone").split()),
        ticket=value("ticket"),
        external_id=value("external_id"),
        registered_at=value("registered_at"),
        status=value("status"),
        order=value("order"),
        party_size=_party_size(value("party_size")),
        ticket_secret=value("ticket_secret"),
    )


def _party_size(text: str) -> int | None:
    # "3", "3 adults": the number the form asked for; anything else is no party size.
    found = re.match(r"\s*(\d{1,3})\b", text)
    return int(found.group(1)) if found else None


def csv_lines(path: Path) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """A CSV export's header (None when the file is empty) and every non-empty row with
    the line it starts on; shared by every CSV import (registrations, referral logs)."""
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows: list[tuple[int, list[str]]] = []
    headers: list[str] | None = None
    last_line = 0
    try:
        for values in reader:
            start, last_line = last_line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if headers is None:
                headers = [v.strip() for v in values]
            else:
                rows.append((start, values))
    except csv.Error as exc:
        raise ImportRefused(f"{path.name} line {last_line + 1}: {exc}; fix the file and retry.") from None
    return headers, rows


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and every non-empty row with the line it starts on."""
    headers, rows = csv_lines(path)
    if headers is None:
        raise ImportRefused(f"{path.name} is empty: export the registrations again and retry.")
    if not rows:
        # A header alone is an export made before anyone registered, or a wrong file: say so, not "0 imported".
        raise ImportRefused(f"{path.name} has a header row but no registrations: export it again once people have registered.")
    return headers, rows


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
    headers, raw_rows = _read_rows(path)
    source = detect_source(headers)
    columns = _find_columns(headers, source, overrides or {})
    report = ImportReport(source=source, mapping=columns.describe())

    parsed: list[_Row] = []
    for line, values in raw_rows:
        if len(values) != len(headers):
            report.bad.append(BadRow(line, f"{len(values)} columns where the header has {len(headers)}"))
            continue
        try:
            row = _parse_row(line, values, columns)
        except ValueError as exc:
            report.bad.append(BadRow(line, str(exc)))
            continue
        if row.status.casefold() in _CANCELLED:
            report.cancelled.append(line)
            continue
        parsed.append(row)

    existing = {
        r[0]: r[1]
        for r in store.db.execute(
            "SELECT external_id, id FROM registrations WHERE source = ? AND event_id = ?",
            [source, store.event_id],
        )
    }
    first_line: dict[str, int] = {}
    todo: list[_Row] = []
    # Registrations imported before their ticket secrets were kept get them on a re-import.
    secrets_of_existing: list[tuple[str, str]] = []
    for row in parsed:
        key = row.key()
        if key in existing:
            report.already_had += 1
            if row.ticket_secret:
                secrets_of_existing.append((existing[key], row.ticket_secret))
        elif key in first_line:
            report.bad.append(BadRow(row.line, f"the same registration as line {first_line[key]}"))
        else:
            first_line[key] = row.line
            todo.append(row)
    report.bad.sort(key=lambda bad: bad.line)
    report.new = [NewRegistration(r.line, r.name, r.ticket) for r in todo]
    if check or (report.bad and not skip_bad):
        return report
    with store.transaction():
        for row in todo:
            person = add_person(store, row.name, email=row.email or None, phone=row.phone or None)
            registration = add_registration(
                store,
                person,
                source=source,
                external_id=row.key(),
                ticket=row.ticket or None,
                registered_at=row.registered_at or None,
                order_ref=row.order or None,
                party_size=row.party_size,
            )
            if row.ticket_secret:
                keep_ticket_secret(store, registration, row.ticket_secret, source)
        for registration, secret in secrets_of_existing:
            keep_ticket_secret(store, registration, secret, source)
    report.applied = True
    return report
