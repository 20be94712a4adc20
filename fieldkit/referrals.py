"""Referrals: cards and their codes, issuing, status as facts, introducers, credits and outcomes.

A referral's status is the latest of its `referral_status` facts (by clock stamp):
issued -> vetted -> booked -> first_session -> third_session, or declined / expired
with a reason. Every refusal is a ReferralRefused with a stable `code` and a sentence
that says what to do next. See docs/referrals.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fieldkit import directory, referral_codes, tokens
from fieldkit.event import load_event
from fieldkit.privacy import Coverage, register_coverage
from fieldkit.store import Store, new_id
from fieldkit.template import CHANNELS, EventTemplate, Practitioner

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


class ReferralRefused(Exception):
    """A referral action that was not done; `code` is stable, str() is the sentence to show."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


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


def _now(store: Store) -> str:
    return store.now().isoformat(timespec="seconds")


def _template(store: Store) -> EventTemplate:
    return load_event(store).template


# -- introducers ------------------------------------------------------------------


def add_introducer(store: Store, name: str, group_name: str = "") -> str:
    """Record a trusted community member who brings people to the clinic."""
    name = " ".join(name.split())
    if not name:
        raise ReferralRefused("introducer_name", "An introducer needs a name: type the name they are known by.")
    return store.set_record(
        "introducers",
        None,
        {"name": name, "group_name": " ".join(group_name.split()), "active": 1, "created_at": _now(store)},
    )


def introducers(store: Store, *, include_inactive: bool = False) -> list[Introducer]:
    rows = store.db.execute(
        "SELECT id, name, coalesce(group_name, ''), active FROM introducers ORDER BY name"
    ).fetchall()
    found = [Introducer(r[0], r[1], r[2], bool(r[3])) for r in rows]
    return found if include_inactive else [i for i in found if i.active]


def introducer(store: Store, introducer_id: str) -> Introducer | None:
    return next((i for i in introducers(store, include_inactive=True) if i.id == introducer_id), None)


# -- cards --------------------------------------------------------------------------


def _taken_codes(store: Store, codes: Iterable[str]) -> set[str]:
    codes = list(codes)
    taken: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        taken.update(
            r[0] for r in store.db.execute(f"SELECT short_code FROM referral_cards WHERE short_code IN ({marks})", chunk)
        )
    return taken


def new_cards(store: Store, count: int, *, blank: bool = True) -> list[Card]:
    """`count` fresh card codes, not yet recorded (see `record_cards`)."""
    if count < 1:
        raise ReferralRefused("card_count", "Ask for at least one card.")
    codes: set[str] = set()
    while len(codes) < count:
        fresh = {referral_codes.new_short_code() for _ in range(count - len(codes))}
        # A short code is 40 random bits: collisions are rare, but never hand out a code twice.
        codes |= fresh - _taken_codes(store, fresh)
    at = _now(store)
    return [Card(new_id(), code, blank, at) for code in codes]


def record_cards(store: Store, cards: Iterable[Card]) -> None:
    with store.transaction():
        for c in cards:
            store.append_fact(
                "referral_cards", {"id": c.id, "short_code": c.short_code, "blank": int(c.blank), "issued_at": c.issued_at}
            )


def issue_cards(store: Store, count: int, *, blank: bool = True) -> list[Card]:
    """Make and record `count` card codes (blank cards printed in advance, or one per referral)."""
    cards = new_cards(store, count, blank=blank)
    record_cards(store, cards)
    return cards


def _card_row(store: Store, where: str, value: str) -> list[tuple]:
    return store.db.execute(
        f"SELECT id, short_code, blank, issued_at FROM referral_cards WHERE {where} = ?", [value]
    ).fetchall()


def find_card(store: Store, text: str) -> Card:
    """The card a typed short code (or a card id) names."""
    rows = _card_row(store, "id", text.strip()) if len(text.strip()) == 26 else []
    if not rows:
        try:
            code = referral_codes.normalise(text)
        except referral_codes.BadShortCode as exc:
            raise ReferralRefused(exc.code if exc.code == "check" else "unknown_code", str(exc)) from None
        rows = _card_row(store, "short_code", code)
    if not rows:
        raise ReferralRefused(
            "unknown_code",
            f"No referral card {text.strip()!r} on this laptop: check the code, or sync with the other laptops first.",
        )
    if len(rows) > 1:
        raise ReferralRefused(
            "ambiguous_code", "Two cards share this short code: scan the card's QR code instead."
        )
    r = rows[0]
    return Card(r[0], r[1], bool(r[2]), r[3])


def card(store: Store, card_id: str) -> Card | None:
    rows = _card_row(store, "id", card_id)
    return Card(rows[0][0], rows[0][1], bool(rows[0][2]), rows[0][3]) if rows else None


def referral_for_card(store: Store, card_id: str) -> Referral | None:
    row = store.db.execute("SELECT id FROM referrals WHERE card_id = ? ORDER BY hlc LIMIT 1", [card_id]).fetchone()
    return get_referral(store, row[0]) if row else None


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
        raise ReferralRefused("unknown_status", _unknown_status(status))
    found = [_referral(r) for r in store.db.execute(_SELECT + " ORDER BY r.issued_at DESC, r.id DESC")]
    return [
        r
        for r in found
        if (status is None or r.status == status)
        and (practitioner_id is None or r.practitioner_id == practitioner_id)
    ]


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


def _unknown_status(status: str) -> str:
    return f"{status!r} is not a referral status: use one of {', '.join(STATUSES)}."


# -- the directory, as this event's referrals load it ----------------------------------


def week_start(store: Store, template: EventTemplate) -> datetime:
    """Monday 00:00 of this week in the event's time zone, as an aware datetime."""
    local = store.now().astimezone(ZoneInfo(template.event.timezone))
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def open_this_week(store: Store, template: EventTemplate | None = None) -> dict[str, int]:
    """Per practitioner: referrals issued to them this week that are not declined or expired."""
    template = template or _template(store)
    since = week_start(store, template)
    counts: dict[str, int] = {}
    for r in list_referrals(store):
        if r.practitioner_id and r.status not in ENDINGS and datetime.fromisoformat(r.issued_at) >= since:
            counts[r.practitioner_id] = counts.get(r.practitioner_id, 0) + 1
    return counts


def suggest_practitioners(store: Store, need: str | None, language: str | None) -> list[directory.Suggestion]:
    template = _template(store)
    return directory.suggest(
        template.practitioners, specialism=need, language=language, open_this_week=open_this_week(store, template)
    )


def _practitioner(template: EventTemplate, practitioner_id: str) -> Practitioner:
    found = template.practitioner(practitioner_id)
    if found is None:
        known = ", ".join(p.id for p in template.practitioners) or "none in this event"
        raise ReferralRefused(
            "unknown_practitioner", f"No practitioner {practitioner_id!r} in this event's directory (known: {known})."
        )
    return found


# -- issuing --------------------------------------------------------------------------


def _may_link(store: Store, person_id: str) -> bool:
    """Whether this person agreed that practitioners see what intake records about them."""
    from fieldkit.consent import ConsentError, allows  # the gate; imported here to avoid a cycle

    try:
        return bool(allows(store, person_id, SHARE_PURPOSE))
    except ConsentError:  # an event without this purpose: never link
        return False


def people_with_referral_links(store: Store) -> set[str]:
    return {r[0] for r in store.db.execute("SELECT DISTINCT person_id FROM referral_details WHERE person_id IS NOT NULL")}


def unlink_person(store: Store, person_id: str, reason: str) -> int:
    """Empty the person link of their referrals (tombstoned, so it syncs); the referral,
    its card and its status stay, anonymous."""
    ids = [r[0] for r in store.db.execute("SELECT id FROM referral_details WHERE person_id = ?", [person_id])]
    for referral_id in ids:
        store.purge("referral_details", referral_id, reason, fields=["person_id"])
    return len(ids)


register_coverage(
    Coverage(
        purpose=SHARE_PURPOSE,
        name="referral links (which referral card is whose)",
        holders=people_with_referral_links,
        purge=unlink_person,
    )
)


def issue_referral(
    store: Store,
    *,
    channel: str,
    need: str | None = None,
    language: str | None = None,
    introducer_id: str | None = None,
    practitioner_id: str | None = None,
    person_id: str | None = None,
    card_code: str | None = None,
    via: str = "screen",
) -> Referral:
    """Issue a referral: suggest a practitioner, link a card (a blank one, or a new one).

    The person is linked only with their `share_intake_with_practitioners` consent;
    otherwise the referral is anonymous and its card's code is the only link.
    """
    template = _template(store)
    if channel not in CHANNELS:
        raise ReferralRefused("unknown_channel", f"{channel!r} is not a channel: use one of {', '.join(CHANNELS)}.")
    if introducer_id:
        found = introducer(store, introducer_id)
        if found is None or not found.active:
            raise ReferralRefused(
                "unknown_introducer", "No such introducer: add them first (`fieldkit referral introducer add`)."
            )
    elif channel == "community":
        raise ReferralRefused(
            "introducer_required", "A community introduction needs its introducer: choose who brought the person."
        )
    if practitioner_id:
        _practitioner(template, practitioner_id)
    suggestions = directory.suggest(
        template.practitioners, specialism=need, language=language, open_this_week=open_this_week(store, template)
    )
    suggested = suggestions[0].practitioner.id if suggestions else None
    linked = person_id if person_id and _may_link(store, person_id) else None

    with store.transaction():
        if card_code:
            chosen = find_card(store, card_code)
            if referral_for_card(store, chosen.id) is not None:
                raise ReferralRefused(
                    "card_in_use", f"Card {chosen.display_code} is already linked to a referral: use another blank card."
                )
        else:
            chosen = issue_cards(store, 1, blank=False)[0]
        referral_id = store.set_record(
            "referrals",
            None,
            {
                "card_id": chosen.id,
                "event_id": store.event_id,
                "channel": channel,
                "introducer_id": introducer_id or None,
                "suggested_practitioner_id": suggested,
                "practitioner_id": practitioner_id or suggested,
                "issued_at": _now(store),
            },
        )
        if linked or need or language:
            store.set_record(
                "referral_details",
                referral_id,
                {"person_id": linked, "need": need or None, "language": language or None},
            )
        _append_status(store, referral_id, ISSUED, via=via)
    return get_referral(store, referral_id)


def choose_practitioner(store: Store, referral_id: str, practitioner_id: str) -> Referral:
    """The practitioner may choose another practitioner than the one suggested."""
    referral = _existing(store, referral_id)
    if referral.status in ENDINGS:
        raise ReferralRefused("closed", f"Referral {referral.display_code} is {referral.status}: issue a new one.")
    _practitioner(_template(store), practitioner_id)
    store.set_record("referrals", referral.id, {"practitioner_id": practitioner_id})
    return get_referral(store, referral.id)


def _existing(store: Store, referral_id: str) -> Referral:
    found = get_referral(store, referral_id)
    if found is None:
        raise ReferralRefused("unknown_referral", f"No referral {referral_id!r} on this laptop: sync, or check the id.")
    return found


# -- status -------------------------------------------------------------------------------


def _append_status(
    store: Store, referral_id: str, status: str, *, via: str, reason: str | None = None, practitioner_id: str | None = None
) -> str:
    return store.append_fact(
        "referral_status",
        {
            "referral_id": referral_id,
            "status": status,
            "reason": reason,
            "practitioner_id": practitioner_id,
            "via": via,
            "at": _now(store),
        },
    )


def check_transition(referral: Referral, status: str) -> None:
    """Refuse (with the reason) a status change the lifecycle does not allow."""
    if status not in STATUSES:
        raise ReferralRefused("unknown_status", _unknown_status(status))
    allowed = TRANSITIONS[referral.status]
    if status == referral.status:
        raise ReferralRefused("already", f"Referral {referral.display_code} is already {STATUS_WORDS[status]}.")
    if status not in allowed:
        if not allowed:
            why = f"it is {STATUS_WORDS[referral.status]}, which is final"
        else:
            why = f"a referral that is {referral.status} can only become {', '.join(allowed[:-1])} or {allowed[-1]}"
        hint = " Vet it first." if referral.status == ISSUED and status in CHAIN else ""
        raise ReferralRefused("invalid_transition", f"Referral {referral.display_code} cannot become {status}: {why}.{hint}")


def set_status(
    store: Store,
    referral_id: str,
    status: str,
    *,
    reason: str | None = None,
    practitioner_id: str | None = None,
    via: str = "screen",
) -> Referral:
    """Move a referral on (one fact), crediting its introducer at the template's milestone."""
    referral = _existing(store, referral_id)
    check_transition(referral, status)
    reason = " ".join((reason or "").split()) or None
    if status in ENDINGS and not reason:
        raise ReferralRefused("reason_required", f"Say why the referral is {status} (a few words).")
    template = _template(store)
    if status == VETTED:
        if not practitioner_id:
            raise ReferralRefused(
                "vetter_required", "Only a practitioner of the community can vet: choose which practitioner vets it."
            )
        _practitioner(template, practitioner_id)
    elif practitioner_id:
        _practitioner(template, practitioner_id)
    with store.transaction():
        _append_status(store, referral.id, status, via=via, reason=reason, practitioner_id=practitioner_id)
        if status == credit_milestone(template) and referral.introducer_id:
            _credit_once(store, referral, status)
    return get_referral(store, referral.id)


def vet(store: Store, referral_id: str, practitioner_id: str, *, via: str = "screen") -> Referral:
    return set_status(store, referral_id, VETTED, practitioner_id=practitioner_id, via=via)


# -- credits ------------------------------------------------------------------------------


def credit_milestone(template: EventTemplate) -> str:
    milestone = template.referrals.credit_milestone
    if milestone not in CHAIN[1:]:
        raise ReferralRefused(
            "bad_milestone",
            f"referral_card.credit_milestone {milestone!r} is not a step of a referral: "
            f"set it to one of {', '.join(CHAIN[1:])} in the event template.",
        )
    return milestone


def _credit_once(store: Store, referral: Referral, status: str) -> None:
    # A referral earns its introducer one credit, however often it is synced or re-scanned.
    already = store.db.execute(
        "SELECT 1 FROM referral_credits WHERE referral_id = ? AND points > 0", [referral.id]
    ).fetchone()
    if already:
        return
    store.append_fact(
        "referral_credits",
        {
            "introducer_id": referral.introducer_id,
            "referral_id": referral.id,
            "points": 1,
            "reason": f"referral {referral.display_code} reached {status}",
            "at": _now(store),
        },
    )


def adjust_credit(store: Store, introducer_id: str, points: int, reason: str) -> str:
    """A correction to an introducer's credits (positive or negative), with its reason."""
    if introducer(store, introducer_id) is None:
        raise ReferralRefused("unknown_introducer", "No such introducer on this laptop.")
    reason = " ".join(reason.split())
    if not reason or points == 0:
        raise ReferralRefused("reason_required", "A credit adjustment needs a non-zero amount and a reason.")
    return store.append_fact(
        "referral_credits",
        {"introducer_id": introducer_id, "referral_id": None, "points": points, "reason": reason, "at": _now(store)},
    )


@dataclass(frozen=True)
class CreditEntry:
    introducer_id: str
    referral_id: str | None
    points: int
    reason: str
    at: str


def credit_ledger(store: Store, introducer_id: str | None = None) -> list[CreditEntry]:
    sql = "SELECT introducer_id, referral_id, points, reason, at FROM referral_credits"
    args: list = []
    if introducer_id:
        sql += " WHERE introducer_id = ?"
        args.append(introducer_id)
    return [CreditEntry(*r) for r in store.db.execute(sql + " ORDER BY at, hlc", args)]


def credit_balances(store: Store) -> list[tuple[Introducer, int]]:
    """Every introducer with their balance, highest first."""
    # A milestone credit counts once per referral, even if two laptops both granted it
    # before they synced; adjustments (no referral) all count.
    sums = dict(
        store.db.execute(
            "SELECT introducer_id, sum(points) FROM ("
            " SELECT introducer_id, max(points) AS points FROM referral_credits"
            "  WHERE referral_id IS NOT NULL GROUP BY introducer_id, referral_id"
            " UNION ALL SELECT introducer_id, points FROM referral_credits WHERE referral_id IS NULL"
            ") GROUP BY introducer_id"
        )
    )
    found = [(i, int(sums.get(i.id, 0) or 0)) for i in introducers(store, include_inactive=True)]
    return sorted(found, key=lambda pair: (-pair[1], pair[0].name))


# -- outcomes -----------------------------------------------------------------------------


def stamp_outcome(store: Store, referral_id: str, outcome: str, *, practitioner_id: str | None = None) -> str:
    """Record an outcome stamp (instead of a star rating) for a referral."""
    referral = _existing(store, referral_id)
    if outcome not in OUTCOMES:
        raise ReferralRefused("unknown_outcome", f"{outcome!r} is not an outcome: use one of {', '.join(OUTCOMES)}.")
    if outcome == "attended_3_plus" and referral.status != THIRD_SESSION:
        raise ReferralRefused(
            "outcome_not_reached",
            f"Referral {referral.display_code} is {STATUS_WORDS[referral.status]}: record its third session first.",
        )
    practitioner_id = practitioner_id or referral.practitioner_id
    if practitioner_id:
        _practitioner(_template(store), practitioner_id)
    stamped = store.db.execute(
        "SELECT 1 FROM referral_outcomes WHERE referral_id = ? AND outcome = ?", [referral.id, outcome]
    ).fetchone()
    if stamped:
        raise ReferralRefused("already_stamped", f"Referral {referral.display_code} already has the outcome {outcome}.")
    return store.append_fact(
        "referral_outcomes",
        {"referral_id": referral.id, "practitioner_id": practitioner_id, "outcome": outcome, "at": _now(store)},
    )


def outcomes_of(store: Store, referral_id: str) -> list[str]:
    return [r[0] for r in store.db.execute(
        "SELECT outcome FROM referral_outcomes WHERE referral_id = ? ORDER BY hlc", [referral_id]
    )]


# -- signed codes and scanning ------------------------------------------------------------


def signed_code(signer: Store | tokens.Signer, card_id: str) -> str:
    """The signed token printed as the card's QR code: kind referral and the card id, nothing personal."""
    return tokens.sign_token(signer, tokens.REFERRAL, card_id)


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
        "referral_scans", {"referral_id": referral.id, "card_id": referral.card_id, "result": result, "at": _now(store)}
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
    template = _template(store)
    today = _local_date(template, _now(store))
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
