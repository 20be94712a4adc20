""""Already checked in", derived: read from every check-in of a registration this laptop holds.

Never stored at write time: a check-in is flagged while another check-in of the same
registration that is not voided is on this laptop, whichever laptop made it and whenever
it arrived. So two desks that admitted one pass while apart both show the flag once they
have synced, and every laptop that holds the same check-ins shows the same flags. Voiding
a check-in (a new fact) takes it out of every count here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fieldkit.store import Store

NOT_VOIDED = "NOT EXISTS (SELECT 1 FROM checkin_voids v WHERE v.checkin_id = c.id)"
# ... and whether its registration still stands (a walk-in undone at a desk is taken back, and
# a check-in another laptop made of it before the undo reached it counts for nothing).
NOT_TAKEN_BACK = "NOT EXISTS (SELECT 1 FROM registration_voids rv WHERE rv.registration_id = c.registration_id)"
# For a check-in `c` in a query: whether another check-in of its registration counts (the flag).
FLAGGED = (
    "EXISTS (SELECT 1 FROM checkins o WHERE o.registration_id = c.registration_id AND o.id != c.id"
    " AND NOT EXISTS (SELECT 1 FROM checkin_voids w WHERE w.checkin_id = o.id))"
)
# A registration's check-ins that count but one, earliest first (by time, then id: the same order everywhere).
_OTHERS = (
    "SELECT c.checked_in_at, c.desk FROM checkins c WHERE c.registration_id = ? AND c.id != ?"
    f" AND {NOT_VOIDED} ORDER BY c.checked_in_at, c.id"
)


@dataclass(frozen=True)
class EarlierCheckin:
    """A check-in of a registration as another one sees it: when, and at which desk."""

    at: datetime
    desk: str


def checkins_of(store: Store, registration_id: str, *, besides: str = "") -> tuple[EarlierCheckin, ...]:
    """Every check-in of a registration that counts (but `besides`), earliest first."""
    return tuple(
        EarlierCheckin(datetime.fromisoformat(at), desk)
        for at, desk in store.db.execute(_OTHERS, [registration_id, besides])
    )


def other_checkin(store: Store, registration_id: str, checkin_id: str) -> EarlierCheckin | None:
    """The earliest check-in of the same registration besides `checkin_id`: why it is flagged."""
    row = store.db.execute(_OTHERS + " LIMIT 1", [registration_id, checkin_id]).fetchone()
    return EarlierCheckin(datetime.fromisoformat(row[0]), row[1]) if row else None


def double_checkins(store: Store) -> int:
    """Registrations checked in more than once (voided check-ins and taken-back registrations
    aside): the flagged people."""
    return store.db.execute(
        "SELECT count(*) FROM (SELECT c.registration_id FROM checkins c"
        f" WHERE {NOT_VOIDED} AND {NOT_TAKEN_BACK} GROUP BY c.registration_id HAVING count(*) > 1)"
    ).fetchone()[0]
