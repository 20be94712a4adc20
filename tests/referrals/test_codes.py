"""Short referral codes: derived from the card, forgiving to type, strict about mistakes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.referrals import codes as rc


def test_codes_are_random_with_a_check():
    codes = [rc.new_short_code() for _ in range(1000)]
    assert len(set(codes)) == 1000 and all(len(c) == 9 and rc.normalise(c) == c for c in codes)
    # Made in the same millisecond, neighbours still share no prefix to guess from.
    assert len({c[:4] for c in codes}) > 900
    assert rc.display(codes[0]) == f"{codes[0][:4]}-{codes[0][4:8]}-{codes[0][8]}"


def test_typing_is_forgiving():
    body = "01ABO1L0"[:8].replace("O", "0").replace("L", "1")
    code = body + rc.check_character(body)
    typed = " " + rc.display(code).lower().replace("0", "o").replace("1", "l") + " "
    assert rc.normalise(typed) == code


@pytest.mark.parametrize("text", ["", "ABC", "ABCD-EFGH-JK", "ABCD-EFGH-U", "ABCD!EFGH"])
def test_malformed_codes_are_refused(text):
    with pytest.raises(rc.BadShortCode) as info:
        rc.normalise(text)
    assert info.value.code == "malformed"


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=rc.ALPHABET, min_size=8, max_size=8), st.integers(0, 8), st.integers(1, 31))
def test_any_single_typo_is_caught(body, position, shift):
    code = body + rc.check_character(body)
    wrong = code[:position] + rc.ALPHABET[(rc.ALPHABET.index(code[position]) + shift) % 32] + code[position + 1 :]
    with pytest.raises(rc.BadShortCode) as info:
        rc.normalise(wrong)
    assert info.value.code == "check"


def test_swapped_neighbours_are_mostly_caught():
    caught = total = 0
    for _ in range(300):
        code = rc.new_short_code()
        for i in range(7):
            if code[i] != code[i + 1]:
                total += 1
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                caught += not rc.looks_like_short_code(swapped)
    assert caught / total > 0.9
