"""Consent: only de-identified rows without the sharing consent; purge on revocation; the export."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.consent import withdrawal as privacy
from fieldkit.intake import surveys as sv
from fieldkit.intake import timers as it
from fieldkit.intake.export import COLUMNS, export_csv
from fieldkit.intake.privacy import PURPOSE, people_with_linked_intake, sharing
from tests.conftest import PASSPHRASE, SAMPLE_EVENTS
from tests.intake.test_surveys import ANSWERS

ENV = {"FIELDKIT_PASSPHRASE": PASSPHRASE}


def every_value(store) -> str:
    """Every value of every synced table, as one string to search."""
    out = []
    for table in store.synced:
        for row in store.db.execute(f"SELECT * FROM [{table}]"):
            out.extend(str(v) for v in row)
    return "\n".join(out)


def intake_values(store) -> str:
    tables = ("intent_timer_events", "survey_responses", "survey_versions", "intake_links", "intake_texts", "survey_drafts")
    return "\n".join(str(v) for t in tables for row in store.db.execute(f"SELECT * FROM [{t}]") for v in row)


def test_a_person_without_the_sharing_consent_leaves_only_de_identified_rows(timed_store, wall, people, consenting):
    grace = people["Grace Hopper"]
    started = it.start_timer(timed_store, grace)
    wall.advance(minutes=4)
    it.stop_timer(timed_store, started.timer_id, "other", "Grace said she works nights")
    sv.save_draft(timed_store, load_survey(timed_store), {"anything_else": "call me on 0770"}, 6,
                  person_id=grace, timer_id=started.timer_id)
    sv.submit_response(timed_store, load_survey(timed_store), ANSWERS, person_id=grace, timer_id=started.timer_id)
    values = intake_values(timed_store)
    assert grace not in values
    for secret in ("nights", "0770", "no. 4"):
        assert secret not in values
    assert timed_store.counts()["intake_links"] == 0 and timed_store.counts()["intake_texts"] == 0
    assert it.day_summary(timed_store).counts == {"other": 1}


def load_survey(store):
    return it.load_event(store).template.surveys[0]


def test_revoking_purges_linked_content_and_keeps_the_anonymous_signal(timed_store, wall, people, consenting):
    ada = people["Ada Lovelace"]
    consenting.add(ada)
    started = it.start_timer(timed_store, ada)
    wall.advance(minutes=5)
    it.stop_timer(timed_store, started.timer_id, "other", "needs a Polish leaflet")
    survey = load_survey(timed_store)
    sv.submit_response(timed_store, survey, ANSWERS, person_id=ada)
    sv.save_draft(timed_store, survey, {"heard_from": "Online"}, 1, person_id=ada)
    assert people_with_linked_intake(timed_store) == {ada}

    wall.advance(minutes=1)
    revocation = consenting.revoke(ada)
    # Other features the purpose covers (referral links) purged nothing for Ada.
    assert [(p.name, p.items) for p in revocation.purged if p.items] == [
        ("intake linked to the person (links, notes, text answers, drafts)", 5)  # 2 links, note, text answer, draft
    ]
    assert ada not in intake_values(timed_store) and "Polish" not in intake_values(timed_store)
    assert people_with_linked_intake(timed_store) == set()
    tombstones = timed_store.db.execute("SELECT tbl, count(*) FROM tombstones GROUP BY tbl").fetchall()
    assert dict(tombstones) == {"intake_links": 2, "intake_texts": 2}
    assert it.day_summary(timed_store).counts == {"other": 1}
    assert len(sv.responses(timed_store)) == 1


def test_export_is_de_identified(timed_store, wall, people, consenting, tmp_path):
    ada = people["Ada Lovelace"]
    consenting.add(ada)
    for person, minutes, category in [(ada, 3, "other"), (None, 5, "book_session")]:
        started = it.start_timer(timed_store, person)
        wall.advance(minutes=minutes)
        it.stop_timer(timed_store, started.timer_id, category, "secret note")
    it.start_timer(timed_store)  # still running: not exported
    sv.submit_response(timed_store, load_survey(timed_store), ANSWERS, person_id=ada)
    out = tmp_path / "intake.csv"
    assert export_csv(timed_store, out) == (2, 1)
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert tuple(rows[0]) == COLUMNS
    timers = sorted((r["category"], r["duration_seconds"]) for r in rows if r["kind"] == "timer")
    assert timers == [("book_session", "300"), ("other", "180")]
    answers = {r["question_id"]: r["answer"] for r in rows if r["kind"] == "response"}
    assert answers["topics"] == "Stress; Sleep" and answers["visits"] == "3" and "anything_else" not in answers
    for secret in (ada, "Ada", "secret", "no. 4", "2026-12-05", timed_store.device_id):
        assert secret not in text


def test_export_command(store, tmp_path, db_path):
    started = it.start_timer(store)
    it.stop_timer(store, started.timer_id, "not_now")
    store.close()
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["intake", "export", "--db", str(db_path), "--out", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    assert "Wrote 1 timer run and 0 survey responses" in result.output and out.exists()
    missing = CliRunner().invoke(main, ["intake", "export", "--db", str(db_path), "--out", str(tmp_path / "no" / "x.csv")], env=ENV)
    assert missing.exit_code == 1 and "does not exist: create it" in missing.output
    assert not (tmp_path / "no").exists()


def test_check_template_command(store, db_path, tmp_path):
    sv.submit_response(store, load_survey(store), ANSWERS)
    store.close()
    same = CliRunner().invoke(main, ["intake", "check-template", str(SAMPLE_EVENTS / "wellbeing-popup.toml"), "--db", str(db_path)], env=ENV)
    assert same.exit_code == 0, same.output
    changed = tmp_path / "changed.toml"
    changed.write_text((SAMPLE_EVENTS / "wellbeing-popup.toml").read_text().replace("How have you been", "How are you"))
    refused = CliRunner().invoke(main, ["intake", "check-template", str(changed), "--db", str(db_path)], env=ENV)
    assert refused.exit_code == 1
    assert refused.output.startswith(f"Error: {changed}: surveys[0].questions[3] (wellbeing): ")


def test_intake_is_covered_by_the_sharing_purpose():
    assert "intake linked to the person (links, notes, text answers, drafts)" in [c.name for c in privacy.coverage_of(PURPOSE)]


def test_revoking_while_a_timer_runs_leaves_it_running_anonymous(timed_store, wall, people, consenting):
    kofi = people["Kofi Annan"]
    assert not sharing(timed_store, kofi) and "No consent" in sharing(timed_store, kofi).message
    consenting.add(kofi)
    started = it.start_timer(timed_store, kofi)
    assert started.linked and it.timer(timed_store, started.timer_id).person_id == kofi
    wall.advance(minutes=2)
    consenting.revoke(kofi)
    run = it.timer(timed_store, started.timer_id)
    assert run.is_open and run.person_id is None
    assert not it.start_timer(timed_store, kofi).linked
    wall.advance(minutes=1)
    it.stop_timer(timed_store, started.timer_id, "other", "would identify Kofi")  # no note kept now
    assert "Kofi" not in intake_values(timed_store)
