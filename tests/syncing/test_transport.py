"""Mutual TLS between enrolled laptops: who is admitted, who is refused, before any data moves."""

from __future__ import annotations

import pytest
from kit import canonical_dump

from fieldkit.event import create_event
from fieldkit.people.registry import add_person, add_registration
from sync.enroll import EnrollRefused, read_join_file, revoke_device, roster, write_join_file
from sync.protocol import SyncRefused
from sync.transport import SyncFailed, sync_with


def _register(store, name):
    return add_registration(store, add_person(store, name), source="walk-in")


def test_enrolled_laptops_sync_both_ways_and_a_second_sync_moves_nothing(coordinator, enroll, serving):
    desk = enroll("desk-2", "desk")
    _register(coordinator, "Ana Lima")
    _register(desk, "Bo Chen")
    host, port = serving(coordinator)
    first = sync_with(desk, host, port)
    assert first.sent == 2 and first.applied >= 2
    names = "SELECT display_name FROM people ORDER BY display_name"
    assert [r[0] for r in desk.db.execute(names)] == ["Ana Lima", "Bo Chen"]
    assert [r[0] for r in coordinator.db.execute(names)] == ["Ana Lima", "Bo Chen"]
    second = sync_with(desk, host, port)
    assert (second.sent, second.received) == (0, 0)


def test_a_stranger_from_another_event_is_refused_by_tls(coordinator, serving, tmp_path, template):
    stranger = create_event(tmp_path / "other.db", template, "another passphrase!", device_name="stranger")
    add_person(stranger, "Should Not Move")
    before = canonical_dump(coordinator)
    host, port = serving(coordinator)
    with pytest.raises(SyncFailed, match=r"is not a Field Kit laptop serving sync \(or it is another event's\)"):
        sync_with(stranger, host, port)
    assert canonical_dump(coordinator) == before
    stranger.close()


def test_a_revoked_laptop_is_refused_both_ways(coordinator, enroll, serving):
    desk = enroll("desk-2", "desk")
    host, port = serving(coordinator)
    sync_with(desk, host, port)
    revoke_device(coordinator, "desk-2", "lost")
    add_person(desk, "Made After Loss")
    before = canonical_dump(coordinator)
    with pytest.raises(SyncRefused, match="revoked"):
        sync_with(desk, host, port)
    assert canonical_dump(coordinator) == before
    # A third laptop learns of the revocation by sync and refuses the lost laptop too.
    other = enroll("desk-3", "desk")
    sync_with(other, host, port)
    assert any(e.name == "desk-2" and e.revoked for e in roster(other))
    with pytest.raises(SyncRefused, match="revoked"):
        sync_with(desk, *serving(other))


def test_enroll_refusals(coordinator, enroll):
    desk = enroll("desk-2", "desk")
    with pytest.raises(EnrollRefused, match="already enrolled"):
        enroll_device_again(coordinator, "desk-2")
    with pytest.raises(EnrollRefused, match="Unknown role"):
        enroll_device_again(coordinator, "x", role="admin")
    with pytest.raises(EnrollRefused, match="coordinator's laptop"):
        enroll_device_again(desk, "desk-9")
    with pytest.raises(EnrollRefused, match="No enrolled laptop"):
        revoke_device(coordinator, "nobody")


def enroll_device_again(store, name, role="desk"):
    from sync.enroll import enroll_device

    return enroll_device(store, name, role)


def test_join_file_needs_its_passphrase(coordinator, tmp_path):
    from sync.enroll import enroll_device

    path = tmp_path / "desk.join"
    write_join_file(enroll_device(coordinator, "desk-2", "desk"), path, "right passphrase")
    assert read_join_file(path, "right passphrase")["device_name"] == "desk-2"
    with pytest.raises(EnrollRefused, match="passphrase does not open"):
        read_join_file(path, "wrong passphrase")
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(EnrollRefused):
        read_join_file(path, "right passphrase")
