"""What each consent purpose covers, and purging it when that consent ends.

A feature that keeps personal data only under a purpose registers a `Coverage`:
who currently holds covered content, and how to purge one person's content through
`store.purge` (which leaves tombstones, so the purge reaches every laptop at the next
sync). The consent module runs the purges; features never delete on their own.

Modules that register coverage are listed in `COVERAGE_MODULES` and imported before
any purge, so a revocation made from the command line purges exactly what one made
in the app does, whichever features that process happened to import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from fieldkit.store import Store

# One line per feature whose data a consent purpose covers.
COVERAGE_MODULES: tuple[str, ...] = ("fieldkit.contact_details", "fieldkit.intake_privacy", "fieldkit.referrals")


@dataclass(frozen=True)
class Coverage:
    """Content of one feature that is kept only while `purpose` allows it."""

    purpose: str
    name: str  # what is covered, in words: "contact details (email, phone)"
    holders: Callable[[Store], set[str]]  # people who currently have covered content
    purge: Callable[[Store, str, str], int]  # (store, person_id, reason) -> items purged


@dataclass(frozen=True)
class Purged:
    """What one coverage removed for one person."""

    purpose: str
    name: str
    items: int


_coverage: dict[str, list[Coverage]] = {}


def register_coverage(coverage: Coverage) -> Coverage:
    """Declare that `coverage.purpose` covers some content (once per name)."""
    entries = _coverage.setdefault(coverage.purpose, [])
    entries[:] = [c for c in entries if c.name != coverage.name]
    entries.append(coverage)
    return coverage


def coverage_of(purpose: str) -> list[Coverage]:
    """Everything `purpose` covers, with every covering feature loaded."""
    _load_coverage_modules()
    return list(_coverage.get(purpose, ()))


def purge_covered(store: Store, person_id: str, purpose: str, reason: str) -> list[Purged]:
    """Purge everything `purpose` covers for one person; call inside the revoking transaction."""
    done = []
    with store.transaction():
        for coverage in coverage_of(purpose):
            done.append(Purged(purpose, coverage.name, coverage.purge(store, person_id, reason)))
    return done


def _load_coverage_modules() -> None:
    for module in COVERAGE_MODULES:
        importlib.import_module(module)
