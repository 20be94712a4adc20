"""Every key a footer offers is whole at 80x24, on the coordinator's laptop (the most keys):
in each mode, and on the check-in screen once a person is admitted (consent and person keys)."""

from __future__ import annotations

import contextlib

import pytest
from textual.widgets._footer import FooterKey

from fieldkit.checkin.passes import pass_token
from fieldkit.tui.app import FieldKitApp
from tests.tui.test_snapshots import SIZE, _registration, demo  # noqa: F401 (fixture)

WIDTH = SIZE[0]


def _cut(app) -> list[str]:
    keys = list(app.screen.query(FooterKey))
    assert keys, "the footer shows no key"
    return [f"{k.key_display or k.key} {k.description}" for k in keys if k.region.right > WIDTH or not k.region.width]


@contextlib.asynccontextmanager
async def _in_mode(store, key: str):
    """The coordinator's app at 80x24, in the mode `key` opens."""
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause(0.2)
        yield app, pilot


@pytest.mark.parametrize("mode", ["f1", "f2", "f3", "f4", "f5", "f6"])
async def test_every_footer_key_fits_80_columns(demo, mode):  # noqa: F811
    async with _in_mode(demo, mode) as (app, _pilot):
        assert _cut(app) == []


async def test_the_footer_fits_with_an_admitted_persons_keys(demo):  # noqa: F811
    async with _in_mode(demo, "f2") as (app, pilot):
        app.screen.box.value = pass_token(demo, _registration(demo, "Ana Silva"))
        await pilot.press("enter")
        await pilot.pause(0.2)
        shown = {k.description for k in app.screen.query(FooterKey)}
        assert {"Consent", "Person"} <= shown  # the keys that appear only once someone is admitted
        assert _cut(app) == []


async def test_the_palette_names_what_a_short_footer_word_stands_for(demo):  # noqa: F811
    async with _in_mode(demo, "f4") as (app, _pilot):
        titles = {command.title: command.help for command in app.get_system_commands(app.screen)}
        assert titles["Print the chosen referral's card"] == "Key: ^k"
        assert "Print" not in titles
