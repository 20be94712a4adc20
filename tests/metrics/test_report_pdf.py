"""The PDF report for funders: A4 and Letter, charts and tables, nothing the tables would not show."""

from __future__ import annotations

import ast

import pytest
from pypdf import PdfReader

from fieldkit.metrics.pdf import write_pdf
from tests.conftest import REPO_ROOT
from tests.pdf_checks import font_names, unembedded_fonts


@pytest.mark.parametrize(("size", "width"), [("A4", 595), ("Letter", 612)])
def test_the_report_prints_on_a4_and_letter(day, tmp_path, size, width):
    _, expected, doc = day
    out = tmp_path / f"report-{size}.pdf"
    pages = write_pdf(doc, out, size)
    reader = PdfReader(out)
    assert len(reader.pages) == pages >= 1
    assert round(float(reader.pages[0].mediabox.width)) == width
    words = " ".join(page.extract_text() for page in reader.pages)
    assert f"{expected.attended} people came" in words
    assert "The referral funnel" in words and "Time to a first session" in words
    assert "<11" in words  # the small arrivals and intent counts, labelled, not drawn
    # Every font the report names is embedded (DejaVu Sans: names in any script print; the
    # charts' default, Helvetica, would be named without its font file).
    assert font_names(out.read_bytes()) and unembedded_fonts(out.read_bytes()) == set()


def test_printables_take_plain_data():
    tree = ast.parse((REPO_ROOT / "printables" / "report.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.startswith(("fieldkit", "textual"))}


def test_the_command_line_writes_the_pdf(cli, tmp_path):
    code, out = cli("report", "--pdf", str(tmp_path / "report.pdf"), "--page-size", "Letter")
    assert code == 0 and (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert f"to {tmp_path / 'report.pdf'}." in out
    code, out = cli("report", "--pdf", str(tmp_path / "missing" / "report.pdf"))
    assert code == 1 and "does not exist" in out
