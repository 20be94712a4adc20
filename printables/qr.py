"""QR codes drawn as vector paths on a reportlab canvas, from the `qrcode` matrix.

Each row's dark runs are merged into rectangles of one path, so a code is a single
fill operation: crisp at any size, small in the file and fast to draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the code, as the standard asks


@dataclass(frozen=True)
class QrMatrix:
    """The dark modules of a code, row by row, without the quiet zone."""

    rows: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        return len(self.rows)

    @property
    def size_with_quiet_zone(self) -> int:
        return self.size + 2 * QUIET_ZONE


def qr_matrix(text: str) -> QrMatrix:
    """Encode `text` at error correction M in the smallest version that fits.

    Field Kit tokens use only QR alphanumeric characters, so qrcode picks that mode.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(text, optimize=0)
    code.make(fit=True)
    return QrMatrix(tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix()))


def dark_runs(matrix: QrMatrix):
    """(row, first column, length) of every horizontal run of dark modules."""
    for y, row in enumerate(matrix.rows):
        x = 0
        width = len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                yield y, start, x - start
            else:
                x += 1


def draw_qr(canvas, text: str, x: float, y: float, size: float, *, quiet_zone: bool = True) -> float:
    """Draw the code for `text` with its lower-left corner at (x, y), `size` points wide
    including the quiet zone (painted white). Returns the module size in points."""
    matrix = qr_matrix(text)
    modules = matrix.size_with_quiet_zone if quiet_zone else matrix.size
    module = size / modules
    offset = QUIET_ZONE * module if quiet_zone else 0.0
    canvas.saveState()
    if quiet_zone:
        canvas.setFillColorRGB(1, 1, 1)
        canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    top = y + size - offset
    for row, column, length in dark_runs(matrix):
        # PDF's y axis points up; the matrix's first row is the top of the code.
        path.rect(x + offset + column * module, top - (row + 1) * module, length * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
    return module
