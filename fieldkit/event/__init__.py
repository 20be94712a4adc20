"""The event: its template, creating its database, and what it looks like now."""

from fieldkit.event.creation import Event, create_event, load_event

__all__ = ["Event", "create_event", "load_event"]
