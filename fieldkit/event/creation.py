"""The event: creating its database from a template and reading it back."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from fieldkit.errors import Refused
from fieldkit.event.template import EventTemplate, template_from_json
from fieldkit.keys import create_event_key
from fieldkit.private_files import new_database
from fieldkit.roles import COORDINATOR
from fieldkit.store import Store, create_store


class EventNotSynced(Refused, LookupError):
    """A joined laptop that has not synced yet holds no event record."""

    code = "event_not_synced"


@dataclass(frozen=True)
class Event:
    id: str
    template: EventTemplate

    @property
    def name(self) -> str:
        return self.template.event.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.template.event.timezone)


def create_event(
    path: str | Path,
    template: EventTemplate,
    passphrase: str | None,
    *,
    device_name: str = "coordinator",
) -> Store:
    """A new coordinator database for the event described by `template`."""
    was_there = Path(path).exists()
    store = create_store(path, passphrase, device_name=device_name, role=COORDINATOR)
    with new_database(path, was_there=was_there, close=store.close):  # half made: undone, so init runs again
        ev = template.event
        with store.transaction():
            # The event key first: the event record and the roster are written under it.
            create_event_key(store)  # signs passes, cards and forms, and this laptop's changes
            store.set_record(
                "events",
                store.event_id,
                {
                    "name": ev.name,
                    "venue": ev.venue,
                    "community": ev.community,
                    "starts": ev.starts.isoformat(),
                    "ends": ev.ends.isoformat(),
                    "timezone": ev.timezone,
                    "page_size": ev.page_size,
                    "template_json": template.to_json(),
                },
            )
            store.set_record(
                "devices",
                store.device_id,
                {"name": device_name, "role": COORDINATOR, "enrolled_at": store.now_text()},
            )
            # (imported here: X.509 is a tenth of the app's cold start, and opening an event needs none of it)
            from fieldkit.event.ca import create_event_ca

            create_event_ca(store)  # certifies each laptop for sync
    return store


def load_event(store: Store) -> Event:
    row = store.db.execute(
        "SELECT id, template_json FROM events WHERE id = ?", [store.event_id]
    ).fetchone()
    if row is None:
        raise EventNotSynced("This database holds no event yet: it has not synced with its coordinator.")
    return Event(id=row[0], template=_parsed_template(row[1]))


# The template is read on every consent check: parse each stored version once.
_parsed_template = functools.lru_cache(maxsize=8)(template_from_json)
