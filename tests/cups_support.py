"""A real CUPS queue backed by cups-pdf (set up by .ci/setup-cups.sh), for printing tests."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from fieldkit.printing import PrintingUnavailable, list_printers

QUEUE = os.environ.get("FIELDKIT_CUPS_QUEUE", "fieldkit-pdf")
CUPS_PDF_CONF = Path("/etc/cups/cups-pdf.conf")


@dataclass(frozen=True)
class CupsPdfQueue:
    name: str
    out_dir: Path

    def wait_for_job(self, job_id: str, timeout_s: float = 60.0) -> Path:
        """The PDF cups-pdf wrote for `job_id` (its file names end in -job_N.pdf)."""
        number = job_id.rsplit("-", 1)[-1]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for path in self.out_dir.glob(f"*job_{number}.pdf"):
                # cups-pdf writes the file in place: wait until it ends with the PDF trailer.
                if path.stat().st_size and path.read_bytes().rstrip().endswith(b"%%EOF"):
                    return path
            time.sleep(0.2)
        raise AssertionError(f"cups-pdf wrote no PDF for {job_id} in {self.out_dir} within {timeout_s:.0f} s")


def _out_dir() -> Path | None:
    if os.environ.get("FIELDKIT_CUPS_PDF_OUT"):
        return Path(os.environ["FIELDKIT_CUPS_PDF_OUT"])
    if not CUPS_PDF_CONF.exists():
        return None
    for line in CUPS_PDF_CONF.read_text(encoding="utf-8", errors="replace").splitlines():
        found = re.match(r"^Out\s+(\S+)", line)
        if found and "${" not in found.group(1):
            return Path(found.group(1))
    return None


@pytest.fixture
def cups_pdf_queue() -> CupsPdfQueue:
    """The cups-pdf queue, or a skip that says why CUPS cannot be used here."""
    try:
        printers = list_printers()
    except PrintingUnavailable as exc:
        pytest.skip(f"CUPS cannot run here: {exc} (run .ci/setup-cups.sh as root)")
    if QUEUE not in [p.name for p in printers]:
        pytest.skip(f"CUPS has no {QUEUE} queue here (run .ci/setup-cups.sh as root)")
    out_dir = _out_dir()
    if out_dir is None or not out_dir.is_dir():
        pytest.skip(f"cups-pdf has no fixed output directory (Out in {CUPS_PDF_CONF}; run .ci/setup-cups.sh)")
    return CupsPdfQueue(QUEUE, out_dir)
