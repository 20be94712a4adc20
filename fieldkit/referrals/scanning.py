"""Scanning a referral card: finding its referral, and moving it on at a later clinic or the desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fieldkit import tokens
from fieldkit.event.template import EventTemplate
from fieldkit.referrals.lifecycle import set_status
from fieldkit.referrals.records import (
    BOOKED,
    FIRST_SESSION,
    ISSUED,
    STATUS_WORDS,
    THIRD_SESSION,
    VETTED,
    Referral,
    ReferralRefused,
    event_template,
    get_referral,
    now_text,
    referral_for_card,
)
from fieldkit.referrals.stock import card, find_card
from fieldkit.store import Store


def resolve(store: Store, text: str) -> Referral:
    """The referral a short code, a scanned card code, a referral id or a card id names."""
    text = text.strip()
    if tokens.looks_like_token(text):
        return _referral_of_token(store, text)
    if len(text) == 26:
        found = get_referral(store, text) or referral_for_card(store, text)
        if found:
            return found
    found = referral_for_card(store, find_card(store, text).id)
    if found is None:
        raise ReferralRefused(
            "card_not_issued",
            "This card has not been given to anyone yet: issue a referral with it first (referrals screen, F4).",
        )
    return found


@dataclass(frozen=True)
class ScanResult:
    """What scanning a referral card did; `message` is the sentence to show."""

    referral: Referral
    previous: str
    advanced: bool
    message: str


_SESSION_RESULTS = (FIRST_SESSION, "session", THIRD_SESSION)
_NEXT_BY_SCAN = {VETTED: BOOKED, BOOKED: FIRST_SESSION}


def _local_date(template: EventTemplate, iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(template.event.timezone)).date()


def _log_scan(store: Store, referral: Referral, result: str) -> None:
    store.append_fact(
        "referral_scans", {"referral_id": referral.id, "card_id": referral.card_id, "result": result, "at": now_text(store)}
    )


def _referral_of_token(store: Store, text: str, keyring: tokens.KeyRing | None = None) -> Referral:
    try:
        token = tokens.parse_token(text.strip(), keyring or tokens.KeyRing.from_store(store), store.now())
    except tokens.TokenRefused as exc:
        raise ReferralRefused(exc.code, exc.message) from None
    if token.kind != tokens.REFERRAL:
        raise ReferralRefused("not_a_referral_card", "This code is not a referral card.")
    if card(store, token.id) is None:
        raise ReferralRefused(
            "not_synced", "This card is genuine but not on this laptop yet: sync with the other laptops, then scan again."
        )
    referral = referral_for_card(store, token.id)
    if referral is None:
        raise ReferralRefused(
            "card_not_issued",
            "This card has not been given to anyone yet (or its referral has not synced here): "
            "issue a referral with it first (referrals screen, F4), or sync.",
        )
    return referral


def advance_by_scan(store: Store, text: str, keyring: tokens.KeyRing | None = None) -> ScanResult:
    """Scanning a card at a later clinic moves its referral one step: vetted -> booked ->
    first session -> (a second session noted) -> third session.

    Scanners that send twice, or a second scan the same day, change nothing more.
    """
    referral = _referral_of_token(store, text, keyring)
    template = event_template(store)
    today = _local_date(template, now_text(store))
    scans = store.db.execute(
        "SELECT result, at FROM referral_scans WHERE referral_id = ? ORDER BY hlc", [referral.id]
    ).fetchall()
    for result, at in reversed(scans):
        if not result.startswith("refused") and _local_date(template, at) == today:
            when = datetime.fromisoformat(at).astimezone(ZoneInfo(template.event.timezone))
            return ScanResult(
                referral,
                referral.status,
                False,
                f"Already scanned today at {when:%H:%M}: referral {referral.display_code} is {referral.status_words}.",
            )
    try:
        if referral.status == ISSUED:
            raise ReferralRefused(
                "not_vetted",
                f"Referral {referral.display_code} is not vetted yet: a practitioner vets it in the referrals screen (F4).",
            )
        if referral.status == FIRST_SESSION:
            days = {_local_date(template, at) for result, at in scans if result in _SESSION_RESULTS}
            if len(days | {today}) < 3:
                _log_scan(store, referral, "session")
                return ScanResult(
                    referral, referral.status, False,
                    f"Session {len(days | {today})} noted for referral {referral.display_code}.",
                )
            status = THIRD_SESSION
        else:
            status = _NEXT_BY_SCAN.get(referral.status)
            if status is None:
                raise ReferralRefused(
                    "invalid_transition",
                    f"Referral {referral.display_code} is {referral.status_words}: scanning changes nothing now.",
                )
    except ReferralRefused as refused:
        _log_scan(store, referral, f"refused:{refused.code}")
        raise
    with store.transaction():
        updated = set_status(store, referral.id, status, via="scan")
        _log_scan(store, updated, status)
    return ScanResult(
        updated, referral.status, True, f"Referral {updated.display_code}: {STATUS_WORDS[status]} recorded."
    )


@dataclass(frozen=True)
class DeskScan:
    """A referral card scanned at the check-in desk: what to show, and whether it moved on."""

    advanced: bool
    refused: bool
    message: str


def scan_at_desk(store: Store, text: str, keyring: tokens.KeyRing) -> DeskScan | None:
    """For the check-in screen: handle `text` if it is a referral card, else None (a pass,
    a name, or a bad code the check-in desk refuses in its own words)."""
    if tokens.claimed_kind(text) != tokens.REFERRAL:
        return None  # the desk verifies a pass itself: one signature check a scan, not two
    try:
        token = tokens.parse_token(text.strip(), keyring, store.now())
    except tokens.TokenRefused:
        return None
    if token.kind != tokens.REFERRAL:
        return None
    try:
        result = advance_by_scan(store, text, keyring)
    except ReferralRefused as refused:
        return DeskScan(advanced=False, refused=True, message=f"Referral card: {refused.message}")
    return DeskScan(advanced=result.advanced, refused=False, message=result.message)
