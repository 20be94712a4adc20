"""`fieldkit import referrals` and `fieldkit import outcomes`: forgiving, all or nothing, idempotent."""

from __future__ import annotations

import pytest

from fieldkit import referrals as rf
from fieldkit.metrics.csv_rows import CsvRefused
from fieldkit.metrics.outcome_log import import_outcomes
from fieldkit.metrics.referral_log import import_referrals


def write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def changes(store) -> int:
    return store.db.execute("SELECT count(*) FROM changes").fetchone()[0]


LOG = """Code,Issued,Channel,Introducer,Practitioner,Need,Booked date,First session,Third session,Ended date,Ended reason,Notes
WEB-0001,2027-01-04,directory,,amara-okafor,anxiety,2027-01-06,2027-01-11,2027-01-25,,,from the website
WEB-0002,2027-01-05,Directory,,,,2027-01-09,,,2027-02-01,declined: moved away,
,2027-01-05 14:30,community,Amina Yusuf,Ελένη Παπαδακη,,,,,,,
,2027-01-07,walk-in,,,,,,,2027-02-07,expired,
"""


def statuses(store, referral):
    return [s for (s,) in store.db.execute("SELECT status FROM referral_status WHERE referral_id = ? ORDER BY hlc", [referral.id])]


def test_a_referral_log_with_loose_headers_becomes_referrals_with_dated_steps(clinic, tmp_path):
    report = import_referrals(clinic, write(tmp_path, LOG))
    assert report.applied and report.new == [2, 3, 4, 5] and not report.bad
    assert report.ignored_columns == ("Notes",)
    found = {r.channel: r for r in rf.list_referrals(clinic)}
    assert set(found) == {"directory", "community", "walk_in"}
    community = found["community"]
    assert community.practitioner_id == "eleni-papadaki"  # the name, accents forgiven
    assert rf.introducer(clinic, community.introducer_id).name == "Amina Yusuf"  # made, as new
    assert community.issued_at == "2027-01-05T14:30:00.000+00:00"  # London in winter is UTC
    by_code = {r.practitioner_id: r for r in rf.list_referrals(clinic) if r.channel == "directory"}
    first = by_code["amara-okafor"]
    assert statuses(clinic, first) == ["issued", "booked", "first_session", "third_session"]
    assert first.status == "third_session" and first.need == "anxiety"
    at = dict(clinic.db.execute("SELECT status, at FROM referral_status WHERE referral_id = ?", [first.id]).fetchall())
    assert at["first_session"] == "2027-01-11T12:00:00.000+00:00"  # a date alone is noon that day
    declined = by_code[None]
    assert declined.status == "declined"
    reason = clinic.db.execute(
        "SELECT reason FROM referral_status WHERE referral_id = ? AND status = 'declined'", [declined.id]
    ).fetchone()[0]
    assert reason == "moved away"
    assert found["walk_in"].status == "expired"


def test_importing_the_same_file_again_changes_nothing(clinic, tmp_path):
    path = write(tmp_path, LOG)
    import_referrals(clinic, path)
    before = changes(clinic)
    again = import_referrals(clinic, path)
    assert again.new == [] and again.updated == [] and again.already_had == 4
    assert changes(clinic) == before


def test_a_later_copy_of_the_log_adds_only_the_new_steps(clinic, tmp_path):
    import_referrals(clinic, write(tmp_path, LOG))
    later = LOG.replace(",2027-01-05 14:30,community,Amina Yusuf,Ελένη Παπαδακη,,,,,,,", ",2027-01-05 14:30,community,Amina Yusuf,Ελένη Παπαδακη,,2027-01-20,2027-01-27,,,,")
    report = import_referrals(clinic, write(tmp_path, later, "later.csv"))
    assert report.updated == [4] and report.new == [] and report.already_had == 3
    community = next(r for r in rf.list_referrals(clinic) if r.channel == "community")
    assert community.status == "first_session"
    # Amina's credit for the booking, once, as at the event.
    assert [b for i, b in rf.credit_balances(clinic) if i.name == "Amina Yusuf"] == [1]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",2027-01-10,directory,,,,,2027-01-08,,,", "first_session on 2027-01-08 is before issued on 2027-01-10"),
        (",2027-01-10,directory,,,,,,2027-01-20,,", "a third session without a first session"),
        (",2027-01-10,directory,,,,2027-01-12,2027-01-14,2027-01-20,2027-01-22,declined", "declined after the third session, which is final"),
        (",2027-01-10,directory,,,,,2027-01-14,,2027-01-22,expired", "expired after a first session"),
        (",2027-01-10,directory,,,,,,,2027-01-22,", "ended_at and ended_reason go together"),
        (",2027-01-10,directory,,,,,,,2027-01-22,moved away", "starts with neither declined nor expired"),
        (",2027-01-10,community,,,,,,,,", "a community introduction needs its introducer"),
        (",2027-01-10,flyer,,,,,,,,", "channel 'flyer' is not one of"),
        (",10/01/2027,directory,,,,,,,,", "issued_at '10/01/2027' is not a date"),
        (",1927-01-10,directory,,,,,,,,", "issued_at '1927-01-10' is before 2000: check the year"),  # (a traceback)
        (",0001-01-01,directory,,,,,,,,", "issued_at '0001-01-01' is before 2000: check the year"),
        (",2027-01-10,directory,,nobody,,,,,,", "no practitioner 'nobody'"),
        (",2027-04-10,directory,,,,,,,,", "is in the future"),
    ],
)
def test_a_row_that_contradicts_the_lifecycle_is_refused_with_its_line_and_nothing_is_imported(clinic, tmp_path, row, reason):
    header = "code,issued_at,channel,introducer,practitioner,need,booked_at,first_session_at,third_session_at,ended_at,ended_reason\n"
    good = ",2027-01-10,directory,,,,,,,,\n"
    before = changes(clinic)
    report = import_referrals(clinic, write(tmp_path, header + good + row + "\n"))
    assert not report.applied and [b.line for b in report.bad] == [3]
    assert reason in report.bad[0].reason
    assert changes(clinic) == before
    skipped = import_referrals(clinic, write(tmp_path, header + good + row + "\n"), skip_bad=True)
    assert skipped.applied and skipped.new == [2] and len(rf.list_referrals(clinic)) == 1


def test_check_reports_and_writes_nothing(clinic, tmp_path):
    before = changes(clinic)
    report = import_referrals(clinic, write(tmp_path, LOG), check=True)
    assert report.new == [2, 3, 4, 5] and not report.applied
    assert changes(clinic) == before


def test_a_file_without_the_needed_columns_is_refused_in_one_sentence(clinic, tmp_path):
    with pytest.raises(CsvRefused) as refused:
        import_referrals(clinic, write(tmp_path, "code,when\nX,2027-01-01\n"))
    assert refused.value.code == "csv_missing_column"
    assert "no 'issued' or 'channel' column" in refused.value.message


def test_outcomes_move_referrals_on_and_stamp_outcomes(clinic, tmp_path):
    import_referrals(clinic, write(tmp_path, LOG))
    walk_in = next(r for r in rf.list_referrals(clinic) if r.channel == "walk_in")
    outcomes = (
        "Code,Status,At\n"
        "web-0002,goal met,2027-02-02\n"  # an outcome stamp, by the other system's code
        f"{walk_in.display_code},booked,2027-01-09\n"  # a step, by the card's code
        "WEB-0001,first session,2027-01-12\n"  # already past it: nothing new
    )
    # The walk-in referral expired on 7 February: booking it before that is fine only if it comes first.
    report = import_outcomes(clinic, write(tmp_path, outcomes, "outcomes.csv"))
    assert [b.line for b in report.bad] == [3]
    assert "booked after expired" in report.bad[0].reason
    fixed = outcomes.replace(f"{walk_in.display_code},booked,2027-01-09\n", "")
    report = import_outcomes(clinic, write(tmp_path, fixed, "outcomes.csv"))
    assert report.applied and report.new == [2] and report.already_had == 1
    web2 = next(r for r in rf.list_referrals(clinic) if r.status == "declined")
    assert rf.outcomes_of(clinic, web2.id) == ["goal_met"]
    before = changes(clinic)
    assert import_outcomes(clinic, write(tmp_path, fixed, "outcomes.csv")).new == []
    assert changes(clinic) == before


def test_outcomes_refuse_unknown_codes_and_steps_backwards(clinic, tmp_path):
    import_referrals(clinic, write(tmp_path, LOG))
    text = "code,status,at\nWEB-9999,booked,2027-01-09\nWEB-0001,booked,2027-01-30\nWEB-0001,attended 3 plus,2027-01-30\n"
    report = import_outcomes(clinic, write(tmp_path, text, "o.csv"))
    assert [b.line for b in report.bad] == [2]
    assert "not a referral code" in report.bad[0].reason or "No referral card" in report.bad[0].reason
    assert report.already_had == 1 and report.new == [4]


def test_the_command_line_says_what_it_did_and_refuses_in_one_sentence(cli, tmp_path):
    earlier = LOG.replace("2027-", "2026-")  # the command line runs on today's clock
    code, out = cli("import", "referrals", str(write(tmp_path, earlier)))
    assert code == 0 and "4 referrals added, 0 updated, 0 already here, 0 bad rows." in out
    assert "Ignored columns: 'Notes'" in out
    code, out = cli("import", "referrals", str(tmp_path / "missing.csv"))
    assert code == 1 and out.strip().endswith("does not exist: give the path of the CSV file.")
    bad = write(tmp_path, "issued,channel\n2026-01-10,flyer\n", "bad.csv")
    code, out = cli("import", "referrals", str(bad))
    assert code == 1 and "line 2: channel 'flyer'" in out and "Nothing was imported" in out
