"""What an attacker can work out from a suppressed report: linear programming over the atoms.

Given the atoms' true counts, what each published count adds up, and how each was
shown (a number, "<11" meaning 1 to 10, "*" meaning 11 or more, or withheld), this
finds the least and the greatest value each hidden count can take in any table of
non-negative counts consistent with what was published. A count whose range holds
one whole number only can be derived.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping

import numpy as np
from scipy.optimize import linprog

THRESHOLD = 11


def derivable(
    atom_count: int,
    published: Mapping[Hashable, tuple[frozenset[int], str]],
    targets: Mapping[Hashable, frozenset[int]],
    threshold: int = THRESHOLD,
) -> dict[Hashable, float]:
    """The targets (name -> atoms) whose value the published counts pin down, with that value.

    `published` maps a name to (its atoms, its label): digits are exact; f"<{threshold}"
    is 1..threshold-1; "*" is threshold or more; None (withheld) says nothing.
    """
    eq_rows, eq_values, ub_rows, ub_values = [], [], [], []
    for atoms, label in published.values():
        row = np.zeros(atom_count)
        row[list(atoms)] = 1
        if label is None:
            continue
        if str(label).isdigit():
            eq_rows.append(row)
            eq_values.append(int(label))
        elif label == f"<{threshold}":
            ub_rows += [row, -row]
            ub_values += [threshold - 1, -1]
        elif label == "*":
            ub_rows.append(-row)
            ub_values.append(-threshold)
        else:
            raise ValueError(f"unknown label {label!r}")
    kwargs = {
        "A_eq": np.array(eq_rows) if eq_rows else None,
        "b_eq": np.array(eq_values) if eq_rows else None,
        "A_ub": np.array(ub_rows) if ub_rows else None,
        "b_ub": np.array(ub_values) if ub_rows else None,
        "bounds": [(0, None)] * atom_count,
        "method": "highs",
    }
    found = {}
    for name, atoms in targets.items():
        c = np.zeros(atom_count)
        c[list(atoms)] = 1
        low = linprog(c, **kwargs)
        high = linprog(-c, **kwargs)
        assert low.status == 0, f"the published counts are inconsistent: {low.message}"
        if high.status == 3:  # unbounded above: not pinned
            continue
        lo, hi = math.ceil(low.fun - 1e-7), math.floor(-high.fun + 1e-7)
        if lo == hi:
            found[name] = lo
    return found


def nested_differences(published: Mapping[Hashable, tuple[frozenset[int], str]], values: Mapping[Hashable, int]):
    """Small counts had by subtracting one published count from another that holds it."""
    found = {}
    for f, (inner, _) in published.items():
        for g, (outer, _) in published.items():
            if f != g and inner < outer and 0 < values[g] - values[f] < THRESHOLD:
                found[(g, "minus", f)] = outer - inner
    return found
