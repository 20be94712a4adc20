"""Passes as PNG images to send before the event: one per pass, each QR admits its holder, files private."""

from __future__ import annotations

import stat

import pytest
import zxingcpp
from PIL import Image

from fieldkit.people.registry import registration_for
from fieldkit.tokens import KeyRing, parse_token
from tests.test_passes import NOW, imported, run  # noqa: F401  (fixture)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_print_passes_png_writes_one_private_image_per_pass_whose_code_admits_its_holder(imported, db_path, tmp_path):
    store = imported
    folder = tmp_path / "to-send"
    result = run("print", "passes", "--db", db_path, "--png", folder)
    assert result.exit_code == 0, result.output
    assert f"Wrote 8 pass images to {folder}" in result.stdout and result.stderr == ""
    files = sorted(folder.iterdir())
    assert len(files) == 8 and all(f.suffix == ".png" for f in files)
    assert mode(folder) == 0o700 and {mode(f) for f in files} == {0o600}
    keyring = KeyRing.from_store(store)
    holders = set()
    for file in files:
        image = Image.open(file)
        [code] = zxingcpp.read_barcodes(image)
        token = parse_token(code.text, keyring, NOW)
        registration = registration_for(store, token.id)
        assert token.kind == "pass" and registration is not None
        # Named by the platform's own number, never by the person.
        assert file.stem == f"pass-{registration.source}-{registration.external_id}".replace(" ", "-")
        for part in registration.display_name.split():
            assert part not in file.name and part not in code.text
        assert not {k for k in image.info if k not in ("dpi", "gamma")}  # no text chunks riding along
        holders.add(registration.id)
    assert len(holders) == 8


def test_passes_as_pdf_and_png_at_once(imported, db_path, tmp_path):
    result = run("print", "passes", "--db", db_path, "--png", tmp_path / "png", "--out", tmp_path / "passes.pdf")
    assert result.exit_code == 0, result.output
    assert "8 pass images" in result.output and "8 passes on 1 page (A4)." in result.output
    assert (tmp_path / "passes.pdf").exists() and len(list((tmp_path / "png").iterdir())) == 8


def test_rerunning_replaces_the_images_and_keeps_them_private(imported, db_path, tmp_path):
    folder = tmp_path / "png"
    folder.mkdir()
    stale = folder / "pass-eventbrite-8880001.png"
    stale.write_bytes(b"old")
    stale.chmod(0o644)
    assert run("print", "passes", "--db", db_path, "--png", folder).exit_code == 0
    assert stale.read_bytes().startswith(b"\x89PNG") and mode(stale) == 0o600


@pytest.mark.parametrize(
    "args, said",
    [
        ((), "Say what to make: --out FILE.pdf to print the passes, --png FOLDER for images to send, or both."),
        (("--png", "{tmp}/missing/png"), "there is no folder {tmp}/missing; choose another --png path."),
    ],
)
def test_refusals_say_what_to_do_and_write_nothing(imported, db_path, tmp_path, args, said):
    result = run("print", "passes", "--db", db_path, *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 1 and said.format(tmp=tmp_path) in result.output
    assert not list(tmp_path.rglob("*.png")) and not (tmp_path / "missing").exists()
