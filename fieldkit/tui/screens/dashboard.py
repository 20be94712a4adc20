"""The dashboard (F6): arrivals, intent mix, the referral funnel and time to a first session, suppressed."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import Footer, Header, Static

from fieldkit import metrics
from fieldkit.metrics import charts as chart_data
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.widgets.charts import ChartPanel, bars, columns, curve


class DashboardScreen(FieldKitScreen):
    """The report at a glance: four plots with their numbers and words, every count from
    1 to 10 shown as <11, as in `fieldkit report`."""

    CSS_PATH = Path(__file__).with_name("dashboard.tcss")
    BINDINGS = [Binding("r", "refresh_report", "Refresh")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the event's figures...", id="dashboard-status")
        with Grid(id="dashboard"):
            for panel, title in (("arrivals", "Arrivals per quarter hour"), ("intent", "Intent mix"),
                                 ("funnel", "Referral funnel"), ("curve", "Time to a first session")):
                widget = ChartPanel(id=f"chart-{panel}")
                widget.border_title = title
                yield widget
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh_report()

    def on_screen_resume(self) -> None:
        self.action_refresh_report()

    def action_refresh_report(self) -> None:
        # The counts come from the store here, on the UI thread (the store stays there);
        # suppressing and wording them, the slow part, runs in a worker on plain data.
        store = self.app.store
        aggregates = metrics.collect(store, metrics.Scope(store.now()))
        self.build_in_background(aggregates)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def build_in_background(self, aggregates: metrics.Aggregates) -> None:
        self.app.call_from_thread(self.show, metrics.build(aggregates))

    def show(self, doc: dict) -> None:
        width = max(20, self.size.width // 2 - 6)
        arrivals = chart_data.arrivals(doc)
        self.query_one("#chart-arrivals", ChartPanel).show(
            [*columns(arrivals, 4), _hours(arrivals)] if arrivals else [], chart_data.arrivals_words(doc)
        )
        self.query_one("#chart-intent", ChartPanel).show(bars(chart_data.intent_mix(doc), width), chart_data.intent_words(doc))
        self.query_one("#chart-funnel", ChartPanel).show(bars(chart_data.funnel(doc), width), chart_data.funnel_words(doc))
        self.query_one("#chart-curve", ChartPanel).show(
            curve(chart_data.curves(doc), width - 11, 4), chart_data.comparison_words(doc), gap=False
        )
        self.query_one("#dashboard-status", Static).update(
            f"As of {doc['report_dates'][-1]} · 1 to 10 show as <11 · a dot is hidden · r refreshes"
        )


def _hours(arrivals: tuple[chart_data.Bar, ...]) -> str:
    """A time under the first column of each hour."""
    line = ""
    for bar in arrivals:
        if bar.label.endswith(":00") and len(line) <= arrivals.index(bar):
            line = line.ljust(arrivals.index(bar)) + bar.label[:2] + "h"
    return line
