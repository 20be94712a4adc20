"""The command palette offers what the bindings do, including keys not in the footer."""

from __future__ import annotations

from textual.command import CommandPalette

from fieldkit.tui.app import FieldKitApp


async def test_palette_lists_mode_keys_and_switches_mode(store):
    app = FieldKitApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        titles = {command.title for command in app.get_system_commands(app.screen)}
        # F4 is left out of the footer at 80 columns; the palette still offers it.
        assert {"Check-in", "Intake", "Referrals"} <= titles
        assert "Home" not in titles  # the mode already on screen
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Referrals")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.current_mode == "referrals"
