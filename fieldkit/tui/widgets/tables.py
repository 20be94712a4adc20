"""What the screens' tables share: the key of the row the cursor is on."""

from __future__ import annotations

from textual.widgets import DataTable


def selected_key(table: DataTable) -> str | None:
    """The key of the row under the cursor, None for an empty table."""
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
