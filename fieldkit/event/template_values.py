"""What an event template holds, as plain frozen values (parsed and checked by template.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from fieldkit.errors import Refused

PAGE_SIZES = ("A4", "Letter")
QUESTION_TYPES = ("single", "multiple", "scale", "yesno", "number", "text")
CHANNELS = ("community", "directory", "walk_in", "practitioner")
CARD_FORMS = ("card", "label")  # how the app prints one referral card: an 85 x 55 mm page or a 62 mm label
# The consent receipt's categories (Kantara Consent Receipt v1.1, appendices B and C) of
# the standard purposes: (purpose categories, categories of personal data). A template
# names them for any other purpose.
RECEIPT_CATEGORIES = {
    "record_attendance": (("1 - Core Function",), ("1 - Biographical",)),
    "share_intake_with_practitioners": (("2 - Contracted Service",), ("6 - Health",)),
    "contact_for_followup": (("4 - Contact Requested",), ("2 - Contact",)),
    "aggregate_reporting": (("16 - Improve Performance",), ("15 - Behavioural", "6 - Health")),
}


class TemplateError(Refused):
    """A template that does not validate; str() is `file: field: problem`."""

    code = "bad_template"


@dataclass(frozen=True)
class Practitioner:
    id: str
    name: str
    specialisms: tuple[str, ...]
    modalities: tuple[str, ...]
    languages: tuple[str, ...]
    sliding_scale: bool
    accepting_new_clients: bool
    weekly_capacity: int
    how_to_book: str
    location: str


@dataclass(frozen=True)
class IntentCategory:
    id: str
    label: str
    needs_note: bool = False


@dataclass(frozen=True)
class ConsentPurpose:
    id: str
    title: str
    version: str
    text: str
    accepted_versions: tuple[str, ...] = ()
    purpose_category: tuple[str, ...] = ()  # the consent receipt's categories
    pii_category: tuple[str, ...] = ()

    @property
    def text_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    prompt: str
    required: bool = False
    options: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    show_if: dict | None = None


@dataclass(frozen=True)
class Survey:
    id: str
    version: str
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class EventInfo:
    name: str
    venue: str
    community: str
    starts: datetime
    ends: datetime
    timezone: str
    page_size: str
    printer: str = ""  # a CUPS queue name; empty: $FIELDKIT_PRINTER or the CUPS default


@dataclass(frozen=True)
class ConsentSettings:
    jurisdiction: str
    controller: str  # the organisation responsible for the data, as named on forms and receipts
    valid_days_after_event: int
    purposes: tuple[ConsentPurpose, ...]
    controller_contact: str  # whom to ask: a role or a person
    controller_address: str
    controller_email: str
    controller_phone: str
    policy_url: str  # the privacy notice the consent texts belong to


@dataclass(frozen=True)
class ReferralSettings:
    card_heading: str
    card_text: str
    credit_milestone: str = "booked"
    single_card: str = "card"  # one of CARD_FORMS


@dataclass(frozen=True)
class CheckinSettings:
    # Seconds a result stays on the desk's panel before it says "Ready" again.
    result_seconds: float = 6.0


@dataclass(frozen=True)
class EventTemplate:
    source: str
    event: EventInfo
    practitioners: tuple[Practitioner, ...]
    intent_categories: tuple[IntentCategory, ...]
    surveys: tuple[Survey, ...]
    consent: ConsentSettings
    referrals: ReferralSettings
    raw: dict = field(repr=False, compare=False, default_factory=dict)
    checkin: CheckinSettings = CheckinSettings()

    def purpose(self, purpose_id: str) -> ConsentPurpose | None:
        return next((p for p in self.consent.purposes if p.id == purpose_id), None)

    def practitioner(self, practitioner_id: str) -> Practitioner | None:
        return next((p for p in self.practitioners if p.id == practitioner_id), None)

    def to_json(self) -> str:
        """The template as stored in the event record (source TOML as parsed)."""
        return json.dumps(self.raw, sort_keys=True, ensure_ascii=False, default=str)
