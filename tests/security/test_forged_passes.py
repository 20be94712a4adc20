"""A pass's signature is verified on a second core while its check-in is written
(fieldkit/checkin/verifying.py): a forgery is still refused as one and leaves no trace,
whatever it claims and whatever the worker thread does."""

from __future__ import annotations

import queue
import threading
from datetime import timedelta

import pytest

from fieldkit.checkin import CheckinRefused, Desk, verifying
from fieldkit.checkin.passes import pass_token
from fieldkit.keys import revoke_token
from fieldkit.people.registry import add_person, add_registration
from fieldkit.tokens import sign_token
from tests.test_checkin import _forge, table_counts


def _register(store, name: str) -> str:
    with store.transaction():
        return add_registration(store, add_person(store, name), source="test")


@pytest.fixture
def desk(store):
    return Desk(store)


def _forged_refused(desk, token):
    before = table_counts(desk.store)
    with pytest.raises(CheckinRefused) as caught:
        desk.scan(token)
    assert caught.value.code == "forged" and "not signed by this event" in caught.value.message
    assert table_counts(desk.store) == before


def test_a_forged_pass_of_someone_just_checked_in_is_refused_as_forged(desk):
    reg = _register(desk.store, "Ana Silva")
    desk.scan(pass_token(desk.store, reg))
    # Within the double-scan window a real second scan says "the same scan again": a
    # forgery naming them must not borrow that answer.
    _forged_refused(desk, _forge(pass_token(desk.store, reg)))


def test_a_forged_pass_is_refused_as_forged_whatever_else_it_claims(desk):
    reg = _register(desk.store, "Bruno Costa")
    revoke_token(desk.store, reg, "reported stolen")
    _forged_refused(desk, _forge(pass_token(desk.store, reg)))  # revoked, and forged
    expired = sign_token(desk.store, "pass", _register(desk.store, "Chloé"), valid_until=desk.store.now() - timedelta(1))
    _forged_refused(desk, _forge(expired))
    _forged_refused(desk, _forge(sign_token(desk.store, "referral", reg)))  # forged, and not a pass


def test_a_worker_that_never_answers_only_costs_time(desk, monkeypatch):
    """Verifying does not depend on the worker thread: the scan verifies it itself."""
    monkeypatch.setattr(verifying, "_worker", lambda: queue.SimpleQueue())  # nobody reads it
    monkeypatch.setattr(verifying, "WAIT_SECONDS", 0.05)
    reg = _register(desk.store, "Dara Okafor")
    _forged_refused(desk, _forge(pass_token(desk.store, reg)))
    assert desk.scan(pass_token(desk.store, reg)).name == "Dara Okafor"


def test_a_worker_that_fails_leaves_the_scan_to_verify(desk, monkeypatch):
    reg = _register(desk.store, "Eleni Papadaki")
    token = pass_token(desk.store, reg)
    real = verifying.verify_aside

    def failing_aside(signed):
        verdict = real(signed)
        verdict.done.acquire()  # the worker answered; now as if it had failed (its verdict None)
        verdict.good, verdict.done = None, threading.Lock()
        return verdict

    monkeypatch.setattr("fieldkit.checkin.desk.verify_aside", failing_aside)
    _forged_refused(desk, _forge(token))
    assert desk.scan(token).name == "Eleni Papadaki"
