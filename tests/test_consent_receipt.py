"""Consent receipts: valid against the official Kantara Consent Receipt v1.1 schema, and a "no" is never listed as consent."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from fieldkit.consent.receipts import build_receipt, receipt_json
from fieldkit.consent.records import record_consent
from fieldkit.consent.withdrawal import revoke
from fieldkit.people import add_person

SCHEMA_FILE = Path(__file__).parent / "data" / "kantara" / "kantara-consent-receipt-v1_1-schema.json"


def official_schema() -> dict:
    """The published schema; its file starts with `//` comment lines, which JSON does not allow."""
    lines = SCHEMA_FILE.read_text(encoding="utf-8").splitlines()
    return json.loads("\n".join(line for line in lines if not line.lstrip().startswith("//")))


def schema_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft4Validator(official_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def listed_as_consent(document: dict) -> list[str]:
    return [purpose["purpose"] for service in document["services"] for purpose in service["purposes"]]


def nulls(value, path="") -> list[str]:
    """Where the document holds a JSON null (the schema types every field it names)."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in nulls(item, f"{path}/{key}")]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in nulls(item, f"{path}/{index}")]
    return []


def test_the_official_schema_is_the_published_one():
    schema = official_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert {"policyUrl", "piiControllers", "services"} <= set(schema["required"])


def test_a_yes_a_no_and_a_never_asked_purpose_validate_and_only_the_yes_is_consent(store, template):
    person = add_person(store, "Ana Silva")
    record_consent(store, person, {"record_attendance": True, "contact_for_followup": False}, method="spoken")
    document = receipt_json(build_receipt(store, person))
    assert schema_errors(document) == []
    titles = {p.id: p.title for p in template.consent.purposes}
    assert listed_as_consent(document) == [titles["record_attendance"]]
    for refused_or_never_asked in ("contact_for_followup", "share_intake_with_practitioners", "aggregate_reporting"):
        assert titles[refused_or_never_asked] not in json.dumps(document, ensure_ascii=False)
    assert nulls(document) == []


def test_the_controller_and_its_policy_are_named_from_the_template(store, template):
    person = add_person(store, "Ana Silva")
    record_consent(store, person, {"share_intake_with_practitioners": True}, method="on_screen")
    document = receipt_json(build_receipt(store, person))
    settings = template.consent
    [controller] = document["piiControllers"]
    assert controller["piiController"] == settings.controller
    assert (controller["contact"], controller["email"], controller["phone"]) == (
        settings.controller_contact, settings.controller_email, settings.controller_phone)
    assert controller["address"]["streetAddress"] == settings.controller_address
    assert document["policyUrl"] == settings.policy_url
    [purpose] = document["services"][0]["purposes"]
    assert purpose["consentType"] == "EXPLICIT" and purpose["piiCategory"] == ["6 - Health"]
    assert isinstance(purpose["termination"], str) and purpose["termination"]


def test_a_withdrawn_consent_is_no_longer_listed(store, template):
    person = add_person(store, "Ana Silva")
    record_consent(store, person, {"record_attendance": True, "aggregate_reporting": True}, method="paper")
    revoke(store, person, "aggregate_reporting")
    document = receipt_json(build_receipt(store, person))
    assert schema_errors(document) == []
    assert listed_as_consent(document) == [template.purpose("record_attendance").title]


def test_someone_who_said_no_to_everything_gets_a_valid_receipt_that_lists_no_consent(store, template):
    person = add_person(store, "Ana Silva")
    record_consent(store, person, {p.id: False for p in template.consent.purposes}, method="spoken")
    document = receipt_json(build_receipt(store, person))
    assert schema_errors(document) == []
    assert listed_as_consent(document) == []


@pytest.mark.parametrize("field", ["controller_contact", "controller_address", "controller_email", "controller_phone", "policy_url"])
def test_a_template_without_the_controller_details_is_refused(field, tmp_path):
    from fieldkit.event.template import TemplateError, load_template
    from tests.conftest import SAMPLE_EVENTS

    text = (SAMPLE_EVENTS / "wellbeing-popup.toml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith(f"{field} =")]
    broken = tmp_path / "event.toml"
    broken.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(TemplateError, match=f"consent.{field}"):
        load_template(broken)


def test_a_printed_receipt_never_says_yes_for_a_consent_that_no_longer_holds(store):
    # Before: an expired "yes" printed as Yes, while the gate (and the JSON) said no.
    from datetime import timedelta

    from fieldkit.consent.receipts import printed_receipt
    from tests.sample_dates import sample_time

    person = add_person(store, "Ana Silva")
    given = sample_time(10)
    record_consent(store, person, {"record_attendance": True}, method="spoken", at=given,
                   valid_until=given + timedelta(days=1))
    then = printed_receipt(store, build_receipt(store, person, given + timedelta(hours=1)))
    assert "Yes" in {line.decision for line in then.lines}
    later = {line.decision for line in printed_receipt(store, build_receipt(store, person, given + timedelta(days=2))).lines}
    assert "Yes" not in later and "Expired" in later


def test_the_receipts_until_date_is_the_events_day_not_utcs(store):
    # 5 December 12:00 in Auckland is 4 December in UTC: the receipt said "Until 2027-12-04".
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from fieldkit.consent.receipts import _termination

    person = add_person(store, "Ana Silva")
    record_consent(store, person, {"record_attendance": True}, method="spoken")
    purpose = next(p for p in build_receipt(store, person).purposes if p.id == "record_attendance")
    until = datetime(2027, 12, 5, 12, tzinfo=ZoneInfo("Pacific/Auckland")).astimezone(ZoneInfo("UTC")).isoformat()
    moved = type(purpose)(**{**purpose.__dict__, "valid_until": until})
    settings = build_receipt(store, person).settings
    assert _termination(moved, settings, "Pacific/Auckland").startswith("Until 2027-12-05,")
    assert _termination(moved, settings, "UTC").startswith("Until 2027-12-04,")


def test_a_prefilled_form_does_not_tick_yes_for_a_consent_that_no_longer_holds(store):
    from datetime import timedelta

    from fieldkit.consent.forms import prefilled_form
    from tests.sample_dates import sample_time

    person = add_person(store, "Ana Silva")
    given = sample_time(10)
    record_consent(store, person, {"record_attendance": True, "contact_for_followup": False}, method="spoken",
                   at=given, valid_until=given + timedelta(days=1))
    ticked = {p.id: p.choice for p in prefilled_form(store, person, given + timedelta(days=2)).purposes}
    assert ticked["record_attendance"] is None and ticked["contact_for_followup"] is False
