"""The one font lookup every printable shares: a TTF with Latin, Greek and Cyrillic.

reportlab's built-in fonts cover Latin-1 only, so names like Ελένη or Олена need an
embedded TrueType font. DejaVu Sans is on most Linux laptops (Debian/Ubuntu package
`fonts-dejavu-core`); FIELDKIT_FONT_DIR points elsewhere when it is not.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from fieldkit.errors import Refused

FONT_DIR_ENV = "FIELDKIT_FONT_DIR"
_SEARCH_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    str(Path.home() / "Library" / "Fonts"),
    str(Path.home() / ".local" / "share" / "fonts"),
    "C:/Windows/Fonts",
)
_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}


class FontMissing(Refused):
    """No font with Greek and Cyrillic was found; str() says how to install one."""

    code = "font_missing"


@dataclass(frozen=True)
class Fonts:
    """reportlab font names to pass to `setFont`."""

    regular: str
    bold: str


def _find(filename: str) -> Path | None:
    dirs = [os.environ[FONT_DIR_ENV]] if os.environ.get(FONT_DIR_ENV) else []
    for directory in (*dirs, *_SEARCH_DIRS):
        candidate = Path(directory) / filename
        if candidate.is_file():
            return candidate
    return None


def font_file(style: str) -> Path:
    """The TrueType file of `style` ("regular" or "bold"); FontMissing when there is none."""
    filename = _FILES[style]
    path = _find(filename)
    if path is None:
        raise FontMissing(
            f"The font {filename} was not found: install it (`apt-get install fonts-dejavu-core`) "
            f"or set {FONT_DIR_ENV} to a folder that holds it."
        )
    return path


@functools.cache
def fonts() -> Fonts:
    """Register DejaVu Sans (regular and bold) with reportlab once and name them."""
    names = {}
    for style in _FILES:
        name = f"FieldKit-{style}"
        pdfmetrics.registerFont(TTFont(name, str(font_file(style))))
        names[style] = name
    pdfmetrics.registerFontFamily("FieldKit", normal=names["regular"], bold=names["bold"])
    return Fonts(**names)


def fit_font_size(text: str, font: str, width: float, largest: float, smallest: float = 6.0) -> float:
    """The largest size (down to `smallest`) at which `text` fits in `width` points."""
    measured = pdfmetrics.stringWidth(text, font, largest)
    if measured <= width:
        return largest
    return max(smallest, largest * width / measured)


def clipped(text: str, font: str, size: float, width: float) -> str:
    """`text` as it fits in `width` points at `size`: whole, or cut with an ellipsis (a name
    too long even at the smallest size must not run over what is beside it)."""
    if pdfmetrics.stringWidth(text, font, size) <= width + 0.01:  # (fit_font_size's size fits to rounding)
        return text
    while len(text) > 1 and pdfmetrics.stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"
