"""CSV files open in a spreadsheet as text: no formula runs, Greek and Cyrillic read right with --excel."""

from __future__ import annotations

import csv

import pytest

from fieldkit.csv_export import as_text, csv_file

ATTACKS = ["=HYPERLINK(\"http://x.example\",\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tsecret", "\r=1"]


@pytest.mark.parametrize("cell", ATTACKS)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(tmp_path, cell):
    out = tmp_path / "out.csv"
    with csv_file(out, ["answer"]) as rows:
        rows.write({"answer": cell})
    [row] = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert row["answer"] == "'" + cell


def test_ordinary_cells_and_numbers_are_unchanged(tmp_path):
    out = tmp_path / "out.csv"
    with csv_file(out, ["a", "b", "c", "d"]) as rows:
        rows.write({"a": "Stress; Sleep", "b": -5, "c": "e-mail", "d": "-0.0312"})
        rows.write({"a": "Γιώργος"})
    assert out.read_text(encoding="utf-8").splitlines() == ["a,b,c,d", "Stress; Sleep,-5,e-mail,-0.0312", "Γιώργος,,,"]
    assert as_text(-5) == -5 and as_text(None) is None
    assert [as_text(n) for n in ("+5", "-1.5e3", ".5")] == ["+5", "-1.5e3", ".5"]


def test_excel_gets_a_byte_order_mark_and_plain_files_do_not(tmp_path):
    for excel, start in ((True, b"\xef\xbb\xbfname"), (False, b"name")):
        out = tmp_path / f"{excel}.csv"
        with csv_file(out, ["name"], excel=excel) as rows:
            rows.write({"name": "Олена"})
        assert out.read_bytes().startswith(start)
        assert out.read_bytes().count(b"\xef\xbb\xbf") == (1 if excel else 0)


def test_a_failed_export_leaves_no_file(tmp_path):
    out = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), csv_file(out, ["name"]) as rows:
        rows.write({"name": "Ana"})
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []
