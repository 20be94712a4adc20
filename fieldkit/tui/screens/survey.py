"""Running a survey by keyboard: one question at a time, progress, back, review, submit.

Arrows and number keys choose, Enter goes on, Ctrl+B (or Left on a list) goes back,
Escape keeps the answers as a draft to resume later. Every step saves the draft, so a
crash loses at most the question on screen.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from fieldkit.event.template import Question, Survey
from fieldkit.intake import surveys as sv
from fieldkit.intake.privacy import sharing
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.widgets.choice_dialog import Choice, ChoiceDialog

SKIP = "__skip__"
SUBMIT = "__submit__"


def answer_text(question: Question, value: Any) -> str:
    if value is None:
        return "(no answer)"
    if isinstance(value, list):
        return ", ".join(value)
    if question.type == "scale" and question.labels:
        return f"{value} ({question.labels[value - 1]})"
    if question.type == "yesno":
        return "Yes" if value == sv.YES else "No"
    return str(value)


def _choices(question: Question) -> list[tuple[str, str]]:
    """(answer id, label) pairs of a closed question, in the order number keys pick them."""
    if question.type in ("single", "multiple"):
        return [(o, o) for o in question.options]
    if question.type == "yesno":
        return [(sv.YES, "Yes"), (sv.NO, "No")]
    # A scale's number key is its value, so the label alone follows the number.
    labels = question.labels or tuple(str(n) for n in range(1, 6))
    return [(str(n), label) for n, label in enumerate(labels, 1)]


class SurveyScreen(FieldKitScreen[str | None]):
    """Dismisses with a sentence saying what happened (submitted, or kept as a draft)."""

    BINDINGS = [
        Binding("ctrl+b", "back", "Back"),
        Binding("left", "back", "Back", show=False),
        Binding("escape", "keep_draft", "Keep as draft"),
        Binding("space", "toggle", "Tick", show=False),
        *[Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)],
    ]

    def __init__(
        self,
        survey: Survey,
        *,
        timer_id: str | None = None,
        person_id: str | None = None,
        draft: sv.Draft | None = None,
        who: str = "a visitor",
    ):
        super().__init__()
        self.survey = survey
        self.who = who
        self.timer_id = timer_id
        self.person_id = person_id
        self.draft_id = draft.id if draft else None
        self.answers: dict[str, Any] = dict(draft.answers) if draft else {}
        self.index = draft.position if draft else 0
        self.ticked: list[str] = []  # the multiple-choice question on screen

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="survey"):
            yield Static(self.survey.title, id="survey-title", markup=False)
            yield Static(id="survey-who", markup=False)
            yield Static(id="survey-step")
            yield ProgressBar(id="survey-progress", show_eta=False, show_percentage=False)
            yield Static(id="survey-prompt", markup=False)
            # Plain text: an option or answer with brackets ("[x]") is shown, not read as markup.
            yield OptionList(id="survey-choices", markup=False)
            yield Input(id="survey-input")
            yield Static(id="survey-error")
        yield Footer()

    def on_mount(self) -> None:
        self.allow_text = sharing(self.app.store, self.person_id).allowed
        self.query_one("#survey-who", Static).update(
            f"For {self.who}: the answers are linked to them." if self.allow_text
            else f"For {self.who}: kept anonymous (no free-text questions, nothing links the answers to a person)."
        )
        self.show()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "back":
            return self.index > 0
        return True

    # -- where we are ----------------------------------------------------------------
    def shown(self) -> list[Question]:
        return sv.shown_questions(self.survey, self.answers, allow_text=self.allow_text)

    @property
    def reviewing(self) -> bool:
        return self.index >= len(self.shown())

    def current(self) -> Question | None:
        shown = self.shown()
        return shown[self.index] if self.index < len(shown) else None

    def show(self) -> None:
        shown = self.shown()
        self.index = max(0, min(self.index, len(shown)))
        self.query_one("#survey-error", Static).update("")
        progress = self.query_one("#survey-progress", ProgressBar)
        progress.update(total=len(shown), progress=self.index)
        choices = self.query_one("#survey-choices", OptionList)
        field = self.query_one("#survey-input", Input)
        question = self.current()
        if question is None:
            self._show_review(shown, choices, field)
            return
        self.query_one("#survey-step", Static).update(f"Question {self.index + 1} of {len(shown)}")
        required = "" if question.required else "  (optional)"
        how = "\nNumber keys or Space tick and untick; Enter on the last line goes on." if question.type == "multiple" else ""
        self.query_one("#survey-prompt", Static).update(question.prompt + required + how)
        self.refresh_bindings()
        previous = self.answers.get(question.id)
        if question.type in ("number", "text"):
            choices.display = False
            field.display = True
            field.max_length = question.max_length
            field.placeholder = (
                f"A number from {sv.plain_number(question.min)} to {sv.plain_number(question.max)}, then Enter"
                if question.type == "number" else f"Up to {question.max_length} characters, then Enter"
            )
            field.value = "" if previous is None else str(previous)
            field.focus()
            return
        field.display = False
        choices.display = True
        self.ticked = list(previous or []) if question.type == "multiple" else []
        self._fill_choices(question, previous)
        choices.focus()

    def _fill_choices(self, question: Question, previous: Any) -> None:
        choices = self.query_one("#survey-choices", OptionList)
        keep = choices.highlighted
        choices.clear_options()
        for number, (answer, label) in enumerate(_choices(question), 1):
            mark = ("[x] " if answer in self.ticked else "[ ] ") if question.type == "multiple" else ""
            choices.add_option(Option(f"{number}  {mark}{label}", id=answer))
        if question.type == "multiple":
            choices.add_option(Option("Enter: continue with the ticked options", id=SKIP))
        elif not question.required:
            choices.add_option(Option("Skip this question", id=SKIP))
        if keep is not None and question.type == "multiple":
            choices.highlighted = keep
        elif previous is not None and question.type != "multiple":
            choices.highlighted = choices.get_option_index(str(previous))
        else:
            choices.highlighted = 0

    def _show_review(self, shown: list[Question], choices: OptionList, field: Input) -> None:
        self.refresh_bindings()
        self.query_one("#survey-step", Static).update(f"Review: {len(shown)} questions")
        self.query_one("#survey-prompt", Static).update("Check the answers. Enter on a question changes it; Enter on Submit saves.")
        field.display = False
        choices.display = True
        choices.clear_options()
        for number, question in enumerate(shown, 1):
            choices.add_option(Option(f"{number}. {question.prompt}  \u2192  {answer_text(question, self.answers.get(question.id))}", id=f"q:{number - 1}"))
        choices.add_option(Option("Submit", id=SUBMIT))
        choices.highlighted = choices.option_count - 1
        choices.focus()

    # -- answering ----------------------------------------------------------------------
    def _answer(self, value: Any) -> None:
        question = self.current()
        try:
            cleaned = sv.check_answer(question, value)
        except sv.AnswerError as refusal:
            self.query_one("#survey-error", Static).update(str(refusal))
            return
        if cleaned is None and question.required:
            self.query_one("#survey-error", Static).update("This question needs an answer.")
            return
        if cleaned is None:
            self.answers.pop(question.id, None)
        else:
            self.answers[question.id] = cleaned
        self.index += 1
        self._save_draft()
        self.show()

    def _save_draft(self) -> None:
        self.draft_id = sv.save_draft(
            self.app.store, self.survey, self.answers, self.index,
            draft_id=self.draft_id, timer_id=self.timer_id, person_id=self.person_id,
        )

    @on(OptionList.OptionSelected, "#survey-choices")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        answer = event.option.id
        if self.reviewing:
            if answer == SUBMIT:
                self.submit()
            else:
                self.index = int(answer.split(":")[1])
                self.show()
            return
        question = self.current()
        if question.type == "multiple":
            if answer == SKIP:
                self._answer(self.ticked)
            else:
                self._toggle(answer)
            return
        self._answer(None if answer == SKIP else answer)

    @on(Input.Submitted, "#survey-input")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer(event.value)

    def _toggle(self, answer: str) -> None:
        self.ticked = [a for a in self.ticked if a != answer] if answer in self.ticked else [*self.ticked, answer]
        self._fill_choices(self.current(), None)

    def action_toggle(self) -> None:
        question = self.current()
        choices = self.query_one("#survey-choices", OptionList)
        if question is not None and question.type == "multiple" and choices.highlighted is not None:
            answer = choices.get_option_at_index(choices.highlighted).id
            if answer != SKIP:
                self._toggle(answer)

    def action_pick(self, number: int) -> None:
        choices = self.query_one("#survey-choices", OptionList)
        if not choices.display or number > choices.option_count:
            return
        option = choices.get_option_at_index(number - 1)
        if option.id == SUBMIT:
            return
        choices.highlighted = number - 1
        choices.action_select()

    def action_back(self) -> None:
        if self.index > 0:
            self.index = min(self.index, len(self.shown())) - 1
            self.show()

    def action_keep_draft(self) -> None:
        if self.timer_id is None:  # nothing would find it again but the next visitor's survey
            if self.draft_id is not None:
                sv.discard_draft(self.app.store, self.draft_id)
            self.dismiss("Survey left unfinished: with no timer to keep it with, its answers were not kept.")
            return
        self._save_draft()
        self.dismiss(f"Survey kept as a draft ({len(self.answers)} answers): press F10 on the same timer to resume it.")

    def submit(self) -> None:
        try:
            done = sv.submit_response(
                self.app.store, self.survey, self.answers,
                person_id=self.person_id, timer_id=self.timer_id, draft_id=self.draft_id,
            )
        except sv.AnswerError as refusal:
            self.query_one("#survey-error", Static).update(str(refusal))
            return
        except sv.SurveyChanged as refusal:
            self.query_one("#survey-error", Static).update(str(refusal))
            return
        kept = "linked to the person" if done.linked else "kept anonymous"
        self.dismiss(f"Survey saved ({kept}).")


async def choose_survey(app, surveys: tuple[Survey, ...] | list[Survey]) -> Survey | None:
    """The survey to run: the only one, or the one picked from a list (None: none, or Escape)."""
    if len(surveys) <= 1:
        return surveys[0] if surveys else None
    chosen = await app.push_screen_wait(ChoiceDialog("Which survey?", [Choice(s.id, s.title) for s in surveys]))
    return next((s for s in surveys if s.id == chosen.id), None) if chosen else None
