"""Each referral's first date of each step (referral_steps, m067) is kept right by the
database itself however its facts come and go: written here, received by sync, purged,
changed by a migration; and a database made before m067 gets it when first opened."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit.metrics import queries
from fieldkit.store import new_id, open_store
from tests.conftest import PASSPHRASE
from tests.metrics import reference_queries
from tests.metrics.test_query_equivalence import STATUSES, as_before, awkward_event

# Worked out from the facts, as the report did before m067.
FROM_FACTS = """
SELECT referral_id, vetted, booked, first, third, ended, julianday(booked), julianday(first), julianday(third), julianday(ended)
FROM (SELECT referral_id, min(at) FILTER (WHERE status = 'vetted') AS vetted, min(at) FILTER (WHERE status = 'booked') AS booked,
             min(at) FILTER (WHERE status = 'first_session') AS first, min(at) FILTER (WHERE status = 'third_session') AS third,
             min(at) FILTER (WHERE status IN ('declined', 'expired')) AS ended
      FROM referral_status WHERE at IS NOT NULL AND referral_id IS NOT NULL
        AND status IN ('vetted', 'booked', 'first_session', 'third_session', 'declined', 'expired')
      GROUP BY referral_id)
ORDER BY referral_id
"""
KEPT = "SELECT * FROM referral_steps ORDER BY referral_id"

REFERRALS = ("r1", "r2", "r3")
TIMES = ("2026-12-05T10:00:00.000Z", "2026-12-05T09:59:59.999Z", "2027-01-01T00:00:00.000Z", "2026-12-06 10:00:00", None)
fact = st.tuples(st.sampled_from(REFERRALS + (None,)), st.sampled_from(STATUSES), st.sampled_from(TIMES))
operation = st.one_of(
    st.tuples(st.just("add"), fact),
    st.tuples(st.just("remove"), st.integers(0, 30)),
    st.tuples(st.just("change"), st.integers(0, 30), fact),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, max_size=25))
def test_the_kept_first_dates_are_those_the_facts_give_after_any_adds_removals_and_changes(clinic, operations):
    conn = clinic.db.conn
    conn.execute("BEGIN")
    try:
        for op, *args in operations:
            ids = [i for (i,) in conn.execute("SELECT id FROM referral_status ORDER BY rowid")]
            if op == "add":
                referral, status, at = args[0]
                conn.execute(
                    "INSERT INTO referral_status (id, origin, hlc, referral_id, status, at) VALUES (?, 'o', 'h', ?, ?, ?)",
                    [new_id(), referral, status, at],
                )
            elif ids and op == "remove":
                conn.execute("DELETE FROM referral_status WHERE id = ?", [ids[args[0] % len(ids)]])
            elif ids:
                referral, status, at = args[1]
                conn.execute(
                    "UPDATE referral_status SET referral_id = ?, status = ?, at = ? WHERE id = ?",
                    [referral, status, at, ids[args[0] % len(ids)]],
                )
            assert conn.execute(KEPT).fetchall() == conn.execute(FROM_FACTS).fetchall()
    finally:
        conn.execute("ROLLBACK")


def _counts(store, as_of):
    found = queries.collect(store, queries.Scope(as_of))
    return {table: sorted(rows, key=repr) for table, rows in found.tables.items()}


def _same_as_before(store, as_of) -> None:
    first = reference_queries.collect(store, queries.Scope(as_of))
    assert _counts(store, as_of) == {table: sorted(rows, key=repr) for table, rows in first.tables.items()}


def test_a_purged_first_session_is_no_longer_counted(tmp_path, template):
    store = awkward_event(tmp_path / "event.db", template, seed=1)
    try:
        as_of = datetime(2027, 6, 1, tzinfo=UTC)
        (fact_id, referral), *_ = store.db.execute(
            "SELECT id, referral_id FROM referral_status WHERE status = 'first_session' AND at <= ?"
            " AND referral_id NOT IN (SELECT referral_id FROM referral_status WHERE status IN ('first_session', 'third_session') GROUP BY 1 HAVING count(*) > 1)",
            ["2027-06-01"],
        ).fetchall()
        reached = "SELECT first_at IS NOT NULL FROM referral_steps WHERE referral_id = ?"
        assert store.db.execute(reached, [referral]).fetchone() == (1,)
        store.purge("referral_status", fact_id, "recorded against the wrong referral")
        assert store.db.execute(reached, [referral]).fetchone() in (None, (0,))
        _same_as_before(store, as_of)
    finally:
        store.close()


def test_an_event_database_made_before_m067_gets_the_first_dates_when_opened(tmp_path, template):
    path = tmp_path / "event.db"
    awkward_event(path, template, seed=6).close()
    as_before(path, "m067_referral_steps", (
        "DROP TABLE referral_steps",
        "DROP TRIGGER referral_steps_added",
        "DROP TRIGGER referral_steps_removed",
        "DROP TRIGGER referral_steps_changed",
    ))
    store = open_store(path, PASSPHRASE)
    try:
        assert store.db.execute(KEPT).fetchall() == store.db.execute(FROM_FACTS).fetchall() != []
        _same_as_before(store, datetime(2027, 1, 10, tzinfo=UTC))
    finally:
        store.close()
