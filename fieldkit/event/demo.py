"""The demo event: a fresh database from the first sample template, with its registrations,
marked as the demo so the app can say its (public) passphrase."""

from __future__ import annotations

from pathlib import Path

from fieldkit.event.creation import create_event
from fieldkit.event.template import load_template
from fieldkit.people.importer import import_registrations
from fieldkit.store import Store

SAMPLE_EVENTS = Path(__file__).resolve().parent.parent.parent / "sample_events"
DEMO_PASSPHRASE = "demo-passphrase"
DEMO_TEMPLATE = "wellbeing-popup.toml"
_MARK = "demo"


def make_demo(directory: Path) -> Path:
    """A fresh demo database from the first sample template, registrations imported."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo.db"
    for stale in directory.glob("demo.db*"):
        stale.unlink()
    template_path = SAMPLE_EVENTS / DEMO_TEMPLATE
    store = create_event(path, load_template(template_path), DEMO_PASSPHRASE, device_name="demo-desk")
    try:
        store.set_meta(_MARK, "1")
        registrations = template_path.with_name(template_path.stem + "-registrations.csv")
        import_registrations(store, registrations)
    finally:
        store.close()
    return path


def demo_passphrase(store: Store) -> str | None:
    """The passphrase of a demo database (it is public), None for a real event's."""
    return DEMO_PASSPHRASE if store.meta(_MARK) == "1" else None
