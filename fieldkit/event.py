"""The event: creating its database from a template and reading it back."""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from fieldkit.store import Store, create_store
from fieldkit.template import EventTemplate, template_from_json

COORDINATOR = "coordinator"
ROLES = ("coordinator", "desk", "practitioner")

# Features that need to do something when an event is created (keys, a CA...)
# register a hook here: hook(store, template) runs inside the creating transaction.
_init_hooks: list = []
# Modules that register such hooks, imported when an event is created so that
# event.py needs none of them at import time. One line per feature.
EVENT_FEATURES = [
    "fieldkit.tokens",
    "sync.ca",
]


def on_event_created(hook):
    """Decorator: run `hook(store, template)` for every new coordinator database."""
    _init_hooks.append(hook)
    return hook


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
    for module in EVENT_FEATURES:
        importlib.import_module(module)
    store = create_store(path, passphrase, device_name=device_name, role=COORDINATOR)
    ev = template.event
    with store.transaction():
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
            {"name": device_name, "role": COORDINATOR, "enrolled_at": store.now().isoformat()},
        )
        for hook in _init_hooks:
            hook(store, template)
    return store


def load_event(store: Store) -> Event:
    row = store.db.execute(
        "SELECT id, template_json FROM events WHERE id = ?", [store.event_id]
    ).fetchone()
    if row is None:
        raise LookupError("This database holds no event yet: it has not synced with its coordinator.")
    return Event(id=row[0], template=_parsed_template(row[1]))


# The template is read on every consent check: parse each stored version once.
_parsed_template = functools.lru_cache(maxsize=8)(template_from_json)
