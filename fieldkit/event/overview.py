"""The event at a glance: what the home screen and `fieldkit info` show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    device_name: str
    role: str


def event_overview(store: Store) -> Overview:
    event = load_event(store)
    ev = event.template.event
    # A registration taken back (an undone walk-in) does not count.
    registered = registered_count(store)
    checked_in = store.db.execute(
        "SELECT count(DISTINCT registration_id) FROM checkins c"
        " WHERE NOT EXISTS (SELECT 1 FROM checkin_voids v WHERE v.checkin_id = c.id)"
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
        device_name=store.device_name,
        role=store.role,
    )
