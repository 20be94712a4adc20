"""Fixtures for the measurement tests: the wellbeing event's database, some months after the event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from fieldkit import metrics
from fieldkit.cli import main
from fieldkit.event import create_event
from fieldkit.event.template import load_template
from fieldkit.store import open_store
from tests.conftest import PASSPHRASE
from tests.metrics import clinic_day
from tests.referrals.conftest import Clock
from tests.sample_dates import SAMPLE_EVENTS_AS_WRITTEN as SAMPLE_EVENTS  # every clock here is pinned

REPORT_DATE = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
REPORT_AT = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def template():
    """The wellbeing template as its file has it: these tests pin every clock to its dates."""
    return load_template(SAMPLE_EVENTS / "wellbeing-popup.toml")


@pytest.fixture
def clock():
    return Clock(REPORT_DATE)


@pytest.fixture
def clinic(db_path, template, clock):
    """The wellbeing event's database (event on 5 December 2026), opened on 1 March 2027."""
    create_event(db_path, template, PASSPHRASE, device_name="coordinator").close()
    store = open_store(db_path, PASSPHRASE, wall=clock)
    yield store
    store.close()


@pytest.fixture
def cli(db_path, template, monkeypatch):
    """Run `fieldkit ... --db event.db` in-process; returns (exit code, output)."""
    create_event(db_path, template, PASSPHRASE, device_name="coordinator").close()
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, [*args, "--db", str(db_path)])
        return result.exit_code, result.output

    return run


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """A clinic day played through the domain, what it should count, and its report."""
    path = tmp_path_factory.mktemp("day") / "event.db"
    create_event(path, load_template(SAMPLE_EVENTS / "wellbeing-popup.toml"), PASSPHRASE).close()
    clock = Clock(clinic_day.EVENT_START)
    store = open_store(path, PASSPHRASE, wall=clock)
    expected = clinic_day.play(store, clock)
    doc = metrics.build(metrics.collect(store, metrics.Scope(REPORT_AT)))
    yield store, expected, doc
    store.close()
