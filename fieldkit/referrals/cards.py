"""Which referral cards to print and what they say: blank cards with fresh codes, or issued referrals.

A card says whom to see and how to book, never what for: the need stays off paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from fieldkit import keys
from fieldkit import referrals as rf
from fieldkit.event import load_event
from fieldkit.event.template import EventTemplate
from fieldkit.store import Store
from printables.referral_cards import LAYOUTS, SHEET, CardBatch, Progress, ReferralCard, render_cards

MOST_BLANK = 5000


def card_batch(template: EventTemplate, *, layout: str = SHEET, page_size: str | None = None) -> CardBatch:
    """What every card of a print run shares; `layout` is a sheet of ten, one card a page, or a label."""
    ev = template.event
    page_size = page_size or ev.page_size
    if page_size not in ("A4", "Letter"):
        raise rf.ReferralRefused("page_size", f"{page_size!r} is not a page size: use A4 or Letter.")
    if layout not in LAYOUTS:
        raise rf.ReferralRefused("layout", f"{layout!r} is not a card layout: use one of {', '.join(LAYOUTS)}.")
    return CardBatch(
        heading=template.referrals.card_heading,
        text=template.referrals.card_text,
        event=f"{ev.name} · {ev.starts:%A} {ev.starts.day} {ev.starts:%B %Y}",
        page_size=page_size,
        layout=layout,
    )


def blank_cards(store: Store, count: int) -> tuple[list[rf.Card], list[ReferralCard]]:
    """`count` fresh card codes (handed out blank, linked when a referral is issued) and
    their printed form; the codes are recorded only once the PDF is written."""
    if not 1 <= count <= MOST_BLANK:
        raise rf.ReferralRefused("card_count", f"Print between 1 and {MOST_BLANK} blank cards at a time.")
    signer = keys.signer_for(store)
    cards = rf.new_cards(store, count)
    return cards, [ReferralCard(token=rf.signed_code(signer, c.id), short_code=c.display_code) for c in cards]


def referral_cards(store: Store, codes: Sequence[str]) -> list[ReferralCard]:
    """The cards of issued referrals (each named by id or short code), with their practitioner."""
    if not codes:
        raise rf.ReferralRefused("no_referrals", "Name at least one referral (its id or short code).")
    template = load_event(store).template
    signer = keys.signer_for(store)
    cards = []
    for code in codes:
        referral = rf.resolve(store, code)
        practitioner = template.practitioner(referral.practitioner_id) if referral.practitioner_id else None
        cards.append(
            ReferralCard(
                token=rf.signed_code(signer, referral.card_id),
                short_code=referral.display_code,
                practitioner=practitioner.name if practitioner else None,
                how_to_book=practitioner.how_to_book if practitioner else None,
            )
        )
    return cards


def single_card(store: Store, referral: str) -> tuple[CardBatch, list[ReferralCard]]:
    """What the app prints for one referral: one card on a page of its own size, or one
    label (the template's `referral_card.single_card`), never a sheet of ten."""
    template = load_event(store).template
    return card_batch(template, layout=template.referrals.single_card), referral_cards(store, [referral])


def check_request(blank: int | None, referrals: Sequence[str]) -> None:
    """Exactly one of: blank cards, or the cards of named referrals."""
    if (blank is None) == (not referrals):
        raise rf.ReferralRefused("what_to_print", "Say what to print: --blank N, or --referral ID (one or more).")


def print_cards(
    store: Store,
    out: str | Path | BinaryIO,
    *,
    blank: int | None = None,
    referrals: Sequence[str] = (),
    layout: str = SHEET,
    page_size: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Make the cards asked for and write them as a PDF; returns the number of cards."""
    check_request(blank, referrals)
    batch = card_batch(load_event(store).template, layout=layout, page_size=page_size)
    new: list[rf.Card] = []
    try:
        if blank is not None:
            new, cards = blank_cards(store, blank)
        else:
            cards = referral_cards(store, referrals)
    except keys.CannotSign as exc:
        raise rf.ReferralRefused("cannot_sign", str(exc)) from None
    render_cards(batch, cards, out, progress=progress)
    rf.record_cards(store, new)
    return len(cards)
