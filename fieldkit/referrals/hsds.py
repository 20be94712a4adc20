"""The practitioner directory as Open Referral HSDS 3 JSON: one organization with its services.

Each practitioner is a service of the organization running the event, with its
languages, a contact, where it is offered and its specialisms and modalities as
attributes. Ids are UUIDs derived from the event and practitioner ids, so exporting
twice gives the same ids. Weekly capacity and referral counts are not exported.
"""

from __future__ import annotations

import uuid

from fieldkit.event.template import EventTemplate, Practitioner

HSDS_VERSION = "3.0"
_TAXONOMY = "Field Kit event template"

# English names of the languages clinics list most often (ISO 639-1); other codes
# are exported with the code alone, which HSDS allows.
LANGUAGE_NAMES = {
    "ar": "Arabic", "bn": "Bengali", "cy": "Welsh", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fa": "Persian", "fr": "French", "gu": "Gujarati",
    "hi": "Hindi", "it": "Italian", "ku": "Kurdish", "lt": "Lithuanian", "pa": "Punjabi",
    "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "so": "Somali", "sq": "Albanian", "ta": "Tamil", "ti": "Tigrinya", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "yo": "Yoruba", "zh": "Chinese",
}


def _uuid(event_id: str, *parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "fieldkit:" + ":".join((event_id, *parts))))


def _language(event_id: str, service_id: str, p: Practitioner, code: str) -> dict:
    entry = {"id": _uuid(event_id, "language", p.id, code), "service_id": service_id, "code": code}
    if code.lower() in LANGUAGE_NAMES:
        entry["name"] = LANGUAGE_NAMES[code.lower()]
    return entry


def _attributes(event_id: str, service_id: str, p: Practitioner) -> list[dict]:
    out = []
    for link_type, values in (("specialism", p.specialisms), ("modality", p.modalities)):
        for value in values:
            out.append(
                {
                    "id": _uuid(event_id, "attribute", p.id, link_type, value),
                    "link_id": service_id,
                    "link_type": link_type,
                    "link_entity": "service",
                    "value": value,
                    "label": f"{link_type.capitalize()}: {value}",
                    "taxonomy_term": {
                        "id": _uuid(event_id, "term", link_type, value),
                        "code": f"{link_type}:{value}",
                        "name": value,
                        "description": f"A {link_type} offered by practitioners of this event.",
                        "taxonomy": _TAXONOMY,
                    },
                }
            )
    return out


def _service_at_locations(event_id: str, organization_id: str, service_id: str, p: Practitioner) -> list[dict]:
    if not p.location.strip():
        return []
    location_id = _uuid(event_id, "location", p.location)
    online = p.location.strip().casefold() == "online"
    return [
        {
            "id": _uuid(event_id, "service_at_location", p.id),
            "service_id": service_id,
            "location_id": location_id,
            "location": {
                "id": location_id,
                "location_type": "virtual" if online else "physical",
                "organization_id": organization_id,
                "name": p.location,
            },
        }
    ]


def _service(event_id: str, organization_id: str, p: Practitioner) -> dict:
    service_id = _uuid(event_id, "service", p.id)
    service = {
        "id": service_id,
        "organization_id": organization_id,
        "name": f"{p.name} ({', '.join(p.modalities)})" if p.modalities else p.name,
        "description": "Specialisms: " + ", ".join(p.specialisms) + "."
        + (" Modalities: " + ", ".join(p.modalities) + "." if p.modalities else ""),
        "status": "active",
        "application_process": p.how_to_book,
        "fees_description": "Sliding scale: pay what you can afford."
        if p.sliding_scale
        else "Standard fees: ask when booking.",
        "languages": [_language(event_id, service_id, p, code) for code in p.languages],
        "contacts": [{"id": _uuid(event_id, "contact", p.id), "service_id": service_id, "name": p.name}],
        "service_at_locations": _service_at_locations(event_id, organization_id, service_id, p),
        "attributes": _attributes(event_id, service_id, p),
    }
    if not p.accepting_new_clients:
        service["alert"] = "Not accepting new clients at present."
    return service


def hsds_organization(template: EventTemplate, event_id: str) -> dict:
    """The event's directory as an HSDS 3 organization object with nested services."""
    ev = template.event
    organization_id = _uuid(event_id, "organization")
    return {
        "id": organization_id,
        "name": ev.community,
        "description": f"Practitioners of {ev.name} ({ev.venue}), from its event template.",
        "services": [_service(event_id, organization_id, p) for p in template.practitioners],
    }
