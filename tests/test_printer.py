"""Printing through CUPS: parsing lp/lpstat, the no-CUPS fallback, and a real cups-pdf queue."""

from __future__ import annotations

import shutil

import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from fieldkit import printing as printer
from fieldkit.printing import PrintingUnavailable, parse_job_id, parse_printers, print_pdf
from tests.cups_support import cups_pdf_queue  # noqa: F401  (fixture)


@pytest.fixture
def pdf(tmp_path):
    path = tmp_path / "hello.pdf"
    page = canvas.Canvas(str(path))
    page.drawString(72, 720, "Field Kit printer test")
    page.save()
    return path


def test_parse_job_id():
    assert parse_job_id("request id is fieldkit-pdf-12 (1 file(s))\n") == "fieldkit-pdf-12"
    assert parse_job_id("lp: Error - The printer or class does not exist.") is None


def test_parse_printers():
    listed = (
        "printer desk-laser is idle.  enabled since Sat 05 Dec 2026 09:00:00\n"
        "printer labels now printing labels-3.  enabled since Sat 05 Dec 2026 09:01:00\n"
        "printer old-inkjet disabled since Sat 05 Dec 2026 08:00:00 -\n"
        "\treason unknown\n"
    )
    found = parse_printers(listed, "system default destination: labels\n")
    assert [(p.name, p.state, p.is_default) for p in found] == [
        ("desk-laser", "idle", False),
        ("labels", "printing", True),
        ("old-inkjet", "disabled", False),
    ]
    assert parse_printers("", "no system default destination\n") == []


def test_without_cups_the_pdf_is_kept_and_its_path_said(pdf, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(PrintingUnavailable, match="not installed"):
        printer.list_printers()
    outcome = print_pdf(pdf, "desk-laser")
    assert not outcome.printed and outcome.job_id is None
    assert str(pdf.resolve()) in outcome.message and "not installed" in outcome.message
    assert pdf.exists()


@pytest.mark.skipif(shutil.which("lpstat") is None, reason="the CUPS client (lpstat) is not installed here")
def test_with_the_scheduler_unreachable_the_pdf_is_kept(pdf, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", "127.0.0.1:9")  # nothing listens on the discard port
    outcome = print_pdf(pdf, "desk-laser")
    assert not outcome.printed
    assert "not running" in outcome.message and str(pdf.resolve()) in outcome.message


def test_an_unknown_printer_lists_the_ones_there(pdf, cups_pdf_queue):  # noqa: F811
    outcome = print_pdf(pdf, "no-such-printer")
    assert not outcome.printed
    assert "no printer named no-such-printer" in outcome.message
    assert cups_pdf_queue.name in outcome.message and str(pdf.resolve()) in outcome.message


def test_printing_through_a_real_cups_pdf_queue(pdf, cups_pdf_queue):  # noqa: F811
    outcome = print_pdf(pdf, cups_pdf_queue.name, title="fieldkit printer test")
    assert outcome.printed, outcome.message
    assert outcome.job_id.startswith(f"{cups_pdf_queue.name}-")
    produced = cups_pdf_queue.wait_for_job(outcome.job_id)
    assert "Field Kit printer test" in PdfReader(produced).pages[0].extract_text()
