"""The event at a glance: what the home screen and `fieldkit info` show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fieldkit.checkin.flags import NOT_TAKEN_BACK, NOT_VOIDED, double_checkins
from fieldkit.checkin.lookup import registered_count
from fieldkit.event import load_event
from fieldkit.store import Store


@dataclass(frozen=True)
class Overview:
    name: str
    venue: str
    community: str
    starts: datetime
    ends: datetime
    timezone: str
    registered: int
    checked_in: int
    double_checkins: int  # registrations checked in more than once, derived from every check-in held
    device_name: str
    role: str


def event_overview(store: Store) -> Overview:
    event = load_event(store)
    ev = event.template.event
    # A registration taken back (an undone walk-in) does not count.
    registered = registered_count(store)
    checked_in = store.db.execute(
        f"SELECT count(DISTINCT registration_id) FROM checkins c WHERE {NOT_VOIDED} AND {NOT_TAKEN_BACK}"
    ).fetchone()[0]
    return Overview(
        name=ev.name,
        venue=ev.venue,
        community=ev.community,
        starts=ev.starts,
        ends=ev.ends,
        timezone=ev.timezone,
        registered=registered,
        checked_in=checked_in,
        double_checkins=double_checkins(store),
        device_name=store.device_name,
        role=store.role,
    )
