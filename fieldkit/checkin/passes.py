"""Attendee passes: the signed token and the printed words of each registration."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from fieldkit.event import load_event
from fieldkit.printing import deliver
from fieldkit.store import Store
from fieldkit.tokens import PASS, sign_token, signer_for
from printables.fonts import FontMissing
from printables.passes import PassCard, PassSheet, render_passes


def pass_sheet(store: Store) -> PassSheet:
    """The event's words on every pass (times in the event's own zone)."""
    ev = load_event(store).template.event
    return PassSheet(
        event_name=ev.name,
        when=f"{ev.starts:%A %d %B %Y, %H:%M}-{ev.ends:%H:%M}",
        venue=ev.venue,
        page_size=ev.page_size,
    )


def pass_token(store: Store, registration_id: str) -> str:
    """The signed token a registration's pass carries: kind and id only, no personal data."""
    return sign_token(store, PASS, registration_id)


def pass_cards(store: Store, registration_ids: Iterable[str] | None = None) -> list[PassCard]:
    """One card per registration of this event (or of those given), sorted by name."""
    signer = signer_for(store)
    rows = store.db.execute(
        "SELECT r.id, p.display_name, r.ticket FROM registrations r JOIN people p ON p.id = r.person_id"
        " WHERE r.event_id = ? AND NOT EXISTS (SELECT 1 FROM registration_voids x WHERE x.registration_id = r.id)"
        " ORDER BY p.search_name, r.id",
        [store.event_id],
    ).fetchall()
    wanted = set(registration_ids) if registration_ids is not None else None
    return [
        PassCard(name=name, token=sign_token(signer, PASS, reg_id), ticket=ticket)
        for reg_id, name, ticket in rows
        if wanted is None or reg_id in wanted
    ]


def deliver_single_pass(sheet: PassSheet, card: PassCard, directory: Path, printer: str) -> str:
    """Write one pass (a walk-in's) to its own PDF and print it if a printer is there;
    returns the sentence to show. Files are named by time, not by name: file names
    end up in print queues."""
    directory.mkdir(parents=True, exist_ok=True)
    pdf = directory / f"pass-{datetime.now():%Y%m%d-%H%M%S-%f}.pdf"
    try:
        render_passes(sheet, [card], pdf)
    except (OSError, FontMissing) as exc:
        return f"The pass could not be made ({exc}): write their name on a blank pass."
    return deliver(pdf, printer, title="Field Kit pass").message
