"""Linking a signed paper consent form back: scan its QR, record what was ticked, once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fieldkit.consent import ConsentError, event_template
from fieldkit.consent.forms import words_digest
from fieldkit.consent.records import ConsentRecord, record_consent
from fieldkit.store import Store
from fieldkit.store.ids import is_id
from fieldkit.tokens import CONSENT_FORM, KeyRing, TokenRefused, looks_like_token, parse_token


def paper_form_id(store: Store, scanned: str, at: datetime | None = None) -> str:
    """The form id a scanned consent-form QR carries, verified; ConsentError if it is not one."""
    try:
        token = parse_token(scanned.strip(), KeyRing.from_store(store), at or store.now())
    except TokenRefused as exc:
        raise ConsentError(exc.code, str(exc)) from None
    if token.kind != CONSENT_FORM:
        raise ConsentError(
            "not_a_form", f"This is a {token.kind.replace('_', ' ')} code, not a consent form: scan the QR on the form."
        )
    # The person signed the words printed on it: if the event's have changed since, their
    # ticks are not a consent to the words in force (forms printed before this check say nothing).
    if token.words is not None and token.words != words_digest(event_template(store).consent.purposes):
        raise ConsentError(
            "words_changed",
            "This form was printed with consent words that have changed since: nothing was recorded. "
            "Ask them to read and sign a form printed now.",
        )
    return _not_printed_from_a_record(store, token.id)


def _not_printed_from_a_record(store: Store, form_id: str) -> str:
    """`form_id`, unless it is a consent record's (a pre-filled form of a consent on record)."""
    if store.db.execute("SELECT 1 FROM consent_facts WHERE record_id = ? LIMIT 1", [form_id]).fetchone():
        raise ConsentError(
            "form_used",
            "This form was printed from a consent already recorded: file it with that record, nothing to enter.",
        )
    return form_id


def typed_form_id(store: Store, given: str) -> str:
    """A form id as typed from the form ("Form ID ...") or its scanned QR; ConsentError if neither."""
    given = given.strip()
    if looks_like_token(given):
        return paper_form_id(store, given)
    if not is_id(given):
        raise ConsentError(
            "not_a_form",
            f"{given!r} is not a consent form id: type the 26 letters and digits after \u201cForm ID\u201d on the form, or scan its QR.",
        )
    return _not_printed_from_a_record(store, given.upper())  # typed or scanned, the same check


def record_paper_consent(
    store: Store,
    scanned: str,
    person_id: str,
    choices: Mapping[str, bool],
    *,
    witness: str | None = None,
    at: datetime | None = None,
) -> ConsentRecord:
    """Record the decisions ticked on a signed paper form, linked to the form by its QR."""
    form_id = paper_form_id(store, scanned, at)
    return record_consent(store, person_id, choices, method="paper", witness=witness, form_id=form_id, at=at)
