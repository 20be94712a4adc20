"""A walk-in's pass shown on screen as a QR code (drawn with `qrcode`) for them to photograph."""

from __future__ import annotations

from pathlib import Path

import qrcode
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

# Two rows of modules per line of text: upper half, lower half, both, neither.
_HALVES = {(True, True): "\u2588", (True, False): "\u2580", (False, True): "\u2584", (False, False): " "}


def qr_lines(text: str) -> list[str]:
    """`text` as a QR code in half-block characters, dark modules drawn, one-module quiet zone
    (the panel around it is light, so phones see a wider one)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=1)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    return ["".join(_HALVES[(top, bottom)] for top, bottom in zip(matrix[y], matrix[y + 1])) for y in range(0, len(matrix), 2)]


class PassQRScreen(ModalScreen[None]):
    """The pass of `name` as a QR code; any of Enter, Escape or Space closes it."""

    CSS_PATH = [Path(__file__).with_name("pass_qr.tcss")]
    BINDINGS = [Binding("escape,enter,space", "close", "Close", priority=True)]

    def __init__(self, name: str, token: str) -> None:
        super().__init__()
        self.person_name = name
        self.token = token

    def compose(self) -> ComposeResult:
        with Vertical(id="pass-qr"):
            yield Static(f"Pass of {self.person_name}: photograph this code", id="pass-qr-title", markup=False)
            yield Static("\n".join(qr_lines(self.token)), id="pass-qr-code", markup=False)
            yield Static("It is their pass for today. Enter closes.", id="pass-qr-hint")

    def action_close(self) -> None:
        self.dismiss(None)
