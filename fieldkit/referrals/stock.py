"""Referral card stock: fresh short codes recorded before printing, finding a card by its code, and its signed QR."""

from __future__ import annotations

from collections.abc import Iterable

from fieldkit import keys, tokens
from fieldkit.referrals import codes as referral_codes
from fieldkit.referrals.records import Card, ReferralRefused, card_rows, now_text
from fieldkit.store import Store, new_id


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
    at = now_text(store)
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


def find_card(store: Store, text: str) -> Card:
    """The card a typed short code (or a card id) names."""
    rows = card_rows(store, "id", text.strip()) if len(text.strip()) == 26 else []
    if not rows:
        try:
            code = referral_codes.normalise(text)
        except referral_codes.BadShortCode as exc:
            raise ReferralRefused(exc.code if exc.code == "check" else "unknown_code", str(exc)) from None
        rows = card_rows(store, "short_code", code)
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
    rows = card_rows(store, "id", card_id)
    return Card(rows[0][0], rows[0][1], bool(rows[0][2]), rows[0][3]) if rows else None


def signed_code(signer: Store | keys.Signer, card_id: str) -> str:
    """The signed token printed as the card's QR code: kind referral and the card id, nothing personal."""
    return tokens.sign_token(signer, tokens.REFERRAL, card_id)
