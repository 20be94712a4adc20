"""The referral's data: its statuses, the values other modules pass around, and reading them back.

A referral's status is the latest of its `referral_status` facts (by clock stamp):
issued -> vetted -> booked -> first_session -> third_session, or declined / expired
with a reason. Every refusal is a ReferralRefused with a stable `code` and a sentence
that says what to do next. See docs/referrals.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldkit.errors import Refused
from fieldkit.event import load_event
from fieldkit.event.template import EventTemplate, Practitioner
from fieldkit.referrals import codes as referral_codes
from fieldkit.store import Store

ISSUED, VETTED, BOOKED, FIRST_SESSION, THIRD_SESSION = "issued", "vetted", "booked", "first_session", "third_session"
DECLINED, EXPIRED = "declined", "expired"
CHAIN = (ISSUED, VETTED, BOOKED, FIRST_SESSION, THIRD_SESSION)
ENDINGS = (DECLINED, EXPIRED)
STATUSES = CHAIN + ENDINGS
TRANSITIONS = {
    ISSUED: (VETTED, DECLINED, EXPIRED),
    VETTED: (BOOKED, DECLINED, EXPIRED),
    BOOKED: (FIRST_SESSION, DECLINED, EXPIRED),
    FIRST_SESSION: (THIRD_SESSION, DECLINED),
    THIRD_SESSION: (),
    DECLINED: (),
    EXPIRED: (),
}
STATUS_WORDS = {
    ISSUED: "issued, not vetted",
    VETTED: "vetted",
    BOOKED: "booked",
    FIRST_SESSION: "first session",
    THIRD_SESSION: "third session",
    DECLINED: "declined",
    EXPIRED: "expired",
}
OUTCOMES = ("attended_3_plus", "goal_met", "referred_on", "no_show", "declined")
VIA = ("screen", "cli", "scan")
SHARE_PURPOSE = "share_intake_with_practitioners"


class ReferralRefused(Refused):
    """A referral action that was not done; `code` is stable, str() is the sentence to show."""


@dataclass(frozen=True)
class Card:
    id: str
    short_code: str
    blank: bool
    issued_at: str

    @property
    def display_code(self) -> str:
        return referral_codes.display(self.short_code)


@dataclass(frozen=True)
class Referral:
    id: str
    card_id: str
    short_code: str
    channel: str
    introducer_id: str | None
    need: str | None
    language: str | None
    suggested_practitioner_id: str | None
    practitioner_id: str | None
    person_id: str | None
    issued_at: str
    status: str
    vetted_by: str | None  # the practitioner who vetted it; None means unvetted

    @property
    def vetted(self) -> bool:
        return self.vetted_by is not None

    @property
    def display_code(self) -> str:
        return referral_codes.display(self.short_code)

    @property
    def status_words(self) -> str:
        words = STATUS_WORDS[self.status]
        if self.status in ENDINGS and not self.vetted:
            words += " (never vetted)"
        return words


@dataclass(frozen=True)
class Introducer:
    id: str
    name: str
    group_name: str
    active: bool


def now_text(store: Store) -> str:
    return store.now_text()


def event_template(store: Store) -> EventTemplate:
    return load_event(store).template


def practitioner_of(template: EventTemplate, practitioner_id: str) -> Practitioner:
    found = template.practitioner(practitioner_id)
    if found is None:
        known = ", ".join(p.id for p in template.practitioners) or "none in this event"
        raise ReferralRefused(
            "unknown_practitioner", f"No practitioner {practitioner_id!r} in this event's directory (known: {known})."
        )
    return found


def unknown_status(status: str) -> str:
    return f"{status!r} is not a referral status: use one of {', '.join(STATUSES)}."


# -- reading referrals --------------------------------------------------------------

_SELECT = (
    "SELECT r.id, r.card_id, c.short_code, r.channel, r.introducer_id, d.need, d.language,"
    " r.suggested_practitioner_id, r.practitioner_id, d.person_id, r.issued_at,"
    " (SELECT s.status FROM referral_status s WHERE s.referral_id = r.id ORDER BY s.hlc DESC, s.origin DESC LIMIT 1),"
    " (SELECT v.practitioner_id FROM referral_status v WHERE v.referral_id = r.id AND v.status = 'vetted'"
    "  ORDER BY v.hlc LIMIT 1)"
    " FROM referrals r LEFT JOIN referral_cards c ON c.id = r.card_id"
    " LEFT JOIN referral_details d ON d.id = r.id"
)


def _referral(row: tuple) -> Referral:
    return Referral(*row[:11], status=row[11] or ISSUED, vetted_by=row[12])


def get_referral(store: Store, referral_id: str) -> Referral | None:
    row = store.db.execute(_SELECT + " WHERE r.id = ?", [referral_id]).fetchone()
    return _referral(row) if row else None


def list_referrals(store: Store, *, status: str | None = None, practitioner_id: str | None = None) -> list[Referral]:
    """Referrals, newest first, optionally only those with one current status."""
    if status is not None and status not in STATUSES:
        raise ReferralRefused("unknown_status", unknown_status(status))
    found = [_referral(r) for r in store.db.execute(_SELECT + " ORDER BY r.issued_at DESC, r.id DESC")]
    return [
        r
        for r in found
        if (status is None or r.status == status)
        and (practitioner_id is None or r.practitioner_id == practitioner_id)
    ]


def referrals_of_person(store: Store, person_id: str) -> list[Referral]:
    """A person's referrals, newest first: only those linked to them (under consent)."""
    rows = store.db.execute(_SELECT + " WHERE d.person_id = ? ORDER BY r.issued_at DESC, r.id DESC", [person_id])
    return [_referral(r) for r in rows]


def existing(store: Store, referral_id: str) -> Referral:
    found = get_referral(store, referral_id)
    if found is None:
        raise ReferralRefused("unknown_referral", f"No referral {referral_id!r} on this laptop: sync, or check the id.")
    return found


def referral_for_card(store: Store, card_id: str) -> Referral | None:
    row = store.db.execute("SELECT id FROM referrals WHERE card_id = ? ORDER BY hlc LIMIT 1", [card_id]).fetchone()
    return get_referral(store, row[0]) if row else None


def card_rows(store: Store, where: str, value: str) -> list[tuple]:
    return store.db.execute(
        f"SELECT id, short_code, blank, issued_at FROM referral_cards WHERE {where} = ?", [value]
    ).fetchall()
