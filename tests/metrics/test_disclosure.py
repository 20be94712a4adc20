"""Suppression of a whole report: every count from 1 to 10 hidden, and none of them derivable."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit.metrics.disclosure import rectangle, suppress_report
from tests.metrics.audit import derivable, nested_differences


def check_nothing_derivable(atoms, figures):
    shown = suppress_report(atoms, figures)
    width = len(atoms[0])
    flat = [v for row in atoms for v in row]
    published = {k: (figures[k], shown[k].label) for k in figures}
    values = {k: sum(flat[a] for a in figures[k]) for k in figures}
    for key, s in shown.items():
        assert s.value == values[key]
        if 0 < s.value < 11:
            assert s.label == "<11"
        elif not s.hidden:
            assert s.label == str(s.value)
    hidden = {k: figures[k] for k in figures if shown[k].hidden}
    small_differences = {
        k: atoms_of for k, atoms_of in nested_differences(published, values).items()
    }
    leaks = derivable(len(flat), published, {**hidden, **small_differences})
    assert not leaks, f"derivable: {leaks} from {published} (width {width})"
    return shown


def table_figures(height, width):
    """Cells, row totals, column totals and the grand total of a table."""
    figures = {("cell", r, c): rectangle([r], [c], width) for r in range(height) for c in range(width)}
    figures |= {("row", r): rectangle([r], range(width), width) for r in range(height)}
    figures |= {("column", c): rectangle(range(height), [c], width) for c in range(width)}
    figures["total"] = rectangle(range(height), range(width), width)
    return figures


def test_one_small_cell_in_a_row_with_its_total_hides_a_second_cell():
    shown = check_nothing_derivable([[40, 3, 25, 0]], table_figures(1, 4))
    assert [shown[("cell", 0, c)].label for c in range(4)] == ["40", "<11", "*", "0"]
    assert shown[("row", 0)].label == "68"


def test_two_small_cells_summing_to_what_only_ones_can_make_are_protected():
    # 1 + 1 = 2 with each at least 1 would pin both: a third cell has to be hidden.
    shown = check_nothing_derivable([[1, 1, 30]], table_figures(1, 3))
    assert shown[("cell", 0, 2)].label == "*"


def test_a_count_inside_another_is_hidden_when_their_difference_is_small():
    # attended 50, of whom 45 agreed to follow-up: "5 did not" must not be worked out.
    atoms = [[45, 5]]
    figures = {"attended": rectangle([0], [0, 1], 2), "followup": rectangle([0], [0], 2)}
    shown = check_nothing_derivable(atoms, figures)
    assert shown["attended"].label == "50" and shown["followup"].label == "*"


def test_zeros_are_shown():
    shown = check_nothing_derivable([[0, 30], [0, 12]], table_figures(2, 2))
    assert shown[("cell", 0, 0)].label == "0" and shown["total"].label == "42"


tables = st.integers(1, 4).flatmap(
    lambda w: st.lists(st.lists(st.integers(0, 30), min_size=w, max_size=w), min_size=1, max_size=4)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_no_hidden_cell_of_a_random_table_can_be_derived(rows):
    check_nothing_derivable(rows, table_figures(len(rows), len(rows[0])))


@st.composite
def linked_tables(draw):
    """A cross of two dimensions (like channel x month) by stage, published as two
    tables that share their stage totals, with cumulative stage counts (like the funnel)."""
    a, b, stages = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(2, 3))
    groups = [(i, j) for i in range(a) for j in range(b)]
    atoms = [draw(st.lists(st.integers(0, 14), min_size=stages, max_size=stages)) for _ in groups]
    figures = {}
    for dim, size in (("a", a), ("b", b)):
        for v in range(size):
            rows = [g for g, key in enumerate(groups) if key[0 if dim == "a" else 1] == v]
            for s in range(stages):
                figures[(dim, v, "reached", s)] = rectangle(rows, range(s, stages), stages)
    for s in range(stages):
        figures[("all", "reached", s)] = rectangle(range(len(groups)), range(s, stages), stages)
    return atoms, figures


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked_tables())
def test_no_hidden_count_of_random_linked_tables_can_be_derived(case):
    check_nothing_derivable(*case)


def test_the_per_practitioner_tables_use_the_same_protection():
    from fieldkit.metrics.suppression import COMPLEMENT, suppress

    # Before: "<11", "<11", 30 and a total of 32 gave both small cells away (1 + 1 = 2).
    assert suppress([[1, 1, 30]]).row == ("<11", "<11", COMPLEMENT)
