"""The sample event the benchmark scripts share (not a benchmark itself): the wellbeing pop-up,
under way now as the demo has it, so its passes admit whatever day a benchmark runs."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fieldkit.event.demo import under_way
from fieldkit.event.template import load_template
from fieldkit.event.template_values import EventTemplate

TEMPLATE = Path(__file__).resolve().parent.parent / "sample_events" / "wellbeing-popup.toml"


def sample_template() -> EventTemplate:
    return under_way(load_template(TEMPLATE), datetime.now(timezone.utc))
