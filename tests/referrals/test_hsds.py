"""The HSDS export validates against the HSDS 3 schema subset it uses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from fieldkit.referrals.hsds import hsds_organization

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "data" / "hsds-subset.schema.json").read_text())


def validate(document: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document)


def test_export_validates_and_carries_the_directory(template):
    doc = hsds_organization(template, "01JD0000000000000000000000")
    validate(doc)
    services = {s["contacts"][0]["name"]: s for s in doc["services"]}
    eleni = services["Ελένη Παπαδάκη"]
    assert {l["code"] for l in eleni["languages"]} == {"el", "en"}
    assert {a["value"] for a in eleni["attributes"] if a["link_type"] == "specialism"} == {"family", "parenting", "anxiety"}
    assert eleni["application_process"] == "Email eleni.p@example.org"
    assert "alert" in services["João Ferreira"]
    assert "weekly_capacity" not in json.dumps(doc)


def test_ids_are_stable_and_unique(template):
    a = hsds_organization(template, "01JD0000000000000000000000")
    assert a == hsds_organization(template, "01JD0000000000000000000000")
    assert a["id"] != hsds_organization(template, "01JD0000000000000000000001")["id"]
    # Shared things (a location, a specialism's taxonomy term) keep one id; the rest are unique.
    ids = [s["id"] for s in a["services"]]
    for s in a["services"]:
        for part in ("languages", "contacts", "attributes", "service_at_locations"):
            ids += [item["id"] for item in s[part]]
    assert len(ids) == len(set(ids))
    terms = {at["taxonomy_term"]["name"]: at["taxonomy_term"]["id"] for s in a["services"] for at in s["attributes"]}
    assert len(set(terms.values())) == len(terms)


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d["services"][0].update(status="open"),
        lambda d: d["services"][0].pop("name"),
        lambda d: d["services"][0].update(rating=5),
        lambda d: d.update(id="not-a-uuid"),
    ],
)
def test_schema_subset_catches_mistakes(template, break_it):
    doc = hsds_organization(template, "01JD0000000000000000000000")
    break_it(doc)
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)
