"""Introducers: trusted community members who bring people to the clinic."""

from __future__ import annotations

from fieldkit.referrals.records import Introducer, ReferralRefused, now_text
from fieldkit.store import Store


def add_introducer(store: Store, name: str, group_name: str = "") -> str:
    """Record a trusted community member who brings people to the clinic."""
    name = " ".join(name.split())
    if not name:
        raise ReferralRefused("introducer_name", "An introducer needs a name: type the name they are known by.")
    return store.set_record(
        "introducers",
        None,
        {"name": name, "group_name": " ".join(group_name.split()), "active": 1, "created_at": now_text(store)},
    )


def introducers(store: Store, *, include_inactive: bool = False) -> list[Introducer]:
    rows = store.db.execute(
        "SELECT id, name, coalesce(group_name, ''), active FROM introducers ORDER BY name"
    ).fetchall()
    found = [Introducer(r[0], r[1], r[2], bool(r[3])) for r in rows]
    return found if include_inactive else [i for i in found if i.active]


def introducer(store: Store, introducer_id: str) -> Introducer | None:
    return next((i for i in introducers(store, include_inactive=True) if i.id == introducer_id), None)
