"""Printed consent forms: texts and versions extractable, every QR decodes, names in any script, paper linking."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from fieldkit.consent import ConsentError, allows
from fieldkit.consent.forms import blank_forms, form_sheet, prefilled_form
from fieldkit.consent.paper import paper_form_id, record_paper_consent
from fieldkit.consent.records import record_consent
from fieldkit.people.registry import add_person
from fieldkit.printing import print_pdf
from fieldkit.store import new_id
from fieldkit.tokens import CONSENT_FORM, PASS, KeyRing, parse_token, sign_token
from printables.consent_forms import render_consent_forms
from tests.cups_support import cups_pdf_queue  # noqa: F401  (fixture)
from tests.sample_dates import sample_time

SCALE = 3.0
AT = sample_time(11)
NAMES = ("Zoë Müller", "Ελένη Παπαδάκη", "Олена Коваленко", "Łukasz Wójcik")


def page_texts(pdf: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages]


def decode_all(pdf: Path) -> list[list[str]]:
    """The QR texts found on each page, rendered as a printer would see them."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [[r.text for r in zxingcpp.read_barcodes(page.render(scale=SCALE).to_pil())] for page in document]
    finally:
        document.close()


def test_twenty_blank_forms_every_qr_decodes_to_its_own_signed_form(store, template, tmp_path):
    forms = blank_forms(store, 20)
    out = tmp_path / "blank.pdf"
    assert render_consent_forms(form_sheet(store), forms, out) == 20
    decoded = decode_all(out)
    assert [len(codes) for codes in decoded] == [1] * 20
    keyring = KeyRing.from_store(store)
    texts = page_texts(out)
    for number, (codes, form, text) in enumerate(zip(decoded, forms, texts), start=1):
        assert codes == [form.token]
        token = parse_token(codes[0], keyring, AT)
        assert (token.kind, token.id) == (CONSENT_FORM, form.form_id)
        assert f"Form {number} of 20" in text and form.form_id in text
    assert len({f.form_id for f in forms}) == 20


def test_each_purpose_text_and_version_is_on_the_form(store, template, tmp_path):
    out = tmp_path / "one.pdf"
    render_consent_forms(form_sheet(store), blank_forms(store, 1), out)
    text = page_texts(out)[0]
    for purpose in template.consent.purposes:
        assert purpose.title in text
        assert " ".join(purpose.text.split()) in text
        # The footer names each purpose's text version and the start of its hash.
        assert f"{purpose.id} version {purpose.version} (sha256 {purpose.text_sha256[:12]})" in text
    assert template.consent.controller in text


@pytest.mark.parametrize("name", NAMES)
def test_prefilled_form_prints_the_name_in_its_script_and_the_decisions(store, tmp_path, name):
    person = add_person(store, name)
    record_consent(store, person, {"record_attendance": True, "contact_for_followup": False}, method="spoken", at=AT)
    form = prefilled_form(store, person, at=AT)
    choices = {p.id: p.choice for p in form.purposes}
    assert choices == {"record_attendance": True, "contact_for_followup": False,
                       "share_intake_with_practitioners": None, "aggregate_reporting": None}
    out = tmp_path / "person.pdf"
    render_consent_forms(form_sheet(store), [form], out)
    text = page_texts(out)[0]
    assert f"Name: {name}" in text
    assert f"Date: {AT:%d %B %Y}" in text and "Northside Wellbeing Pop-up" in text  # the sample day, moved
    assert decode_all(out) == [[form.token]]


def test_prefilled_form_before_any_decision_has_empty_boxes_and_a_fresh_form_id(store):
    person = add_person(store, "Ana Silva")
    form = prefilled_form(store, person, at=AT)
    assert all(p.choice is None for p in form.purposes)
    assert form.person_name == "Ana Silva"


def test_letter_size_from_the_template(tmp_path):
    from fieldkit.event import create_event
    from fieldkit.event.template import load_template
    from tests.conftest import PASSPHRASE, SAMPLE_EVENTS

    campus = create_event(tmp_path / "campus.db", load_template(SAMPLE_EVENTS / "campus-dropin.toml"), PASSPHRASE)
    try:
        out = tmp_path / "letter.pdf"
        render_consent_forms(form_sheet(campus), blank_forms(campus, 2), out)
        box = PdfReader(out).pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (612, 792)
        assert all(len(codes) == 1 for codes in decode_all(out))
    finally:
        campus.close()


def test_a_scanned_paper_form_records_consent_once(store):
    form = blank_forms(store, 1)[0]
    person = add_person(store, "Siobhán Ní Bhriain", email="s@example.org")
    record = record_paper_consent(store, form.token, person, {"contact_for_followup": True}, witness="Sam", at=AT)
    fact = allows(store, person, "contact_for_followup", at=AT).fact
    assert (fact.method, fact.form_id, fact.record_id) == ("paper", form.form_id, record.record_id)
    with pytest.raises(ConsentError) as caught:
        record_paper_consent(store, form.token, person, {"contact_for_followup": True}, at=AT)
    assert caught.value.code == "form_used"


def test_codes_that_are_not_consent_forms_are_refused(store):
    count = store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0]
    with pytest.raises(ConsentError) as caught:
        paper_form_id(store, sign_token(store, PASS, new_id()), at=AT)
    assert caught.value.code == "not_a_form"
    with pytest.raises(ConsentError) as caught:
        paper_form_id(store, "FK1:NOTATOKEN", at=AT)
    assert caught.value.code == "malformed"
    assert store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0] == count


def test_blank_form_count_is_bounded(store):
    for count in (0, -1, 1001):
        with pytest.raises(ConsentError):
            blank_forms(store, count)


def test_a_consent_form_printed_through_a_real_cups_queue(store, tmp_path, cups_pdf_queue):  # noqa: F811
    out = tmp_path / "cups-form.pdf"
    forms = blank_forms(store, 1)
    render_consent_forms(form_sheet(store), forms, out)
    outcome = print_pdf(out, cups_pdf_queue.name, title="fieldkit consent form")
    assert outcome.printed, outcome.message
    produced = cups_pdf_queue.wait_for_job(outcome.job_id)
    text = " ".join(PdfReader(produced).pages[0].extract_text().split())
    assert "Consent form" in text and forms[0].form_id in text
    # What came out of the printer path still scans.
    assert decode_all(produced) == [[forms[0].token]]


def test_a_prefilled_forms_id_typed_in_for_someone_else_is_refused_as_its_scan_is(store):
    # Before: the scan was refused, but the Form ID typed from the same form linked it to another person.
    from fieldkit.consent.paper import typed_form_id

    ana, bo = add_person(store, "Ana Silva"), add_person(store, "Bo Chen")
    record_consent(store, ana, {"contact_for_followup": True}, method="spoken", at=AT)
    form = prefilled_form(store, ana, at=AT)
    for given in (form.form_id, form.form_id.lower(), f"  {form.token} "):
        with pytest.raises(ConsentError) as caught:
            typed_form_id(store, given)
        assert caught.value.code == "form_used"
    blank = blank_forms(store, 1)[0]
    assert typed_form_id(store, blank.form_id.lower()) == blank.form_id  # a blank form's id is taken, as typed


def _change_words(store, purpose_id: str = "contact_for_followup") -> None:
    from tests.test_consent import change_template, purpose_entry

    def mutate(raw):
        entry = purpose_entry(raw, purpose_id)
        entry["text"] += " We may also phone you."
        entry["version"] = str(entry.get("version", "1")) + "-b"

    change_template(store, mutate)


def test_a_form_printed_before_the_consent_words_changed_is_refused_and_records_nothing(store, tmp_path):
    forms = blank_forms(store, 2)
    out = tmp_path / "blank.pdf"
    render_consent_forms(form_sheet(store), forms, out)
    scanned = decode_all(out)[0][0]  # the QR as the printer drew it
    person = add_person(store, "Maria Rossi", email="m@example.org")
    _change_words(store)
    facts = store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0]
    with pytest.raises(ConsentError) as caught:
        record_paper_consent(store, scanned, person, {"contact_for_followup": True}, at=AT)
    assert caught.value.code == "words_changed" and "changed since" in str(caught.value)
    assert store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0] == facts
    # A form printed now, with the words in force, is recorded under their version.
    fresh = blank_forms(store, 1)[0]
    record_paper_consent(store, fresh.token, person, {"contact_for_followup": True}, at=AT)
    assert allows(store, person, "contact_for_followup", at=AT)


def test_words_that_did_not_change_keep_old_forms_good(store):
    form = blank_forms(store, 1)[0]
    store.set_record("events", store.event_id, {"template_json": store.db.execute(
        "SELECT template_json FROM events").fetchone()[0]})  # written again, the same words
    assert paper_form_id(store, form.token, at=AT) == form.form_id


def test_only_a_consent_form_may_carry_words(store):
    with pytest.raises(ValueError):
        sign_token(store, PASS, new_id(), words=b"12345678")
