"""A QR code drawn in text for a terminal (the pairing code on the coordinator's screen), with `qrcode`."""

from __future__ import annotations

import io

import qrcode


def terminal_qr(text: str) -> str:
    """`text` as a QR code in half-block characters, light modules drawn (for dark terminals)."""
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    qr.add_data(text)
    qr.make(fit=True)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue().rstrip("\n")
