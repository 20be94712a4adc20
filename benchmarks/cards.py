"""1,000 referral cards, each with its own signed QR code, to PDF; against the same layout
without QR codes and against the naive way (a raster PNG from `qrcode.make` per card).

Budget (DESIGN.md): <= 1 s, and every QR decodes (checked here on the measured PDF).
All three are measured in the same run, so the ratios hold on any machine. The signed
codes are made inside the timed part: signing is part of printing a card.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from fieldkit import keys, tokens  # noqa: E402
from fieldkit.referrals import codes as referral_codes
from fieldkit.store import new_id  # noqa: E402
from printables.referral_cards import CardBatch, ReferralCard, render_cards  # noqa: E402

BATCH = CardBatch(
    heading="Your next step",
    text="Bring this card or quote its code when you book. It carries no personal details.",
    event="Northside Wellbeing Pop-up · Saturday 5 December 2026",
)


def make_cards(signer: keys.Signer, card_ids: list[str], codes: list[str]) -> list[ReferralCard]:
    return [
        ReferralCard(token=tokens.sign_token(signer, tokens.REFERRAL, card_id), short_code=code)
        for card_id, code in zip(card_ids, codes)
    ]


def no_qr(canvas, text, x, y, size) -> None:
    """The floor: the same cards with nothing where the code goes."""


def naive_qr(canvas, text, x, y, size) -> None:
    """What a first version would do: a PNG per card from qrcode.make, placed as an image."""
    import qrcode
    from reportlab.lib.utils import ImageReader

    image = qrcode.make(text)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    canvas.drawImage(ImageReader(buffer), x, y, size, size)


def timed(signer, card_ids, codes, qr_drawer=None) -> tuple[float, bytes]:
    out = io.BytesIO()
    start = time.perf_counter()
    cards = make_cards(signer, card_ids, codes)
    kwargs = {"qr_drawer": qr_drawer} if qr_drawer else {}
    render_cards(BATCH, cards, out, **kwargs)
    return time.perf_counter() - start, out.getvalue()


def end_to_end(count: int, runs: int) -> float:
    """`fieldkit print referral-cards --blank N` in-process: fresh codes recorded as facts
    in an encrypted event database, signed, drawn and written."""
    import tempfile

    from benchmarks._event import sample_template
    from fieldkit.event import create_event
    from fieldkit.referrals.cards import print_cards

    with tempfile.TemporaryDirectory() as folder:
        store = create_event(Path(folder) / "event.db", sample_template(), "bench-passphrase")
        try:
            print_cards(store, io.BytesIO(), blank=10)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                print_cards(store, io.BytesIO(), blank=count)
                times.append(time.perf_counter() - start)
        finally:
            store.close()
    return statistics.median(times)


def decoded(pdf: bytes) -> list[str]:
    import pypdfium2
    import zxingcpp

    texts = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            image = page.render(scale=1.5, grayscale=True).to_pil()
            texts += [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    finally:
        document.close()
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000, help="cards per PDF")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (the median is reported)")
    parser.add_argument("--naive-runs", type=int, default=1, help="runs of the slow naive way")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 cards, 1 run each")
    args = parser.parse_args()
    count, runs = (20, 1) if args.quick else (args.cards, args.runs)

    signer = keys.Signer(Ed25519PrivateKey.generate(), "0badc0de", new_id())
    card_ids = [new_id() for _ in range(count)]
    codes = [referral_codes.display(referral_codes.new_short_code()) for _ in card_ids]
    timed(signer, card_ids[:10], codes[:10])  # load fonts and warm caches outside the timing

    with_qr, floor, pdf = [], [], b""
    for _ in range(runs):
        seconds, pdf = timed(signer, card_ids, codes)
        with_qr.append(seconds)
        floor.append(timed(signer, card_ids, codes, no_qr)[0])
    naive = [timed(signer, card_ids, codes, naive_qr)[0] for _ in range(1 if args.quick else args.naive_runs)]

    whole = end_to_end(count, runs)
    texts = decoded(pdf)
    valid = sum(1 for t in texts if t.startswith(tokens.PREFIX))
    cards = make_cards(signer, card_ids, codes)
    wanted = {c.token for c in cards}
    good = len(set(texts) & wanted)

    q, f, n = statistics.median(with_qr), statistics.median(floor), statistics.median(naive)
    print(f"cards                     {count}")
    print(f"vector QR (median of {runs})   {q:.3f} s   ({q / count * 1000:.3f} ms a card; budget 1 s for 1000)")
    print(f"same layout, no QR        {f:.3f} s")
    print(f"naive PNG per card        {n:.3f} s")
    print(f"with recording the codes  {whole:.3f} s   (print_cards on an encrypted event database)")
    print(f"ratio  vector / no QR     {q / f:.2f}x")
    print(f"ratio  naive / vector     {n / q:.2f}x")
    print(f"PDF size                  {len(pdf) / 1e6:.2f} MB")
    print(f"QR decoded                {good} of {count} ({valid} FK1 codes read)")
    if good != count:
        sys.exit(f"only {good} of {count} QR codes decoded to their card's code")


if __name__ == "__main__":
    main()
