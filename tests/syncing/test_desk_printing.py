"""A desk that has not synced yet is told to sync, not to import, when it prints passes."""

from __future__ import annotations

from click.testing import CliRunner

from fieldkit.cli import main
from tests.syncing.conftest import PASSPHRASE


def test_passes_on_an_unsynced_desk_say_to_sync_first(enroll, tmp_path):
    desk = enroll("desk-1", "desk")
    path = desk.path
    desk.close()
    out = tmp_path / "passes.pdf"
    result = CliRunner().invoke(
        main, ["print", "passes", "--db", str(path), "--out", str(out)], env={"FIELDKIT_PASSPHRASE": PASSPHRASE}
    )
    assert result.exit_code == 1
    assert "sync with the coordinator's laptop" in result.output
    assert "import" not in result.output
    assert not out.exists()
