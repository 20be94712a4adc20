"""The intake screen: a practitioner's running intent timers, starting and stopping them,
the day's summary, the way into a survey or a referral, and the review of timers that ran
past the event's end.

The selected timer's clock ticks each second from the timers read at the last change (no
database read, nothing held up). The list shows whole minutes, updated every LIST_SECONDS:
a table redraws all its cells for any one (each second, 50 timers took 6% of a core).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from fieldkit.event import load_event
from fieldkit.intake import timers as it
from fieldkit.intake.privacy import linked_names
from fieldkit.intake.surveys import SurveyChanged, check_surveys, drafts, find_draft
from fieldkit.tokens import looks_like_token
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.screens.survey import SurveyScreen, choose_survey
from fieldkit.tui.widgets.choice_dialog import Choice, ChoiceDialog
from fieldkit.tui.widgets.confirm import ConfirmScreen
from fieldkit.tui.widgets.person_finder import PersonFinder
from fieldkit.tui.widgets.tables import selected_key

TICK_SECONDS = 1.0
LIST_SECONDS = 10.0  # the list's minutes are at most this late

ELAPSED = "elapsed"
VOID_CHOICE = Choice("", "Void: not counted")  # an id no intent category can have (the template refuses empty ids)


class IntakeScreen(FieldKitScreen):
    # Every key shown must fit 80 columns, so two stay out of the footer (the command
    # palette still lists them): Ctrl+N does what Enter on an empty box does, and Ctrl+Y is
    # named in the summary line whenever a timer waits for review. Each key means one thing
    # across the app (docs/decisions.md): F8 and F9 are the desk's walk-in keys.
    BINDINGS = [
        Binding("ctrl+n", "start_anonymous", "Anonymous", show=False),
        # One key, pause or resume: the footer shows the one that applies to the selected timer.
        # F5 and F6 are the app's sync and dashboard modes: pausing is F7, stopping Ctrl+E (end).
        Binding("f7", "pause", "Pause"),
        Binding("f7", "resume", "Resume"),
        Binding("ctrl+e", "stop", "Stop", priority=True),  # over the box's own end-of-line key
        Binding("f10", "survey", "Survey"),
        Binding("ctrl+o", "consent", "Consent"),
        Binding("ctrl+r", "refer", "Refer"),
        Binding("ctrl+y", "review", "Review", show=False),
        Binding("down", "match(1)", show=False),
        Binding("up", "match(-1)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[it.TimerRun] = []
        # Who was picked this session for timers that could not be linked: shown (and
        # offered consent), never stored.
        self.hints: dict[str, str] = {}
        self.hinted_people: dict[str, str] = {}
        self.survey_problem: str | None = None
        self.for_review: list[it.TimerRun] = []
        self.past_end = False
        self.listed_at = None  # when the list's minutes were last brought up to date

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "review":
            return bool(self.for_review)
        if action in ("pause", "resume", "stop", "consent", "refer"):
            run = self._run_of(self.selected_timer()) if self.is_mounted and self.runs else None
            if run is None:
                return False
            if action == "consent":
                return self._person_of(run) is not None
            # The referrals screen issues anonymous referrals too: any timer can refer.
            return action in ("stop", "refer") or (action == "pause") == (run.state == it.RUNNING)
        return True

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="intake"):
            yield PersonFinder("Name or scan a pass, then Enter (empty Enter: anonymous timer)", input_id="intake-find",
                               takes_scans=True)
            yield Static(id="intake-message")
            yield DataTable(id="intake-timers", cursor_type="row", zebra_stripes=True)
            yield Static(id="intake-selected", markup=False)  # a name is shown as typed, brackets and all
            yield Static(id="intake-summary")
        # Every key of this screen fits 80 columns: compact, and without the palette hint (Ctrl+P still works).
        yield Footer(show_command_palette=False, compact=True)

    @property
    def store(self):
        return self.app.store

    def on_mount(self) -> None:
        self.template = load_event(self.store).template
        self.zone = ZoneInfo(self.template.event.timezone)
        table = self.query_one("#intake-timers", DataTable)
        # 80 columns: Who gets what the three short columns and the cell padding leave.
        table.add_column("Who", key="who", width=44)
        table.add_column("State", key="state", width=7)
        table.add_column("Elapsed", key=ELAPSED, width=7)
        table.add_column("Started", key="started", width=7)
        try:
            check_surveys(self.store, self.template)
        except SurveyChanged as exc:
            self.survey_problem = str(exc)
        self.reload()
        self.set_interval(TICK_SECONDS, lambda: self.unless_damaged(self.tick))  # a damaged page: a sentence
        self.query_one(PersonFinder).box.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    # -- showing ----------------------------------------------------------------
    def reload(self) -> None:
        """Read the open timers again (after any change) and redraw table and summary."""
        self.runs = it.open_timers(self.store)
        self.for_review = it.timers_for_review(self.store)
        self.past_end = self.store.now() > self.template.event.ends
        names = linked_names(self.store, [r.timer_id for r in self.runs])
        table = self.query_one("#intake-timers", DataTable)
        selected = self.selected_timer()
        table.clear()
        self.listed_at = now = self.store.now()
        for number, run in enumerate(self.runs, 1):
            hint = self.hints.get(run.timer_id)
            who = names.get(run.timer_id) or (f"{hint} (not shared)" if hint else "Anonymous")
            table.add_row(
                f"{number}. {who}",
                "running" if run.state == it.RUNNING else "paused",
                it.format_minutes(run.elapsed(now)),
                run.started_at.astimezone(self.zone).strftime("%H:%M"),
                key=run.timer_id,
            )
        if selected:
            self.select_timer(selected)
        self.show_selected(now)
        self.show_summary()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_selected(self.store.now())
        self.refresh_bindings()  # pause or resume, consent: they depend on the timer

    def show_selected(self, now) -> None:
        """The selected timer's own clock, to the second: "3. Ada Lovelace: running 12:37"."""
        run = self._run_of(timer_id := self.selected_timer())
        said = "" if run is None else (
            f"{self.query_one('#intake-timers', DataTable).get_cell(timer_id, 'who')}: "
            f"{'running' if run.state == it.RUNNING else 'paused'} {it.format_duration(run.elapsed(now))}"
        )
        line = self.query_one("#intake-selected", Static)
        if line.content != said:
            line.update(said)
            line.display = bool(said)

    def select_timer(self, timer_id: str) -> None:
        table = self.query_one("#intake-timers", DataTable)
        try:
            table.move_cursor(row=table.get_row_index(timer_id))
        except Exception:  # the timer is gone (stopped): keep the cursor where it is
            pass

    def tick(self) -> None:
        """The selected timer's clock, and every LIST_SECONDS the list's minutes (no database
        read, except once when the event's end passes: open timers are then flagged for review)."""
        now = self.store.now()
        if not self.past_end and now > self.template.event.ends:
            self.reload()
        self.show_selected(now)
        if abs((now - self.listed_at).total_seconds()) < LIST_SECONDS:
            return
        self.listed_at = now
        table = self.query_one("#intake-timers", DataTable)
        with self.app.batch_update():  # one repaint for all labels, and none if no minute changed
            for run in (r for r in self.runs if r.state == it.RUNNING):
                if table.get_cell(run.timer_id, ELAPSED) != (label := it.format_minutes(run.elapsed(now))):
                    table.update_cell(run.timer_id, ELAPSED, label)

    def show_summary(self) -> None:
        summary = it.day_summary(self.store)
        labels = {c.id: c.label for c in self.template.intent_categories}
        counts = ", ".join(f"{labels[c]} {n}" for c, n in summary.counts.items()) or "nothing stopped yet"
        # Every flagged timer, whatever day it started: the ones Ctrl+Y goes through.
        waiting = len(self.for_review)
        extra = f"  \u00b7  {waiting} for review (ran past the event's end): Ctrl+Y" if waiting else ""
        self.query_one("#intake-summary", Static).update(
            f"Today: {counts}  \u00b7  median {it.format_duration(summary.median)}  \u00b7  {len(self.runs)} open{extra}"
        )

    def say(self, message: str) -> None:
        self.query_one("#intake-message", Static).update(message)

    def selected_timer(self) -> str | None:
        return selected_key(self.query_one("#intake-timers", DataTable))

    # -- finding a person ----------------------------------------------------------
    def action_match(self, step: int) -> None:
        if not self.query_one(PersonFinder).move(step):
            table = self.query_one("#intake-timers", DataTable)
            table.move_cursor(row=table.cursor_row + step)

    @on(PersonFinder.Picked)
    def _picked(self, event: PersonFinder.Picked) -> None:
        self.start(event.person_id, event.name)

    @on(PersonFinder.Entered)
    def _entered(self, event: PersonFinder.Entered) -> None:
        text = event.text
        if not text:
            self.start(None, None)
        elif looks_like_token(text):
            try:
                holder = it.person_from_pass(self.store, text)
            except it.TimerError as refused:
                self.say(str(refused))
            else:
                self.start(holder.person_id, holder.display_name, scanned=True)
        else:
            self.say(f"Nobody called \u201c{text}\u201d is registered: check the spelling, or press Enter on an empty box for an anonymous timer.")

    # -- actions ---------------------------------------------------------------------
    def start(self, person_id: str | None, name: str | None, scanned: bool = False) -> None:
        """Start a timer; for someone whose timer is already open, ask first."""
        running = next((r for r in self.runs if person_id and self._person_of(r) == person_id), None)
        if running is None:
            self._start(person_id, name)
            return
        if scanned and (self.store.now() - running.started_at).total_seconds() < 2:  # a scanner's double read
            self.select_timer(running.timer_id)
            return
        since = running.started_at.astimezone(self.zone).strftime("%H:%M")
        state = "running" if running.state == it.RUNNING else "paused"

        def answered(another: bool | None) -> None:
            if another:
                self._start(person_id, name)
            else:
                self.select_timer(running.timer_id)
                self.say(f"{name} already has a timer ({state} since {since}): it is selected.")

        self.app.push_screen(
            ConfirmScreen(
                f"{name} already has a timer {state} (since {since}).",
                "Start a second timer for them? Usually the one running is the conversation going on.",
                yes="Start another",
                no="Use that one", default_yes=False,
            ),
            answered,
        )

    def _start(self, person_id: str | None, name: str | None) -> None:
        started = it.start_timer(self.store, person_id)
        if name and not started.linked:
            self.hints[started.timer_id] = name
            self.hinted_people[started.timer_id] = person_id
        who = name or "an anonymous visitor"
        kept = "" if person_id is None or started.linked else (
            f" Kept anonymous: {started.message} Ctrl+O records their consent."
        )
        self.say(f"Timer started for {who}.{kept}")
        self.reload()
        self.select_timer(started.timer_id)

    def action_start_anonymous(self) -> None:
        self._start(None, None)

    def _run_of(self, timer_id: str | None) -> it.TimerRun | None:
        return next((r for r in self.runs if r.timer_id == timer_id), None)

    def _person_of(self, run: it.TimerRun) -> str | None:
        return run.person_id or self.hinted_people.get(run.timer_id)

    def _who(self, run: it.TimerRun) -> str:
        names = linked_names(self.store, [run.timer_id])
        return names.get(run.timer_id) or self.hints.get(run.timer_id) or "the anonymous visitor"

    def _selected_run(self) -> it.TimerRun | None:
        run = self._run_of(self.selected_timer())
        if run is None:
            self.say("No timer is selected: start one first.")
        return run

    def action_pause(self) -> None:
        run = self._selected_run()
        if run is not None and run.state == it.RUNNING:
            it.pause_timer(self.store, run.timer_id)
            self.say(f"Timer of {self._who(run)} paused: F7 resumes it.")
            self.reload()

    def action_resume(self) -> None:
        run = self._selected_run()
        if run is not None and run.state == it.PAUSED:
            it.resume_timer(self.store, run.timer_id)
            self.say(f"Timer of {self._who(run)} resumed.")
            self.reload()

    @work(exclusive=True, exit_on_error=False, group="dialog")
    async def action_consent(self) -> None:
        """The selected timer's person: their consent page; a timer kept anonymous only for
        want of the sharing consent is linked once they give it."""
        run = self._selected_run()
        person_id = self._person_of(run) if run else None
        if person_id is None:
            return
        from fieldkit.tui.screens.person import PersonScreen  # pushed screens load when first used

        await self.app.push_screen_wait(PersonScreen(person_id))
        if run.person_id is None and run.timer_id in self.hinted_people:
            try:
                linked = it.link_timer(self.store, run.timer_id, person_id)
            except it.TimerError as refused:
                self.say(str(refused))
                self.reload()
                return
            if linked:
                self.hints.pop(run.timer_id, None)
                self.hinted_people.pop(run.timer_id, None)
                self.say("Consent to share recorded: this timer is now linked to the person.")
            else:
                self.say(f"Still kept anonymous: {linked.message}")
        self.reload()

    async def action_refer(self) -> None:
        """The referrals screen, preset for the selected timer's person (anonymous for an
        anonymous timer); the referral links to them only under the sharing consent."""
        run = self._selected_run()
        if run is None:
            return
        # Said at once: the referrals screen takes a moment to open the first time.
        self.say(f"Opening the referral form for {self._who(run)}...")
        self.notify(f"Referral for {self._who(run)}: opening the form.", timeout=3)
        self.call_after_refresh(self.app.action_refer_person, self._person_of(run))

    @work(exclusive=True, exit_on_error=False, group="dialog")
    async def action_review(self) -> None:
        """Settle one timer that ran past the event's end (the selected one if it is
        flagged, else the oldest): closed at the end with a category, or void."""
        if not self.for_review:
            self.say("No timer ran past the event's end: nothing to review.")
            return
        selected = self.selected_timer()
        run = next((r for r in self.for_review if r.timer_id == selected), self.for_review[0])
        who = self._who(run)
        ends = self.template.event.ends.astimezone(self.zone)
        words = it.review_words(run, self.template, self.store.now())
        title = f"Timer of {who} ran past the event's end ({ends:%H:%M}): {words}. Close it at {ends:%H:%M} as:"
        # No note is asked: the review settles when the run ended, not what was said.
        choices = [Choice(c.id, c.label) for c in self.template.intent_categories] + [VOID_CHOICE]
        chosen = await self.app.push_screen_wait(ChoiceDialog(title, choices))
        if chosen is None:
            return
        try:
            if chosen.id == VOID_CHOICE.id:
                it.void_timers(self.store, [run.timer_id])
                done = "voided: it is kept, never counted"
            else:
                it.close_at_end(self.store, [run.timer_id], chosen.id)
                label = next(c.label for c in choices if c.id == chosen.id)
                done = f"closed at {ends:%H:%M} as {label}"
        except it.TimerError as refused:
            self.say(str(refused))
            return
        self.hints.pop(run.timer_id, None)
        self.hinted_people.pop(run.timer_id, None)
        self.reload()
        left = f" {len(self.for_review)} more for review: Ctrl+Y." if self.for_review else ""
        self.say(f"Timer of {who} {done}.{left}")

    @work(exclusive=True, exit_on_error=False, group="dialog")
    async def action_stop(self) -> None:
        run = self._selected_run()
        if run is None:
            return
        linked = run.person_id is not None
        who = self._who(run)
        choices = [Choice(c.id, c.label, c.needs_note and linked) for c in self.template.intent_categories]
        elapsed = it.format_duration(run.elapsed(self.store.now()))
        title = f"Stop the timer of {who} ({elapsed}): what are they looking for?"
        if unfinished := [d for d in drafts(self.store) if d.timer_id == run.timer_id]:  # F10 reaches it only now
            title += f" Their survey is unfinished ({len(unfinished[0].answers)} answers): Escape, then F10 to finish it."
        chosen = await self.app.push_screen_wait(ChoiceDialog(title, choices))
        if chosen is None:
            return
        try:
            stopped = it.stop_timer(self.store, run.timer_id, chosen.id, chosen.note)
        except it.TimerError as refused:
            self.say(str(refused))
            return
        self.hints.pop(run.timer_id, None)
        self.hinted_people.pop(run.timer_id, None)
        label = next(c.label for c in choices if c.id == chosen.id)
        self.say(f"Timer of {who} stopped after {it.format_duration(stopped.elapsed(self.store.now()))}: {label}.")
        self.reload()

    @work(exclusive=True, exit_on_error=False, group="dialog")
    async def action_survey(self) -> None:
        if self.survey_problem:
            self.say(self.survey_problem)
            return
        if not self.template.surveys:
            self.say("This event's template has no survey.")
            return
        if (survey := await choose_survey(self.app, self.template.surveys)) is None:
            return
        timer_id = self.selected_timer()
        run = self._run_of(timer_id)
        person_id = run.person_id if run else None
        who = self._who(run) if run else "a visitor without a timer"
        draft = find_draft(self.store, survey, timer_id)
        outcome = await self.app.push_screen_wait(
            SurveyScreen(survey, timer_id=timer_id, person_id=person_id, draft=draft, who=who)
        )
        if outcome:
            self.say(outcome)
