"""What a consent purpose covers: the value each covering feature declares.

A feature that keeps personal data only under a purpose defines a `Coverage`: who
currently holds covered content, and how to purge one person's content through
`store.purge` (which leaves tombstones, so the purge reaches every laptop at the next
sync). fieldkit/consent/withdrawal.py lists every coverage in one tuple and runs the
purges; features never delete on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fieldkit.store import Store


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
