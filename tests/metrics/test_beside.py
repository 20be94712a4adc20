"""The report's parts run two at a time on two connections: the same counts as one connection
gives, a failure surfaces on the caller's thread, and nothing of the report is left behind."""

from __future__ import annotations

import threading

import pytest

from fieldkit import metrics
from fieldkit.checkin import Desk
from fieldkit.metrics import beside
from fieldkit.store import open_store
from fieldkit.store.connection import open_reader
from tests.conftest import PASSPHRASE
from tests.metrics.conftest import REPORT_AT

TEMP = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"


def _collect_alone(store, monkeypatch, at=REPORT_AT) -> metrics.Aggregates:
    with monkeypatch.context() as patch:
        patch.setattr(store.db.conn, "reader", lambda *args: None)
        return metrics.collect(store, metrics.Scope(at))


def test_two_connections_count_what_one_counts(day, monkeypatch):
    store, _, _ = day
    two = metrics.collect(store, metrics.Scope(REPORT_AT))
    one = _collect_alone(store, monkeypatch)
    assert two.tables == one.tables
    assert all(two.tables[name] for name in ("attendance", "arrivals", "intent", "referrals", "referral_days"))
    assert metrics.render(metrics.build(two)) == metrics.render(metrics.build(one))


def test_the_reader_is_a_second_connection_to_the_same_encrypted_database(day):
    store, _, _ = day
    reader = open_reader(store.db.conn, store.path, 1024)
    try:
        assert reader is not None and reader is not store.db.conn
        count = "SELECT count(*) FROM checkins"
        assert reader.execute(count).fetchone() == store.db.execute(count).fetchone() != (0,)
    finally:
        reader.close()


def _attended(aggregates: metrics.Aggregates) -> int:
    return sum(row[-1] for row in aggregates.tables["attendance"] if row[1] != "no_show")


@pytest.mark.parametrize("alone", [True, False], ids=["one connection", "two connections"])
def test_a_walk_in_after_the_report_is_committed_at_once(clinic, monkeypatch, alone):
    # The dashboard reports on the app's own connection; the desk's next check-in must not
    # end up inside a transaction the report left open (shown, and lost at a crash).
    Desk(clinic).walk_in("Ana Silva")
    if alone:
        _collect_alone(clinic, monkeypatch, clinic.now())
    else:
        metrics.collect(clinic, metrics.Scope(clinic.now()))
    assert not clinic.db.conn.in_transaction
    Desk(clinic).walk_in("Bruno Costa")
    other = open_store(clinic.path, PASSPHRASE)
    try:
        assert other.db.execute("SELECT count(*) FROM checkins").fetchone() == (2,)
    finally:
        other.close()


def test_the_reader_stays_for_the_next_report_sees_what_was_written_since_and_closes_with_the_store(clinic):
    Desk(clinic).walk_in("Ana Silva")
    first = metrics.collect(clinic, metrics.Scope(clinic.now()))
    reader = clinic.db.conn.reader(clinic.path, 1024)
    assert reader is not None and not reader.in_transaction
    Desk(clinic).walk_in("Bruno Costa")
    second = metrics.collect(clinic, metrics.Scope(clinic.now()))
    assert clinic.db.conn.reader(clinic.path, 1024) is reader  # the same connection, its cache kept
    assert (_attended(first), _attended(second)) == (1, 2)
    clinic.close()
    with pytest.raises(Exception, match="closed database"):
        reader.execute("SELECT 1")


def test_a_failing_part_is_raised_to_the_caller_and_leaves_no_tallies(day):
    store, _, _ = day
    ran: list[str] = []

    def tallies_then_fails(conn, params):
        with beside.temp_tables(conn, {"metrics_probe": "(n)"}):
            conn.execute("INSERT INTO temp.metrics_probe VALUES (1)")
            ran.append(threading.current_thread().name)
            raise RuntimeError("a part failed")

    def counts(conn, params):
        ran.append(threading.current_thread().name)
        return {"probe": [(1,)]}

    with pytest.raises(RuntimeError, match="a part failed"):
        beside.run(store, [tallies_then_fails, counts], {}, 1024)
    assert ran  # the failing part ran, on one connection or the other; the other stops once it fails
    assert store.db.execute(TEMP).fetchall() == []
    # The store's connection is fine afterwards: the next report is whole.
    assert metrics.collect(store, metrics.Scope(REPORT_AT)).tables["attendance"]
