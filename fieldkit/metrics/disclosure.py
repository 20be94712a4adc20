"""Small-cell suppression of a whole report: which counts to hide so that no small one can be worked out.

A report's counts are sums over *atoms*: the counts of its finest cross-classification
(for referrals: event x month x channel x stage reached x ended). Every count from 1 to
10 is hidden ("<11"). A hidden count is safe when some *other* table of atoms exists
that gives every shown count the same value and keeps every hidden one within what its
label says ("<11": 1 to 10, "*": 11 or more) but changes the hidden count: then the
published numbers cannot pin it down. This module looks for such a change (adding and
taking one away on two or four atoms, the way a cycle moves in a table with totals);
when it finds none it hides the fewest, smallest shown counts that let one exist
(complementary suppression, shown as "*"). When no change of two or four atoms can do
(a "<11" at 10 that may not rise, a "*" at 11 that may not fall, several linked
breakdowns), alternatives.py builds wider changes of any shape. Differences of two shown
counts, one inside the other (registered minus no-shows...), are protected the same way
when they are small. Every relation the report publishes is a sum of atoms, so one change
answers for all of them at once; rates and percentages are published only where both
their counts are shown. Each hidden count keeps the change that protects it (its
witness); once all are protected, every witness is checked again against what is finally
shown, and any count whose witness no longer holds is protected again, until all hold.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from fieldkit.metrics import alternatives
from fieldkit.metrics.alternatives import COMPLEMENT, FIXED, SHOWN, SMALL, UNPRINTED, Move

DEFAULT_THRESHOLD = 11
# How many changes to weigh before settling for the cheapest found so far.
SEARCH_BUDGET = 5_000


@dataclass(frozen=True)
class Shown:
    """How one count may be shown: `label` is its number, "<11" or "*"."""

    value: int
    status: str  # shown, small or complement
    label: str

    @property
    def hidden(self) -> bool:
        return self.status != SHOWN

    @property
    def published(self) -> int | str | None:
        """As the JSON report gives it: the number, "<11", or None when withheld."""
        return self.value if not self.hidden else (self.label if self.status == SMALL else None)


def rectangle(groups: Iterable[int], columns: Iterable[int], width: int) -> frozenset[int]:
    """The atoms (flattened group * width + column) of some groups and some columns."""
    cols = tuple(columns)
    return frozenset(g * width + c for g in groups for c in cols)


class _Problem:
    def __init__(self, atoms: Sequence[Sequence[int]], sets: list[frozenset[int]], fixed: set[int], threshold: int):
        self.height = len(atoms)
        self.width = len(atoms[0]) if atoms else 0
        self.x = [int(v) for row in atoms for v in row]
        if any(v < 0 for v in self.x):
            raise ValueError("Counts cannot be negative.")
        self.t = threshold
        self.sets = list(sets)
        self.value = [sum(self.x[a] for a in s) for s in self.sets]
        self.status = [SMALL if 0 < v < threshold else FIXED if f in fixed else SHOWN for f, v in enumerate(self.value)]
        self._add_differences()
        self.of_atom: list[list[int]] = [[] for _ in self.x]
        for f, atoms_of in enumerate(self.sets):
            for a in atoms_of:
                self.of_atom[a].append(f)
        self._in = [sum(1 << f for f in figs) for figs in self.of_atom]
        self._masks()
        rng = random.Random(11)  # fixed: the same data always suppresses the same way
        self._weight = [rng.getrandbits(61) for _ in self.sets]
        self._signature = [0] * len(self.x)
        for a in range(len(self.x)):
            self._refresh(a)
        self._stale = True
        self.witness: dict[int, Move] = {}  # hidden count -> a change that keeps every shown count and changes it

    def _add_differences(self) -> None:
        """A shown count inside another shown count: their difference is a count too."""
        printed = len(self.sets)
        masks = [sum(1 << a for a in s) for s in self.sets]
        for f in range(printed):
            for g in range(printed):
                if f == g or masks[f] == masks[g] or masks[f] & ~masks[g]:
                    continue
                if 0 < self.value[g] - self.value[f] < self.t:
                    self.sets.append(self.sets[g] - self.sets[f])
                    self.value.append(self.value[g] - self.value[f])
                    self.status.append(UNPRINTED)

    def _refresh(self, a: int) -> None:
        # A hash of the shown counts an atom is in: a change keeps every shown count
        # only if the signatures of what it adds and what it takes away balance.
        self._signature[a] = sum(self._weight[f] for f in self.of_atom[a] if self.status[f] in (SHOWN, FIXED)) & (
            2**64 - 1
        )

    def _masks(self) -> None:
        """Bit masks of the counts by status and by how close each is to its bound."""

        def mask(test) -> int:
            return sum(1 << f for f in range(len(self.sets)) if test(self.status[f], self.value[f]))

        t = self.t
        self._shown = mask(lambda st, v: st == SHOWN)
        # No change may make these go up (by one or by two) ...
        self._no_up = mask(lambda st, v: (st == SHOWN and v == 0) or (st == SMALL and v == t - 1) or st == FIXED)
        self._no_up2 = self._no_up | mask(lambda st, v: st == SMALL and v == t - 2)
        # ... or down.
        self._no_down = mask(
            lambda st, v: (
                (st == SHOWN and v <= t) or (st == SMALL and v == 1) or (st == COMPLEMENT and v == t) or st == FIXED
            )
        )
        self._no_down2 = self._no_down | mask(
            lambda st, v: (st == SHOWN and v == t + 1) or (st == SMALL and v == 2) or (st == COMPLEMENT and v == t + 1)
        )

    def _check(self, move: Sequence[tuple[int, int]]) -> int | None:
        """The shown counts `move` would change, as a bit mask (all must be hidden for it to
        be allowed), or None when it can never be allowed (an atom below zero, a bound
        broken, a shown 0 changed)."""
        up, down = [], []
        for a, d in move:
            if d > 0:
                up.append(self._in[a])
            elif self.x[a] == 0:
                return None
            else:
                down.append(self._in[a])
        p1, p2 = _ones_and_twos(up)
        n1, n2 = _ones_and_twos(down)
        rises = (p1 & ~(n1 | n2)) | (p2 & ~(n1 | n2)) | (p2 & n1)
        rises2 = p2 & ~(n1 | n2)
        falls = (n1 & ~(p1 | p2)) | (n2 & ~(p1 | p2)) | (n2 & p1)
        falls2 = n2 & ~(p1 | p2)
        if rises & self._no_up or rises2 & self._no_up2 or falls & self._no_down or falls2 & self._no_down2:
            return None
        return (rises | falls) & self._shown

    def _changes(self, move: Sequence[tuple[int, int]], f: int) -> bool:
        return sum(d for a, d in move if a in self.sets[f]) != 0

    def _moves(self, f: int):
        """Changes of one or two atoms, and of four in a rectangle, that change count f
        (never taking one away from an atom that is already 0)."""
        w, n, x = self.width, len(self.x), self.x
        inside = self.sets[f]
        for a in sorted(inside, key=lambda a: -x[a]):
            g, s = divmod(a, w)
            for d in (1, -1):
                if d < 0 and x[a] == 0:
                    continue
                yield ((a, d),)
                for b in range(n):
                    if b not in inside and (d < 0 or x[b] > 0):
                        yield ((a, d), (b, -d))
                for s2 in range(w):
                    if s2 == s or (d > 0 and x[g * w + s2] == 0):
                        continue
                    for g2 in range(self.height):
                        if g2 == g or x[g2 * w + (s if d > 0 else s2)] == 0:
                            continue
                        move = ((a, d), (g * w + s2, -d), (g2 * w + s, -d), (g2 * w + s2, d))
                        if self._changes(move, f):
                            yield move

    def _index(self) -> None:
        """Atoms by signature, and rows by the difference of two columns' signatures."""
        mask, w = 2**64 - 1, self.width
        self._by_signature: dict[int, list[int]] = {}
        for a, sig in enumerate(self._signature):
            self._by_signature.setdefault(sig, []).append(a)
        self._by_step: dict[tuple[int, int, int], list[int]] = {}
        for g in range(self.height):
            row = self._signature[g * w : (g + 1) * w]
            for s in range(w):
                for s2 in range(w):
                    if s != s2:
                        self._by_step.setdefault((s, s2, (row[s] - row[s2]) & mask), []).append(g)
        self._stale = False

    def _allowed(self, f: int) -> Move | None:
        """A change of one, two or four atoms that keeps every shown count and changes count f."""
        if self._stale:
            self._index()
        mask, w, sig = 2**64 - 1, self.width, self._signature
        inside = self.sets[f]
        for a in inside:
            g, s = divmod(a, w)
            for d in (1, -1):
                if sig[a] == 0 and self._check(((a, d),)) == 0:
                    return ((a, d),)
                for b in self._by_signature.get(sig[a], ()):
                    if b not in inside and self._check(((a, d), (b, -d))) == 0:
                        return ((a, d), (b, -d))
                for s2 in range(w):
                    if s2 == s:
                        continue
                    for g2 in self._by_step.get((s, s2, (sig[a] - sig[g * w + s2]) & mask), ()):
                        if g2 == g:
                            continue
                        move = ((a, d), (g * w + s2, -d), (g2 * w + s, -d), (g2 * w + s2, d))
                        if self._changes(move, f) and self._check(move) == 0:
                            return move
        return None

    def protect(self, f: int) -> None:
        """Make sure count f cannot be worked out, hiding the cheapest other counts if need be,
        and keep the change that shows it (its witness)."""
        if move := self._allowed(f):
            self.witness[f] = move
            return
        best: tuple[int, int, int, Move] | None = None  # (sum of the values to hide, how many, their mask, the change)
        looked = 0
        for move in self._moves(f):
            looked += 1
            if best is not None and looked > SEARCH_BUDGET:
                break  # good enough: any allowed change protects; the cheapest only hides less
            to_hide = self._check(move)
            if to_hide is None:
                continue
            many = to_hide.bit_count()
            if best is not None and many * self.t >= best[0]:
                continue  # every count hidden costs at least the threshold: it cannot be cheaper
            cost = sum(self.value[h] for h in _bits(to_hide))
            if best is None or (cost, many) < best[:2]:
                best = (cost, many, to_hide, move)
        best = best or alternatives.deep(self, f, hide=True) or alternatives.wander(self, f)
        if best is None:
            raise AssertionError("no change of the atoms can hide this count")
        for h in _bits(best[2]):
            self.status[h] = COMPLEMENT
            for a in self.sets[h]:
                self._refresh(a)
        self._masks()
        self._stale = True
        self.witness[f] = best[3]

    def run(self) -> None:
        """Protect every hidden count, then check every witness again against what is shown
        in the end, protecting again any count whose witness no longer holds, until all hold.

        Hiding a count only loosens what an alternative table must keep, so a witness once
        found keeps holding; the repeat makes that a checked fact, not an assumption.
        """
        todo = [f for f in range(len(self.sets)) if self.status[f] in (SMALL, UNPRINTED)]
        for f in todo:
            self.protect(f)
        while broken := [f for f in todo if not alternatives.holds(self, f, self.witness[f])]:
            for f in broken:
                self.protect(f)
            if any(not alternatives.holds(self, f, self.witness[f]) for f in broken):
                raise AssertionError("a hidden count could still be worked out")


def _ones_and_twos(masks: list[int]) -> tuple[int, int]:
    """For two masks or fewer: the bits set in exactly one, and in both."""
    if not masks:
        return 0, 0
    if len(masks) == 1:
        return masks[0], 0
    return masks[0] ^ masks[1], masks[0] & masks[1]


def _bits(mask: int) -> list[int]:
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


def suppress_report(
    atoms: Sequence[Sequence[int]],
    figures: Mapping[Hashable, frozenset[int]],
    *,
    fixed: Iterable[Hashable] = (),
    threshold: int = DEFAULT_THRESHOLD,
) -> dict[Hashable, Shown]:
    """How each of `figures` (a key -> its set of atoms) may be shown.

    `atoms` is a table of counts (groups x columns); an atom's index is
    `group * columns + column` (see `rectangle`). Keys with the same atoms are one count,
    shown alike. `fixed` counts are shown elsewhere already (a total another table
    shows): they are never hidden here, and nothing may be protected by changing them.
    A fixed count from 1 to 10 is still hidden.
    """
    unique: dict[frozenset[int], int] = {}
    index = {key: unique.setdefault(frozenset(atoms_of), len(unique)) for key, atoms_of in figures.items()}
    problem = _Problem(atoms, list(unique), {index[k] for k in fixed}, threshold)
    problem.run()
    shown = {}
    for key, f in index.items():
        status, value = problem.status[f], problem.value[f]
        if status == FIXED:
            status = SHOWN
        label = {SHOWN: str(value), SMALL: f"<{threshold}", COMPLEMENT: "*"}[status]
        shown[key] = Shown(value, status, label)
    return shown
