"""Times as stored: UTC ISO 8601 with milliseconds, one precision everywhere, so text order is time order."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_text(moment: datetime) -> str:
    """A time as every table stores it; a time without a zone is refused rather than guessed."""
    if moment.tzinfo is None:
        raise ValueError("Stored times must carry a time zone.")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
