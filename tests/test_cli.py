"""The command line: every command documented, init/info/demo, refusals as sentences."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from fieldkit.checkin.desk import ADMITTED, Desk
from fieldkit.checkin.passes import pass_token
from fieldkit.cli import main
from fieldkit.cli.event import DEMO_PASSPHRASE, make_demo
from fieldkit.event.creation import load_event
from fieldkit.store import open_store
from tests.conftest import PASSPHRASE, REPO_ROOT, SAMPLE_EVENTS


def all_commands(group: click.Group, prefix: str = "fieldkit"):
    """Every command as `fieldkit --help` lists it: groups import their commands when asked."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from all_commands(command, path)


COMMANDS = list(all_commands(main))


def test_every_command_listed_is_the_command_of_that_name():
    # The top groups name their commands' modules (so one command does not import all the others).
    assert all(command is not None and path.split()[-1] == command.name for path, command in COMMANDS)
    assert len(COMMANDS) == 55
    assert {"fieldkit print passes", "fieldkit import outcomes", "fieldkit init", "fieldkit app"} <= dict(COMMANDS).keys()


@pytest.mark.parametrize("mistyped, meant", [(["chekin"], "'checkin'"), (["print", "pases"], "'passes'")])
def test_a_mistyped_command_gets_a_suggestion(mistyped, meant):
    # In a fresh process, where no command has been imported yet (this module imports them all).
    done = subprocess.run([sys.executable, "-m", "fieldkit", *mistyped], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "No such command" in done.stderr and "Did you mean" in done.stderr
    assert meant in done.stderr


@pytest.mark.parametrize("path, command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help_and_documented_options(path, command):
    assert command.help and command.help.strip(), f"{path} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{path} {param.opts[0]} has no help text"
    result = CliRunner().invoke(main, [*path.split()[1:], "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_every_command_is_in_the_docs(path):
    docs = "\n".join(p.read_text(encoding="utf-8") for p in (REPO_ROOT / "docs").glob("*.md"))
    docs += (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{path}" in docs, f"{path} is not documented in docs/ or README.md"


def run(*args, env=None, input=None):
    return CliRunner().invoke(main, list(args), env=env, input=input)


@pytest.fixture
def event_db(tmp_path):
    path = tmp_path / "cli.db"
    result = run("init", str(SAMPLE_EVENTS / "wellbeing-popup.toml"), "--db", str(path), env={"FIELDKIT_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    return path


def test_init_then_info_prints_counts(event_db):
    result = run("info", "--db", str(event_db), env={"FIELDKIT_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    assert "Northside Wellbeing Pop-up" in result.output
    assert "SQLCipher, encrypted" in result.output
    assert "registrations" in result.output and "people" in result.output


def test_passphrase_file_and_prompt(event_db, tmp_path):
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n")
    assert run("info", "--db", str(event_db), "--passphrase-file", str(secret)).exit_code == 0
    prompted = run("info", "--db", str(event_db), input=PASSPHRASE + "\n", env={"FIELDKIT_PASSPHRASE": ""})
    assert prompted.exit_code == 0, prompted.output


def test_wrong_passphrase_is_one_sentence_and_non_zero(event_db):
    before = event_db.read_bytes()
    result = run("info", "--db", str(event_db), env={"FIELDKIT_PASSPHRASE": "wrong"})
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: The passphrase does not open")
    assert len(result.output.strip().splitlines()) == 1
    assert event_db.read_bytes() == before


def test_init_with_a_bad_template_names_file_and_field(tmp_path):
    bad = tmp_path / "x.toml"
    bad.write_text((SAMPLE_EVENTS / "wellbeing-popup.toml").read_text().replace('page_size = "A4"', 'page_size = "A5"'))
    result = run("init", str(bad), "--db", str(tmp_path / "x.db"), env={"FIELDKIT_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 1
    assert "x.toml: event.page_size: expected A4 or Letter" in result.output
    assert not (tmp_path / "x.db").exists()


def test_import_registrations_counts_and_is_idempotent(event_db):
    env = {"FIELDKIT_PASSPHRASE": PASSPHRASE}
    csv_file = str(SAMPLE_EVENTS / "wellbeing-popup-registrations.csv")
    first = run("import", "registrations", csv_file, "--db", str(event_db), env=env)
    assert first.exit_code == 0, first.output
    assert "Recognised an Eventbrite export" in first.output and "44 imported" in first.output
    again = run("import", "registrations", csv_file, "--db", str(event_db), env=env)
    assert "0 imported, 44 already here" in again.output


def test_demo_database_has_the_sample_registrations(tmp_path):
    path = make_demo(tmp_path / "demo")
    result = run("info", "--db", str(path), env={"FIELDKIT_PASSPHRASE": DEMO_PASSPHRASE})
    assert result.exit_code == 0
    assert "registrations" in result.output and "44" in result.output


def test_python_dash_m_fieldkit_and_demo_no_app(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "demo", "--no-app"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"Demo passphrase: {DEMO_PASSPHRASE}" in done.stdout
    assert (Path(tmp_path) / "fieldkit" / "demo" / "demo.db").exists()


def test_the_demo_event_is_under_way_whatever_day_it_is_made(tmp_path):
    # Long after the sample's own date: the demo's passes still admit, its event runs now.
    made = datetime(2027, 6, 14, 14, 20, tzinfo=timezone.utc)
    later = int(made.timestamp() * 1000) + 5 * 60_000
    store = open_store(make_demo(tmp_path / "demo", now=made), DEMO_PASSPHRASE, wall=lambda: later)
    try:
        event = load_event(store).template.event
        assert (event.starts.hour, event.starts.minute) == (14, 0)  # 13:00 UTC is 14:00 in London in June
        assert event.ends - event.starts == timedelta(hours=6)  # as long as the sample's
        registration = store.db.execute("SELECT id FROM registrations LIMIT 1").fetchone()[0]
        assert Desk(store).scan(pass_token(store, registration)).status == ADMITTED
    finally:
        store.close()
