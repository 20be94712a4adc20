"""Pairing by one-time code over real TLS on 127.0.0.1: one use, one guess, expiry, pinning, and the code parser."""

from __future__ import annotations

import dataclasses
import socket
import ssl
import string
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.event import create_event
from sync.enroll import EnrollRefused, join_event, roster
from sync.frames import Channel
from sync.pairing import join_by_code
from sync.pairing_code import CODE_PREFIX, SENTENCES, PairingCode, PairingRefused, new_code, parse_code
from sync.pairing_host import PairingHost
from sync.transport import sync_with
from tests.conftest import REPO_ROOT

LOOPBACK = ["127.0.0.1"]
PASSPHRASE = "correct horse battery staple"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _changes(store) -> int:
    return store.db.execute("SELECT count(*) FROM changes").fetchone()[0]


def _state(store):
    """What pairing must leave alone when it is refused: the roster and the change log."""
    return [(e.name, e.revoked) for e in roster(store)], _changes(store)


@pytest.fixture
def hosting(coordinator):
    """hosting(**kwargs) -> a started PairingHost for desk-2 on 127.0.0.1, waited on in a thread."""
    hosts = []

    def _host(store=None, name="desk-2", role="desk", advertise=False, **kwargs):
        words = []
        host = PairingHost(store or coordinator, name, role, interfaces=LOOPBACK, advertise=advertise,
                           on_words=words.append, **kwargs).start()
        host.words = words
        host.outcome = {}

        def wait():
            try:
                host.outcome["paired"] = host.wait()
            except PairingRefused as exc:
                host.outcome["refused"] = exc

        host.waiter = threading.Thread(target=wait, daemon=True)
        host.waiter.start()
        hosts.append(host)
        return host

    yield _host
    for host in hosts:
        host.close()


def _join(code: PairingCode, words: list | None = None, **kwargs):
    return join_by_code(code, interfaces=LOOPBACK, discover_seconds=1.0,
                        on_words=(words if words is not None else []).append, **kwargs)


def test_a_laptop_pairs_by_code_gets_its_enrollment_and_makes_its_first_sync(coordinator, hosting, tmp_path):
    host = hosting()
    laptop_words = []
    enrollment = _join(host.code, laptop_words)
    host.waiter.join(10)
    paired = host.outcome["paired"]
    assert (paired.name, paired.role, paired.delivered) == ("desk-2", "desk", True)
    assert laptop_words == host.words == [paired.words] and len(paired.words.split()) == 4
    assert [e.name for e in roster(coordinator) if not e.revoked] == ["coordinator", "desk-2"]
    laptop = join_event(tmp_path / "desk-2.db", PASSPHRASE, enrollment.bundle)
    try:
        assert (laptop.device_id, laptop.role) == (paired.device_id, "desk")
        summary = sync_with(laptop, enrollment.host, enrollment.sync_port)
        assert summary.received > 0
        assert host.wait_first_sync(10).peer_device == paired.device_id
    finally:
        laptop.close()


def test_a_wrong_code_is_refused_changes_nothing_and_spends_the_code(coordinator, hosting):
    host = hosting()
    before = _state(coordinator)
    guess = dataclasses.replace(host.code, secret=bytes(b ^ 1 for b in host.code.secret))
    with pytest.raises(PairingRefused) as wrong:
        _join(guess)
    assert wrong.value.code == "pairing_wrong_code"
    host.waiter.join(10)
    assert host.outcome["refused"].code == "pairing_wrong_guess"
    assert "127.0.0.1" in str(host.outcome["refused"])
    # One guess per code: the right code no longer works either.
    with pytest.raises(PairingRefused) as spent:
        _join(host.code)
    assert spent.value.code == "pairing_used"
    assert _state(coordinator) == before and host.words == []


def test_a_used_code_is_refused_the_second_time(coordinator, hosting):
    host = hosting()
    _join(host.code)
    host.waiter.join(10)
    after_first = _state(coordinator)
    with pytest.raises(PairingRefused) as again:
        _join(host.code)
    assert again.value.code == "pairing_used" and "already used" in str(again.value)
    assert _state(coordinator) == after_first


def test_an_expired_code_is_refused_and_changes_nothing(coordinator, hosting):
    clock = FakeClock()
    host = hosting(clock=clock, ttl=600)
    before = _state(coordinator)
    clock.now += 601
    with pytest.raises(PairingRefused) as expired:
        _join(host.code)
    assert expired.value.code == "pairing_expired"
    host.waiter.join(10)
    assert host.outcome["refused"].code == "pairing_timeout"
    assert "10 minutes" in str(host.outcome["refused"])
    assert _state(coordinator) == before


def test_a_coordinator_with_another_ca_is_refused_before_the_code_is_sent(coordinator, hosting, tmp_path, template):
    """The code pins this event's CA; a laptop of another event at the hinted address is not trusted."""
    impostor = create_event(tmp_path / "impostor.db", template, PASSPHRASE, device_name="coordinator")
    try:
        real, fake = hosting(), hosting(store=impostor)
        # The real code's secret and pin, pointed at the impostor (as a tampered QR or a hijacked address would).
        tampered = dataclasses.replace(real.code, port=fake.code.port, code_id=fake.code.code_id)
        before = _state(impostor)
        with pytest.raises(PairingRefused) as refused:
            _join(tampered)
        assert refused.value.code == "pairing_fingerprint"
        assert f"127.0.0.1:{fake.code.port}" in str(refused.value)
        assert _state(impostor) == before and fake.words == []
        # And the real code is still good: nothing of it reached the impostor.
        _join(real.code)
    finally:
        impostor.close()


def test_a_code_from_an_earlier_pairing_does_not_spend_the_open_one(coordinator, hosting):
    host = hosting()
    stale = dataclasses.replace(host.code, code_id=bytes(b ^ 0xFF for b in host.code.code_id), secret=b"abcd")
    with pytest.raises(PairingRefused) as refused:
        _join(stale)
    assert refused.value.code == "pairing_stale"
    _join(host.code)
    host.waiter.join(10)
    assert host.outcome["paired"].name == "desk-2"


def test_mdns_finds_the_coordinator_when_the_address_hint_is_stale(coordinator, hosting):
    host = hosting(advertise=True)
    with socket.create_server(("127.0.0.1", 0)) as closed:
        dead_port = closed.getsockname()[1]
    moved = dataclasses.replace(host.code, port=dead_port)
    enrollment = join_by_code(moved, interfaces=LOOPBACK, discover_seconds=10.0)
    assert enrollment.bundle["device_name"] == "desk-2"


def test_nobody_at_the_hint_and_nothing_on_mdns_is_one_sentence():
    with socket.create_server(("127.0.0.1", 0)) as closed:
        dead_port = closed.getsockname()[1]
    code = new_code(bytes(12), "127.0.0.1", dead_port)
    with pytest.raises(PairingRefused) as refused:
        _join(code)
    assert refused.value.code == "pairing_unreachable"
    assert f"127.0.0.1:{dead_port}" in str(refused.value)


def test_strangers_that_connect_and_send_junk_do_not_spend_or_stop_the_pairing(coordinator, hosting):
    host = hosting()
    with socket.create_connection(("127.0.0.1", host.code.port)) as plain:
        plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for junk in ({"type": "pair", "code_id": "zz", "pake": "!"},
                 {"type": "pair", "code_id": host.code.code_id.hex(), "pake": "QUJD"},
                 {"type": "confirm"}):
        channel = Channel(context.wrap_socket(socket.create_connection(("127.0.0.1", host.code.port))), timeout=5)
        try:
            assert channel.recv()["type"] == "pairing"
            channel.send(junk)
        finally:
            channel.close()
    _join(host.code)
    host.waiter.join(10)
    assert host.outcome["paired"].delivered


def test_strangers_trickling_bytes_hold_the_pairings_places_only_for_a_bounded_time(coordinator, hosting, monkeypatch):
    # Every place taken by a TLS connection announcing a 1,000-byte frame and sending a byte of it
    # every 0.2 s (well within the 10 s between reads): each attempt ends at its whole-attempt
    # limit, and the laptop pairs.
    monkeypatch.setattr("sync.pairing_host.ATTEMPT_SECONDS", 1.5)
    host = hosting()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    stop = threading.Event()

    def trickle():
        with context.wrap_socket(socket.create_connection(("127.0.0.1", host.code.port), timeout=5)) as sock:
            sock.sendall((1000).to_bytes(4, "big"))
            for _ in range(60):  # at most 12 s
                if stop.wait(0.2):
                    return
                try:
                    sock.send(b"x")
                except OSError:
                    return

    tricklers = [threading.Thread(target=trickle, daemon=True) for _ in range(4)]
    for thread in tricklers:
        thread.start()
    try:
        threading.Event().wait(2.5)  # every place was taken; each attempt has met its limit by now
        _join(host.code)
        host.waiter.join(10)
        assert host.outcome["paired"].delivered
    finally:
        stop.set()
        for thread in tricklers:
            thread.join(5)


def test_only_a_coordinator_with_the_event_ca_can_open_a_pairing(enroll):
    desk = enroll("desk-1", "desk")
    with pytest.raises(EnrollRefused, match="Only the coordinator's laptop"):
        PairingHost(desk, "desk-9", "desk", interfaces=LOOPBACK)


def test_an_interface_this_laptop_does_not_have_is_one_sentence(coordinator):
    with pytest.raises(PairingRefused) as refused:
        PairingHost(coordinator, "desk-2", "desk", interfaces=["10.255.255.254"])
    assert refused.value.code == "pairing_no_interface" and "10.255.255.254" in str(refused.value)


# The code parser ----------------------------------------------------------

codes = st.builds(
    PairingCode,
    secret=st.binary(min_size=4, max_size=4),
    code_id=st.binary(min_size=2, max_size=2),
    pin=st.binary(min_size=12, max_size=12),
    host=st.ip_addresses(v=4).map(str),
    port=st.integers(1, 65535),
)
typed = st.sampled_from(string.ascii_letters + string.digits + "-  _:*$%.")


@st.composite
def mistyped(draw):
    """A code's text with one mistake a person or a scanner could make."""
    code = draw(codes)
    text = code.text
    at = draw(st.integers(0, len(text) - 1))
    kind = draw(st.sampled_from(["substitute", "insert", "delete", "swap", "case", "spaces"]))
    if kind == "substitute":
        text = text[:at] + draw(typed) + text[at + 1:]
    elif kind == "insert":
        text = text[:at] + draw(typed) + text[at:]
    elif kind == "delete":
        text = text[:at] + text[at + 1:]
    elif kind == "swap" and at < len(text) - 1:
        text = text[:at] + text[at + 1] + text[at] + text[at + 2:]
    elif kind == "case":
        text = draw(st.sampled_from([text.lower(), text.swapcase(), text.title()]))
    elif kind == "spaces":
        text = " " + text.replace("-", draw(st.sampled_from([" ", "", "--", " - "]))) + "\n"
    return code, text


@settings(max_examples=400, deadline=None)
@given(mistyped())
def test_a_mistyped_code_is_refused_or_reads_as_the_same_code(case):
    code, text = case
    try:
        parsed = parse_code(text)
    except PairingRefused as exc:
        assert exc.code == "pairing_malformed" and str(exc).endswith("scan its QR code.")
    else:
        assert parsed == code


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.text(alphabet=string.ascii_uppercase + string.digits + "-", max_size=60).map(
    lambda t: CODE_PREFIX + t))
def test_any_text_is_a_code_or_one_refusal(text):
    try:
        parse_code(text)
    except PairingRefused as exc:
        assert exc.code == "pairing_malformed"


@given(codes)
def test_a_code_reads_back_and_is_qr_alphanumeric(code):
    text = code.text
    assert parse_code(text) == code
    assert set(text) <= set(string.ascii_uppercase + string.digits + "-")
    assert text.startswith(CODE_PREFIX + "-") and len(text) <= 53
    assert "O" not in text and "I" not in text and "L" not in text and "U" not in text


def test_every_pairing_refusal_code_is_documented():
    listed = (REPO_ROOT / "docs" / "refusals.md").read_text()
    assert [code for code in SENTENCES if f"| `{code}` |" not in listed] == []
