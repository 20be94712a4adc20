"""Event templates: the samples validate; bad ones name the file and the field."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from fieldkit.event.template import TemplateError, load_template, parse_template, template_from_json
from tests.conftest import SAMPLE_EVENTS


@pytest.mark.parametrize("name", ["wellbeing-popup.toml", "campus-dropin.toml"])
def test_sample_templates_validate(name):
    template = load_template(SAMPLE_EVENTS / name)
    assert template.practitioners and template.intent_categories and template.surveys
    purposes = {p.id for p in template.consent.purposes}
    assert {"record_attendance", "share_intake_with_practitioners", "contact_for_followup", "aggregate_reporting"} <= purposes
    assert template.event.page_size in ("A4", "Letter")


def test_template_survives_the_round_trip_through_the_event_record(template):
    again = template_from_json(template.to_json())
    assert again.event == template.event
    assert again.practitioners == template.practitioners
    assert again.consent == template.consent


def broken(mutate) -> str:
    data = tomllib.loads((SAMPLE_EVENTS / "wellbeing-popup.toml").read_text(encoding="utf-8"))
    mutate(data)
    with pytest.raises(TemplateError) as refused:
        parse_template(data, "sample_events/x.toml")
    return str(refused.value)


def test_error_names_file_and_field_for_languages():
    def mutate(d):
        d["practitioners"][2]["languages"] = "uk"

    assert broken(mutate) == "sample_events/x.toml: practitioners[2].languages: expected a list of strings"


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d["event"].pop("name"), "event.name: missing"),
        (lambda d: d["event"].update(timezone="Mars/Olympus"), "event.timezone: unknown time zone"),
        (lambda d: d["event"].update(page_size="A5"), "event.page_size: expected A4 or Letter"),
        (lambda d: d["event"].update(ends=d["event"]["starts"]), "event.ends: must be after event.starts"),
        (lambda d: d["practitioners"][0].update(weekly_capacity="lots"), "practitioners[0].weekly_capacity: expected a whole number"),
        (lambda d: d["practitioners"][1].update(id="amara-okafor"), "practitioners[1].id: duplicate id"),
        (lambda d: d["surveys"][0]["questions"][0].update(type="essay"), "surveys[0].questions[0].type: expected one of"),
        (lambda d: d["surveys"][0]["questions"][2]["show_if"].update(question="later"), "surveys[0].questions[2].show_if.question"),
        (lambda d: d["surveys"][0]["questions"][3].update(labels=["a", "b"]), "surveys[0].questions[3].labels"),
        (lambda d: d["consent"]["purposes"][0].pop("text"), "consent.purposes[0].text: missing"),
        (lambda d: d.pop("intent_categories"), "intent_categories: missing"),
    ],
)
def test_each_bad_field_is_named(mutate, expected):
    message = broken(mutate)
    assert message.startswith("sample_events/x.toml: ")
    assert expected in message


def test_invalid_toml_names_the_file(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[event\nname = 1")
    with pytest.raises(TemplateError, match="bad.toml: not valid TOML"):
        load_template(bad)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[event]\nname = "Zo\xeb"\n'.encode("latin-1"), "latin.toml: not UTF-8 text (first problem on line 2)"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "latin.toml: not UTF-8 text (first problem on line 1)"),
    ],
)
def test_a_template_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path, content, expected):
    (tmp_path / "latin.toml").write_bytes(content)
    with pytest.raises(TemplateError, match=re.escape(expected)):
        load_template(tmp_path / "latin.toml")


def test_a_folder_given_as_the_template_is_refused(tmp_path: Path):
    (tmp_path / "event.toml").mkdir()
    with pytest.raises(TemplateError, match="event.toml: a folder, not a template file"):
        load_template(tmp_path / "event.toml")


def test_a_template_saved_by_notepad_with_a_byte_order_mark_loads(tmp_path: Path):
    text = (Path(__file__).parent.parent / "sample_events" / "wellbeing-popup.toml").read_text(encoding="utf-8")
    (tmp_path / "event.toml").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_template(tmp_path / "event.toml").event.name == tomllib.loads(text)["event"]["name"]


def test_sample_registrations_have_forty_plus_people_in_several_scripts():
    import csv
    import unicodedata

    for name in ("wellbeing-popup-registrations.csv", "campus-dropin-registrations.csv"):
        text = (SAMPLE_EVENTS / name).read_text(encoding="utf-8-sig")
        delimiter = ";" if text.splitlines()[0].count(";") > 1 else ","
        rows = list(csv.reader(text.splitlines(), delimiter=delimiter))[1:]
        assert len(rows) >= 40
        scripts = {unicodedata.name(ch).split()[0] for row in rows for cell in row for ch in cell if ch.isalpha()}
        assert {"LATIN", "GREEK", "CYRILLIC"} <= scripts


def test_an_event_made_before_the_receipt_fields_still_opens(store):
    """A template kept in an older event record lacks the controller's details: it loads, with them empty."""
    import json

    from fieldkit.event.template import load_template, template_from_json
    from tests.conftest import SAMPLE_EVENTS

    raw = json.loads(load_template(SAMPLE_EVENTS / "wellbeing-popup.toml").to_json())
    for key in ("controller_contact", "controller_address", "controller_email", "controller_phone", "policy_url"):
        raw["consent"].pop(key)
    for purpose in raw["consent"]["purposes"]:
        purpose.pop("purpose_category", None)
        purpose.pop("pii_category", None)
    old = template_from_json(json.dumps(raw))
    assert old.consent.policy_url == "" and old.consent.controller_email == ""
    assert [p.id for p in old.consent.purposes]
