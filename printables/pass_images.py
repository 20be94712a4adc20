"""Attendee passes as PNG images (Pillow), one file per pass, for sending before the event.

An image shows what the printed pass shows and nothing more: the event, the person's
name, their ticket type and the QR code of the signed pass token. Files are written
readable by their owner only (0600): each one admits its holder at the desk.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from printables.fonts import font_file
from printables.passes import HINT, PassCard, PassSheet
from printables.qr import QUIET_ZONE, qr_matrix

WIDTH = 720  # pixels: sharp on a phone, small enough to mail
PADDING = 40
MODULE_PX = 12  # a version 6 code with its quiet zone is 588 px wide
INK, GREY, PAPER = 0, 90, 255
FILE_MODE = 0o600


def qr_image(text: str, module_px: int = MODULE_PX) -> Image.Image:
    """The code for `text` as a greyscale image, `module_px` pixels a module, quiet zone included."""
    matrix = qr_matrix(text)
    dark = bytes(INK if module else PAPER for row in matrix.rows for module in row)
    image = Image.new("L", (matrix.size_with_quiet_zone,) * 2, PAPER)
    image.paste(Image.frombytes("L", (matrix.size, matrix.size), dark), (QUIET_ZONE, QUIET_ZONE))
    side = image.width
    return image.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)


def _font(style: str, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(style)), round(size))


def _fitted(text: str, style: str, largest: float, width: float) -> ImageFont.FreeTypeFont:
    """The bold or regular font at the largest size (down to a third) at which `text` fits."""
    font = _font(style, largest)
    measured = font.getlength(text)
    return font if measured <= width else _font(style, max(largest / 3, largest * width / measured))


def _wrapped(text: str, font: ImageFont.FreeTypeFont, width: float, most: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines[:most]


def _name_lines(name: str, width: float) -> list[str]:
    """A long name on two lines rather than one tiny one; never a word dropped."""
    lines = _wrapped(name, _font("bold", 52), width, 3)
    return lines if len(lines) <= 2 else [name]


def pass_image(sheet: PassSheet, card: PassCard) -> Image.Image:
    """One pass, portrait: event, name, ticket, then the code and how to use it."""
    code = qr_image(card.token)
    text_w = WIDTH - 2 * PADDING
    rows: list[tuple[str, ImageFont.FreeTypeFont, int]] = [
        (sheet.event_name, _fitted(sheet.event_name, "bold", 34, text_w), INK),
        *((line, _font("regular", 24), GREY) for line in _wrapped(f"{sheet.when}. {sheet.venue}", _font("regular", 24), text_w, 3)),
        *((line, _fitted(line, "bold", 52, text_w), INK) for line in _name_lines(card.name, text_w)),
    ]
    if card.ticket:
        rows.append((card.ticket, _fitted(card.ticket, "regular", 28, text_w), INK))
    heights = [font.getbbox("ÉgЙ")[3] + 14 for _, font, _ in rows]
    hint = _fitted(HINT, "regular", 24, text_w)
    height = PADDING + sum(heights) + 16 + code.height + 8 + hint.getbbox(HINT)[3] + PADDING
    image = Image.new("L", (WIDTH, height), PAPER)
    draw = ImageDraw.Draw(image)
    y = PADDING
    for (text, font, shade), line_h in zip(rows, heights):
        draw.text((PADDING, y), text, font=font, fill=shade)
        y += line_h
    y += 16
    image.paste(code, ((WIDTH - code.width) // 2, y))
    y += code.height + 8
    draw.text(((WIDTH - hint.getlength(HINT)) / 2, y), HINT, font=hint, fill=GREY)
    return image


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path`, readable by its owner only, replacing any earlier file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)  # an older file keeps its mode through O_CREAT
        handle.write(data)


def write_pass_images(sheet: PassSheet, cards: Mapping[str, PassCard], directory: Path) -> list[Path]:
    """Write `directory/STEM.png` for every (stem, card) of `cards` (the folder is made,
    owner only, if missing; its parent must exist); returns the files written."""
    directory.mkdir(mode=0o700, exist_ok=True)
    written = []
    for stem, card in cards.items():
        buffer = BytesIO()
        pass_image(sheet, card).save(buffer, format="PNG", optimize=True)
        path = directory / f"{stem}.png"
        _write_private(path, buffer.getvalue())
        written.append(path)
    return written
