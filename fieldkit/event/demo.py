"""The demo event: a fresh database from the first sample template, with its registrations,
marked as the demo so the app can say its (public) passphrase."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fieldkit.event.creation import create_event
from fieldkit.event.template import load_template, parse_template
from fieldkit.event.template_values import EventTemplate
from fieldkit.store import Store

SAMPLE_EVENTS = Path(__file__).resolve().parent.parent.parent / "sample_events"
DEMO_PASSPHRASE = "demo-passphrase"
DEMO_TEMPLATE = "wellbeing-popup.toml"
_MARK = "demo"


def make_demo(directory: Path, now: datetime | None = None) -> Path:
    """A fresh demo database from the first sample template, registrations imported, its event
    under way at `now` (the current time if None): it opened an hour ago (on the hour) and runs
    as long as the template's, so passes admit and timers run whatever day the demo is opened."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo.db"
    for stale in directory.glob("demo.db*"):
        stale.unlink()
    template_path = SAMPLE_EVENTS / DEMO_TEMPLATE
    template = under_way(load_template(template_path), now or datetime.now(timezone.utc))
    store = create_event(path, template, DEMO_PASSPHRASE, device_name="demo-desk")
    try:
        store.set_meta(_MARK, "1")
        registrations = template_path.with_name(template_path.stem + "-registrations.csv")
        from fieldkit.people.importer import import_registrations  # (not at the app's cold start)

        import_registrations(store, registrations)
    finally:
        store.close()
    return path


def under_way(template: EventTemplate, now: datetime) -> EventTemplate:
    """`template` with its event moved to have started on the hour before `now`, same length
    (in the event's time zone, as the template file would say it)."""
    event = template.event
    local = now.astimezone(event.starts.tzinfo)
    starts = local.replace(minute=0, second=0, microsecond=0, tzinfo=None) - timedelta(hours=1)
    raw = copy.deepcopy(template.raw)
    raw["event"]["starts"] = starts
    raw["event"]["ends"] = starts + (event.ends - event.starts)
    return parse_template(raw, template.source)


def demo_passphrase(store: Store) -> str | None:
    """The passphrase of a demo database (it is public), None for a real event's."""
    return DEMO_PASSPHRASE if store.meta(_MARK) == "1" else None
