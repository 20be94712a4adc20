"""Strangers on the clinic's network: no TLS, no certificate, another event's, a revoked laptop.

Each is refused in the TLS handshake (a revoked laptop by the event CA's revocation list), or,
for a revocation made before revocations carried that list, right after it, before anything it
sends is parsed;
the server's database does not change and a real laptop syncs afterwards.
"""

from __future__ import annotations

import logging
import socket
import ssl

import pytest

from fieldkit.event import create_event
from fieldkit.event.ca import require_identity
from fieldkit.people.registry import add_person
from sync.enroll import revoke_device
from sync.frames import Channel
from sync.protocol import SyncRefused
from sync.transport import SyncFailed, sync_with
from tests.security.hostile import anonymous_context, client_context, frame, hello_of, send_and_wait
from tests.syncing.kit import canonical_dump

DEEP = frame(b"[" * 200_000)


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def _foreign_context(tmp_path, template) -> ssl.SSLContext:
    """A client holding a certificate of another event's CA, that does not check the server's."""
    other = create_event(tmp_path / "other.db", template, "another passphrase!", device_name="stranger")
    _, key, cert = require_identity(other)
    other.close()
    (tmp_path / "key.pem").write_text(key)
    (tmp_path / "cert.pem").write_text(cert)
    context = anonymous_context()
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


@pytest.mark.parametrize(
    "stranger",
    ["plain TCP, killer frame", "plain TCP, a web request", "TLS without a certificate", "another CA's certificate"],
)
def test_a_stranger_is_refused_in_the_handshake(coordinator, enroll, server, sync_log, tmp_path, template, stranger):
    desk = enroll("desk-2", "desk")
    add_person(coordinator, "Ana Lima")
    running = server(coordinator)
    before = canonical_dump(coordinator)
    context, payload = {
        "plain TCP, killer frame": (None, DEEP),
        "plain TCP, a web request": (None, b"GET / HTTP/1.1\r\nHost: fieldkit\r\n\r\n"),
        "TLS without a certificate": (anonymous_context(), DEEP),
        "another CA's certificate": (_foreign_context(tmp_path, template), DEEP),
    }[stranger]

    send_and_wait(running.address, payload, context)

    assert canonical_dump(coordinator) == before
    lines = _warnings(sync_log)
    assert len(lines) == 1 and "refused during the TLS handshake" in lines[0], lines
    add_person(desk, "Bo Chen")
    summary = sync_with(desk, *running.address)
    assert summary.sent == 1 and summary.applied >= 1  # Bo Chen in, Ana Lima out


PAYLOADS = pytest.mark.parametrize(
    "payload", [DEEP, b"\x00\x00\x00\x08not json", None], ids=["200k [", "garbage", "its hello"]
)


@PAYLOADS
def test_a_revoked_laptop_is_refused_in_the_tls_handshake(coordinator, enroll, server, sync_log, payload):
    desk, other = enroll("desk-2", "desk"), enroll("desk-3", "desk")
    running = server(coordinator)
    sync_with(desk, *running.address)
    revoke_device(coordinator, "desk-2", "lost")  # it carries the event CA's revocation list
    add_person(desk, "Made After Loss")
    before = canonical_dump(coordinator)
    sync_log.clear()

    with socket.create_connection(running.address, timeout=10) as raw:
        with client_context(desk).wrap_socket(raw) as sock:  # TLS 1.3: the server checks it after this
            with pytest.raises(OSError) as refused:
                sock.sendall(payload or hello_of(desk))
                while sock.recv(65536):
                    pass
    if payload is not DEEP:  # one still sending 200 KiB is cut off after 64 KiB, maybe before it reads the alert
        assert isinstance(refused.value, ssl.SSLError) and "CERTIFICATE_REVOKED" in str(refused.value)
    running.wait_idle(10)  # the server logs it as the alert leaves: wait for its line

    assert canonical_dump(coordinator) == before
    lines = _warnings(sync_log)
    assert len(lines) == 1 and "refused during the TLS handshake" in lines[0] and "certificate revoked" in lines[0]
    with pytest.raises(SyncRefused) as said:  # what the lost laptop's own `sync with` says
        sync_with(desk, *running.address)
    assert "refused this laptop in the TLS handshake: the coordinator revoked it" in str(said.value)
    add_person(other, "Bo Chen")
    assert sync_with(other, *running.address).sent == 1


def test_a_laptop_does_not_sync_with_a_revoked_laptops_server(coordinator, enroll, server):
    desk, lost = enroll("desk-3", "desk"), enroll("desk-2", "desk")
    lost_server = server(lost)
    revoke_device(coordinator, "desk-2", "stolen")
    sync_with(desk, *server(coordinator).address)  # the desk learns of the revocation and its list
    add_person(desk, "Bo Chen")
    before = canonical_dump(lost)
    with pytest.raises(SyncFailed) as refused:
        sync_with(desk, *lost_server.address)
    assert "was revoked by the coordinator: this laptop does not sync with it" in str(refused.value)
    assert canonical_dump(lost) == before


@PAYLOADS
def test_a_revocation_without_a_list_is_refused_before_anything_it_sends_is_read(
    coordinator, enroll, server, sync_log, payload, monkeypatch
):
    # As a revocation made before revocations carried the CA's list: the check after the handshake.
    monkeypatch.setattr("sync.enroll._revocation_list", lambda store, device_id: None)
    desk, other = enroll("desk-2", "desk"), enroll("desk-3", "desk")
    running = server(coordinator)
    sync_with(desk, *running.address)
    revoke_device(coordinator, "desk-2", "lost")
    add_person(desk, "Made After Loss")
    before = canonical_dump(coordinator)
    sync_log.clear()

    with socket.create_connection(running.address, timeout=10) as raw:
        with client_context(desk).wrap_socket(raw) as sock:
            refusal = Channel(sock, timeout=10).recv()  # it comes before the laptop sends a byte
            try:
                sock.sendall(payload or hello_of(desk))
                while sock.recv(65536):  # until the server hangs up
                    pass
            except OSError:
                pass  # the server stopped reading (it reads at most 64 KiB, unparsed) and reset

    assert refusal == {"type": "refuse", "reason": "desk-2 was revoked by the coordinator: it can no longer sync with this event."}
    assert canonical_dump(coordinator) == before
    lines = _warnings(sync_log)
    assert len(lines) == 1 and "desk-2 was revoked" in lines[0], lines  # not "nested", not "malformed"
    add_person(other, "Bo Chen")
    assert sync_with(other, *running.address).sent == 1
