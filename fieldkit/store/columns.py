"""What a synced column holds: one Python type per declared type, and a value as SQLite will store it.

What a laptop hashes must be what every laptop stores and relays (fieldkit/store/chain.py):
the write path stores values in the one form their column holds, and a received change
whose values are in another form is refused.
"""

from __future__ import annotations

import json
from typing import Any

from fieldkit.store.errors import WriteRefused

# The one Python type a column of each declared type holds, so that what a laptop hashes
# is what every laptop stores and relays (fieldkit/store/chain.py).
_HELD = {"TEXT": str, "INTEGER": int, "FLOAT": float, "REAL": float}


def is_held(value: Any, declared: str) -> bool:
    """Whether `value` is in the one form a column of type `declared` holds (NULL always is)."""
    kind = type(value)
    if kind is str:
        return declared == "TEXT" or declared not in _HELD
    if value is None:
        return True
    if kind is int:
        return _HELD.get(declared, int) is int and -(2**63) <= value < 2**63
    return kind is _HELD.get(declared, kind) and kind in (str, float)


def held_types(declared: str) -> frozenset[type]:
    """The Python types whose values `is_held` accepts in a column of type `declared`
    (an int also within 64 bits): one set lookup per received value instead of a call."""
    samples = ("", 0, 0.0, None, True)
    return frozenset(type(v) for v in samples if is_held(v, declared))


def as_stored(value: Any, declared: str, table: str, column: str) -> Any:
    """`value` as SQLite stores it in a column of type `declared`; WriteRefused if SQLite
    would store it in a form that is not plainly the same value."""
    kind = type(value)
    if value is None or kind is _HELD.get(declared):
        return value
    if kind is bool or kind is int:
        if declared == "TEXT":
            return str(int(value))
        if declared in ("FLOAT", "REAL"):
            return float(value)
        if declared == "INTEGER":
            return int(value)
    if declared not in _HELD and kind in (str, int, float):
        return value
    raise WriteRefused(f"{table}.{column} cannot hold {value!r}: it holds {declared.lower()} values.")


def dump_json(value: Any) -> str:
    """Canonical JSON for values kept in text columns."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
