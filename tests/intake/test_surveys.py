"""Surveys: answer checks per type, skip logic (property tests), responses, drafts, immutability."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.event.template import Question, Survey, TemplateError, load_template
from fieldkit.intake import surveys as sv
from fieldkit.intake.privacy import linked_person, texts_of
from tests.conftest import SAMPLE_EVENTS


@pytest.fixture
def survey(template) -> Survey:
    return template.surveys[0]  # wellbeing-checkin: introducer_group shown if introduced == yes


def q(qtype: str, **kw) -> Question:
    defaults = {"single": {"options": ("a", "b")}, "multiple": {"options": ("a", "b", "c")},
                "number": {"min": 0, "max": 10}, "text": {"max_length": 5}}
    return Question(id="x", type=qtype, prompt="P?", **{**defaults.get(qtype, {}), **kw})


@pytest.mark.parametrize("qtype, given_value, expected", [
    ("single", "b", "b"),
    ("multiple", ["c", "a", "a"], ["a", "c"]),
    ("multiple", "b", ["b"]),
    ("scale", "4", 4),
    ("scale", 5, 5),
    ("yesno", "Y", "yes"),
    ("yesno", False, "no"),
    ("number", "7", 7),
    ("number", "2,5", 2.5),
    ("text", "  hi   there ", None),  # too long once joined? "hi there" is 8 > 5
    ("single", "", None),
    ("multiple", [], None),
])
def test_answers_are_normalised(qtype, given_value, expected):
    if expected is None and given_value not in ("", []):
        with pytest.raises(sv.AnswerError):
            sv.check_answer(q(qtype), given_value)
        return
    assert sv.check_answer(q(qtype), given_value) == expected


@pytest.mark.parametrize("qtype, bad, words", [
    ("single", "z", "Choose one of the 2 options."),
    ("multiple", ["a", "z"], "'z' is not one of the options."),
    ("scale", 6, "Choose a whole number from 1 to 5."),
    ("scale", "2.5", "Choose a whole number from 1 to 5."),
    ("yesno", "maybe", "Answer yes or no."),
    ("number", "11", "Type a number from 0 to 10."),
    ("number", "ten", "Type a number."),
    ("number", "nan", "Type a number."),
    ("number", True, "Type a number."),
    ("text", "toolong", "Keep it to 5 characters (this is 7)."),
])
def test_bad_answers_are_one_sentence(qtype, bad, words):
    with pytest.raises(sv.AnswerError) as caught:
        sv.check_answer(q(qtype), bad)
    assert str(caught.value) == words and caught.value.question_id == "x"


def test_skip_logic_on_the_sample(survey):
    base = {"heard_from": "Online", "wellbeing": 3}
    shown = [x.id for x in sv.shown_questions(survey, {**base, "introduced": "no"})]
    assert "introducer_group" not in shown
    assert "introducer_group" in [x.id for x in sv.shown_questions(survey, {**base, "introduced": "yes"})]
    # introducer_group is required, but not when hidden; a stale hidden answer is dropped
    kept = sv.check_response(survey, {**base, "introduced": "no", "introducer_group": "Other"})
    assert "introducer_group" not in kept
    with pytest.raises(sv.AnswerError) as caught:
        sv.check_response(survey, {**base, "introduced": "yes"})
    assert caught.value.question_id == "introducer_group"
    assert "anything_else" not in [x.id for x in sv.shown_questions(survey, base, allow_text=False)]


# -- property tests: random surveys with chains of show_if ------------------------
OPTIONS = ("a", "b", "c")


@st.composite
def surveys_and_answers(draw):
    questions = []
    for index in range(draw(st.integers(1, 7))):
        qtype = draw(st.sampled_from(("single", "multiple", "yesno", "scale")))
        show_if = None
        if questions and draw(st.booleans()):
            target = draw(st.sampled_from(questions))
            values = {"single": OPTIONS, "multiple": OPTIONS, "yesno": ("yes", "no"), "scale": (1, 2, 3, 4, 5)}[target.type]
            if draw(st.booleans()):
                show_if = {"question": target.id, "equals": draw(st.sampled_from(values))}
            else:
                show_if = {"question": target.id, "in": draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))}
        questions.append(Question(id=f"q{index}", type=qtype, prompt=f"Question {index}?", required=draw(st.booleans()),
                                  options=OPTIONS if qtype in ("single", "multiple") else (), show_if=show_if))
    survey = Survey(id="s", version="1", title="S", questions=tuple(questions))
    answer_for = {"single": st.sampled_from(OPTIONS), "multiple": st.lists(st.sampled_from(OPTIONS), min_size=1, max_size=3, unique=True),
                  "yesno": st.sampled_from(("yes", "no")), "scale": st.integers(1, 5)}
    answers = {x.id: draw(answer_for[x.type]) for x in questions if draw(st.booleans())}
    return survey, answers


@settings(max_examples=100, deadline=None)
@given(surveys_and_answers())
def test_a_hidden_question_is_never_required(case):
    survey, answers = case
    shown = {x.id for x in sv.shown_questions(survey, answers)}
    # Answer exactly the shown required questions that are missing... unless that
    # changes what is shown; so instead: drop every hidden answer and every
    # hidden question must not be the cause of a refusal.
    try:
        kept = sv.check_response(survey, answers)
    except sv.AnswerError as refusal:
        assert refusal.question_id in shown
        assert refusal.question_id not in answers
        assert next(x for x in survey.questions if x.id == refusal.question_id).required
    else:
        assert set(kept) <= shown
        assert all(x.id in kept for x in survey.questions if x.id in shown and x.required)


@settings(max_examples=100, deadline=None)
@given(surveys_and_answers())
def test_answering_only_what_is_shown_always_validates(case):
    survey, pool = case
    answers: dict = {}
    # Walk the survey as the runner does: answer each shown question in order.
    for question in survey.questions:
        if sv.is_shown(question, answers):
            answers[question.id] = pool.get(question.id) or {"single": "a", "multiple": ["a"], "yesno": "yes", "scale": 3}[question.type]
    kept = sv.check_response(survey, answers)
    assert set(kept) == {x.id for x in sv.shown_questions(survey, answers)}


@settings(max_examples=60, deadline=None)
@given(surveys_and_answers())
def test_hidden_answers_never_change_what_is_shown(case):
    survey, answers = case
    visible = sv.shown_answers(survey, answers)
    assert [x.id for x in sv.shown_questions(survey, answers)] == [x.id for x in sv.shown_questions(survey, visible)]


# -- responses, consent, drafts ----------------------------------------------------
ANSWERS = {"heard_from": "Online", "introduced": "yes", "introducer_group": "Parents' group", "wellbeing": 2,
           "topics": ["Sleep", "Stress"], "visits": "3", "anything_else": "my neighbour at no. 4 told me"}


def test_a_response_without_consent_keeps_only_closed_answers(timed_store, survey, people, consenting):
    done = sv.submit_response(timed_store, survey, ANSWERS, person_id=people["Grace Hopper"])
    assert not done.linked
    assert done.answers == {"heard_from": "Online", "introduced": "yes", "introducer_group": "Parents' group",
                            "wellbeing": 2, "topics": ["Stress", "Sleep"], "visits": 3}
    assert linked_person(timed_store, done.response_id) is None and texts_of(timed_store, done.response_id) == {}
    text = timed_store.db.execute("SELECT answers_json FROM survey_responses").fetchone()[0]
    assert "neighbour" not in text and people["Grace Hopper"] not in text


def test_a_response_with_consent_is_linked_and_keeps_text(timed_store, survey, people, consenting):
    consenting.add(people["Ada Lovelace"])
    done = sv.submit_response(timed_store, survey, ANSWERS, person_id=people["Ada Lovelace"])
    assert done.linked and "anything_else" not in done.answers
    assert linked_person(timed_store, done.response_id) == people["Ada Lovelace"]
    assert texts_of(timed_store, done.response_id) == {"anything_else": "my neighbour at no. 4 told me"}


def test_a_bad_response_writes_nothing(timed_store, survey):
    before = timed_store.counts()
    with pytest.raises(sv.AnswerError):
        sv.submit_response(timed_store, survey, {**ANSWERS, "visits": "99"})
    assert timed_store.counts() == before


def test_drafts_are_local_resumable_and_removed_on_submit(timed_store, survey, wall):
    draft_id = sv.save_draft(timed_store, survey, {"heard_from": "Online"}, 1, timer_id="T1")
    wall.advance(seconds=5)
    sv.save_draft(timed_store, survey, {"heard_from": "Online", "introduced": "no", "introducer_group": "Other"}, 2,
                  draft_id=draft_id, timer_id="T1")
    found = sv.find_draft(timed_store, survey, "T1")
    assert found.id == draft_id and found.position == 2
    assert found.answers == {"heard_from": "Online", "introduced": "no"}  # hidden answer not kept
    assert sv.find_draft(timed_store, survey, None) is None
    assert "survey_drafts" not in timed_store.synced
    assert timed_store.changes_of(timed_store.device_id, limit=10_000)[-1].table != "survey_drafts"
    sv.submit_response(timed_store, survey, {**found.answers, "wellbeing": 4}, draft_id=draft_id)
    assert sv.drafts(timed_store) == []


# -- immutability ----------------------------------------------------------------------
def changed_copy(tmp_path, old: str, new: str):
    text = (SAMPLE_EVENTS / "wellbeing-popup.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "changed.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_template(path)


def test_an_answered_version_cannot_change(timed_store, survey, template, tmp_path):
    sv.check_surveys(timed_store, template)  # nothing answered yet: anything goes
    sv.submit_response(timed_store, survey, ANSWERS)
    sv.check_surveys(timed_store, template)  # unchanged: fine
    changed = changed_copy(tmp_path, '"Very low", "Low"', '"Awful", "Low"')
    with pytest.raises(sv.SurveyChanged) as caught:
        sv.check_surveys(timed_store, changed)
    assert str(caught.value).startswith(f"{tmp_path / 'changed.toml'}: surveys[0].questions[3] (wellbeing): ")
    assert "new version" in str(caught.value)
    assert isinstance(caught.value, TemplateError)
    with pytest.raises(sv.SurveyChanged):
        sv.submit_response(timed_store, changed.surveys[0], {k: v for k, v in ANSWERS.items()})
    bumped = dataclasses.replace(changed.surveys[0], version="2")
    sv.submit_response(timed_store, bumped, ANSWERS)  # a new version is fine


def test_a_removed_question_is_named(timed_store, survey, tmp_path):
    sv.submit_response(timed_store, survey, ANSWERS)
    shorter = dataclasses.replace(survey, questions=survey.questions[:-1])
    template = dataclasses.replace(load_template(SAMPLE_EVENTS / "wellbeing-popup.toml"), surveys=(shorter,))
    with pytest.raises(sv.SurveyChanged) as caught:
        sv.check_surveys(timed_store, template)
    assert "surveys[0].questions[6] (anything_else, removed)" in str(caught.value)


@pytest.mark.parametrize("old, new, where", [
    ('show_if = { question = "introduced", equals = "yes" }', 'show_if = { question = "wellbeing", equals = "yes" }',
     "surveys[0].questions[2].show_if.question: must name an earlier question of this survey"),
    ('type = "scale"', 'type = "slider"', "surveys[0].questions[3].type: expected one of"),
    ("max_length = 200", "max_length = 0", "surveys[0].questions[6].max_length: a text question needs a positive max_length"),
    ("min = 0\nmax = 50", "min = 60\nmax = 50", "surveys[0].questions[5].max: a number question needs min <= max"),
    ('options = ["Faith group", "Tenants\' association", "Parents\' group", "Other"]', 'options = ["Only one"]',
     "surveys[0].questions[2].options: a choice question needs at least two options"),
])
def test_bad_survey_definitions_name_file_and_field(tmp_path, old, new, where):
    with pytest.raises(TemplateError) as caught:
        changed_copy(tmp_path, old, new)
    assert str(caught.value).startswith(f"{tmp_path / 'changed.toml'}: {where}")


@pytest.mark.parametrize("old, new, where", [
    ('equals = "yes" }', 'equals = "maybe" }', "surveys[0].questions[2].show_if.equals: 'maybe' is never an answer to 'introduced'"),
    ('equals = "yes" }', 'in = [] }', "surveys[0].questions[2].show_if.in: expected a non-empty list of answers"),
    ('id = "wellbeing-checkin"', 'id = "wellbeing-checkin"\nversion = "1"\ntitle = "x"\n[[surveys.questions]]\nid = "a"\ntype = "yesno"\nprompt = "A?"\n\n[[surveys]]\nid = "wellbeing-checkin"',
     "surveys[1].id: duplicate id 'wellbeing-checkin'"),
])
def test_impossible_skip_logic_and_duplicate_surveys_are_refused(tmp_path, old, new, where):
    with pytest.raises(TemplateError) as caught:
        changed_copy(tmp_path, old, new)
    assert str(caught.value) == f"{tmp_path / 'changed.toml'}: {where}"
