"""What a screen's footer offers: the helper the Pilot tests of several areas share."""

from __future__ import annotations


def footer_actions(app) -> set[str]:
    """The actions the footer offers now (what applies)."""
    return {binding.action for _, binding, enabled, _ in app.active_bindings.values() if enabled and binding.show}
