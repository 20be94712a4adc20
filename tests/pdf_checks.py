"""What tests read back from a PDF Field Kit wrote: its fonts, and where its text sits."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdf
import pypdfium2


def _fonts_of(resources, seen: set) -> list:
    """Every font dictionary the resources name, including those of nested forms."""
    found = []
    if resources is None:
        return found
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        found.append(font.get_object())
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form" and id(xobject) not in seen:
            seen.add(id(xobject))
            found += _fonts_of(xobject.get("/Resources"), seen)
    return found


def unembedded_fonts(pdf: bytes) -> set[str]:
    """The base names of fonts the PDF references without a FontFile2/FontFile3 of their own."""
    missing = set()
    seen: set = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in _fonts_of(page.get("/Resources"), seen):
            described = font
            if font.get("/Subtype") == "/Type0":
                described = font["/DescendantFonts"][0].get_object()
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if "/FontFile2" not in descriptor and "/FontFile3" not in descriptor:
                missing.add(str(font.get("/BaseFont")))
    return missing


def font_names(pdf: bytes) -> set[str]:
    """The base names of every font the PDF references."""
    seen: set = set()
    return {
        str(font.get("/BaseFont"))
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
        for font in _fonts_of(page.get("/Resources"), seen)
    }


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, origin at the page's lower left."""

    left: float
    bottom: float
    right: float
    top: float

    def overlaps(self, other: Box) -> bool:
        return self.left < other.right and other.left < self.right and self.bottom < other.top and other.bottom < self.top

    def inside(self, other: Box) -> bool:
        return other.left <= self.left and self.right <= other.right and other.bottom <= self.bottom and self.top <= other.top


def character_boxes(page: pypdfium2.PdfPage) -> list[tuple[str, Box]]:
    """Each visible character of the page with its glyph box (pdfium's text layer)."""
    text = page.get_textpage()
    boxes = []
    for index in range(text.count_chars()):
        char = text.get_text_range(index, 1)
        if char.strip():
            boxes.append((char, Box(*text.get_charbox(index))))
    return boxes


QUIET_ZONE_MODULES = 4


def qr_boxes(page: pypdfium2.PdfPage, scale: float = 4.0) -> list[tuple[str, Box]]:
    """Each QR code zxing-cpp reads on the rendered page: its text and its box in points,
    quiet zone included (the white margin a scanner needs is part of the code)."""
    import zxingcpp

    height = page.get_size()[1]
    found = []
    for result in zxingcpp.read_barcodes(page.render(scale=scale).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode):
        corners = [result.position.top_left, result.position.top_right, result.position.bottom_right, result.position.bottom_left]
        xs, ys = [c.x / scale for c in corners], [c.y / scale for c in corners]
        modules = 17 + 4 * int(result.extra["Version"])
        margin = QUIET_ZONE_MODULES * (max(xs) - min(xs)) / modules
        box = Box(min(xs) - margin, height - max(ys) - margin, max(xs) + margin, height - min(ys) + margin)
        found.append((result.text, box))
    return found
