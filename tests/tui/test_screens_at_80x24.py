"""The practitioner's screens at 80x24: a person is found from home, choices and problems show in words."""

from __future__ import annotations

import contextlib

from textual.widgets import RadioSet, Static

from fieldkit.people.registry import add_person
from fieldkit.tui.app import FieldKitApp
from fieldkit.tui.screens.consent import ConsentScreen
from fieldkit.tui.screens.person import PersonScreen

SIZE = (80, 24)


def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


@contextlib.asynccontextmanager
async def consent_screen(store):
    """The app at 80x24 on the consent screen of a new person."""
    pid = add_person(store, "Ana Silva")
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_consent(pid)
        await pilot.pause()
        yield app, pilot


async def test_home_finds_a_person_by_name_and_opens_their_consent_page(store):
    # Both fold to "olena ...": the Latin spelling finds the Cyrillic one too, sorted by the folded name.
    olena_k = add_person(store, "Олена Коваленко")
    add_person(store, "Olena Bondar")
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"olena")
        await pilot.pause()
        await pilot.press("down", "enter")  # the second match
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen) and app.screen.person_id == olena_k
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, ConsentScreen)
        assert "Олена Коваленко" in shown(app, "#consent-person")


async def test_home_says_in_words_when_nobody_matches(store):
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"zzz", "enter")
        await pilot.pause()
        assert "Nobody called \u201czzz\u201d is registered" in shown(app, "#home-message")
        assert not isinstance(app.screen, PersonScreen)


async def test_the_chosen_answer_shows_without_colour(store):
    async with consent_screen(store) as (app, pilot):
        choice = app.screen.query_one("#choice-0", RadioSet)
        yes, no = (str(button.render()) for button in choice.query("RadioButton"))
        assert "\u25cf" not in yes and "\u25cf" not in no  # nothing chosen yet
        await pilot.press("right", "enter")  # No
        await pilot.pause()
        yes, no = (str(button.render()) for button in choice.query("RadioButton"))
        assert "\u25cf" in no and "\u25cf" not in yes
        method = [str(b.render()) for b in app.screen.query_one("#method", RadioSet).query("RadioButton")]
        assert ["\u25cf" in text for text in method] == [False, False, True]  # On screen, the default


async def test_a_consent_problem_is_on_screen_at_80x24(store):
    async with consent_screen(store) as (app, pilot):
        await pilot.press("enter", "ctrl+s")  # one purpose answered, three not
        await pilot.pause()
        problem = app.screen.query_one("#consent-problem", Static)
        assert "Choose yes or no for" in str(problem.render())
        region = problem.region
        assert region.height > 0 and 0 <= region.y and region.bottom <= SIZE[1] - 1  # above the footer


async def test_the_summary_names_whose_consent_it_is(store):
    async with consent_screen(store) as (app, pilot):
        for index in range(4):
            app.screen.query_one(f"#choice-{index}", RadioSet).focus()
            await pilot.press("enter")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert shown(app, "#confirm-title") == "Save this consent of Ana Silva?"
