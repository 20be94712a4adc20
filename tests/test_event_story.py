"""A clinic day end to end: three laptops as real `fieldkit` processes on SQLCipher databases.

The coordinator sets the event up, prints passes and pairs a desk and a practitioner's
laptop by join file; the desk checks people in from the printed QR codes; consent,
intake and check-ins travel by `fieldkit sync` over mutual TLS on 127.0.0.1; a lost
desk is revoked. Each test is one step of the story and asserts what a coordinator
would check at that point; `Story` runs the earlier steps first (once per module), so
any step can also be run on its own with `-k`.
"""

from __future__ import annotations

import functools
import shlex

import click
import pytest

from fieldkit.cli import main
from fieldkit.event.template import load_template
from fieldkit.intake.surveys import submit_response
from fieldkit.intake.timers import start_timer, stop_timer
from tests.story_kit import REGISTRATIONS, REPO_ROOT, TEMPLATE, Laptop, counts_in, moved, one_sentence, sync
from tests.syncing.kit import canonical_dump
from tests.test_passes import decode_passes

JOIN_PASSPHRASE = "join files travel on a USB stick"
SHARE_INTAKE = "share_intake_with_practitioners"
INTAKE_TABLES = ("intake_links", "intake_texts", "intent_timer_events", "survey_responses", "survey_versions")
NOTE = "asked about grief groups nearby"  # intake free text, for practitioners only
FIRST, SECOND = "Ana Silva", "Zoë Müller"  # two registrations of the sample export


def forge(code: str) -> str:
    """The same pass with one character of its signature changed."""
    spot = len(code) - 8
    return code[:spot] + ("B" if code[spot] == "A" else "A") + code[spot + 1 :]


def step(method):
    """A story step runs once; later steps call it to make sure it happened."""

    @functools.wraps(method)
    def once(self):
        if method.__name__ not in self.done:
            self.done[method.__name__] = method(self)
        return self.done[method.__name__]

    return once


class Story:
    """The event day, played step by step on three laptops in one folder."""

    def __init__(self, folder):
        self.folder = folder
        self.done: dict[str, object] = {}
        self.join_secret = folder / "join.passphrase"
        self.join_secret.write_text(JOIN_PASSPHRASE, encoding="utf-8")
        # The coordinator uses FIELDKIT_PASSPHRASE, as the README does; the others a file.
        self.coordinator = Laptop.at(folder, "coordinator", "coordinator's long passphrase", in_file=False)
        self.desk = Laptop.at(folder, "desk-1", "the desk's own passphrase", in_file=True)
        self.practitioner = Laptop.at(folder, "practitioner-1", "the practitioner's passphrase", in_file=True)

    @step
    def set_up(self) -> dict:
        c = self.coordinator
        made = c.run("init", str(TEMPLATE)).stdout
        imported = c.run("import", "registrations", str(REGISTRATIONS)).stdout
        pdf = self.folder / "passes.pdf"
        printed = c.run("print", "passes", "--out", str(pdf)).stdout
        return {"init": made, "import": imported, "print": printed, "pdf": pdf}

    @step
    def passes(self) -> dict[str, str]:
        """What the desk's scanner reads off two printed passes: name -> QR text."""
        codes = {}
        for text, printed in decode_passes(self.set_up()["pdf"]):
            for name in (FIRST, SECOND):
                if name in printed:
                    codes[name] = text
        return codes

    @step
    def pair_laptops(self) -> dict:
        self.set_up()
        out = {}
        for laptop, role in ((self.desk, "desk"), (self.practitioner, "practitioner")):
            join = self.folder / f"{laptop.name}.join"
            out[f"enroll {role}"] = self.coordinator.run(
                "device", "enroll", laptop.name, "--role", role, "--out", str(join),
                "--join-passphrase-file", str(self.join_secret),
            ).stdout
            out[f"join {role}"] = laptop.run("init", "--join", str(join), "--join-passphrase-file", str(self.join_secret)).stdout
        return out

    @step
    def check_in(self) -> dict:
        self.pair_laptops()
        codes = self.passes()
        return {name: self.desk.run("checkin", codes[name]).stdout for name in (FIRST, SECOND)}

    @step
    def forged_scan(self) -> dict:
        self.check_in()
        before = self.dump(self.desk)
        refused = self.desk.run("checkin", forge(self.passes()[SECOND]), check=False)
        return {"refused": refused, "unchanged": self.dump(self.desk) == before}

    @step
    def person(self) -> str:
        """The coordinator finds the first person's id by name."""
        self.set_up()
        found = self.coordinator.run("people", "find", FIRST).stdout.splitlines()
        assert len(found) == 1, found
        return found[0].split("\t")[0]

    @step
    def consent(self) -> dict:
        person = self.person()
        given = self.coordinator.run(
            "consent", "give", person, "--permit", "record_attendance", "--permit", SHARE_INTAKE,
            "--deny", "contact_for_followup", "--method", "spoken",
        ).stdout
        return {"give": given, "status": self.coordinator.run("consent", "status", person).stdout}

    @step
    def first_syncs(self) -> dict:
        """Desk then practitioner sync with the coordinator."""
        self.forged_scan()
        self.consent()
        return self.with_coordinator(self.desk, self.practitioner)

    @step
    def intake(self) -> dict:
        """The practitioner's laptop records a conversation and a survey for the person.

        Intake is recorded on the intake screen only (no CLI), so this step drives the
        same domain functions the screen calls, on the practitioner's own database.
        """
        self.first_syncs()
        person = self.person()
        survey = load_template(TEMPLATE).surveys[0]
        store = self.practitioner.open()
        try:
            started = start_timer(store, person)
            stopped = stop_timer(store, started.timer_id, "other", note=NOTE)
            answers = {"heard_from": "Community group", "introduced": "no", "wellbeing": 3}
            response = submit_response(store, survey, answers, person_id=person, timer_id=started.timer_id)
        finally:
            store.close()
        return {"linked": started.linked and response.linked, "category": stopped.category}

    @step
    def second_syncs(self) -> dict:
        """Intake reaches the coordinator; the desk syncs again and must not receive it."""
        self.intake()
        return self.with_coordinator(self.practitioner, self.desk)

    @step
    def quiet_syncs(self) -> dict:
        self.second_syncs()
        return self.with_coordinator(self.desk, self.practitioner)

    @step
    def lost_desk(self) -> dict:
        """The desk is lost: the coordinator revokes it, the practitioner learns it by sync."""
        self.quiet_syncs()
        revoked = self.coordinator.run("device", "revoke", self.desk.name, "--reason", "left on the bus").stdout
        told, _ = sync(self.practitioner, self.coordinator)
        before = self.dump(self.practitioner)
        refused, server_log = sync(self.desk, self.practitioner, check=False)
        return {
            "revoke": revoked, "told": told.stdout, "refused": refused, "server_log": server_log,
            "unchanged": self.dump(self.practitioner) == before,
        }

    @step
    def after_the_event(self) -> dict:
        """The coordinator sweeps consent and exports de-identified intake."""
        self.lost_desk()
        swept = self.coordinator.run("consent", "sweep").stdout
        csv = self.folder / "intake.csv"
        exported = self.coordinator.run("intake", "export", "--out", str(csv)).stdout
        return {"sweep": swept, "export": exported, "csv": csv.read_text(encoding="utf-8")}

    def with_coordinator(self, *laptops: Laptop) -> dict[str, str]:
        """Each laptop in turn syncs with the coordinator's; their summaries by role."""
        said = {}
        for laptop in laptops:
            done, _ = sync(laptop, self.coordinator)
            said["desk" if laptop is self.desk else "practitioner"] = done.stdout
        return said

    def dump(self, laptop: Laptop) -> dict:
        store = laptop.open()
        try:
            return canonical_dump(store)
        finally:
            store.close()


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    return Story(tmp_path_factory.mktemp("event-day"))


def test_the_coordinator_sets_up_the_event_and_prints_passes(story):
    done = story.set_up()
    assert "Created" in done["init"] and "Northside Wellbeing Pop-up" in done["init"]
    assert "44 imported" in done["import"]
    assert "44 passes on 6 pages" in done["print"]
    codes = story.passes()
    assert set(codes) == {FIRST, SECOND} and all(code.startswith("FK1:") for code in codes.values())
    assert not any(FIRST.split()[0].upper() in code for code in codes.values())  # no personal data in a code


def test_a_desk_and_a_practitioner_laptop_join_by_file(story):
    done = story.pair_laptops()
    assert "Enrolled desk-1 as desk" in done["enroll desk"]
    assert "Joined Northside Wellbeing Pop-up as desk-1 (desk)" in done["join desk"]
    assert "as practitioner-1 (practitioner)" in done["join practitioner"]
    roster = story.coordinator.run("device", "list").stdout
    assert "desk-1" in roster and "practitioner-1" in roster and "revoked" not in roster


def test_the_desk_checks_in_two_people_from_their_printed_passes(story):
    done = story.check_in()
    # The desk has not synced yet: the signed pass alone admits.
    assert all("checked in" in said for said in done.values()), done
    assert story.desk.counts()["checkins"] == 2


def test_a_forged_code_is_refused_in_one_sentence_and_changes_nothing(story):
    done = story.forged_scan()
    refused = done["refused"]
    assert refused.returncode == 3 and refused.stdout == ""
    assert one_sentence(refused.stderr) and "not signed by this event" in refused.stderr
    assert done["unchanged"]


def test_the_coordinator_records_consent_to_share_intake(story):
    done = story.consent()
    assert "Recorded consent" in done["give"]
    status = {line.split()[1]: line.split()[0] for line in done["status"].splitlines()}
    assert status[SHARE_INTAKE] == "yes" and status["contact_for_followup"] == "no"


def test_after_the_first_syncs_every_laptop_has_both_checkins(story):
    done = story.first_syncs()
    assert moved(done["desk"])[0] == 2  # the desk sent its two check-ins
    for laptop in (story.coordinator, story.desk, story.practitioner):
        counts = laptop.counts()
        assert counts["checkins"] == 2 and counts["registrations"] == 44, (laptop.name, counts)
        assert counts["consent_facts"] >= 3, (laptop.name, counts)
    # The desk now knows who it admitted.
    assert "checked in" in story.desk.run("people", "find", FIRST).stdout


def test_the_practitioner_records_intake_linked_under_consent(story):
    done = story.intake()
    assert done["linked"] and done["category"] == "other"


def test_intake_reaches_the_coordinator_but_never_the_desk(story):
    done = story.second_syncs()
    assert moved(done["practitioner"])[0] > 0
    coordinator, desk = story.coordinator.counts(), story.desk.counts()
    assert coordinator["intake_links"] == 2 and coordinator["intake_texts"] == 1
    assert coordinator["intent_timer_events"] == 2 and coordinator["survey_responses"] == 1
    assert all(desk[table] == 0 for table in INTAKE_TABLES), desk
    assert NOTE not in repr(story.dump(story.desk)) and NOTE in repr(story.dump(story.coordinator))
    # Scoped by the sender: the desk gets content-free placeholders only, and says so.
    received = moved(done["desk"])[1]
    assert f"received {received} (applied 0, already had 0, {received} withheld" in done["desk"]


def test_a_second_sync_moves_nothing(story):
    done = story.quiet_syncs()
    assert moved(done["desk"]) == (0, 0) and moved(done["practitioner"]) == (0, 0)


def test_a_revoked_desk_is_refused_by_the_practitioner_in_one_sentence(story):
    done = story.lost_desk()
    assert "Revoked desk-1" in done["revoke"]
    assert moved(done["told"])[1] > 0  # the revocation travelled
    refused = done["refused"]
    assert refused.returncode != 0 and one_sentence(refused.stderr), refused.stderr
    assert "revoked" in refused.stderr
    assert "refused" in done["server_log"]
    assert done["unchanged"]


def test_info_on_each_laptop_shows_the_day(story):
    story.lost_desk()
    revocations = {}
    for laptop, role in ((story.coordinator, "coordinator"), (story.desk, "desk"), (story.practitioner, "practitioner")):
        info = laptop.run("info").stdout
        assert f"Device:   {laptop.name} ({role})" in info and "SQLCipher, encrypted" in info
        counts = counts_in(info)
        assert counts["checkins"] == 2 and counts["people"] == 44 and counts["devices"] == 3, (laptop.name, counts)
        assert counts["intake_texts"] == (0 if role == "desk" else 1), (laptop.name, counts)
        revocations[role] = counts["device_revocations"]
    # The lost desk never heard of its own revocation; everyone it would meet has.
    assert revocations == {"coordinator": 1, "practitioner": 1, "desk": 0}


def test_after_the_event_the_coordinator_sweeps_and_exports_de_identified_intake(story):
    done = story.after_the_event()
    assert "Purged covered data of" in done["sweep"]
    assert "Wrote 1 timer run and 1 survey response" in done["export"], done["export"]
    assert NOTE not in done["csv"] and FIRST not in done["csv"] and story.person() not in done["csv"]


def commands_in(markdown: str) -> list[list[str]]:
    """Every `fieldkit ...` command in the ```sh blocks of a page, split as a shell would."""
    found = []
    for block in markdown.split("```sh")[1:]:
        for line in block.split("```")[0].splitlines():
            for part in line.split("  #", 1)[0].replace("&&", ";").split(";"):
                words = shlex.split(part)
                if "fieldkit" in words:
                    found.append(words[words.index("fieldkit") + 1 :])
    return found


def check_commands(commands: list[list[str]]) -> set[str]:
    """Each names a real command, its real options and valid choices; the names used."""
    named = set()
    for words in commands:
        command, rest = main, list(words)
        while isinstance(command, click.Group):
            assert rest and rest[0] in command.commands, f"fieldkit {' '.join(words)}: no such command"
            command = command.commands[rest.pop(0)]
        options = {opt: p for p in command.params if isinstance(p, click.Option) for opt in p.opts}
        for i, word in enumerate(rest):
            if word.startswith("--"):
                assert word in options, f"fieldkit {' '.join(words)}: {command.name} has no {word}"
                kind = options[word].type
                if isinstance(kind, click.Choice):
                    assert rest[i + 1] in kind.choices, f"fieldkit {' '.join(words)}: {rest[i + 1]} is not a {word}"
        named.add(command.name)
    return named


def test_the_readme_tour_names_real_commands_options_and_choices():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    named = check_commands(commands_in(readme.split("## A short tour", 1)[1].split("\n## ", 1)[0]))
    # The story above runs each of these for real.
    assert {"init", "registrations", "passes", "enroll", "checkin", "find", "give", "serve", "with", "revoke", "info"} <= named
    # tests/syncing/test_live_cli.py runs these for real.
    assert {"pair", "auto", "status"} <= named


def test_the_event_day_runbook_names_real_commands_options_and_choices():
    named = check_commands(commands_in((REPO_ROOT / "docs" / "event-day.md").read_text(encoding="utf-8")))
    assert {"pair", "app", "auto", "status", "enroll", "serve", "with", "revoke", "sweep", "export"} <= named
