"""Join files: sealed with argon2id at RFC 9106's recommended cost, a 12-character minimum
passphrase (one sentence, nobody enrolled, when shorter), older scrypt files still open, and
a file whose KDF was edited (to cost minutes, or to be weak) is refused with a sentence."""

from __future__ import annotations

import base64
import json
import os

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from fieldkit.cli import main
from fieldkit.event import create_event
from sync.enroll import MAGIC, EnrollRefused, enroll_device, read_join_file, roster, seal, unseal, write_join_file
from tests.conftest import PASSPHRASE

GOOD = "twelve chars"  # exactly 12


@pytest.fixture
def coordinator(tmp_path, template):
    store = create_event(tmp_path / "event.db", template, PASSPHRASE)
    yield store
    store.close()


def envelope(data: bytes) -> dict:
    assert data.startswith(MAGIC)
    return json.loads(data[len(MAGIC):])


def test_a_join_file_is_sealed_with_argon2id_at_64_mib(coordinator, tmp_path):
    path = tmp_path / "desk-2.join"
    bundle = enroll_device(coordinator, "desk-2", "desk")
    write_join_file(bundle, path, GOOD)
    sealed = envelope(path.read_bytes())
    assert (sealed["kdf"], sealed["t"], sealed["m"], sealed["p"]) == ("argon2id", 3, 65536, 4)
    assert "n" not in sealed and len(base64.b64decode(sealed["salt"])) == 16
    assert read_join_file(path, GOOD)["device_id"] == bundle["device_id"]


@pytest.mark.parametrize("short", ["x", "eleven char", "ŁÓDŹ-łódź"])
def test_a_short_join_passphrase_is_one_sentence_and_enrolls_nobody(coordinator, tmp_path, short):
    path, db = tmp_path / "desk-2.join", coordinator.path
    coordinator.close()
    before = db.read_bytes()
    result = CliRunner().invoke(
        main, ["device", "enroll", "desk-2", "--role", "desk", "--db", str(db), "--out", str(path)],
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_JOIN_PASSPHRASE": short},
        input=f"{short}\n{short}\n",
    )
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "at least 12 characters" in last, result.output
    assert not path.exists() and db.read_bytes() == before


def test_sealing_refuses_a_short_passphrase_whoever_calls_it(coordinator):
    with pytest.raises(EnrollRefused, match="at least 12 characters"):
        seal(enroll_device(coordinator, "desk-2", "desk"), "short one")


def _scrypt_file(bundle: dict, passphrase: str) -> bytes:
    """A join file as Field Kit wrote them before argon2id: scrypt n=2^15, r=8, p=1."""
    salt, nonce = os.urandom(16), os.urandom(12)
    key = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())
    sealed = AESGCM(key).encrypt(nonce, json.dumps(bundle).encode(), MAGIC)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return MAGIC + json.dumps({"kdf": "scrypt", "n": 2**15, "r": 8, "p": 1, "salt": b64(salt),
                               "nonce": b64(nonce), "ciphertext": b64(sealed)}).encode()


def test_an_older_scrypt_join_file_still_opens_with_its_shorter_passphrase(coordinator):
    bundle = enroll_device(coordinator, "desk-2", "desk")
    assert unseal(_scrypt_file(bundle, "eight ch"), "eight ch")["device_id"] == bundle["device_id"]


@pytest.mark.parametrize(
    "edit",
    [
        {"kdf": "scrypt", "n": 2**30},  # minutes of work and a gigabyte: a denial of service
        {"kdf": "scrypt", "n": 2**4},  # a KDF an attacker made cheap
        {"m": 8},
        {"t": 1000},
        {"kdf": "pbkdf2"},
    ],
    ids=["scrypt huge", "scrypt cheap", "argon2 tiny memory", "argon2 many passes", "unknown kdf"],
)
def test_an_edited_kdf_is_refused_with_make_a_new_one(coordinator, tmp_path, edit):
    bundle = enroll_device(coordinator, "desk-2", "desk")
    data = seal(bundle, GOOD) if edit.get("kdf") != "scrypt" else _scrypt_file(bundle, GOOD)
    tampered = MAGIC + json.dumps({**envelope(data), **edit}).encode()
    with pytest.raises(EnrollRefused, match="make a new one with `fieldkit device enroll`"):
        unseal(tampered, GOOD)


def test_a_wrong_passphrase_and_a_damaged_file_are_refused(coordinator):
    data = seal(enroll_device(coordinator, "desk-2", "desk"), GOOD)
    with pytest.raises(EnrollRefused, match="passphrase does not open"):
        unseal(data, GOOD + "!")
    for damaged in (data[:-40], MAGIC + b"[]", MAGIC + b"{"):
        with pytest.raises(EnrollRefused, match="damaged"):
            unseal(damaged, GOOD)
    assert [e.name for e in roster(coordinator)].count("desk-2") == 1
