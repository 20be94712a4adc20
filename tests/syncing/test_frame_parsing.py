"""The fast frame parse (orjson, after cheap checks of the bounds) gives what the bounded parse gives: the same message, or the same refusal."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sync.frames import FrameError, _bounded_parse, check_depth, decode, encode


def bounded_decode(body: bytes):
    """The reference: the parse every frame went through before the fast one."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError("malformed frame: not UTF-8 JSON") from None
    check_depth(body)
    message = _bounded_parse(body, text)
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise FrameError("malformed frame: not an object with a type")
    return message


def outcome(parse, body: bytes):
    try:
        return ("message", parse(body))
    except FrameError as exc:
        return ("refused", str(exc))


def same(a, b) -> bool:
    """Equal, with NaN never expected (both parsers refuse it) and -0.0 told from 0.0."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def assert_same_outcome(body: bytes) -> None:
    fast, reference = outcome(decode, body), outcome(bounded_decode, body)
    assert fast[0] == reference[0], (body[:200], fast, reference)
    if fast[0] == "refused":
        assert fast[1] == reference[1]
    else:
        assert same(fast[1], reference[1])


# Number literals as a hostile peer may write them: long mantissas and exponents, signs, leading
# dots are invalid JSON and refused by both.
digits = st.text(alphabet="0123456789", min_size=1, max_size=40)
number_literals = st.builds(
    lambda sign, whole, fraction, mark, exp_sign, exponent: (
        sign + whole + (("." + fraction) if fraction else "") + ((mark + exp_sign + exponent) if exponent else "")
    ),
    st.sampled_from(["", "-"]),
    digits | st.just("0"),
    st.none() | digits,
    st.sampled_from(["e", "E"]),
    st.sampled_from(["", "+", "-"]),
    st.none() | digits,
)
# Strings that look like numbers, hex digests, stamps and escapes: what could fool the cheap checks.
tricky_text = st.text(alphabet='0123456789abcdefE.-+"\\[]{} \u00e9', max_size=70)
hex_text = st.binary(min_size=8, max_size=64).map(bytes.hex)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | tricky_text | hex_text
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(value=json_values, ascii_only=st.booleans())
def test_any_json_value_parses_as_the_bounded_parser_does(value, ascii_only):
    assert_same_outcome(json.dumps({"type": "x", "v": value}, ensure_ascii=ascii_only).encode())


@settings(max_examples=400, deadline=None)
@given(literals=st.lists(number_literals, min_size=1, max_size=4), text=tricky_text | hex_text)
def test_number_literals_are_refused_or_read_as_the_bounded_parser_does(literals, text):
    body = '{"type":"x","s":%s,"v":[%s]}' % (json.dumps(text), ",".join(literals))
    assert_same_outcome(body.encode())


@settings(max_examples=200, deadline=None)
@given(value=json_values, cut=st.integers(0, 400), junk=st.sampled_from(["", "]", "}", ",", "\\", '"', "NaN", "\ud800"]))
def test_broken_frames_are_refused_with_the_same_reason(value, cut, junk):
    text = json.dumps({"type": "x", "v": value})
    body = (text[:cut] + junk + text[cut:]).encode("utf-8", "surrogatepass")
    assert_same_outcome(body)


@pytest.mark.parametrize("strings", [0, 3, 200])
def test_a_long_number_after_digit_strings_is_still_refused(strings):
    digests = ",".join(json.dumps("1234567890123456" * 2) for _ in range(strings))
    for number, reason in (("1" + "0" * 30, "outside the 64-bit range"), ("-12345678901234567e-1234567890123", "too long")):
        body = ('{"type":"x","s":[%s],"v":%s}' % (digests, number)).encode()
        assert outcome(decode, body) == outcome(bounded_decode, body)
        assert reason in outcome(decode, body)[1]


def test_a_batch_frame_reads_back_as_written():
    message = {"type": "batch", "origins": ["01K0000000000000000000000E"],
               "runs": [[0, "ab" * 32, "0e" * 64, 1, []]],
               "changes": [[1, "checkins", "01K0000000000000000000000F", "0000000000002-000000", "insert",
                            {"n": 2**62, "f": -1.2345678901234567e-308, "s": "\\\"[{"}, None]]}
    assert decode(encode(message)[4:]) == message


def json_frame(message) -> bytes:
    """The reference: what `encode` wrote before orjson."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    return len(body).to_bytes(4, "big") + body


@settings(max_examples=300, deadline=None)
@given(value=json_values)
@example(value=[2**63, 0.0])  # found by CI: written by both, refused by both on reading
def test_a_frame_is_written_as_json_wrote_it(value):
    """Byte for byte, but for floats: orjson writes 1e-7 where json wrote 1e-07, the same number."""
    message = {"type": "x", "v": value}
    leaves = list(_leaves(value))
    if any(isinstance(v, int) and not -(2**63) <= v < 2**64 for v in leaves):
        return  # over 64 bits: orjson refuses, and json writes it (next test)
    if any(isinstance(v, float) for v in leaves):
        # Read back the same, or refused the same: an integer of 2**63 or more is written by
        # both and refused on reading (SQLite stores no such integer).
        ours, reference = outcome(decode, encode(message)[4:]), outcome(decode, json_frame(message)[4:])
        assert ours[0] == reference[0]
        assert ours[1] == reference[1] if ours[0] == "refused" else same(ours[1], reference[1])
    else:
        assert encode(message) == json_frame(message)


def _leaves(value):
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    else:
        yield value


@pytest.mark.parametrize("message", [
    {"type": "x", "v": 2**70},  # orjson writes integers of 64 bits at most
    {"type": "x", "v": {1: "a key that is a number"}},
])
def test_what_orjson_refuses_is_written_by_json(message):
    assert encode(message) == json_frame(message)


def test_what_json_refused_is_still_refused():
    with pytest.raises(UnicodeEncodeError):
        encode({"type": "x", "v": "\ud800"})
