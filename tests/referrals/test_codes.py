"""Short referral codes: derived from the card, forgiving to type, strict about mistakes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit import referral_codes as rc
from fieldkit.store import new_id


def test_code_is_the_card_ulid_tail_plus_a_check():
    card_id = new_id()
    code = rc.short_code_for(card_id)
    assert len(code) == 9 and code[:8] == card_id[-8:]
    assert rc.display(code) == f"{code[:4]}-{code[4:8]}-{code[8]}"


def test_typing_is_forgiving():
    code = rc.short_code_for("01JD0000000000000000OIL0AB".replace("O", "0").replace("I", "1").replace("L", "1"))
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
        code = rc.short_code_for(new_id())
        for i in range(7):
            if code[i] != code[i + 1]:
                total += 1
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                caught += not rc.looks_like_short_code(swapped)
    assert caught / total > 0.9
