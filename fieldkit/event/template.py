"""Event templates (TOML): loading and validating them into plain, frozen values.

Errors name the file and the field, e.g.
`sample_events/x.toml: practitioners[2].languages: expected a list of strings`.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fieldkit.event.template_values import (
    CARD_FORMS,
    CHANNELS,
    MAX_PASS_GRACE_HOURS,
    PAGE_SIZES,
    PASS_GRACE_HOURS,
    QUESTION_TYPES,
    RECEIPT_CATEGORIES,
    CheckinSettings,
    ConsentPurpose,
    ConsentSettings,
    EventInfo,
    EventTemplate,
    IntentCategory,
    Practitioner,
    Question,
    ReferralSettings,
    Survey,
    TemplateError,
)

__all__ = [
    "CARD_FORMS",
    "CHANNELS",
    "CheckinSettings",
    "ConsentPurpose",
    "ConsentSettings",
    "EventInfo",
    "EventTemplate",
    "IntentCategory",
    "load_template",
    "PAGE_SIZES",
    "parse_template",
    "Practitioner",
    "Question",
    "QUESTION_TYPES",
    "ReferralSettings",
    "Survey",
    "template_as_dict",
    "template_from_json",
    "TemplateError",
]


class _Reader:
    """Walks a parsed TOML table, collecting typed values or raising with a path."""

    def __init__(self, source: str, *, stored: bool = False):
        self.source = source
        # A template kept in an event record made by an earlier Field Kit may lack fields
        # added since (the receipt's controller details): it still opens, with them empty.
        self.stored = stored

    def added_later(self, default: Any) -> Any:
        """The default for a field newer templates must have: required in a file, empty in a stored record."""
        return default if self.stored else ...

    def fail(self, where: str, problem: str) -> TemplateError:
        return TemplateError(f"{self.source}: {where}: {problem}")

    def table(self, data: Any, where: str) -> dict:
        if not isinstance(data, dict):
            raise self.fail(where, "expected a table")
        return data

    def get(self, data: dict, where: str, key: str, kind: str, default: Any = ...) -> Any:
        path = f"{where}.{key}" if where else key
        if key not in data:
            if default is ...:
                raise self.fail(path, "missing")
            return default
        value = data[key]
        checks = {
            "str": lambda v: isinstance(v, str) and v.strip() != "",
            "text": lambda v: isinstance(v, str),
            "bool": lambda v: isinstance(v, bool),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "strs": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
            "table": lambda v: isinstance(v, dict),
            "tables": lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
            "datetime": lambda v: isinstance(v, datetime)
            or (isinstance(v, str) and _parse_datetime(v) is not None),
        }
        words = {
            "str": "expected a non-empty string",
            "text": "expected a string",
            "bool": "expected true or false",
            "int": "expected a whole number",
            "number": "expected a number",
            "strs": "expected a list of strings",
            "table": "expected a table",
            "tables": "expected an array of tables",
            "datetime": "expected a local date-time such as 2026-12-05T10:00",
        }
        if not checks[kind](value):
            raise self.fail(path, words[kind])
        if kind == "datetime" and isinstance(value, str):
            return _parse_datetime(value)
        if kind == "strs":
            return tuple(value)
        return value

    def one_of(self, data: dict, where: str, key: str, choices: tuple[str, ...], default: Any = ...) -> str:
        """A string that must be one of `choices`."""
        value = self.get(data, where, key, "str", default)
        if value not in choices:
            raise self.fail(f"{where}.{key}", f"expected one of {', '.join(choices)}")
        return value

    def unique_ids(self, items: list[dict], where: str) -> None:
        seen: set[str] = set()
        for index, item in enumerate(items):
            ident = item.get("id")
            if ident in seen:
                raise self.fail(f"{where}[{index}].id", f"duplicate id {ident!r}")
            seen.add(ident)


def _parse_datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _event(r: _Reader, data: dict) -> EventInfo:
    ev = r.get(data, "", "event", "table")
    tz = r.get(ev, "event", "timezone", "str")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("event.timezone", f"unknown time zone {tz!r}") from None
    starts = r.get(ev, "event", "starts", "datetime")
    ends = r.get(ev, "event", "ends", "datetime")
    if ends.replace(tzinfo=None) <= starts.replace(tzinfo=None):
        raise r.fail("event.ends", "must be after event.starts")
    page_size = r.get(ev, "event", "page_size", "str", "A4")
    if page_size not in PAGE_SIZES:
        raise r.fail("event.page_size", "expected A4 or Letter")
    grace = r.get(ev, "event", "pass_grace_hours", "int", PASS_GRACE_HOURS)
    if not 0 <= grace <= MAX_PASS_GRACE_HOURS:
        raise r.fail("event.pass_grace_hours", f"expected a whole number of hours from 0 to {MAX_PASS_GRACE_HOURS}")
    zone = ZoneInfo(tz)
    return EventInfo(
        name=r.get(ev, "event", "name", "str"),
        venue=r.get(ev, "event", "venue", "str"),
        community=r.get(ev, "event", "community", "str"),
        starts=starts if starts.tzinfo else starts.replace(tzinfo=zone),
        ends=ends if ends.tzinfo else ends.replace(tzinfo=zone),
        timezone=tz,
        page_size=page_size,
        printer=r.get(ev, "event", "printer", "str", ""),
        pass_grace_hours=grace,
    )


def _practitioners(r: _Reader, data: dict) -> tuple[Practitioner, ...]:
    items = r.get(data, "", "practitioners", "tables", [])
    r.unique_ids(items, "practitioners")
    out = []
    for i, item in enumerate(items):
        w = f"practitioners[{i}]"
        capacity = r.get(item, w, "weekly_capacity", "int", 0)
        if capacity < 0:
            raise r.fail(f"{w}.weekly_capacity", "must be 0 or more")
        out.append(
            Practitioner(
                id=r.get(item, w, "id", "str"),
                name=r.get(item, w, "name", "str"),
                specialisms=r.get(item, w, "specialisms", "strs"),
                modalities=r.get(item, w, "modalities", "strs", ()),
                languages=r.get(item, w, "languages", "strs"),
                sliding_scale=r.get(item, w, "sliding_scale", "bool", False),
                accepting_new_clients=r.get(item, w, "accepting_new_clients", "bool", True),
                weekly_capacity=capacity,
                how_to_book=r.get(item, w, "how_to_book", "str"),
                location=r.get(item, w, "location", "text", ""),
            )
        )
    return tuple(out)


def _intents(r: _Reader, data: dict) -> tuple[IntentCategory, ...]:
    items = r.get(data, "", "intent_categories", "tables")
    if not items:
        raise r.fail("intent_categories", "at least one category is needed")
    r.unique_ids(items, "intent_categories")
    return tuple(
        IntentCategory(
            id=r.get(item, f"intent_categories[{i}]", "id", "str"),
            label=r.get(item, f"intent_categories[{i}]", "label", "str"),
            needs_note=r.get(item, f"intent_categories[{i}]", "needs_note", "bool", False),
        )
        for i, item in enumerate(items)
    )


def _question(r: _Reader, item: dict, w: str, earlier: dict[str, Question]) -> Question:
    qtype = r.one_of(item, w, "type", QUESTION_TYPES)
    options = r.get(item, w, "options", "strs", ())
    if qtype in ("single", "multiple") and len(options) < 2:
        raise r.fail(f"{w}.options", "a choice question needs at least two options")
    labels = r.get(item, w, "labels", "strs", ())
    if qtype == "scale" and labels and len(labels) != 5:
        raise r.fail(f"{w}.labels", "a 1-5 scale needs exactly five labels")
    minimum = r.get(item, w, "min", "number", None)
    maximum = r.get(item, w, "max", "number", None)
    if qtype == "number" and (minimum is None or maximum is None or minimum > maximum):
        raise r.fail(f"{w}.max", "a number question needs min <= max")
    max_length = r.get(item, w, "max_length", "int", None)
    if qtype == "text" and (max_length is None or max_length < 1):
        raise r.fail(f"{w}.max_length", "a text question needs a positive max_length")
    show_if = r.get(item, w, "show_if", "table", None)
    if show_if is not None:
        target = show_if.get("question")
        if target not in earlier:
            raise r.fail(f"{w}.show_if.question", "must name an earlier question of this survey")
        if "equals" not in show_if and "in" not in show_if:
            raise r.fail(f"{w}.show_if", "needs `equals` or `in`")
        _check_show_if_values(r, show_if, earlier[target], w)
    return Question(
        id=r.get(item, w, "id", "str"),
        type=qtype,
        prompt=r.get(item, w, "prompt", "str"),
        required=r.get(item, w, "required", "bool", False),
        options=options,
        labels=labels,
        min=minimum,
        max=maximum,
        max_length=max_length,
        show_if=show_if,
    )


def _possible_answers(question: Question) -> tuple | None:
    """The answers a closed question can have (None: any number or text)."""
    if question.type in ("single", "multiple"):
        return question.options
    if question.type == "yesno":
        return ("yes", "no", True, False)
    if question.type == "scale":
        return (1, 2, 3, 4, 5)
    return None


def _check_show_if_values(r: _Reader, show_if: dict, target: Question, w: str) -> None:
    # A condition no answer can meet would hide its question for ever: a typo, surely.
    key = "equals" if "equals" in show_if else "in"
    expected = [show_if["equals"]] if key == "equals" else show_if["in"]
    if not isinstance(expected, list) or not expected:
        raise r.fail(f"{w}.show_if.in", "expected a non-empty list of answers")
    possible = _possible_answers(target)
    if possible is None:
        return
    for value in expected:
        if not any(value == p and type(value) is type(p) for p in possible):
            raise r.fail(f"{w}.show_if.{key}", f"{value!r} is never an answer to {target.id!r}")


def _surveys(r: _Reader, data: dict) -> tuple[Survey, ...]:
    items = r.get(data, "", "surveys", "tables", [])
    r.unique_ids(items, "surveys")
    out = []
    for i, item in enumerate(items):
        w = f"surveys[{i}]"
        questions: dict[str, Question] = {}
        raw_questions = r.get(item, w, "questions", "tables")
        r.unique_ids(raw_questions, f"{w}.questions")
        for j, q in enumerate(raw_questions):
            question = _question(r, q, f"{w}.questions[{j}]", questions)
            questions[question.id] = question
        out.append(
            Survey(
                id=r.get(item, w, "id", "str"),
                version=str(r.get(item, w, "version", "str")),
                title=r.get(item, w, "title", "str"),
                questions=tuple(questions.values()),
            )
        )
    return tuple(out)


def _purpose(r: _Reader, item: dict, w: str) -> ConsentPurpose:
    ident = r.get(item, w, "id", "str")
    standard = RECEIPT_CATEGORIES.get(ident)
    categories = [
        r.get(item, w, key, "strs", standard[n] if standard else r.added_later(()))
        for n, key in enumerate(("purpose_category", "pii_category"))
    ]
    return ConsentPurpose(
        id=ident,
        title=r.get(item, w, "title", "str"),
        version=r.get(item, w, "version", "str"),
        text=r.get(item, w, "text", "str"),
        accepted_versions=r.get(item, w, "accepted_versions", "strs", ()),
        purpose_category=categories[0],
        pii_category=categories[1],
    )


def _consent(r: _Reader, data: dict) -> ConsentSettings:
    c = r.get(data, "", "consent", "table")
    items = r.get(c, "consent", "purposes", "tables")
    r.unique_ids(items, "consent.purposes")
    purposes = tuple(_purpose(r, p, f"consent.purposes[{i}]") for i, p in enumerate(items))
    days = r.get(c, "consent", "valid_days_after_event", "int", 365)
    if days < 0:
        raise r.fail("consent.valid_days_after_event", "must be 0 or more")
    policy_url = r.get(c, "consent", "policy_url", "str", r.added_later(""))
    if policy_url and not policy_url.startswith(("https://", "http://")):
        raise r.fail("consent.policy_url", "expected a web address starting with https://")
    return ConsentSettings(
        jurisdiction=r.get(c, "consent", "jurisdiction", "str"),
        controller=r.get(c, "consent", "controller", "str"),
        valid_days_after_event=days,
        purposes=purposes,
        controller_contact=r.get(c, "consent", "controller_contact", "str", r.added_later("")),
        controller_address=r.get(c, "consent", "controller_address", "str", r.added_later("")),
        controller_email=r.get(c, "consent", "controller_email", "str", r.added_later("")),
        controller_phone=r.get(c, "consent", "controller_phone", "str", r.added_later("")),
        policy_url=policy_url,
    )


def _referrals(r: _Reader, data: dict) -> ReferralSettings:
    ref = r.get(data, "", "referral_card", "table")
    return ReferralSettings(
        card_heading=r.get(ref, "referral_card", "heading", "str"),
        card_text=r.get(ref, "referral_card", "text", "str"),
        credit_milestone=r.get(ref, "referral_card", "credit_milestone", "str", "booked"),
        single_card=r.one_of(ref, "referral_card", "single_card", CARD_FORMS, "card"),
    )


def _checkin(r: _Reader, data: dict) -> CheckinSettings:
    desk = r.get(data, "", "checkin", "table", {})
    seconds = r.get(desk, "checkin", "result_seconds", "number", CheckinSettings.result_seconds)
    if not 1 <= seconds <= 120:
        raise r.fail("checkin.result_seconds", "expected a number of seconds from 1 to 120")
    return CheckinSettings(result_seconds=float(seconds))


def parse_template(data: dict, source: str, *, stored: bool = False) -> EventTemplate:
    r = _Reader(source, stored=stored)
    r.table(data, "(top level)")
    return EventTemplate(
        source=source,
        event=_event(r, data),
        practitioners=_practitioners(r, data),
        intent_categories=_intents(r, data),
        surveys=_surveys(r, data),
        consent=_consent(r, data),
        referrals=_referrals(r, data),
        raw=data,
        checkin=_checkin(r, data),
    )


def load_template(path: str | Path) -> EventTemplate:
    """Read and validate a template file; TemplateError names file and field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise TemplateError(f"{path}: no such template file") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise TemplateError(
            f"{path}: not UTF-8 text (first problem on line {line}); save it as UTF-8 and retry"
        ) from None
    except OSError as exc:  # a folder is IsADirectoryError here, PermissionError on Windows
        if path.is_dir():
            raise TemplateError(f"{path}: a folder, not a template file; give the .toml file inside it") from None
        raise TemplateError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{path}: not valid TOML ({exc})") from None
    return parse_template(data, str(path))


def template_from_json(text: str, source: str = "event record") -> EventTemplate:
    """Rebuild the template kept in the event record."""
    return parse_template(json.loads(text), source, stored=True)


def template_as_dict(template: EventTemplate) -> dict:
    return asdict(template)
