"""The check-in desk: scan or pick a person, record the check-in as a fact, undo by a void.

Semantics (DESIGN.md "Check-in semantics"): a scan's nonce makes retries one check-in;
the same person scanned again at this desk within two seconds (scanners that send
twice) is the same check-in; a later second check-in is recorded and flagged, never
dropped; a mistaken one is voided by a new fact (and a walk-in's registration with it).
A validly signed pass whose registration has not reached this laptop yet is still
admitted; so is the platform ticket a registration was imported with (pretix, Eventbrite).
"Already checked in" is derived from what this laptop holds (fieldkit/checkin/flags.py).
"""

from __future__ import annotations

import collections
import functools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from fieldkit.checkin import lookup
from fieldkit.checkin.flags import EarlierCheckin, other_checkin
from fieldkit.checkin.lookup import NOT_VOIDED as _NOT_VOIDED
from fieldkit.checkin.lookup import Attendee, Counters, RecentCheckin
from fieldkit.checkin.nonces import checkin_id_for
from fieldkit.checkin.verifying import verify_aside
from fieldkit.errors import Refused
from fieldkit.people.registry import add_person, add_registration
from fieldkit.people.tickets import looks_like_ticket, registration_by_ticket
from fieldkit.store import DB_ERRORS, Store, id_text, new_id, utc_text
from fieldkit.store.faults import storage_fault
from fieldkit.store.ids import nonce_bytes
from fieldkit.tokens import (
    MALFORMED,
    PASS,
    PREFIX,
    KeyRing,
    TokenRefused,
    keyring_version,
    looks_like_token,
    read_token,
)

log = logging.getLogger(__name__)

DOUBLE_SCAN_WINDOW = timedelta(seconds=2)
# Keys and revocations change rarely (enrollment, a lost laptop, by sync): look at most once a second.
KEYRING_RECHECK_SECONDS = 1.0
# Page cache of a desk's connection: at 100k registrations the lookups a scan makes
# stay in memory instead of being read and decrypted again (SQLCipher) each time.
DESK_CACHE_KIB = 65536
WALK_IN_SOURCE = "walk-in"

# How a check-in was made.
BY_PASS = "pass"
BY_TICKET = "ticket"  # the platform's own ticket (pretix, Eventbrite), found by its digest
BY_NAME = "name"
BY_WALK_IN = lookup.BY_WALK_IN

# What a check-in turned out to be.
ADMITTED = "admitted"
REPEAT = "repeat"  # recorded again and flagged: the person was already checked in
DOUBLE_SCAN = "double_scan"  # the same scan sent twice: nothing new recorded

# Refusal codes beyond the token's own (malformed, forged, other_event, ...).
WRONG_KIND = "wrong_kind"
UNKNOWN_PERSON = "unknown_person"
NOTHING_TO_UNDO = "nothing_to_undo"
NO_NAME = "no_name"
NOT_A_NAME = "not_a_name"
TAKEN_BACK = "taken_back"


class CheckinRefused(Refused):
    """Nobody was checked in (or nothing was undone)."""


def _damage_refused(action: Callable) -> Callable:
    """A damaged database met while checking in is a refusal the desk shows in words, not a crash."""

    @functools.wraps(action)
    def checked(desk: Desk, *args, **kwargs):
        try:
            return action(desk, *args, **kwargs)
        except DB_ERRORS as exc:
            fault = storage_fault(exc, desk.store.path)
            if fault is None:
                raise
            raise CheckinRefused(fault.code, fault.message) from None

    return checked


@dataclass(frozen=True)
class CheckinResult:
    checkin_id: str
    registration_id: str
    person_id: str | None
    name: str | None  # None when the registration has not synced to this laptop yet
    at: datetime
    desk: str
    method: str
    status: str
    earlier: EarlierCheckin | None = None

    @property
    def flagged(self) -> bool:
        return self.status == REPEAT or (self.status == DOUBLE_SCAN and self.earlier is not None)


@dataclass(frozen=True)
class VoidResult:
    checkin_id: str
    name: str | None
    at: datetime
    walk_in: bool = False  # the walk-in's registration was taken back too


# One row for any registration id: whether it was taken back, and its person and name (NULL
# when the registration has not reached this laptop yet).
_REGISTRATION = (
    "SELECT EXISTS (SELECT 1 FROM registration_voids WHERE registration_id = q.id), r.person_id, p.display_name"
    " FROM (SELECT ? AS id) q LEFT JOIN registrations r ON r.id = q.id LEFT JOIN people p ON p.id = r.person_id"
)
# The registration's check-ins that count, earliest first, and the check-in a retry of this
# scan would find (voided or not, whatever its registration): both by index, in one statement.
_EARLIER = "SELECT c.id, c.checked_in_at, c.desk, c.origin FROM checkins c WHERE {} ORDER BY c.checked_in_at, c.id"
_CHECKINS_AND_RETRY = _EARLIER.format(f"(c.registration_id = ?1 AND {_NOT_VOIDED}) OR c.id = ?2")
_CHECKINS = _EARLIER.format(f"c.registration_id = ?1 AND {_NOT_VOIDED}")  # when the scan is new

_KIND_WORDS = {"referral": "a referral card", "consent_form": "a consent form", "device_join": "a laptop join code"}


# What a scan looks up (a registration, its person, check-ins, take-backs), each read through once
# so its pages sit in the desk's cache before the queue starts (100k registrations: about 45 MB).
_WARM = [f"SELECT count(*) FROM {t} WHERE {c} > ''" for t, c in (("registrations", "id"), ("people", "id"),
         ("checkins", "registration_id"), ("checkins", "id"), ("registration_voids", "registration_id"))] + [
    "SELECT sum(length(person_id)) FROM registrations NOT INDEXED", "SELECT sum(length(display_name)) FROM people NOT INDEXED"]


class Desk:
    """One check-in desk on an open store; keeps the key ring warm between scans."""

    def __init__(self, store: Store, *, double_scan_window: timedelta = DOUBLE_SCAN_WINDOW):
        self.store = store
        self.double_scan_window = double_scan_window
        self._keyring: KeyRing | None = None
        self._keyring_version: tuple | None = None
        self._keyring_checked = float("-inf")
        store.keep_in_memory(DESK_CACHE_KIB)

    @property
    def name(self) -> str:
        return self.store.device_name

    def keyring(self) -> KeyRing:
        """The key ring, reloaded when keys or revocations changed (e.g. by sync)."""
        now = time.monotonic()
        if self._keyring is None or now - self._keyring_checked >= KEYRING_RECHECK_SECONDS:
            version = keyring_version(self.store)
            if version != self._keyring_version:
                self._keyring = KeyRing.from_store(self.store)
                self._keyring_version = version
            self._keyring_checked = now
        return self._keyring

    # -- checking in -----------------------------------------------------------
    @_damage_refused
    def scan(self, text: str, *, nonce: str | None = None) -> CheckinResult:
        """Check in the holder of the pass `text` (a scan or typed code), or of the platform
        ticket a registration was imported with."""
        if not looks_like_token(text):
            result = self.scan_ticket(text, nonce=nonce)
            if result is None:
                log.info("check-in refused at %s: %s", self.name, MALFORMED)
                raise CheckinRefused(
                    MALFORMED, "This is not a Field Kit code, nor a ticket of this event: scan it again or search by name."
                )
            return result
        try:
            token, signed = read_token(text.strip().upper(), self.keyring(), self.store.now())  # Caps Lock, as the box
            if token.kind != PASS:
                signed.check()
                log.info("check-in refused at %s: %s", self.name, WRONG_KIND)
                words = f"This is {_KIND_WORDS.get(token.kind, 'another kind of code')}, not a pass: "
                raise CheckinRefused(WRONG_KIND, words + "ask for their pass or search by name.")
            # The signature is verified on another core while the check-in is written; the
            # transaction commits only once it proved good (verifying.py).
            verdict = verify_aside(signed)
            try:
                return self._record(token.id, BY_PASS, nonce, verdict.check)
            finally:
                verdict.check()  # whatever else happened, a forgery is refused as one
        except TokenRefused as exc:
            # An audit line without the code itself: codes are not personal, but stay quiet.
            log.info("check-in refused at %s: %s", self.name, exc.code)
            raise CheckinRefused(exc.code, _refusal_words(exc)) from None

    def scan_ticket(self, text: str, *, nonce: str | None = None) -> CheckinResult | None:
        """Check in the holder of a platform ticket (pretix, Eventbrite) imported with their
        registration; None when `text` is no ticket of this event."""
        registration_id = registration_by_ticket(self.store, text)
        if registration_id is None:
            return None
        return self._record(registration_id, BY_TICKET, nonce)

    @_damage_refused
    def check_in_registration(self, registration_id: str, *, nonce: str | None = None, method: str = BY_NAME) -> CheckinResult:
        """Check in a registration picked from the name search."""
        if not self._registration(registration_id):
            raise CheckinRefused(UNKNOWN_PERSON, "That registration is not on this laptop: search again by name.")
        return self._record(registration_id, method, nonce)

    @_damage_refused
    def check_in_person(self, person_id: str, *, nonce: str | None = None) -> CheckinResult:
        """Check in a person picked by name (registering them here if they have no registration)."""
        registration_id = lookup.live_registration(self.store, person_id)
        if registration_id is not None:
            return self._record(registration_id, BY_NAME, nonce)
        if not self.store.db.execute("SELECT 1 FROM people WHERE id = ?", [person_id]).fetchone():
            raise CheckinRefused(UNKNOWN_PERSON, "That person is not on this laptop: search again by name.")
        with self.store.transaction():
            registration_id = add_registration(self.store, person_id, source=WALK_IN_SOURCE)
            return self._record(registration_id, BY_NAME, nonce)

    @_damage_refused
    def walk_in(self, name: str, *, email: str | None = None, phone: str | None = None, nonce: str | None = None) -> CheckinResult:
        """Register someone who just walked in and check them in, in one transaction."""
        if not " ".join(name.split()):
            raise CheckinRefused(NO_NAME, "A walk-in needs the person's name: nobody was registered.")
        if looks_like_token(name) or PREFIX in name.upper() or looks_like_ticket(name):
            # A scan glued to leftover text must never become a person.
            raise CheckinRefused(NOT_A_NAME, "That is a code, not a name: clear the box (Escape) and scan it again.")
        nonce = nonce or new_id()
        # A retried walk-in must not register the person twice: look before adding them.
        if existing := self._result_of(checkin_id_for(self.store.device_id, nonce)):
            return existing
        with self.store.transaction():
            person_id = add_person(self.store, name, email=email, phone=phone)
            registration_id = add_registration(self.store, person_id, source=WALK_IN_SOURCE)
            return self._record(registration_id, BY_WALK_IN, nonce)

    def _registration(self, registration_id: str) -> tuple[str, str] | None:
        """(person id, name) of a registration on this laptop."""
        return self.store.db.execute(
            "SELECT r.person_id, p.display_name FROM registrations r"
            " LEFT JOIN people p ON p.id = r.person_id WHERE r.id = ?",
            [registration_id],
        ).fetchone()

    def _result_of(self, checkin_id: str, status: str | None = None) -> CheckinResult | None:
        """The check-in `checkin_id` as a result, flagged by what this laptop holds now; None if there is none."""
        row = self.store.db.execute(
            "SELECT registration_id, person_id, checked_in_at, desk, method FROM checkins WHERE id = ?",
            [checkin_id],
        ).fetchone()
        if row is None:
            return None
        reg_id, person_id, at, desk, method = row
        known = self._registration(reg_id)
        earlier = other_checkin(self.store, reg_id, checkin_id)
        return CheckinResult(
            checkin_id=checkin_id,
            registration_id=reg_id,
            person_id=person_id or (known[0] if known else None),
            name=known[1] if known else None,
            at=datetime.fromisoformat(at),
            desk=desk,
            method=method,
            status=status or (REPEAT if earlier else ADMITTED),
            earlier=earlier,
        )

    def _record(
        self, registration_id: str, method: str, nonce: str | None, vouch: Callable[[], None] = lambda: None
    ) -> CheckinResult:
        """Append the check-in of a registration that was not taken back, unless the same scan
        (its nonce, or this desk within the double-scan window) already made it; `vouch()`
        raises, before the commit, if the pass it was scanned from is forged."""
        now = self.store.now()
        if retry := bool(nonce):
            checkin_id = checkin_id_for(self.store.device_id, nonce)
        else:  # (a nonce the desk makes now is new: no earlier try of this scan to look for)
            made = nonce_bytes()  # the desk's own nonce: its time is at hand, not decoded again
            nonce = id_text(made)
            checkin_id = checkin_id_for(self.store.device_id, nonce, made[:6])
        db = self.store.db.conn
        with self.store.transaction():
            taken_back, person_id, name = db.execute(_REGISTRATION, [registration_id]).fetchone()
            if taken_back:
                log.info("check-in refused at %s: %s", self.name, TAKEN_BACK)
                raise CheckinRefused(
                    TAKEN_BACK, "This registration was taken back at a desk (an undone walk-in): register them again with F8."
                )
            sql, args = (_CHECKINS_AND_RETRY, [registration_id, checkin_id]) if retry else (_CHECKINS, [registration_id])
            earlier = db.execute(sql, args).fetchall()
            if retry and any(row[0] == checkin_id for row in earlier):  # a retry of a scan already recorded
                return self._result_of(checkin_id)
            mine = [row for row in earlier if row[3] == self.store.device_id]
            if mine and now - datetime.fromisoformat(mine[-1][1]) < self.double_scan_window:
                return self._result_of(mine[-1][0], DOUBLE_SCAN)
            first = earlier[0] if earlier else None
            self.store.append_fact(
                "checkins",
                {
                    "id": checkin_id,
                    "registration_id": registration_id,
                    "person_id": person_id,
                    "nonce": nonce,
                    "method": method,
                    "desk": self.name,
                    "checked_in_at": utc_text(now),
                },
            )
            vouch()
        return CheckinResult(
            checkin_id=checkin_id,
            registration_id=registration_id,
            person_id=person_id,
            name=name,
            at=now,
            desk=self.name,
            method=method,
            status=REPEAT if first else ADMITTED,
            earlier=EarlierCheckin(datetime.fromisoformat(first[1]), first[2]) if first else None,
        )

    def tidy(self) -> None:
        """While idle: seal the check-ins since (Store.seal), fold the WAL in (no automatic checkpoint on a scan)."""
        self.store.seal()
        self.store.checkpoint()

    def warm(self) -> None:
        """Read what scans look up into the desk's page cache: the day's first scans as quick as the hundredth."""
        collections.deque(self.warming(), maxlen=0)

    def warming(self) -> Iterator[tuple]:
        """`warm`, a statement (tens of ms at 100k registrations) a step: the screen runs a step a turn, keys between."""
        for sql in _WARM:
            yield self.store.db.execute(sql).fetchone()

    # -- undo ------------------------------------------------------------------
    @_damage_refused
    def undo_last(self, reason: str = "undone at the desk") -> VoidResult:
        """Void this desk's latest check-in that is not voided yet (a new fact, not a delete)."""
        with self.store.transaction():
            last = lookup.latest_checkins(self.store, 1, self.store.device_id, then_by_stamp=True)
            row = last and self.store.db.execute(
                "SELECT id, registration_id, checked_in_at, method FROM checkins WHERE id = ?", last
            ).fetchone()
            if not row:
                raise CheckinRefused(NOTHING_TO_UNDO, "There is no check-in at this desk to undo.")
            now = utc_text(self.store.now())
            self.store.append_fact(
                "checkin_voids", {"checkin_id": row[0], "reason": reason, "desk": self.name, "voided_at": now}
            )
            walk_in = row[3] == BY_WALK_IN
            if walk_in:
                # The walk-in was a mistake too: take back the registration it made (a fact, not a delete).
                self.store.append_fact(
                    "registration_voids",
                    {"registration_id": row[1], "reason": f"walk-in {reason}", "desk": self.name, "voided_at": now},
                )
        known = self._registration(row[1])
        return VoidResult(row[0], known[1] if known else None, datetime.fromisoformat(row[2]), walk_in)

    # -- what the screen shows (fieldkit/checkin/lookup.py) ---------------------
    def counters(self) -> Counters:
        return lookup.counters(self.store)

    def recent(self, limit: int = 10) -> list[RecentCheckin]:
        """The latest check-ins on this laptop (any desk, once synced), newest first, one a person."""
        return lookup.recent(self.store, limit)

    def search(self, query: str, limit: int = 10) -> list[Attendee]:
        """People matching `query` with their registration and check-in time."""
        return lookup.search(self.store, query, limit)

    def namesakes(self, name: str) -> list[Attendee]:
        """Registered people a walk-in called `name` may already be."""
        return lookup.namesakes(self.store, name)

    def admission(self, result: CheckinResult) -> lookup.Admission:
        """The ticket and party of the person just checked in."""
        return lookup.admission(self.store, result.registration_id)


def _refusal_words(exc: TokenRefused) -> str:
    words = {
        "other_event": "Not a pass for this event: ask for this event's pass or search by name.",
        "revoked": "This pass was revoked: do not admit on it; ask the coordinator.",
    }
    if exc.code == "revoked" and "laptop" in exc.message:
        return exc.message
    return words.get(exc.code, exc.message)


def describe(result: CheckinResult, zone) -> str:
    """The result in words, as the desk shows it and `fieldkit checkin` prints it."""
    who = result.name or "Valid pass"
    if result.status == DOUBLE_SCAN:
        return f"{who}: checked in (the same scan again; nothing new recorded)"
    if result.earlier is not None:
        at = result.earlier.at.astimezone(zone)
        if result.earlier.at > result.at:  # a check-in made elsewhere later, arrived by sync
            return f"{who}: checked in, and again at {at:%H:%M} at {result.earlier.desk}: flagged"
        return f"{who}: already checked in at {at:%H:%M} at {result.earlier.desk}: recorded again and flagged"
    if result.name is None:
        return "Valid pass: checked in (their registration has not reached this laptop yet)"
    if result.method == BY_WALK_IN:
        return f"Welcome, {result.name}: registered as a walk-in and checked in"
    if result.method == BY_TICKET:
        return f"Welcome, {result.name}: checked in by their ticket"
    return f"Welcome, {result.name}: checked in"
