"""Other tables of counts that agree with everything a report shows: the proof that a hidden count is safe.

A change (a "move") adds or takes away one or more on some atoms. It keeps a report's
word when every shown count keeps its value, every "<11" stays from 1 to 10, every "*"
stays at 11 or more, and no atom goes below zero; if it also changes a hidden count,
that count cannot be worked out from the report. disclosure.py looks for changes of
one, two or four atoms first; these searches are for when none of those will do.
"""

from __future__ import annotations

import random
from typing import Any

# disclosure._Problem (not imported: it imports this module): x, t, sets, value, status, of_atom, _in.
_Problem = Any

SHOWN, SMALL, COMPLEMENT, UNPRINTED = "shown", "small", "complement", "unprinted"
FIXED = "fixed"  # shown, and shown elsewhere too: never hidden to protect another count
Move = tuple[tuple[int, int], ...]  # (atom, how much it changes by)
Found = tuple[int, int, int, Move]  # (sum of the values to hide, how many, their mask, the change)
# The repair search: how many atoms a change may touch, how many repairs to try at each
# step, and how many to weigh in all.
DEEP_ATOMS, DEEP_BRANCHES, DEEP_BUDGET = 8, 4, 5_000
# The walk: how many walks, how many steps each, how many repairs weighed at a step.
WALKS, WALK_STEPS, WALK_CHOICES = 6, 4_000, 48


def _bound(p: _Problem) -> list[list[int]]:
    """For each atom, the counts it is in that bind a change (all but the unprinted differences)."""
    if getattr(p, "_bound_of_atom", None) is None:
        p._bound_of_atom = [[h for h in hs if p.status[h] != UNPRINTED] for hs in p.of_atom]
    return p._bound_of_atom


def _changed(p: _Problem, move: Move) -> dict[int, int]:
    change: dict[int, int] = {}
    for a, d in move:
        for h in p.of_atom[a]:
            change[h] = change.get(h, 0) + d
    return change


def holds(p: _Problem, f: int, move: Move) -> bool:
    """Whether `move` keeps the report's word as it now stands and changes count f."""
    delta: dict[int, int] = {}
    for a, d in move:
        delta[a] = delta.get(a, 0) + d
    if any(p.x[a] + d < 0 for a, d in delta.items()):
        return False
    change = _changed(p, move)
    if not change.get(f, 0):
        return False
    for h, d in change.items():
        st, v = p.status[h], p.value[h]
        if (st in (SHOWN, FIXED) and d) or (st == SMALL and not 0 < v + d < p.t) or (st == COMPLEMENT and v + d < p.t):
            return False
    return True


def _faults(p: _Problem, change: dict[int, int], hide: bool):
    """The counts a change breaks, each with the way it must move back (+1 or -1); of the
    shown counts of 11 or more it changes (which `hide` allows), their mask and cost, and
    the same ways back."""
    broken, mask, cost, soft, t = [], 0, 0, [], p.t
    for h, d in change.items():
        st, v = p.status[h], p.value[h]
        if d == 0 or st == UNPRINTED:
            continue
        if st == SMALL and not 0 < v + d < t or st == COMPLEMENT and v + d < t:
            broken.append((h, 1 if v + d < 1 or st == COMPLEMENT else -1))
        elif st in (SHOWN, FIXED):
            if hide and st == SHOWN and v >= t and v + d >= t:
                mask, cost = mask | 1 << h, cost + v
                soft.append((h, -1 if d > 0 else 1))
            else:
                broken.append((h, -1 if d > 0 else 1))
    return broken, mask, cost, soft


def _step(p: _Problem, delta: dict[int, int], change: dict[int, int], a: int, d: int, f: int) -> None:
    """Change atom a by d: the counts that bind, and count f (which may be an unprinted difference)."""
    delta[a] = delta.get(a, 0) + d
    if not delta[a]:
        del delta[a]
    for h in _bound(p)[a]:
        change[h] = change.get(h, 0) + d
    if a in p.sets[f] and p.status[f] == UNPRINTED:
        change[f] = change.get(f, 0) + d


def deep(p: _Problem, f: int, hide: bool) -> Found | None:
    """A change of up to DEEP_ATOMS atoms of any shape that changes count f, built by
    repairing one broken count at a time (a count the change moved out of what its label
    says, or a shown count it changed). With `hide`, a shown count of 11 or more may change
    if it is hidden (it costs its value) and the cheapest change found is returned; without,
    the first change that keeps every shown count. None when the search finds none."""
    best: Found | None = None
    looked = 0

    def search(delta: dict[int, int], change: dict[int, int]) -> bool:
        nonlocal best, looked
        broken, mask, cost, soft = _faults(p, change, hide)
        if change.get(f, 0) and not broken:
            if best is None or (cost, mask.bit_count()) < best[:2]:
                best = (cost, mask.bit_count(), mask, tuple(delta.items()))
            if cost == 0:
                return True
            broken = soft  # cheaper still: undo a change to a shown count
        elif best is not None and cost >= best[0]:
            return False
        if len(delta) >= DEEP_ATOMS or looked > DEEP_BUDGET:
            return False
        h, d = min(broken, key=lambda fault: len(p.sets[fault[0]])) if broken else (f, 1)
        tried, options = set(), []
        for b in p.sets[h]:
            if delta.get(b, 0) * d < 0 or p.x[b] + delta.get(b, 0) + d < 0 or p._in[b] in tried:
                continue
            tried.add(p._in[b])  # atoms in the same counts change them alike
            looked += 1
            _step(p, delta, change, b, d, f)
            score = _faults(p, change, hide)
            options.append((len(score[0]), score[2], b))
            _step(p, delta, change, b, -d, f)
        for _, _, b in sorted(options)[:DEEP_BRANCHES]:
            _step(p, delta, change, b, d, f)
            done = search(delta, change)
            _step(p, delta, change, b, -d, f)
            if done:
                return True
        return False

    for a in sorted(p.sets[f], key=lambda a: -p.x[a]):
        for d in (1, -1):
            if d < 0 and p.x[a] == 0:
                continue
            delta: dict[int, int] = {}
            change: dict[int, int] = {}
            _step(p, delta, change, a, d, f)
            if search(delta, change):
                return best
    return best


def wander(p: _Problem, f: int) -> Found | None:
    """A change of any size that changes count f, found by a walk: change f, then again
    and again repair a broken count (chosen at random) the way that breaks least, until
    nothing is broken. Shown counts of 11 or more may change (they are then hidden), at a
    small price that keeps the walk from changing more of them than it needs."""
    t, rng, bound = p.t, random.Random(f), _bound(p)  # fixed seed: the same data always suppresses the same way

    def price(h: int, c: int) -> float:
        st, v = p.status[h], p.value[h]
        n = v + c
        if st == UNPRINTED or not c:
            return 0
        if st == SMALL:
            return max(0, 1 - n) + max(0, n - t + 1)
        if st == FIXED or (st == SHOWN and v < t):
            return abs(c)
        return max(0, t - n) + (0.25 if st == SHOWN else 0)

    for _ in range(WALKS):
        delta: dict[int, int] = {}
        change: dict[int, int] = {}
        start = [a for a in p.sets[f] if p.x[a] > 0] or sorted(p.sets[f])
        a = rng.choice(start)
        _step(p, delta, change, a, -1 if p.x[a] > 0 and rng.random() < 0.5 else 1, f)
        for _ in range(WALK_STEPS):
            broken, mask, cost, _soft = _faults(p, change, True)
            if not change.get(f, 0):
                broken.append((f, rng.choice((1, -1))))
            if not broken:
                return cost, mask.bit_count(), mask, tuple(delta.items())
            h, d = rng.choice(broken)
            atoms = [b for b in p.sets[h] if p.x[b] + delta.get(b, 0) + d >= 0]
            if len(atoms) > WALK_CHOICES:
                atoms = rng.sample(atoms, WALK_CHOICES)
            if not atoms:
                continue

            def worse(b: int) -> float:
                target = (0 if change.get(f, 0) + d * (b in p.sets[f]) else 1) - (0 if change.get(f, 0) else 1)
                return target + sum(price(g, change.get(g, 0) + d) - price(g, change.get(g, 0)) for g in bound[b])

            b = rng.choice(atoms) if rng.random() < 0.1 else min(atoms, key=lambda b: (worse(b), rng.random()))
            _step(p, delta, change, b, d, f)
    return None
