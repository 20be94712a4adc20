"""Caseload: how many open referrals each practitioner has this week, and suggestions that weigh it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fieldkit.event.template import EventTemplate
from fieldkit.referrals import directory
from fieldkit.referrals.records import ENDINGS, event_template, list_referrals
from fieldkit.store import Store


def week_start(store: Store, template: EventTemplate) -> datetime:
    """Monday 00:00 of this week in the event's time zone, as an aware datetime."""
    local = store.now().astimezone(ZoneInfo(template.event.timezone))
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def open_this_week(store: Store, template: EventTemplate | None = None) -> dict[str, int]:
    """Per practitioner: referrals issued to them this week that are not declined or expired."""
    template = template or event_template(store)
    since = week_start(store, template)
    counts: dict[str, int] = {}
    for r in list_referrals(store):
        if r.practitioner_id and r.status not in ENDINGS and datetime.fromisoformat(r.issued_at) >= since:
            counts[r.practitioner_id] = counts.get(r.practitioner_id, 0) + 1
    return counts


def suggest_practitioners(store: Store, need: str | None, language: str | None) -> list[directory.Suggestion]:
    template = event_template(store)
    return directory.suggest(
        template.practitioners, specialism=need, language=language, open_this_week=open_this_week(store, template)
    )
