"""A consent receipt for one person, with fields after the Kantara Initiative's
Consent Receipt Specification (v1.1), plus Field Kit's own per-purpose details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fieldkit.consent import METHOD_LABELS, ConsentError, consent_status, event_template
from fieldkit.consent.gate import DENY, REVOKE, utc_text
from fieldkit.store import Store
from printables.consent_forms import versions_line
from printables.consent_receipt import PrintedReceipt, ReceiptLine

SPEC_VERSION = "KI-CR-v1.1.0"


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


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    timestamp: datetime
    person_id: str
    person_name: str
    event_name: str
    jurisdiction: str
    controller: str
    method: str
    purposes: tuple[ReceiptPurpose, ...]


def _decision_word(fact) -> str:
    if fact is None:
        return "not_asked"
    if fact.action == REVOKE:
        return "revoked"
    return "deny" if fact.decision == DENY else "permit"


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
        jurisdiction=template.consent.jurisdiction,
        controller=template.consent.controller,
        method=latest.method,
        purposes=purposes,
    )


def receipt_json(receipt: Receipt) -> dict:
    """The receipt as Kantara-style JSON (personal data: only the person's id)."""
    return {
        "version": SPEC_VERSION,
        "jurisdiction": receipt.jurisdiction,
        "consentTimestamp": int(receipt.timestamp.timestamp()),
        "collectionMethod": METHOD_LABELS.get(receipt.method, receipt.method),
        "consentReceiptID": receipt.receipt_id,
        "language": "en",
        "piiPrincipalId": receipt.person_id,
        "piiControllers": [{"piiController": receipt.controller, "onBehalf": False}],
        "sensitive": True,
        "spiCat": ["health"],
        "services": [
            {
                "service": receipt.event_name,
                "purposes": [
                    {
                        "purpose": p.title,
                        "purposeId": p.id,
                        "consentType": "EXPLICIT",
                        "primaryPurpose": False,
                        "thirdPartyDisclosure": False,
                        "termination": p.valid_until,
                        "decision": p.decision,
                        "status": p.status,
                        "textVersion": p.text_version,
                        "textSha256": p.text_sha256,
                        "collectionMethod": METHOD_LABELS.get(p.method, p.method) if p.method else None,
                        "givenAt": p.given_at,
                        "witnessed": p.witness is not None,
                    }
                    for p in receipt.purposes
                ],
            }
        ],
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
            how = METHOD_LABELS.get(p.method, p.method).lower()
            parts.append(f"{'withdrawn' if p.decision == 'revoked' else 'decided'} {day(p.given_at)} ({how})")
        if p.valid_until and p.status == "permitted":
            parts.append(f"valid until {day(p.valid_until)}")
        if p.text_version:
            parts.append(f"text version {p.text_version}")
        lines.append(ReceiptLine(p.title, p.text, words[p.decision], ", ".join(parts) or "not asked yet"))
    template = event_template(store)
    return PrintedReceipt(
        receipt_id=receipt.receipt_id,
        person_name=receipt.person_name,
        issued=store.now().astimezone(zone).strftime("%-d %B %Y, %H:%M"),
        lines=tuple(lines),
        versions=versions_line(template.consent.purposes),
    )
