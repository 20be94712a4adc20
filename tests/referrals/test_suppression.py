"""Small-cell suppression: small counts hidden, and never recoverable by subtraction."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.metrics.suppression import COMPLEMENT, suppress, suppress_count


def test_small_counts_show_as_less_than_eleven():
    assert suppress_count(0) == "0"
    assert suppress_count(1) == "<11"
    assert suppress_count(10) == "<11"
    assert suppress_count(11) == "11"


def test_one_row_with_a_single_small_cell_hides_a_second_cell():
    table = suppress([[40, 3, 25, 0]])
    assert table.row == ("40", "<11", COMPLEMENT, "0")
    assert table.row_totals == ("68",)


def test_two_small_cells_need_no_complement():
    assert suppress([[40, 3, 5, 20]]).row == ("40", "<11", "<11", "20")


def test_small_total_is_hidden_too():
    table = suppress([[3, 0]])
    assert table.row == ("<11", "0") and table.total == "<11"


def test_threshold_is_configurable():
    assert suppress([[4, 30, 30]], threshold=5).row == ("<5", COMPLEMENT, "30")


def _recoverable(rows, table) -> bool:
    """Whether some hidden cell is the only hidden entry of a line whose total is shown."""
    height, width = len(rows), len(rows[0])
    shown = [list(r) + [t] for r, t in zip(table.cells, table.row_totals)]
    shown.append(list(table.column_totals) + [table.total])
    lines = [[(r, c) for c in range(width + 1)] for r in range(height + 1)]
    lines += [[(r, c) for r in range(height + 1)] for c in range(width + 1)]
    for line in lines:
        hidden = [(r, c) for r, c in line if not shown[r][c].isdigit()]
        if len(hidden) == 1:
            return True
    return False


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 4).flatmap(lambda w: st.lists(st.lists(st.integers(0, 40), min_size=w, max_size=w), min_size=1, max_size=4)))
def test_no_hidden_cell_can_be_worked_out_from_one_line(rows):
    table = suppress(rows)
    assert not _recoverable(rows, table)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cells[r][c]
            if 0 < value < 11:
                assert cell == "<11"
            elif cell.isdigit():
                assert int(cell) == value
