"""The command palette's one provider: the app's own actions in the order the app lists them
(Textual's provider sorts them by name, which puts "Keys" and "Maximize" before "Check-in")."""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider


class FieldKitCommands(Provider):
    """Commands from `App.get_system_commands`: the app's actions first, Textual's after."""

    async def discover(self) -> Hits:
        for title, help_text, callback, discover in self.app.get_system_commands(self.screen):
            if discover:
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            if (match := matcher.match(title)) > 0:
                yield Hit(match, matcher.highlight(title), callback, help=help_text)
