"""Signed tokens: round trip, tamper evidence, refusal codes, device keys and revocation."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit.event import create_event
from fieldkit.keys import CannotSign, certify_device_key, new_device_key, revoke_key, revoke_token
from fieldkit.store import new_id
from fieldkit.tokens import KINDS, PREFIX, KeyRing, TokenRefused, parse_token, sign_token, signer_for
from tests.sample_dates import sample_time

NOW = sample_time(11)
QR_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]+")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@pytest.fixture
def keyring(store):
    return KeyRing.from_store(store)


@pytest.fixture
def signer(store):
    return signer_for(store)


def refusal(text, keyring, now=NOW) -> str:
    with pytest.raises(TokenRefused) as caught:
        parse_token(text, keyring, now)
    assert caught.value.message.endswith(".")
    return caught.value.code


def test_event_creation_makes_a_signing_key(store):
    row = store.db.execute("SELECT id, role, public_key FROM signing_keys").fetchone()
    assert row[1] == "event" and len(row[2]) == 64
    assert store.meta("event_signing_key")  # private half: local meta only
    assert "event_signing_key" not in {c.name for c in store.db["signing_keys"].columns}


def test_a_pass_is_qr_alphanumeric_and_short(store):
    token = sign_token(store, "pass", new_id())
    assert token.startswith(PREFIX)
    assert QR_ALPHANUMERIC.fullmatch(token)
    assert len(token) <= 154  # fits a version 6 QR at error correction M


@SETTINGS
@given(
    kind=st.sampled_from(sorted(KINDS)),
    valid_from=st.none() | st.integers(0, 2**32 - 1),
    valid_until=st.none() | st.integers(0, 2**32 - 1),
    words=st.none() | st.binary(min_size=8, max_size=8),
)
def test_round_trip(store, keyring, kind, valid_from, valid_until, words):
    # The format alone: the event's own limit on passes is tests/security/test_pass_validity.py.
    keyring = replace(keyring, passes_valid_until=None)
    token_id = new_id()
    start = datetime.fromtimestamp(valid_from, tz=timezone.utc) if valid_from is not None else None
    end = datetime.fromtimestamp(valid_until, tz=timezone.utc) if valid_until is not None else None
    words = words if kind == "consent_form" else None  # only a consent form carries its words' digest
    text = sign_token(store, kind, token_id, start, end, words=words)
    assert QR_ALPHANUMERIC.fullmatch(text)
    now = start or end or NOW
    if end is not None and now > end:
        assert refusal(text, keyring, now) == "expired"
        return
    parsed = parse_token(text, keyring, now)
    assert (parsed.kind, parsed.id, parsed.valid_from, parsed.valid_until) == (kind, token_id, start, end)
    assert parsed.words == words


def test_a_signed_pass_claiming_consent_words_is_malformed(signer, keyring):
    """Each field has one kind it may appear in: a pass made to carry words is no pass."""
    import base64

    from fieldkit.tokens import _decode

    raw = _decode(sign_token(signer, "pass", new_id()))[:-64]
    body = bytes([raw[0] | 0x40]) + raw[1:] + b"12345678"
    text = PREFIX + base64.b32encode(body + signer.private_key.sign(b"FK1" + body)).decode().rstrip("=")
    assert refusal(text, keyring) == "malformed"


@SETTINGS
@given(data=st.data())
def test_every_one_character_change_is_refused(signer, keyring, data):
    text = sign_token(signer, "pass", new_id(), valid_until=NOW + timedelta(days=1))
    position = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.sampled_from(BASE32 + "01:$ -").filter(lambda c: c != text[position]))
    changed = text[:position] + replacement + text[position + 1:]
    assert refusal(changed, keyring) in {"malformed", "forged", "other_event"}


def test_every_substitution_deletion_and_insertion_is_refused(signer, keyring):
    """Exhaustive over positions: one changed character never yields a valid token."""
    text = sign_token(signer, "pass", new_id())
    for position in range(len(text)):
        for replacement in {BASE32[(BASE32.find(text[position]) + 1) % 32], "0", "="}:
            if replacement != text[position]:
                refusal(text[:position] + replacement + text[position + 1:], keyring)
        refusal(text[:position] + text[position + 1:], keyring)
        refusal(text[:position] + "A" + text[position:], keyring)
    refusal(text + "A", keyring)


@settings(max_examples=200, deadline=None)
@given(text=st.text() | st.text(alphabet=BASE32 + ":FK1=").map(lambda s: PREFIX + s))
def test_arbitrary_strings_only_ever_raise_refusals(text):
    keyring = KeyRing(event_id="01JTESTEVENT000000000000000", keys={})
    with pytest.raises(TokenRefused):
        parse_token(text, keyring, NOW)


@pytest.mark.parametrize("text", ["", "FK1:", "hello", "fk1:AAAA", "FK1:AAAA", PREFIX + "A" * 160, None, 42])
def test_malformed(keyring, text):
    assert refusal(text, keyring) == "malformed"


def test_lowercase_is_not_the_same_token(signer, keyring):
    text = sign_token(signer, "pass", new_id())
    assert refusal(PREFIX + text[len(PREFIX):].lower(), keyring) == "malformed"


def test_other_event_is_told_apart_from_a_forgery(tmp_path, template, store, keyring):
    other = create_event(tmp_path / "other.db", template, None)
    try:
        foreign = sign_token(other, "pass", new_id())
    finally:
        other.close()
    assert refusal(foreign, keyring) == "other_event"


def test_a_malleated_signature_is_forged(signer, keyring):
    """The same signature with L added to its scalar S still satisfies the curve equation:
    a verifier that does not insist on S < L (RFC 8032) would take it as a second spelling."""
    text = sign_token(signer, "pass", new_id())
    data = text[len(PREFIX):]
    raw = bytearray(base64.b32decode(data + "=" * (-len(data) % 8)))
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(raw[-32:], "little") + order
    raw[-32:] = s.to_bytes(32, "little")
    malleated = PREFIX + base64.b32encode(bytes(raw)).decode().rstrip("=")
    assert parse_token(text, keyring, NOW)
    assert refusal(malleated, keyring) == "forged"


def test_a_key_the_event_never_certified_is_forged(tmp_path, store, keyring):
    rogue = new_device_key(store)  # made but never certified by the event key
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fieldkit.tokens import Signer

    assert len(rogue) == 32
    impostor = Signer(Ed25519PrivateKey.generate(), signer_for(store).key_id, store.event_id)
    assert refusal(sign_token(impostor, "pass", new_id()), keyring) == "forged"


def test_validity_window(signer, keyring):
    start, end = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    text = sign_token(signer, "pass", new_id(), start, end)
    assert refusal(text, keyring, NOW) == "not_yet_valid"
    assert parse_token(text, keyring, start + timedelta(minutes=1)).kind == "pass"
    assert refusal(text, keyring, end + timedelta(seconds=1)) == "expired"


def test_revoked_token(store, signer):
    token_id = new_id()
    text = sign_token(signer, "referral", token_id)
    revoke_token(store, token_id, "card lost")
    assert refusal(text, KeyRing.from_store(store)) == "revoked"


def test_certified_device_key_signs_offline_and_can_be_revoked(tmp_path, template, store):
    """A desk laptop's key, certified by the event key, verifies on every laptop."""
    from fieldkit.store import create_store

    desk = create_store(tmp_path / "desk.db", None, device_name="desk-2", role="desk", event_id=store.event_id)
    try:
        with pytest.raises(CannotSign):
            signer_for(desk)
        public = new_device_key(desk)
        key_id = certify_device_key(store, desk.device_id, public)
        walk_in = sign_token(desk, "pass", new_id())
    finally:
        desk.close()
    keyring = KeyRing.from_store(store)
    assert parse_token(walk_in, keyring, NOW).key_id == key_id
    revoke_key(store, key_id, "laptop lost")
    assert refusal(walk_in, KeyRing.from_store(store)) == "revoked"


@pytest.mark.parametrize("certificate", ["00" * 64, "00" * 63, "00" * 65, "", "not hex"])
def test_a_tampered_certificate_does_not_count(store, certificate):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fieldkit.keys import Signer, key_id_of
    from fieldkit.keys import raw_public as _raw_public

    private = Ed25519PrivateKey.generate()
    public = _raw_public(private.public_key())
    key_id = key_id_of(public)
    store.set_record(
        "signing_keys",
        key_id,
        {"public_key": public.hex(), "device_id": "x", "role": "device", "certificate": certificate, "created_at": ""},
    )
    text = sign_token(Signer(private, key_id, store.event_id), "pass", new_id())
    assert refusal(text, KeyRing.from_store(store)) == "forged"


def test_bad_arguments_to_sign(signer):
    with pytest.raises(ValueError):
        sign_token(signer, "coupon", new_id())
    with pytest.raises(ValueError):
        sign_token(signer, "pass", "not-a-ulid")
    with pytest.raises(ValueError):
        sign_token(signer, "pass", new_id(), valid_until=datetime(2026, 1, 1))
