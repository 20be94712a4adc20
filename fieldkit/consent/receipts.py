"""A consent receipt for one person: Kantara Consent Receipt v1.1 JSON and the printed receipt.

The JSON conforms to the Kantara Initiative's published v1.1 schema. It lists, as
consent, only the purposes the person has consented to and that hold now: a "no", a
withdrawal, an expired grant or a purpose never asked is not consent and is not listed
(the printed receipt, in words, states every decision). Field Kit's own detail (the
purpose id, text version and hash, when and how it was given) rides in each listed
purpose, where the schema allows further properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fieldkit.consent import METHOD_LABELS, PERMITTED, ConsentError, consent_status, event_template
from fieldkit.consent.gate import EXPIRED, PERMIT, REVOKE, VERSION_NOT_ACCEPTED, utc_text
from fieldkit.event.template import ConsentSettings
from fieldkit.store import Store
from printables.consent_forms import versions_line
from printables.consent_receipt import PrintedReceipt, ReceiptLine

SPEC_VERSION = "KI-CR-v1.1.0"
SENSITIVE_CATEGORIES = ["6 - Health"]  # intake is about people's wellbeing


@dataclass(frozen=True)
class ReceiptPurpose:
    """One purpose as the receipt states it (shared by the JSON and the printed receipt)."""

    id: str
    title: str
    text: str
    decision: str  # permit | deny | revoked | not_asked
    status: str  # the gate's reason code now
    status_text: str
    text_version: str | None
    text_sha256: str | None
    method: str | None
    given_at: str | None
    valid_until: str | None
    witness: str | None
    purpose_category: tuple[str, ...]
    pii_category: tuple[str, ...]

    @property
    def is_consent(self) -> bool:
        """Consented to, and the consent holds now (not withdrawn, expired or for an old text)."""
        return self.status == PERMITTED


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    timestamp: datetime
    person_id: str
    person_name: str
    event_name: str
    settings: ConsentSettings  # the event's controller, policy and purposes
    method: str
    purposes: tuple[ReceiptPurpose, ...]
    timezone: str = "UTC"  # the event's: dates on the receipt are its days


def _decision_word(fact) -> str:
    if fact is None:
        return "not_asked"
    if fact.action == REVOKE:
        return "revoked"
    return "permit" if fact.decision == PERMIT else "deny"


def build_receipt(store: Store, person_id: str, at: datetime | None = None) -> Receipt:
    """The person's consents as they stand at `at` (default now)."""
    row = store.db.execute("SELECT display_name FROM people WHERE id = ?", [person_id]).fetchone()
    if row is None:
        raise ConsentError("unknown_person", f"There is no person {person_id} on this laptop: find them by name first.")
    template = event_template(store)
    statuses = consent_status(store, person_id, at)
    facts = [s.decision.fact for s in statuses if s.decision.fact is not None]
    if not facts:
        raise ConsentError("no_consent", "No consent has been recorded for this person yet: record it before printing a receipt.")
    latest = max(facts, key=lambda f: (f.at, f.hlc))
    purposes = tuple(
        ReceiptPurpose(
            id=s.purpose.id,
            title=s.purpose.title,
            text=s.purpose.text,
            decision=_decision_word(s.decision.fact),
            status=s.decision.reason,
            status_text=s.decision.message,
            text_version=s.decision.fact.text_version if s.decision.fact else None,
            text_sha256=s.decision.fact.text_sha256 if s.decision.fact else None,
            method=s.decision.fact.method if s.decision.fact else None,
            given_at=utc_text(s.decision.fact.at) if s.decision.fact else None,
            valid_until=utc_text(s.decision.fact.valid_until) if s.decision.fact and s.decision.fact.valid_until else None,
            witness=s.decision.fact.witness if s.decision.fact else None,
            purpose_category=s.purpose.purpose_category,
            pii_category=s.purpose.pii_category,
        )
        for s in statuses
    )
    return Receipt(
        # The receipt of a state: the same consents give the same id, any change a new one.
        receipt_id=latest.record_id,
        timestamp=latest.at,
        person_id=person_id,
        person_name=row[0],
        event_name=template.event.name,
        settings=template.consent,
        method=latest.method,
        purposes=purposes,
        timezone=template.event.timezone,
    )


def _termination(purpose: ReceiptPurpose, settings: ConsentSettings, zone: str) -> str:
    # The day in the event's time zone (the UTC date can be the day before, e.g. in Auckland).
    day = purpose.valid_until and datetime.fromisoformat(purpose.valid_until).astimezone(ZoneInfo(zone)).date()
    until = f"Until {day.isoformat()}" if day else "Until withdrawn"
    return f"{until}, or sooner if withdrawn: tell any volunteer of the event or {settings.controller_email}."


def _purpose_json(purpose: ReceiptPurpose, settings: ConsentSettings, zone: str) -> dict:
    return {
        "purpose": purpose.title,
        "purposeCategory": list(purpose.purpose_category),
        "consentType": "EXPLICIT",
        "piiCategory": list(purpose.pii_category),
        "primaryPurpose": False,
        "termination": _termination(purpose, settings, zone),
        "thirdPartyDisclosure": False,
        # Field Kit's own detail (the schema allows further properties here):
        "purposeId": purpose.id,
        "textVersion": purpose.text_version,
        "textSha256": purpose.text_sha256,
        "collectionMethod": METHOD_LABELS.get(purpose.method, purpose.method),
        "givenAt": purpose.given_at,
        **({"validUntil": purpose.valid_until} if purpose.valid_until else {}),
        "witnessed": purpose.witness is not None,
    }


def receipt_json(receipt: Receipt) -> dict:
    """The receipt as Kantara Consent Receipt v1.1 JSON (personal data: only the person's id)."""
    settings = receipt.settings
    return {
        "version": SPEC_VERSION,
        "jurisdiction": settings.jurisdiction,
        "consentTimestamp": int(receipt.timestamp.timestamp()),
        "collectionMethod": METHOD_LABELS.get(receipt.method, receipt.method),
        "consentReceiptID": receipt.receipt_id,
        "language": "en",
        "piiPrincipalId": receipt.person_id,
        "piiControllers": [
            {
                "piiController": settings.controller,
                "onBehalf": False,
                "contact": settings.controller_contact,
                "address": {"streetAddress": settings.controller_address},
                "email": settings.controller_email,
                "phone": settings.controller_phone,
            }
        ],
        "policyUrl": settings.policy_url,
        "services": [
            {
                "service": receipt.event_name,
                "purposes": [_purpose_json(p, settings, receipt.timezone) for p in receipt.purposes if p.is_consent],
            }
        ],
        "sensitive": True,
        "spiCat": SENSITIVE_CATEGORIES,
    }


def printed_receipt(store: Store, receipt: Receipt) -> PrintedReceipt:
    """The receipt's words for paper, dates in the event's time zone."""
    zone = ZoneInfo(event_template(store).event.timezone)

    def day(text: str | None) -> str:
        return datetime.fromisoformat(text).astimezone(zone).strftime("%-d %b %Y") if text else ""

    words = {"permit": "Yes", "deny": "No", "revoked": "Withdrawn", "not_asked": "Not asked"}
    lines = []
    for p in receipt.purposes:
        parts = []
        if p.given_at:
            # A desk does not hold how consent was given (sync/scope.py): then the line says when only.
            how = f" ({METHOD_LABELS.get(p.method, p.method).lower()})" if p.method else ""
            parts.append(f"{'withdrawn' if p.decision == 'revoked' else 'decided'} {day(p.given_at)}{how}")
        if p.valid_until and p.status == "permitted":
            parts.append(f"valid until {day(p.valid_until)}")
        if p.text_version:
            parts.append(f"text version {p.text_version}")
        answer = words[p.decision]
        if p.decision == "permit" and p.status != PERMITTED:  # a yes that no longer holds is not printed as one
            answer = {EXPIRED: "Expired", VERSION_NOT_ACCEPTED: "Ask again (text changed)"}.get(p.status, "No")
        lines.append(ReceiptLine(p.title, p.text, answer, ", ".join(parts) or "not asked yet"))
    template = event_template(store)
    return PrintedReceipt(
        receipt_id=receipt.receipt_id,
        person_name=receipt.person_name,
        issued=store.now().astimezone(zone).strftime("%-d %B %Y, %H:%M"),
        lines=tuple(lines),
        versions=versions_line(template.consent.purposes),
    )
