"""QR codes drawn as vector paths on a reportlab canvas.

Each row's dark runs are merged into rectangles of one path, so a code is a single
fill operation: crisp at any size, small in the file and fast to draw. The module
matrix comes from zxing-cpp's encoder (C++, 0.05 ms a code with a fixed mask; the
pure-Python `qrcode` needs 6 ms, which would not let 1,000 referral cards print
within their 1 s budget).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import zxingcpp

QUIET_ZONE = 4  # modules of white around the code, as the standard asks
# Scoring all eight mask patterns is most of the encoder's time; every mask decodes, and
# a fixed one makes a code 0.05 ms instead of 0.35. (zxing-cpp 3.1 reads the mask only
# after another key, hence ecLevel first; if it ignored both, codes would still be
# right, only slower.)
_FIXED_MASK = "ecLevel=M,dataMask=0"


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

    Field Kit tokens use only QR alphanumeric characters, so the encoder picks that mode.
    """
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M", options=_FIXED_MASK)
    image = code.to_image(scale=1, add_quiet_zones=False)
    pixels, size = bytes(image), image.shape[1]
    dark = (0).__eq__  # the image is 8-bit grey: 0 is a dark module
    return QrMatrix(tuple(tuple(map(dark, pixels[r * size : (r + 1) * size])) for r in range(size)))


_DARK_RUN = re.compile(b"\x01+")


def dark_runs(matrix: QrMatrix):
    """(row, first column, length) of every horizontal run of dark modules."""
    for y, row in enumerate(matrix.rows):
        for run in _DARK_RUN.finditer(bytes(row)):
            yield y, run.start(), run.end() - run.start()


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
    # In module units with y pointing down (the matrix's first row is the top of the
    # code), every rectangle is four small integers: fast to write, small in the file.
    canvas.transform(module, 0, 0, -module, x + offset, y + size - offset)
    ops = []
    for row, cells in enumerate(matrix.rows):
        y_ = f" {row} "
        ops += [f"{run.start()}{y_}{run.end() - run.start()} 1 re" for run in _DARK_RUN.finditer(bytes(cells))]
    canvas.addLiteral(" ".join(ops) + " f")
    canvas.restoreState()
    return module
