"""The practitioner directory: filtering and suggesting practitioners from the event template.

Pure functions over the template's practitioners; what is booked this week comes in as
plain counts, so the directory needs no database and the referrals module feeds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fieldkit.event.template import Practitioner


def _fold(word: str) -> str:
    return " ".join(word.casefold().split())


def specialisms(practitioners: Iterable[Practitioner]) -> list[str]:
    """Every specialism of the directory, once each, sorted."""
    return sorted({s for p in practitioners for s in p.specialisms}, key=_fold)


def languages(practitioners: Iterable[Practitioner]) -> list[str]:
    return sorted({code for p in practitioners for code in p.languages})


def spelled_as_listed(value: str, listed: Iterable[str]) -> str | None:
    """How the directory spells `value` (matched in any case and spacing), or None if it is not listed."""
    return next((item for item in listed if _fold(item) == _fold(value)), None)


def offers(practitioner: Practitioner, specialism: str) -> bool:
    return _fold(specialism) in {_fold(s) for s in practitioner.specialisms}


def speaks(practitioner: Practitioner, language: str) -> bool:
    return _fold(language) in {_fold(code) for code in practitioner.languages}


def filter_practitioners(
    practitioners: Iterable[Practitioner],
    *,
    specialism: str | None = None,
    language: str | None = None,
    accepting: bool | None = None,
) -> list[Practitioner]:
    """Practitioners matching every filter given (None means any), in directory order."""
    return [
        p
        for p in practitioners
        if (not specialism or offers(p, specialism))
        and (not language or speaks(p, language))
        and (accepting is None or p.accepting_new_clients == accepting)
    ]


@dataclass(frozen=True)
class Suggestion:
    """A practitioner who could take a referral, and why they rank where they do."""

    practitioner: Practitioner
    available: int  # weekly capacity minus referrals open to them this week
    matches_specialism: bool
    matches_language: bool

    @property
    def reason(self) -> str:
        parts = []
        if self.matches_specialism:
            parts.append("specialism")
        if self.matches_language:
            parts.append("language")
        spoken = " and ".join(parts) if parts else "no match"
        return f"{spoken}; {self.available} of {self.practitioner.weekly_capacity} places free this week"


def availability(practitioner: Practitioner, open_this_week: Mapping[str, int]) -> int:
    """Places left this week: weekly capacity minus referrals open to them this week."""
    if not practitioner.accepting_new_clients:
        return 0
    return max(0, practitioner.weekly_capacity - open_this_week.get(practitioner.id, 0))


def suggest(
    practitioners: Iterable[Practitioner],
    *,
    specialism: str | None,
    language: str | None,
    open_this_week: Mapping[str, int],
) -> list[Suggestion]:
    """Practitioners who accept new clients and have a place this week, best first.

    Ranked by specialism match, then language match, then places free; a practitioner
    matching neither is left out when anyone matches something.
    """
    found = []
    for p in practitioners:
        free = availability(p, open_this_week)
        if free <= 0:
            continue
        found.append(
            Suggestion(
                practitioner=p,
                available=free,
                matches_specialism=bool(specialism) and offers(p, specialism),
                matches_language=bool(language) and speaks(p, language),
            )
        )
    if any(s.matches_specialism or s.matches_language for s in found):
        found = [s for s in found if s.matches_specialism or s.matches_language]
    return sorted(
        found,
        key=lambda s: (not s.matches_specialism, not s.matches_language, -s.available, _fold(s.practitioner.name)),
    )
