"""Attendee passes: the signed token and the printed words of each registration, on paper or as images."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from fieldkit.event import load_event
from fieldkit.printing import deliver
from fieldkit.store import Store
from fieldkit.tokens import PASS, sign_token, signer_for
from printables.fonts import FontMissing
from printables.passes import PassCard, PassSheet, render_passes

_UNSAFE_IN_FILE_NAMES = re.compile(r"[^A-Za-z0-9._-]+")


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


def passes_by_file_name(store: Store, registration_ids: Iterable[str] | None = None) -> dict[str, PassCard]:
    """Each registration's pass (sorted by name), keyed by a file name that holds no name:
    the platform's own number (`pretix-WK1DE-1`), so an image can be matched to the
    platform's export for mailing, or Field Kit's registration id when there is none."""
    signer = signer_for(store)
    rows = store.db.execute(
        "SELECT r.id, p.display_name, r.ticket, r.source, r.external_id FROM registrations r"
        " JOIN people p ON p.id = r.person_id WHERE r.event_id = ?"
        " AND NOT EXISTS (SELECT 1 FROM registration_voids x WHERE x.registration_id = r.id)"
        " ORDER BY p.search_name, r.id",
        [store.event_id],
    ).fetchall()
    wanted = set(registration_ids) if registration_ids is not None else None
    passes: dict[str, PassCard] = {}
    for reg_id, name, ticket, source, external_id in rows:
        if wanted is not None and reg_id not in wanted:
            continue
        stem = _UNSAFE_IN_FILE_NAMES.sub("-", f"pass-{source}-{external_id}" if external_id else f"pass-{reg_id}")
        passes[f"{stem}-{reg_id}" if stem in passes else stem] = PassCard(
            name=name, token=sign_token(signer, PASS, reg_id), ticket=ticket
        )
    return passes


def pass_cards(store: Store, registration_ids: Iterable[str] | None = None) -> list[PassCard]:
    """One card per registration of this event (or of those given), sorted by name."""
    return list(passes_by_file_name(store, registration_ids).values())


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
