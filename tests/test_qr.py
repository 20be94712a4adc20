"""Vector QR codes: they render, decode and keep their quiet zone."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from printables.qr import QUIET_ZONE, dark_runs, draw_qr, qr_matrix


def render_pages(pdf: bytes, scale: float = 3.0):
    """Every page of `pdf` as a PIL image (pypdfium2)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=scale).to_pil() for page in document]
    finally:
        document.close()


def test_runs_cover_exactly_the_dark_modules():
    matrix = qr_matrix("FK1:HELLO WORLD")
    painted = {(y, x + i) for y, x, n in dark_runs(matrix) for i in range(n)}
    dark = {(y, x) for y, row in enumerate(matrix.rows) for x, cell in enumerate(row) if cell}
    assert painted == dark


@pytest.mark.parametrize("text", ["FK1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "FK1:" + "A7" * 72])
def test_drawn_code_decodes(text):
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    module = draw_qr(canvas, text, 100, 400, 160)
    canvas.showPage()
    canvas.save()
    assert module == pytest.approx(160 / (qr_matrix(text).size + 2 * QUIET_ZONE))
    (image,) = render_pages(buffer.getvalue())
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [text]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_one_path_per_code():
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=0)
    draw_qr(canvas, "FK1:ABC", 0, 0, 100)
    canvas.save()
    # One fill ('f') of the code plus one for the white quiet zone.
    content = buffer.getvalue()
    assert content.count(b" re") == 1 + sum(1 for _ in dark_runs(qr_matrix("FK1:ABC")))
