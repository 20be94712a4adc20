"""The consent screen: each purpose in plain words, yes or no for each, how, witness, a summary, save."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, Footer, Header, Input, RadioButton, RadioSet, Static

from fieldkit.consent import METHOD_LABELS, METHODS, ConsentError, event_template
from fieldkit.consent.records import ConsentRecord, record_consent
from fieldkit.event.template import ConsentPurpose
from fieldkit.people.registry import get_person
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.widgets.confirm import ConfirmScreen

PERMIT_LABEL, DENY_LABEL = "Yes, I agree", "No"


class MarkedRadioButton(RadioButton):
    """A radio button whose choice shows without colour: a dot only in the chosen one."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802  (Textual reads this class attribute's name)
        return "\u25cf" if self.value else " "


def consent_summary(
    purposes: list[ConsentPurpose], choices: dict[str, bool], method: str, witness: str, recorded_by: str
) -> str:
    """What will be saved, in words, for the person to hear or read before it is."""
    lines = [f"{'YES' if choices[p.id] else 'NO ':<4} {p.title} (text version {p.version})" for p in purposes]
    lines += ["", f"Method:      {METHOD_LABELS[method]}", f"Witness:     {witness or 'none'}", f"Recorded by: {recorded_by}"]
    return "\n".join(lines)


class ConsentScreen(FieldKitScreen[ConsentRecord | None]):
    """Record consent for one person; dismissed with the saved record, or None if cancelled."""

    CSS_PATH = [Path(__file__).with_name("consent.tcss")]
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "review", "Review and save"),
    ]

    def __init__(self, person_id: str):
        super().__init__()
        self.person_id = person_id
        self.form_id: str | None = None

    def compose(self) -> ComposeResult:
        store = self.app.store
        person = get_person(store, self.person_id)
        self.purposes = list(event_template(store).consent.purposes)
        yield Header()
        with VerticalScroll(id="consent-form"):
            name = person.display_name if person else f"unknown person {self.person_id}"
            self.person_name = name
            yield Static(f"Consent: {name}", id="consent-person", markup=False)
            yield Static("Read or say each purpose. The person chooses yes or no for each one.", classes="hint")
            for index, purpose in enumerate(self.purposes):
                yield Static(purpose.title, classes="purpose-title", markup=False)
                yield Static(purpose.text, classes="purpose-text", markup=False)
                yield Static(f"Text version {purpose.version}", classes="purpose-version")
                with RadioSet(id=f"choice-{index}", classes="choice"):
                    yield MarkedRadioButton(PERMIT_LABEL)
                    yield MarkedRadioButton(DENY_LABEL)
            yield Static("How was consent given?", classes="purpose-title")
            with RadioSet(id="method"):
                for method in METHODS:
                    yield MarkedRadioButton(METHOD_LABELS[method], value=method == "on_screen")
            yield Input(placeholder="Paper form: scan the QR on the signed form", id="form-code", classes="hidden")
            yield Input(placeholder="Witness's name (optional)", id="witness")
            yield Button("Review and save (Ctrl+S)", id="review", variant="primary")
        # Outside the scrolling form, so a problem is seen wherever the form is scrolled to.
        yield Static(id="consent-problem")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Consent"
        self.query_one("#choice-0", RadioSet).focus()

    # -- reading the form ------------------------------------------------------
    def choices(self) -> dict[str, bool | None]:
        """Each purpose: True (yes), False (no) or None (not chosen yet)."""
        picked = {}
        for index, purpose in enumerate(self.purposes):
            pressed = self.query_one(f"#choice-{index}", RadioSet).pressed_index
            picked[purpose.id] = None if pressed < 0 else pressed == 0
        return picked

    def scan_box(self) -> Input | None:
        """Where a scan goes wherever focus is: the paper form's code box while the method is a
        paper form; otherwise a scan here is no answer to anything (tui/scan_guard.py)."""
        return self.query_one("#form-code", Input) if self.method() == "paper" else None

    def method(self) -> str:
        return METHODS[max(self.query_one("#method", RadioSet).pressed_index, 0)]

    def witness(self) -> str:
        return " ".join(self.query_one("#witness", Input).value.split())

    def form_code(self) -> str:
        return self.query_one("#form-code", Input).value.strip() if self.method() == "paper" else ""

    def show_problem(self, text: str) -> None:
        self.query_one("#consent-problem", Static).update(text)

    # -- actions ------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "review":
            self.action_review()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.radio_set.id == "method":
            # The form code is asked for only when the consent was given on paper.
            self.query_one("#form-code", Input).set_class(self.method() != "paper", "hidden")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "form-code":
            self.check_form_code()

    def check_form_code(self) -> str | None:
        """The scanned form's id, or None (with the reason shown) if it is not a usable form."""
        from fieldkit.consent.paper import paper_form_id  # tokens are needed only for paper

        try:
            form_id = paper_form_id(self.app.store, self.form_code())
        except ConsentError as exc:
            self.show_problem(str(exc))
            return None
        self.show_problem(f"Paper form {form_id} recognised.")
        return form_id

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_review(self) -> None:
        choices = self.choices()
        missing = [i for i, p in enumerate(self.purposes) if choices[p.id] is None]
        if missing:
            titles = ", ".join(self.purposes[i].title for i in missing)
            self.show_problem(f"Choose yes or no for: {titles}.")
            self.query_one(f"#choice-{missing[0]}", RadioSet).focus()
            return
        self.show_problem("")
        self.form_id = self.check_form_code() if self.form_code() else None
        if self.form_code() and self.form_id is None:
            return
        store = self.app.store
        summary = consent_summary(
            self.purposes, choices, self.method(), self.witness(), f"{store.device_name} ({store.role})"
        )
        if self.form_id:
            summary += f"\nPaper form:  {self.form_id}"
        self.app.push_screen(ConfirmScreen(f"Save this consent of {self.person_name}?", summary, yes="Save", no="Back"), self._saved)

    def _saved(self, confirmed: bool | None) -> None:
        if not confirmed:
            return
        try:
            record = record_consent(
                self.app.store,
                self.person_id,
                {pid: bool(choice) for pid, choice in self.choices().items()},
                method=self.method(),
                witness=self.witness() or None,
                form_id=self.form_id,
            )
        except ConsentError as exc:
            self.show_problem(str(exc))
            return
        self.app.notify("Consent saved.", title="Consent")
        self.dismiss(record)
