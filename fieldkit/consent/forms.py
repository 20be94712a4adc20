"""Paper consent forms: what each printed form says and the signed form id its QR carries.

A blank form carries a QR of a signed `consent_form` token (kind, form id and a digest of
the consent words printed on it; no personal data); `fieldkit.consent.paper` links the
signed paper back by scanning it, and refuses a form whose words have changed since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from fieldkit.consent import PERMITTED, ConsentError, event_template
from fieldkit.consent.receipts import Receipt, build_receipt
from fieldkit.event.template import ConsentPurpose
from fieldkit.store import Store, new_id
from fieldkit.tokens import CONSENT_FORM, WORDS_SIZE, sign_token, signer_for
from printables.consent_forms import ConsentForm, FormPurpose, FormSheet

MAX_BLANK_FORMS = 1000


def form_sheet(store: Store) -> FormSheet:
    """The event's words on every form and receipt (times in the event's zone)."""
    template = event_template(store)
    ev = template.event
    return FormSheet(
        event_name=ev.name,
        when=f"{ev.starts:%A %d %B %Y, %H:%M}-{ev.ends:%H:%M}",
        venue=ev.venue,
        # Named with how to reach them, on every form and receipt.
        controller=f"{template.consent.controller}, {template.consent.controller_email}, {template.consent.controller_phone}",
        jurisdiction=template.consent.jurisdiction,
        page_size=ev.page_size,
    )


def _purposes(store: Store, choices: Mapping[str, bool | None] | None = None) -> tuple[FormPurpose, ...]:
    choices = choices or {}
    return tuple(
        FormPurpose(p.id, p.title, p.text, p.version, p.text_sha256, choices.get(p.id))
        for p in event_template(store).consent.purposes
    )


def words_digest(purposes: Iterable[FormPurpose | ConsentPurpose]) -> bytes:
    """What a form's QR says of the consent words printed on it: each purpose's id, version
    and text digest (the form's purposes, or the template's to compare with)."""
    words = sorted((p.id, p.version, p.text_sha256) for p in purposes)
    text = "\n".join(f"{len(i)}:{i}{len(str(v))}:{v}{sha}" for i, v, sha in words)
    return hashlib.sha256(text.encode()).digest()[:WORDS_SIZE]


def blank_forms(store: Store, count: int) -> list[ConsentForm]:
    """`count` numbered blank forms, each with its own signed form id."""
    if not 1 <= count <= MAX_BLANK_FORMS:
        raise ConsentError("blank_count", f"Print between 1 and {MAX_BLANK_FORMS} blank forms at a time.")
    signer, purposes = signer_for(store), _purposes(store)
    words = words_digest(purposes)
    forms = []
    for number in range(1, count + 1):
        form_id = new_id()
        forms.append(
            ConsentForm(
                label=f"Form {number} of {count}",
                form_id=form_id,
                token=sign_token(signer, CONSENT_FORM, form_id, words=words),
                purposes=purposes,
            )
        )
    return forms


def prefilled_form(store: Store, person_id: str, at: datetime | None = None) -> ConsentForm:
    """A form with the person's name, the date and each purpose as decided, to sign.

    With decisions on record, its QR carries the consent record's id (the receipt id),
    so the signed copy is filed against that record; otherwise a fresh form id.
    """
    receipt: Receipt | None
    try:
        receipt = build_receipt(store, person_id, at)
    except ConsentError as exc:
        if exc.code != "no_consent":
            raise
        receipt = None
    name_row = store.db.execute("SELECT display_name FROM people WHERE id = ?", [person_id]).fetchone()
    zone = ZoneInfo(event_template(store).event.timezone)
    when = receipt.timestamp if receipt else (at or store.now())
    # A "yes" that no longer holds (expired, or given to words since changed) is asked again, not ticked.
    choices = {p.id: _choice_word(p.decision) if p.decision != "permit" or p.status == PERMITTED else None
               for p in receipt.purposes} if receipt else {}
    form_id = receipt.receipt_id if receipt else new_id()
    purposes = _purposes(store, choices)
    return ConsentForm(
        label="Consent as recorded" if receipt else "Consent form",
        form_id=form_id,
        token=sign_token(store, CONSENT_FORM, form_id, words=words_digest(purposes)),
        purposes=purposes,
        person_name=name_row[0],
        date=when.astimezone(zone).strftime("%d %B %Y"),
    )


def _choice_word(decision: str) -> bool | None:
    return {"permit": True, "deny": False, "revoked": False}.get(decision)
