"""The one-time pairing code a coordinator shows and a new laptop types or scans, and the words both then show.

A code is `FKP1-` and 42 Crockford base32 characters (case-insensitive; O reads as 0,
I and L as 1; dashes and spaces are ignored) in groups of six. It carries 26 bytes: a
4-byte one-time secret (proved with SPAKE2, so one online guess per code), a 2-byte
code id (which of the coordinator's open pairings it is; not secret), the first 12
bytes of the event CA's SHA-256 fingerprint (pins the coordinator), an IPv4 address
and port where the coordinator listens (a hint: mDNS finds it too), and a CRC-16 that
catches every single mistyped, missing, extra or swapped character. The QR code shows
the same text, which is QR alphanumeric. See docs/sync-protocol.md "Pairing".
"""

from __future__ import annotations

import binascii
import ipaddress
import os
import struct
from dataclasses import dataclass

from fieldkit.errors import Refused
from sync.discovery import PIN_BYTES

CODE_PREFIX = "FKP1"
SECRET_BYTES = 4
CODE_ID_BYTES = 2
_PAYLOAD = struct.Struct(f">{SECRET_BYTES}s{CODE_ID_BYTES}s{PIN_BYTES}s4sH")
_CRC = struct.Struct(">H")
_BYTES = _PAYLOAD.size + _CRC.size
_CHARS = -(-_BYTES * 8 // 5)
_PAD_BITS = _CHARS * 5 - _BYTES * 8
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's: no I, L, O, U to misread
_DIGIT = {char: value for value, char in enumerate(_ALPHABET)}
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": "", " ": "", "\t": "", "\n": "", "\r": ""})
_GROUP = 6
_MAX_TEXT = 200

# Stable codes (tests and screens match on them) and the sentence each one shows.
SENTENCES = {
    "pairing_malformed": (
        "This is not a whole Field Kit pairing code (a character is wrong, missing or extra): "
        "type it again exactly as the coordinator's screen shows it, or scan its QR code."
    ),
    "pairing_wrong_code": (
        "The coordinator did not accept this pairing code, and nobody can use it now: ask the coordinator "
        "to run `fieldkit device pair` again and enter the new code; nothing was saved on this laptop."
    ),
    "pairing_used": (
        "This pairing code was already used: ask the coordinator for a new one (`fieldkit device pair`); "
        "nothing was saved on this laptop."
    ),
    "pairing_expired": (
        "This pairing code has expired: ask the coordinator for a new one (`fieldkit device pair`); "
        "nothing was saved on this laptop."
    ),
    "pairing_stale": (
        "The coordinator has another pairing code open now: enter the code its screen shows; "
        "nothing was saved on this laptop."
    ),
    "pairing_fingerprint": (
        "The laptop at {address} is not the coordinator this code belongs to (its certificate does not match "
        "the code): check that this laptop is on the clinic's network and enter the code again; nothing was saved."
    ),
    "pairing_unreachable": (
        "No coordinator answered for this code, at {address} or on the local network: check that "
        "`fieldkit device pair` is still waiting on the coordinator and that both laptops are on the same "
        "network; nothing was saved on this laptop."
    ),
    "pairing_broken": (
        "The connection to the coordinator broke during pairing ({reason}): enter the code again if the "
        "coordinator still waits, or ask for a new one; nothing was saved on this laptop."
    ),
    "pairing_enroll_failed": (
        "The coordinator could not enroll this laptop: read why on the coordinator's screen, then pair again; "
        "nothing was saved on this laptop."
    ),
    "pairing_no_network": (
        "This laptop has no network address another laptop can reach: join the clinic's network "
        "(or give --interface ADDR), then run `fieldkit device pair` again."
    ),
    "pairing_no_interface": (
        "None of the --interface addresses ({addresses}) is an address of this laptop now: "
        "give one that `ip addr` lists, then run `fieldkit device pair` again."
    ),
    "pairing_wrong_guess": (
        "A laptop at {address} entered a wrong pairing code, so the code is spent and nobody was enrolled: "
        "run `fieldkit device pair` again and enter the new code carefully."
    ),
    "pairing_timeout": (
        "Nobody paired within {lifetime}, so the code expired and nobody was enrolled: "
        "run `fieldkit device pair` again when the new laptop is ready."
    ),
    "pairing_cancelled": "Pairing cancelled: the code no longer works and nobody was enrolled.",
}


class PairingRefused(Refused):
    """Pairing did not happen and nothing was saved; `code` is one of SENTENCES."""


def refusal(code: str, **details: str) -> PairingRefused:
    return PairingRefused(code, SENTENCES[code].format(**details))


@dataclass(frozen=True)
class PairingCode:
    """What the code carries; `text` is what the coordinator shows."""

    secret: bytes
    code_id: bytes
    pin: bytes
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def text(self) -> str:
        payload = _PAYLOAD.pack(self.secret, self.code_id, self.pin, ipaddress.IPv4Address(self.host).packed, self.port)
        number = int.from_bytes(payload + _CRC.pack(binascii.crc_hqx(payload, 0)), "big") << _PAD_BITS
        digits = "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(_CHARS)))
        groups = [digits[i : i + _GROUP] for i in range(0, _CHARS, _GROUP)]
        return "-".join([CODE_PREFIX, *groups])


def new_code(pin: bytes, host: str, port: int) -> PairingCode:
    """A fresh code with a random secret and code id, pinning `pin`, hinting host:port."""
    return PairingCode(os.urandom(SECRET_BYTES), os.urandom(CODE_ID_BYTES), pin, host, port)


def parse_code(text: str) -> PairingCode:
    """The code `text` spells, forgiving case, dashes, spaces and O/I/L; PairingRefused otherwise."""
    if not isinstance(text, str) or len(text) > _MAX_TEXT:
        raise refusal("pairing_malformed")
    normal = text.upper().translate(_READS_AS)
    body = normal[len(CODE_PREFIX) :]
    if not normal.startswith(CODE_PREFIX) or len(body) != _CHARS or not all(c in _DIGIT for c in body):
        raise refusal("pairing_malformed")
    number = 0
    for char in body:
        number = number * 32 + _DIGIT[char]
    data = (number >> _PAD_BITS).to_bytes(_BYTES, "big")
    payload, (crc,) = data[: _PAYLOAD.size], _CRC.unpack(data[_PAYLOAD.size :])
    if binascii.crc_hqx(payload, 0) != crc:
        raise refusal("pairing_malformed")
    secret, code_id, pin, host, port = _PAYLOAD.unpack(payload)
    if port == 0:
        raise refusal("pairing_malformed")
    return PairingCode(secret, code_id, pin, str(ipaddress.IPv4Address(host)), port)


WORDS = """
acorn alarm album alley amber angle ankle apple apron arena arrow aspen atlas bacon badge bagel
baker bamboo banjo barn basil basket beach beard beaver bell bench berry bike bison blade
blanket blossom boat bonnet book boot bottle bread brick bridge broom brush bucket cabin cactus
camel candle canoe canyon carrot castle cedar cello chalk cherry chess chimney cider cloud
clover coast cobra cocoa comet copper coral cotton crane crayon cricket crown cup curtain daisy
delta desert diamond dolphin donkey door dragon drum duck dune eagle easel echo elbow elm ember
engine envelope falcon feather fence fern ferry fiddle finch flag flute forest fossil fountain
fox frog garden garlic gate ginger giraffe glove goat goose grape guitar hammer harbor harp hawk
hazel helmet heron hill honey horse igloo island ivory jacket jaguar jelly jewel kayak kettle
key kite kiwi koala ladder lake lamp lantern lemon lentil lily lime lion lizard llama lobster
locket magnet mango maple marble meadow melon mirror mitten monkey moon moose mountain mug nest
noodle oak oasis ocean olive onion orange orbit otter owl oyster paddle palm panda paper parrot
pasta peach peanut pearl pebble pelican pencil pepper piano pickle pigeon pillow pine planet
plum pond poppy potato pumpkin puzzle quail quilt rabbit radio raft rainbow raven ribbon river
robin rocket rose ruby saddle salmon sandal scarf seal shell ship shovel silver skate sled snail
sock sofa spider spoon squid star stone sugar swan table tiger timber tomato torch tractor
trumpet tulip turtle umbrella valley violin wagon walnut whale willow window wolf zebra
""".split()
VERIFICATION_WORDS = 4


def verification_words(material: bytes) -> str:
    """Four words both laptops show, from key material only the two ends of the pairing share."""
    return " ".join(WORDS[byte] for byte in material[:VERIFICATION_WORDS])
