"""A hostile enrolled desk (its code changed to write what a desk may not) over real TLS: the three attacks of issue 11, each refused, nothing changed, the server still serving."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fieldkit.keys import EVENT_ROLE, Signer, key_id_of, raw_public
from fieldkit.people.registry import add_person, add_registration
from fieldkit.store import WriteRefused, open_store
from fieldkit.tokens import PASS, KeyRing, TokenRefused, parse_token, sign_token
from sync.enroll import roster
from sync.protocol import SyncRefused
from sync.transport import sync_with
from tests.conftest import REPO_ROOT
from tests.security.enrolled import full_state, tampered
from tests.syncing.conftest import PASSPHRASE, serving  # noqa: F401  (coordinator, enroll: conftest.py)
from tests.syncing.kit import pull


@pytest.fixture
def event(coordinator, enroll, serving):
    """(coordinator, hostile desk, honest desk, the coordinator's address), all synced level."""
    add_registration(coordinator, add_person(coordinator, "Ana Lima"), source="walk-in")
    hostile, honest = enroll("desk-2", "desk"), enroll("desk-3", "desk")
    address = serving(coordinator)
    for laptop in (hostile, honest):
        sync_with(laptop, *address)
    return coordinator, hostile, honest, address


def _refused_and_unchanged(victim, attacker, address, caplog, *, writes: str = "", sentence: str = ""):
    before = full_state(victim)
    with pytest.raises(SyncRefused) as refused:
        sync_with(attacker, *address)
    assert (sentence or f"desk-2 (a desk) may not {writes}") in str(refused.value)
    assert "Nothing of that batch was applied" in str(refused.value)
    assert full_state(victim) == before
    lines = [r.getMessage() for r in caplog.records if "refused a batch" in r.getMessage()]
    assert len(lines) == 1 and attacker.device_id in lines[0] and "desk-2" in lines[0], lines


def _still_serves(honest, address, victim):
    """A real laptop syncs with the same server afterwards, and what it wrote arrives."""
    add_person(honest, "Bo Chen")
    assert sync_with(honest, *address).sent >= 1
    assert victim.db.execute("SELECT 1 FROM people WHERE display_name = 'Bo Chen'").fetchone()


def test_the_write_path_refuses_an_honest_desk_what_a_desk_may_not_write(event):
    _, desk, _, _ = event
    refusal = r"\(a desk\) may not write signing_keys: only the coordinator.s laptop that created the event may. Do it"
    with pytest.raises(WriteRefused, match=refusal):
        desk.set_record("signing_keys", "k", {"role": EVENT_ROLE})
    with pytest.raises(WriteRefused, match="may not add to device_revocations"):
        desk.append_fact("device_revocations", {"device_id": "x"})


def test_a_desk_cannot_publish_an_event_signing_key(event, caplog):
    coordinator, desk, honest, address = event
    forged = Ed25519PrivateKey.generate()
    public = raw_public(forged.public_key())
    with tampered(desk):
        desk.set_record("signing_keys", key_id_of(public), {
            "public_key": public.hex(), "device_id": desk.device_id, "role": EVENT_ROLE, "certificate": "",
            "created_at": desk.now_text(),
        })
    passes = [sign_token(Signer(forged, key_id_of(public), desk.event_id), PASS, add_person(honest, f"P{n}"))
              for n in range(5)]
    caplog.clear()
    _refused_and_unchanged(coordinator, desk, address, caplog, writes="write signing_keys")
    for code in passes:  # what made the coordinator accept 5 of 5 before
        with pytest.raises(TokenRefused):
            parse_token(code, KeyRing.from_store(coordinator), coordinator.now())
    _still_serves(honest, address, coordinator)


def test_a_desk_cannot_overwrite_the_event_keys_public_key(event, caplog):
    coordinator, desk, honest, address = event
    registration = coordinator.db.execute("SELECT id FROM registrations").fetchone()[0]
    real_pass = sign_token(coordinator, PASS, registration)
    (event_key_id,) = coordinator.db.execute("SELECT id FROM signing_keys WHERE role = 'event'").fetchone()
    forged = Ed25519PrivateKey.generate()
    with tampered(desk):
        desk.set_record("signing_keys", event_key_id, {"public_key": raw_public(forged.public_key()).hex()})
    caplog.clear()
    _refused_and_unchanged(coordinator, desk, address, caplog, writes="write signing_keys")
    assert parse_token(real_pass, KeyRing.from_store(coordinator), coordinator.now()).id == registration
    _still_serves(honest, address, coordinator)


def test_a_desk_cannot_remove_people_only_empty_their_contact_details(event, serving, caplog):
    # With its write path changed, a desk purges everyone: before, every laptop took it, and
    # the tombstones made the loss permanent. A desk may purge a person's email and phone.
    coordinator, desk, honest, address = event
    people = [row[0] for row in desk.db.execute("SELECT id FROM people")]
    with pytest.raises(WriteRefused, match=r"\(a desk\) may purge only the email and phone of people: only a coordinator"):
        desk.purge("people", people[0], "tidy")
    with tampered(desk):
        for person in people:
            desk.purge("people", person, "tidy")
    sentence = "desk-2 (a desk) may purge only the email and phone of people"
    for victim, at in ((honest, serving(honest)), (coordinator, address)):
        caplog.clear()
        _refused_and_unchanged(victim, desk, at, caplog, sentence=sentence)
    assert coordinator.db.execute("SELECT count(*) FROM people").fetchone()[0] == len(people)
    _still_serves(honest, address, coordinator)


def test_a_desk_cannot_revoke_the_coordinator_nor_spread_it_desk_to_desk(event, serving, caplog, monkeypatch):
    coordinator, desk, honest, address = event
    # Its client changed too: it still talks to the coordinator it pretends to have revoked.
    monkeypatch.setattr("sync.transport.revoked_devices", lambda store: set())
    with tampered(desk):
        desk.append_fact("device_revocations", {
            "device_id": coordinator.device_id, "reason": "takeover", "revoked_at": desk.now_text(),
        })
    caplog.clear()
    # Desk to desk first (how it spread before), then to the coordinator.
    _refused_and_unchanged(honest, desk, serving(honest), caplog, writes="add to device_revocations")
    caplog.clear()
    _refused_and_unchanged(coordinator, desk, address, caplog, writes="add to device_revocations")
    assert not any(e.revoked for e in roster(honest))
    _still_serves(honest, address, coordinator)


def test_a_real_sync_serve_process_refuses_all_three_and_serves_on(coordinator, enroll, tmp_path):
    hostile, honest = enroll("desk-2", "desk"), enroll("desk-3", "desk")
    path = coordinator.path
    coordinator.close()
    server = subprocess.Popen(
        [sys.executable, "-m", "fieldkit", "sync", "serve", "--db", str(path), "--port", "0"],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "FIELDKIT_PASSPHRASE": PASSPHRASE},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = int(server.stdout.readline().split("127.0.0.1:")[1].split()[0])
        sync_with(hostile, "127.0.0.1", port)
        event_key_id = hostile.db.execute("SELECT id FROM signing_keys WHERE role = 'event'").fetchone()[0]
        forged = raw_public(Ed25519PrivateKey.generate().public_key())
        with tampered(hostile):
            add_person(hostile, "Looks Harmless")  # refused with the rest: a batch is refused whole
            hostile.set_record("signing_keys", key_id_of(forged), {"public_key": forged.hex(), "role": EVENT_ROLE,
                                                                    "device_id": hostile.device_id})
            hostile.set_record("signing_keys", event_key_id, {"public_key": forged.hex()})
            hostile.append_fact("device_revocations", {"device_id": "coordinator", "reason": "takeover"})
        watcher = open_store(path, PASSPHRASE)
        before = full_state(watcher)
        with pytest.raises(SyncRefused, match="may not write signing_keys"):
            sync_with(hostile, "127.0.0.1", port)
        assert full_state(watcher) == before
        add_person(honest, "Bo Chen")
        assert sync_with(honest, "127.0.0.1", port).sent >= 1
        assert watcher.db.execute("SELECT 1 FROM people WHERE display_name = 'Bo Chen'").fetchone()
        assert not watcher.db.execute("SELECT 1 FROM people WHERE display_name = 'Looks Harmless'").fetchone()
        watcher.close()
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=20)
    refused = [line for line in errors.splitlines() if "refused a batch from desk-2" in line]
    assert len(refused) == 1 and hostile.device_id in refused[0], errors
    assert "Traceback" not in errors


def test_a_forbidden_change_is_refused_whoever_relays_it(event, monkeypatch, caplog):
    coordinator, desk, relay, address = event
    with tampered(desk):
        desk.set_record("signing_keys", "forged", {"public_key": "00" * 32, "role": EVENT_ROLE})
    with monkeypatch.context() as careless:  # a relay whose own check was taken out takes it
        careless.setattr("sync.trust.may_author", lambda *_: True)
        pull(relay, desk)
    assert relay.db.execute("SELECT 1 FROM signing_keys WHERE id = 'forged'").fetchone()
    before = full_state(coordinator)
    caplog.clear()
    with pytest.raises(SyncRefused) as refused:
        sync_with(relay, *address)
    assert str(refused.value).startswith("desk-3 sent a change this laptop refuses: desk-2 (a desk) may not write")
    assert full_state(coordinator) == before
    lines = [r.getMessage() for r in caplog.records if "refused a batch" in r.getMessage()]
    assert len(lines) == 1 and desk.device_id in lines[0], lines
