"""Surveys from the template: answer validation, skip logic, responses, drafts, immutability.

Answers are plain values: a `single` answer is one option, `multiple` a list of options,
`scale` an int 1-5, `yesno` "yes" or "no", `number` an int or float in range, `text` a
string. A question hidden by `show_if` is never asked, never required and never kept.
Free text is kept only when the response is linked to a person (see intake_privacy).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from fieldkit.errors import Refused
from fieldkit.event.template import EventTemplate, Question, Survey, TemplateError
from fieldkit.intake import privacy as intake_privacy
from fieldkit.store import Store, dump_json, new_id, utc_text

YES, NO = "yes", "no"
Answers = dict[str, Any]


class AnswerError(Refused):
    """An answer that does not fit its question; str() is the sentence to show."""

    code = "bad_answer"

    def __init__(self, question_id: str, message: str):
        super().__init__(message)
        self.question_id = question_id


class SurveyChanged(TemplateError):
    """A survey version changed after it was answered; str() names file and question."""

    code = "survey_changed"


# -- skip logic ----------------------------------------------------------------
def _matches(answer: Any, expected: Any) -> bool:
    if isinstance(answer, list):
        return any(_matches(item, expected) for item in answer)
    if isinstance(expected, bool):  # `equals = true` on a yes/no question
        expected = YES if expected else NO
    return answer == expected or str(answer) == str(expected)


def is_shown(question: Question, answers: Answers, *, allow_text: bool = True) -> bool:
    """Whether the question is asked, given earlier answers (only of shown questions)."""
    if question.type == "text" and not allow_text:
        return False
    rule = question.show_if
    if not rule:
        return True
    answer = answers.get(rule["question"])
    if answer is None or answer == []:
        return False
    if "equals" in rule:
        return _matches(answer, rule["equals"])
    return any(_matches(answer, option) for option in rule["in"])


def shown_answers(survey: Survey, answers: Answers, *, allow_text: bool = True) -> Answers:
    """The answers that count: those of shown questions, in order (hidden ones dropped,
    so a later question never depends on a hidden answer)."""
    kept: Answers = {}
    for question in survey.questions:
        if is_shown(question, kept, allow_text=allow_text) and question.id in answers:
            kept[question.id] = answers[question.id]
    return kept


def shown_questions(survey: Survey, answers: Answers, *, allow_text: bool = True) -> list[Question]:
    kept = shown_answers(survey, answers, allow_text=allow_text)
    return [q for q in survey.questions if is_shown(q, kept, allow_text=allow_text)]


# -- answers -------------------------------------------------------------------
def _is_empty(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def check_answer(question: Question, value: Any) -> Any:
    """The answer normalised (None when left empty), or AnswerError saying what fits."""
    q = question
    if _is_empty(value):
        return None
    if q.type == "single":
        if value not in q.options:
            raise AnswerError(q.id, f"Choose one of the {len(q.options)} options.")
        return value
    if q.type == "multiple":
        chosen = [value] if isinstance(value, str) else list(value)
        unknown = [v for v in chosen if v not in q.options]
        if unknown:
            raise AnswerError(q.id, f"{unknown[0]!r} is not one of the options.")
        return [option for option in q.options if option in chosen]  # template order, no repeats
    if q.type == "scale":
        number = _as_number(q, value)
        if number not in (1, 2, 3, 4, 5):
            raise AnswerError(q.id, "Choose a whole number from 1 to 5.")
        return int(number)
    if q.type == "yesno":
        text = str(value).strip().lower() if not isinstance(value, bool) else (YES if value else NO)
        if text in ("y", YES, "1"):
            return YES
        if text in ("n", NO, "2"):
            return NO
        raise AnswerError(q.id, "Answer yes or no.")
    if q.type == "number":
        number = _as_number(q, value)
        if not q.min <= number <= q.max:
            raise AnswerError(q.id, f"Type a number from {plain_number(q.min)} to {plain_number(q.max)}.")
        return int(number) if float(number).is_integer() else float(number)
    text = " ".join(str(value).split())
    if len(text) > q.max_length:
        raise AnswerError(q.id, f"Keep it to {q.max_length} characters (this is {len(text)}).")
    return text


def plain_number(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _as_number(q: Question, value: Any) -> float:
    if isinstance(value, bool):
        raise AnswerError(q.id, "Type a number.")
    if isinstance(value, (int, float)):
        return value
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise AnswerError(q.id, "Type a number.") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise AnswerError(q.id, "Type a number.")
    return int(number) if number.is_integer() else number


def check_response(survey: Survey, answers: Answers, *, allow_text: bool = True) -> Answers:
    """Every shown answer checked and every shown required question answered; hidden
    questions are dropped and never required. Raises the first AnswerError."""
    cleaned: Answers = {}
    for question in survey.questions:
        if not is_shown(question, cleaned, allow_text=allow_text):
            continue
        value = check_answer(question, answers.get(question.id))
        if value is None:
            if question.required:
                raise AnswerError(question.id, f"{question.prompt} needs an answer.")
            continue
        cleaned[question.id] = value
    return cleaned


# -- immutability ----------------------------------------------------------------
def definition(survey: Survey) -> dict:
    return asdict(survey)


def survey_sha256(survey: Survey) -> str:
    return hashlib.sha256(dump_json(definition(survey)).encode("utf-8")).hexdigest()


def _version_id(survey_id: str, version: str) -> str:
    return f"{survey_id}@{version}"


def recorded_definition(store: Store, survey_id: str, version: str) -> tuple[str, dict] | None:
    row = store.db.execute(
        "SELECT sha256, definition_json FROM survey_versions WHERE id = ?", [_version_id(survey_id, version)]
    ).fetchone()
    return (row[0], json.loads(row[1])) if row else None


def _first_difference(index: int, survey: Survey, old: dict, source: str) -> str:
    where = f"{source}: surveys[{index}]"
    old_questions = old.get("questions", [])
    for j, question in enumerate(survey.questions):
        before = old_questions[j] if j < len(old_questions) else None
        now = json.loads(dump_json(asdict(question)))
        if before != now:
            return f"{where}.questions[{j}] ({question.id})"
    if len(old_questions) > len(survey.questions):
        gone = old_questions[len(survey.questions)]
        return f"{where}.questions[{len(survey.questions)}] ({gone.get('id')}, removed)"
    return f"{where}.title"


def check_surveys(store: Store, template: EventTemplate) -> None:
    """Refuse a template whose survey differs from a version already answered here.

    Raises SurveyChanged naming the file and the first changed question.
    """
    for index, survey in enumerate(template.surveys):
        recorded = recorded_definition(store, survey.id, survey.version)
        if recorded is None or recorded[0] == survey_sha256(survey):
            continue
        where = _first_difference(index, survey, recorded[1], template.source)
        raise SurveyChanged(
            f"{where}: survey {survey.id!r} version {survey.version!r} already has responses and"
            " cannot change: give the changed survey a new version."
        )


def _remember_version(store: Store, survey: Survey, at: str) -> str:
    digest = survey_sha256(survey)
    recorded = recorded_definition(store, survey.id, survey.version)
    if recorded is None:
        store.append_fact(
            "survey_versions",
            {
                "id": _version_id(survey.id, survey.version),
                "survey_id": survey.id,
                "version": survey.version,
                "sha256": digest,
                "definition_json": dump_json(definition(survey)),
                "first_used_at": at,
            },
        )
    elif recorded[0] != digest:
        raise SurveyChanged(
            f"Survey {survey.id!r} version {survey.version!r} differs from the one already answered:"
            " ask the coordinator to give the changed survey a new version."
        )
    return digest


# -- responses -----------------------------------------------------------------
@dataclass(frozen=True)
class SubmittedResponse:
    response_id: str
    linked: bool
    answers: Answers  # what was kept in the response itself (closed answers)


def submit_response(
    store: Store,
    survey: Survey,
    answers: Answers,
    *,
    person_id: str | None = None,
    timer_id: str | None = None,
    draft_id: str | None = None,
) -> SubmittedResponse:
    """Check and store a response as facts; its draft (if any) is removed with it.

    The response keeps closed answers only; text answers and the link to the person
    are kept only under the sharing consent."""
    decision = intake_privacy.sharing(store, person_id)
    cleaned = check_response(survey, answers, allow_text=decision.allowed)
    closed = {qid: v for qid, v in cleaned.items() if _question(survey, qid).type != "text"}
    at = store.now()
    response_id = new_id()
    with store.transaction():
        digest = _remember_version(store, survey, utc_text(at))
        store.append_fact(
            "survey_responses",
            {
                "id": response_id,
                "event_id": store.event_id,
                "survey_id": survey.id,
                "survey_version": survey.version,
                "survey_sha256": digest,
                "timer_id": timer_id,
                "answers_json": dump_json(closed),
                "submitted_at": utc_text(at),
            },
        )
        if decision:
            intake_privacy.link(store, intake_privacy.RESPONSE, response_id, person_id, at)
            for qid, value in cleaned.items():
                if qid not in closed:
                    intake_privacy.keep_text(store, intake_privacy.RESPONSE, response_id, person_id, qid, value)
        if draft_id:
            discard_draft(store, draft_id)
    return SubmittedResponse(response_id, decision.allowed, closed)


def _question(survey: Survey, question_id: str) -> Question:
    return next(q for q in survey.questions if q.id == question_id)


def responses(store: Store, survey_id: str | None = None) -> list[dict]:
    """Stored responses of this event (closed answers), oldest first."""
    where, params = "WHERE event_id = ?", [store.event_id]
    if survey_id:
        where, params = where + " AND survey_id = ?", [*params, survey_id]
    rows = store.db.execute(
        f"SELECT id, survey_id, survey_version, timer_id, answers_json, submitted_at FROM survey_responses {where} ORDER BY hlc",
        params,
    ).fetchall()
    return [
        {"id": r[0], "survey_id": r[1], "survey_version": r[2], "timer_id": r[3], "answers": json.loads(r[4]), "submitted_at": r[5]}
        for r in rows
    ]


# -- drafts (local to this laptop, never synced) ---------------------------------
@dataclass(frozen=True)
class Draft:
    id: str
    survey_id: str
    survey_version: str
    timer_id: str | None
    person_id: str | None
    answers: Answers
    position: int
    updated_at: str


def save_draft(
    store: Store,
    survey: Survey,
    answers: Answers,
    position: int,
    *,
    draft_id: str | None = None,
    timer_id: str | None = None,
    person_id: str | None = None,
) -> str:
    """Keep an unfinished response on this laptop (it does not sync); returns its id.

    Like a response, a draft names the person and keeps text only under consent."""
    allowed = intake_privacy.sharing(store, person_id).allowed
    kept = shown_answers(survey, answers, allow_text=allowed)
    draft_id = draft_id or new_id()
    store.db.execute(
        "INSERT OR REPLACE INTO survey_drafts (id, survey_id, survey_version, timer_id, person_id,"
        " answers_json, position, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [draft_id, survey.id, survey.version, timer_id, person_id if allowed else None,
         dump_json(kept), position, store.now_text()],
    )
    return draft_id


def _draft(row) -> Draft:
    return Draft(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7])


_DRAFT_COLUMNS = "id, survey_id, survey_version, timer_id, person_id, answers_json, position, updated_at"


def drafts(store: Store) -> list[Draft]:
    rows = store.db.execute(f"SELECT {_DRAFT_COLUMNS} FROM survey_drafts ORDER BY updated_at DESC").fetchall()
    return [_draft(r) for r in rows]


def find_draft(store: Store, survey: Survey, timer_id: str | None) -> Draft | None:
    """The latest draft of this survey version for this timer. None without a timer: a draft
    no timer holds could be anyone's, and must never open with the next visitor's survey."""
    if not timer_id:
        return None
    row = store.db.execute(
        f"SELECT {_DRAFT_COLUMNS} FROM survey_drafts WHERE survey_id = ? AND survey_version = ? AND timer_id = ?"
        " ORDER BY updated_at DESC LIMIT 1",
        [survey.id, survey.version, timer_id],
    ).fetchone()
    return _draft(row) if row else None


def discard_draft(store: Store, draft_id: str) -> None:
    store.db.execute("DELETE FROM survey_drafts WHERE id = ?", [draft_id])
