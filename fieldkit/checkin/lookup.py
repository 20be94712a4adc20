"""What the desk reads: people by name or number with what tells namesakes apart, the
counters, the last check-ins (one line a person), and a registration's ticket and party."""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass
from datetime import datetime

from fieldkit.checkin.flags import FLAGGED, NOT_VOIDED, EarlierCheckin, checkins_of
from fieldkit.people.registry import find_people, search_key
from fieldkit.store import Store

# A registration taken back (a walk-in undone) is no registration: not counted, not found.
LIVE = "NOT EXISTS (SELECT 1 FROM registration_voids x WHERE x.registration_id = r.id)"
BY_WALK_IN = "walk_in"


@dataclass(frozen=True)
class Counters:
    registered: int
    checked_in: int
    walk_ins: int
    flagged: int = 0  # registrations checked in more than once (double check-ins)


@dataclass(frozen=True)
class RecentCheckin:
    checkin_id: str
    name: str | None
    at: datetime
    desk: str
    method: str
    flagged: bool


@dataclass(frozen=True)
class Attendee:
    """A search hit: the person, their registration and when they came in, if they did."""

    person_id: str
    name: str
    registration_id: str | None
    ticket: str | None
    checked_in_at: datetime | None
    order_ref: str | None = None
    external_id: str | None = None
    checkins: tuple[EarlierCheckin, ...] = ()  # every check-in not voided, earliest first

    @property
    def flagged(self) -> bool:
        return len(self.checkins) > 1


@dataclass(frozen=True)
class Party:
    """How many people a registration stands for: a form's party size on one pass, or the
    tickets of one order (each with its own pass), and how many of those are in."""

    size: int
    checked_in: int
    order_ref: str | None = None

    def words(self) -> str:
        if self.order_ref is None:
            return f"party of {self.size} on this one pass"
        return f"party of {self.size} (order {self.order_ref}): {self.checked_in} of {self.size} in"


@dataclass(frozen=True)
class Admission:
    """What the desk shows beside a name: the ticket type and the party."""

    ticket: str | None
    party: Party | None


def search(store: Store, query: str, limit: int = 10) -> list[Attendee]:
    """People matching `query` (name, email, order or attendee number) with their live
    registration and check-in time; people whose only registration was taken back are left out."""
    found = []
    for person in find_people(store, query, limit):
        row = store.db.execute(
            "SELECT r.id, r.ticket, r.order_ref, r.external_id"
            f" FROM registrations r WHERE r.person_id = ? AND r.event_id = ? AND {LIVE} ORDER BY r.id LIMIT 1",
            [person.id, store.event_id],
        ).fetchone()
        if row is None and store.db.execute("SELECT 1 FROM registrations WHERE person_id = ?", [person.id]).fetchone():
            continue  # every registration of theirs was taken back
        reg_id, ticket, order_ref, external_id = row or (None, None, None, None)
        came = checkins_of(store, reg_id) if reg_id else ()
        checked_in = came[0].at if came else None
        found.append(Attendee(person.id, person.display_name, reg_id, ticket, checked_in, order_ref, external_id, came))
    return found


def namesakes(store: Store, name: str) -> list[Attendee]:
    """Registered people whose name has the same words as `name` (folded, any order): whom a
    walk-in of that name might already be."""
    words = sorted(search_key(name).split())
    if not words:
        return []
    return [hit for hit in search(store, name, 20) if sorted(search_key(hit.name).split()) == words]


def live_registration(store: Store, person_id: str) -> str | None:
    """The person's registration for this event that was not taken back, if any."""
    row = store.db.execute(
        f"SELECT r.id FROM registrations r WHERE r.person_id = ? AND r.event_id = ? AND {LIVE} ORDER BY r.id LIMIT 1",
        [person_id, store.event_id],
    ).fetchone()
    return row[0] if row else None


def registered_count(store: Store) -> int:
    """Registrations of the event not taken back. One database holds one event, so every
    registration row counts; the few taken back are subtracted (a NOT EXISTS per row would
    read all 100k on every check-in)."""
    return store.db.execute(
        "SELECT (SELECT count(*) FROM registrations)"
        " - (SELECT count(DISTINCT v.registration_id) FROM registration_voids v"
        " JOIN registrations r ON r.id = v.registration_id)"
    ).fetchone()[0]


def counters(store: Store) -> Counters:
    db = store.db
    registered = registered_count(store)
    # One pass over the check-ins, by registration: who came, who walked in, who came twice;
    # then the same for the few registrations taken back, subtracted (a check-in another laptop
    # made of an undone walk-in before the undo reached it counts for nothing).
    every = ("SELECT count(*), coalesce(sum(walk_in), 0), coalesce(sum(times > 1), 0) FROM"
             " (SELECT max(c.method = ?) AS walk_in, count(*) AS times FROM checkins c"
             " WHERE {} GROUP BY c.registration_id)")
    came = db.execute(every.format(NOT_VOIDED), [BY_WALK_IN]).fetchone()
    gone = db.execute(
        every.format(f"{NOT_VOIDED} AND c.registration_id IN (SELECT registration_id FROM registration_voids)"),
        [BY_WALK_IN],
    ).fetchone()
    checked_in, walk_ins, flagged = (a - b for a, b in zip(came, gone))
    return Counters(registered, checked_in, walk_ins, flagged)


# -- the newest check-ins, with no index on their time (m068: one page less a check-in writes) --
#
# Each laptop's feed (its change log, by number) holds the check-ins it made in the order it made
# them, each stamped no earlier than its time (the desk reads the time, then the store stamps it),
# and stamps only grow along a feed. So the feeds walked newest stamp first stop once every stamp
# left is older than the `count`-th newest time found: nothing further down a feed can be newer.
_FEED = (
    "SELECT ch.hlc, c.checked_in_at, c.id FROM changes ch LEFT JOIN checkins c ON ch.tbl = 'checkins'"
    f" AND ch.op = 'insert' AND c.id = ch.row_id AND {NOT_VOIDED} WHERE ch.origin = ? ORDER BY ch.seq DESC"
)
_ORIGINS = (  # every origin in the change log, one index seek each
    "WITH RECURSIVE o(origin) AS (SELECT min(origin) FROM changes UNION ALL"
    " SELECT (SELECT min(origin) FROM changes WHERE origin > o.origin) FROM o WHERE o.origin IS NOT NULL)"
    " SELECT origin FROM o WHERE origin IS NOT NULL"
)
# Up to this many check-ins, reading them all is quicker than walking feeds full of other writes
# (a coordinator's laptop that imported 100k registrations and checked in a few people).
_FEW = 1000
_ALL = f"SELECT c.hlc, c.checked_in_at, c.id FROM checkins c WHERE {NOT_VOIDED} AND (?1 IS NULL OR c.origin = ?1)"


def latest_checkins(
    store: Store, count: int, origin: str | None = None, *, then_by_stamp: bool = False
) -> list[str]:
    """Ids of the `count` newest check-ins not voided, newest first: by time, then by id (or by
    stamp: the later made), of one laptop (`origin`) or of all."""
    db, tie = store.db, 0 if then_by_stamp else 2
    if db.execute(f"SELECT count(*) FROM (SELECT 1 FROM checkins LIMIT {_FEW + 1})").fetchone()[0] <= _FEW:
        rows = db.execute(_ALL, [origin]).fetchall()
        return [row[2] for row in sorted(rows, key=lambda row: (row[1], row[tie]), reverse=True)[:count]]
    heads = []
    for name in [origin] if origin else [row[0] for row in db.execute(_ORIGINS)]:
        feed = db.execute(_FEED, [name])
        if (row := feed.fetchone()) is not None:
            heads.append([row, feed])
    best: list[tuple[tuple[str, str], str]] = []  # the newest found, oldest of them first (a heap)
    floor = None  # the oldest of them in milliseconds, once there are `count`
    while heads:
        head = max(heads, key=lambda h: h[0][0])
        row, feed = head
        if floor is not None and int(row[0][:13]) < floor:
            break
        if row[2] is not None and (len(best) < count or ((row[1], row[tie]), row[2]) > best[0]):
            (heapq.heappush if len(best) < count else heapq.heapreplace)(best, ((row[1], row[tie]), row[2]))
            if len(best) == count:
                floor = int(datetime.fromisoformat(best[0][0][0]).timestamp() * 1000)
        head[0] = feed.fetchone()
        if head[0] is None:
            heads.remove(head)
    for _, feed in heads:
        feed.close()
    return [checkin_id for _, checkin_id in sorted(best, reverse=True)]


_RECENT = (
    f"SELECT c.id, p.display_name, c.checked_in_at, c.desk, c.method, {FLAGGED},"
    " coalesce(r.person_id, c.registration_id) FROM checkins c"
    " LEFT JOIN registrations r ON r.id = c.registration_id LEFT JOIN people p ON p.id = r.person_id"
    # The id breaks ties, so every laptop holding the same check-ins shows the same line.
    " WHERE c.id IN (SELECT value FROM json_each(?)) ORDER BY c.checked_in_at DESC, c.hlc DESC, c.id DESC"
)


def recent(store: Store, limit: int = 10) -> list[RecentCheckin]:
    """The latest check-ins on this laptop (any desk, once synced), newest first, one line a
    person: a repeat moves them to the top and marks the line flagged (fieldkit/checkin/flags.py)."""
    lines: dict[str, RecentCheckin] = {}
    window = 5 * limit
    while True:
        # The newest few first, then their names: not a join over every check-in.
        rows = store.db.execute(_RECENT, [json.dumps(latest_checkins(store, window))]).fetchall()
        lines.clear()
        repeated: set[str] = set()
        for row in rows:
            who = row[6]
            if who in lines:
                repeated.add(who)
            else:
                lines[who] = RecentCheckin(row[0], row[1], datetime.fromisoformat(row[2]), row[3], row[4], bool(row[5]))
        if len(lines) >= limit or len(rows) < window:
            break
        window *= 4
    return [
        RecentCheckin(r.checkin_id, r.name, r.at, r.desk, r.method, r.flagged or who in repeated)
        for who, r in list(lines.items())[:limit]
    ]


def admission(store: Store, registration_id: str) -> Admission:
    """The ticket and party of a registration (none known when it has not synced yet)."""
    row = store.db.execute(
        "SELECT ticket, order_ref, party_size FROM registrations WHERE id = ?", [registration_id]
    ).fetchone()
    if row is None:
        return Admission(None, None)
    ticket, order_ref, party_size = row
    if party_size and party_size > 1:
        return Admission(ticket, Party(party_size, 0))
    if not order_ref:
        return Admission(ticket, None)
    size, checked_in = store.db.execute(
        "SELECT count(*), count(CASE WHEN EXISTS (SELECT 1 FROM checkins c WHERE c.registration_id = r.id"
        f" AND {NOT_VOIDED}) THEN 1 END) FROM registrations r WHERE upper(r.order_ref) = upper(?) AND {LIVE}",
        [order_ref],
    ).fetchone()
    return Admission(ticket, Party(size, checked_in, order_ref) if size > 1 else None)


@dataclass(frozen=True)
class PersonAtDesk:
    """What the desk knows of one person: their registration's ticket and party, and when
    they were checked in (voided check-ins left out)."""

    registration_id: str | None
    ticket: str | None
    order_ref: str | None
    party: Party | None
    checkins: tuple[tuple[datetime, str, str], ...]  # (at, desk, method), first first


def person_at_desk(store: Store, person_id: str) -> PersonAtDesk:
    registration_id = live_registration(store, person_id)
    if registration_id is None:
        return PersonAtDesk(None, None, None, None, ())
    row = store.db.execute("SELECT order_ref FROM registrations WHERE id = ?", [registration_id]).fetchone()
    ticket_and_party = admission(store, registration_id)
    checkins = store.db.execute(
        f"SELECT c.checked_in_at, c.desk, c.method FROM checkins c WHERE c.registration_id = ? AND {NOT_VOIDED}"
        " ORDER BY c.checked_in_at",
        [registration_id],
    ).fetchall()
    return PersonAtDesk(
        registration_id,
        ticket_and_party.ticket,
        row[0] if row else None,
        ticket_and_party.party,
        tuple((datetime.fromisoformat(at), desk, method) for at, desk, method in checkins),
    )
