"""The frame parser is bounded: what a hostile peer sends is a FrameError with a sentence, never a crash."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.frames import MAX_DEPTH, FrameError, check_depth, decode


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"[" * 200_000, "nested more than 32 levels"),
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 32 levels"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested more than 32 levels"),
        (b'{"type":"hello","wall":1' + b"0" * 400 + b"}", "outside the 64-bit range"),
        (b'{"type":"hello","wall":9223372036854775808}', "outside the 64-bit range"),
        (b'{"type":"hello","wall":-9223372036854775809}', "outside the 64-bit range"),
        (b'{"type":"hello","wall":1e400}', "too long or not finite"),
        (b'{"type":"hello","wall":0.' + b"1" * 5000 + b"}", "too long or not finite"),
        (b'{"type":"hello","wall":NaN}', "NaN is not a number"),
        (b'{"type":"hello","wall":-Infinity}', "-Infinity is not a number"),
        (b'{"type":"hello","name":"\xff"}', "not UTF-8 JSON"),
        (b'{"type":"hello"', "not UTF-8 JSON"),
        (b"[1, 2]", "not an object with a type"),
    ],
    ids=["200k [", "deep balanced", "deep objects", "10**400", "2**63", "-2**63-1", "1e400", "long fraction",
         "NaN", "-Infinity", "not UTF-8", "truncated JSON", "not an object"],
)
def test_hostile_bodies_are_frame_errors_with_a_reason(body, reason):
    with pytest.raises(FrameError, match=reason):
        decode(body)


def test_what_field_kit_sends_still_decodes():
    edge = {"type": "batch", "big": 2**63 - 1, "small": -(2**63), "float": -1.2345678901234567e-308,
            "text": "[[[[{{{{ \\\" ]]]" * 20, "nested": [[[[{"a": [1]}]]]]}
    assert decode(json.dumps(edge).encode()) == edge


def _depth(value) -> int:
    """The reference: how deep a decoded value nests."""
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


# Strings full of brackets, quotes and backslashes: what could fool a count outside strings.
tricky_text = st.text(alphabet='[]{}"\\ab\n\u00e9', max_size=8)
json_values = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | tricky_text
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=60,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values, ascii_only=st.booleans())
def test_the_depth_counted_outside_strings_is_the_true_depth(value, ascii_only):
    body = json.dumps({"type": "x", "v": value}, ensure_ascii=ascii_only).encode()
    depth = 1 + _depth(value)
    if depth > MAX_DEPTH:
        with pytest.raises(FrameError):
            check_depth(body)
    else:
        check_depth(body)  # no error
        assert decode(body)["v"] == value or (isinstance(value, float) and math.isnan(value))


@settings(max_examples=100, deadline=None)
@given(levels=st.integers(MAX_DEPTH - 2, MAX_DEPTH + 2), text=tricky_text)
def test_the_limit_is_exact_whatever_the_strings_hold(levels, text):
    body = ("[" * (levels - 1) + json.dumps(text) + "]" * (levels - 1)).encode()
    message = b'{"type":"x","v":' + body + b"}"
    if levels > MAX_DEPTH:
        with pytest.raises(FrameError, match="nested more than"):
            decode(message)
    else:
        decode(message)
