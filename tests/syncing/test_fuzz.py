"""Fuzzed frames from an enrolled laptop never crash the server or change its database."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kit import canonical_dump, signed_frame

from fieldkit.people.registry import add_person
from fieldkit.store.schema import schema_version
from sync.frames import MAX_FRAME
from sync.protocol import PROTOCOL_VERSION
from sync.tls import tls_context
from sync.transport import sync_with

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
change_rows = st.lists(
    st.tuples(st.integers(-1, 3), st.sampled_from(["people", "devices", "nope", ""]),
              st.text(max_size=4), st.sampled_from(["0000000000001-000000", "x", ""]),
              st.sampled_from(["insert", "set", "purge", "withheld", "drop"]), json_values,
              st.none() | st.sampled_from(["00" * 32, "zz", ""]) | st.lists(st.just("11" * 32), max_size=2)).map(list),
    min_size=1,
    max_size=4,
)
runs = st.lists(st.tuples(st.integers(-1, 1), st.sampled_from(["00" * 32, "x"]), st.sampled_from(["22" * 64, ""]),
                          st.integers(0, 4), st.just([]) | st.lists(st.tuples(st.integers(0, 3), st.just("33" * 64))
                                                                     .map(list), max_size=2)).map(list), max_size=2)


def _frame(message) -> bytes:
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def _attack(context, host, port, payload: bytes) -> None:
    with socket.create_connection((host, port), timeout=10) as raw:
        with context.wrap_socket(raw) as sock:
            try:
                sock.sendall(payload)
                # Half-close (this drops TLS on our side), then read raw bytes until the server hangs up.
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):
                    pass
            except (OSError, ssl.SSLError):
                pass


def test_fuzzed_frames_never_crash_the_server_or_change_its_db(coordinator, enroll, serving, caplog):
    caplog.set_level(logging.WARNING, logger="fieldkit.sync")
    desk = enroll("desk-2", "desk")
    relayed = enroll("desk-3", "desk")  # never syncs itself: its changes arrive relayed by desk-2
    add_person(coordinator, "Ana Lima")
    host, port = serving(coordinator)
    sync_with(desk, host, port)
    before = canonical_dump(coordinator)
    context = tls_context(desk, ssl.PROTOCOL_TLS_CLIENT)

    def hello(**overrides):
        message = {"type": "hello", "protocol": PROTOCOL_VERSION, "schema": schema_version(),
                   "event": desk.event_id, "device": desk.device_id, "name": "desk-2", "role": "desk",
                   "wall": desk.wall(), "watermarks": {}, "heads": {}}
        return {**message, **overrides}

    fixed = [
        b"",
        b"\x00\x00",  # truncated header
        struct.pack(">I", MAX_FRAME + 1) + b"{}",  # oversized
        struct.pack(">I", 100) + b"{}",  # truncated body
        _frame([1, 2]),
        _frame({"type": 3}),
        b"\x00\x00\x00\x03\xff\xfe\xfd",  # not UTF-8
        _frame(hello(protocol=PROTOCOL_VERSION + 1)),
        _frame(hello(schema="x")),
        _frame(hello(device="someone else")),
        _frame(hello()) + _frame({"type": "batch", "origins": ["o"], "changes": [[0, 1, "people", "r", "x", "set", {}]]}),
        _frame(hello()) + _frame(signed_frame(desk, [[1, "people", "r", "x", "set", {}]])),  # not a stamp
        _frame(hello()) + _frame(signed_frame(desk, [[99, "people", "r", "0000000000001-000000", "set",
                                                      {"display_name": "X"}]])),
        _frame(hello()) + _frame(signed_frame(desk, [[1, "people", "r", "0000000000001-000000", "set",
                                                      {"display_name": "X"}]], prev=b"\x01" * 32)),
        _frame(hello()) + _frame(signed_frame(relayed, [[1, "people", "r", "0000000000001-000000", "set",
                                                         {"display_name": "X"}]]))
        + b"\x00\x00\x00\x09{\"type\":",  # a valid batch, then a truncated frame: the valid one may apply
    ]
    for payload in fixed[:-1]:
        _attack(context, host, port, payload)
        assert canonical_dump(coordinator) == before
    _attack(context, host, port, b"")  # the server logs a session's end before it closes the connection
    logged = caplog.text
    for reason in ("oversized frame", "truncated frame", "not UTF-8 JSON", "not an object", "upgrade Field Kit on coordinator",
                   "another laptop's certificate", "malformed batch frame", "batch refused", "skip from",
                   "do not follow the changes this laptop holds"):
        assert reason in logged, reason
    # A valid batch followed by a broken frame: the valid batch stays applied, the broken one changes nothing.
    _attack(context, host, port, fixed[-1])
    assert coordinator.db.execute("SELECT display_name FROM people WHERE id = 'r'").fetchone() == ("X",)
    before = canonical_dump(coordinator)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(noise=st.binary(max_size=64), rows=change_rows, runs=runs,
           origins=st.lists(st.sampled_from([desk.device_id, coordinator.device_id, "o", ""]), max_size=2))
    def fuzz(noise, rows, runs, origins):
        _attack(context, host, port, noise)
        batch = {"type": "batch", "origins": origins, "runs": runs, "changes": rows}
        _attack(context, host, port, _frame(hello()) + _frame(batch))
        assert canonical_dump(coordinator) == before

    fuzz()
    # The server still serves an honest laptop afterwards.
    add_person(desk, "Bo Chen")
    assert sync_with(desk, host, port).sent == 1
