"""The one way a printable starts a PDF: every font it references is embedded.

reportlab opens each page by setting its initial font, Helvetica unless told otherwise,
and Helvetica is never embedded: print-shop preflight rejects such a file. Starting the
canvas on the embedded TrueType font leaves no unembedded font in any Field Kit PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas

from printables.fonts import fonts

PAGE_SIZES = {"A4": A4, "Letter": LETTER}


def new_canvas(out: str | Path | BinaryIO, size: tuple[float, float], *, title: str, compress: bool = True) -> Canvas:
    """A canvas writing to `out` whose pages start on the embedded regular font."""
    canvas = Canvas(
        str(out) if isinstance(out, Path) else out,
        pagesize=size,
        invariant=1,
        pageCompression=None if compress else 0,
        initialFontName=fonts().regular,
    )
    canvas.setTitle(title)
    canvas.setCreator("Field Kit")
    return canvas
