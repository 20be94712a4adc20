"""The one way Field Kit writes a CSV file: cells a spreadsheet would run as formulas stay text.

Survey options, intent categories and practitioner names come from templates that travel
between communities, so a cell such as `=HYPERLINK(...)` must not become a live formula
on the coordinator's laptop (OWASP, CSV injection): a text cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return is written with a leading single quote, which
spreadsheets show as text. `excel=True` starts the file with a UTF-8 byte order mark,
without which Excel reads Greek and Cyrillic as mojibake.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def as_text(value: object) -> object:
    """`value` as a spreadsheet will read it safely: a formula-looking string gets a leading `'`.

    Numbers pass unchanged, written as numbers or as text (-5, "-0.0312": a spreadsheet
    reads a number, runs nothing); "-2+3" is not a plain number and is neutralised.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class CsvRows:
    """Rows going into one CSV file, every cell through `as_text`."""

    def __init__(self, writer, columns: Sequence[str] | None):
        self._writer = writer
        self._columns = columns

    def write(self, row: Mapping[str, object] | Sequence[object]) -> None:
        """One row: a mapping by column name (missing columns are empty), or the cells in order."""
        if isinstance(row, Mapping):
            if self._columns is None:
                raise TypeError("a row by column name needs the file's columns")
            row = [row.get(column, "") for column in self._columns]
        self._writer.writerow([as_text(cell) for cell in row])


@contextlib.contextmanager
def csv_file(out: Path, columns: Sequence[str] | None = None, *, excel: bool = False) -> Iterator[CsvRows]:
    """Write `out` (the header first when `columns` are given); the file appears whole or not at all."""
    partial = out.with_name(out.name + ".partial")
    try:
        with open(partial, "w", newline="", encoding="utf-8-sig" if excel else "utf-8") as handle:
            writer = csv.writer(handle)
            if columns is not None:
                writer.writerow([as_text(column) for column in columns])
            yield CsvRows(writer, columns)
        partial.replace(out)  # a half-written export never looks like a whole one
    finally:
        partial.unlink(missing_ok=True)
