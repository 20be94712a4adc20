"""Shared fixtures: a real encrypted event database on tmp_path, closed after each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldkit.event import create_event
from fieldkit.event.template import load_template
from fieldkit.store import open_store
from tests.sample_dates import sample_events

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_EVENTS = sample_events()  # moved as far ahead of today as when the tests were written
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def template():
    return load_template(SAMPLE_EVENTS / "wellbeing-popup.toml")


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "event.db"


@pytest.fixture
def store(db_path, template):
    """A fresh coordinator database (SQLCipher) for the wellbeing pop-up."""
    created = create_event(db_path, template, PASSPHRASE, device_name="desk-1")
    yield created
    created.close()


@pytest.fixture
def reopen(db_path):
    """Open the same database again, as a restarted app would."""
    opened = []

    def _reopen(**kwargs):
        s = open_store(db_path, PASSPHRASE, **kwargs)
        opened.append(s)
        return s

    yield _reopen
    for s in opened:
        s.close()
