"""A referral's life: issuing it, choosing its practitioner, and moving its status on as facts."""

from __future__ import annotations

from fieldkit.event.template import CHANNELS
from fieldkit.referrals import directory
from fieldkit.referrals.caseload import open_this_week
from fieldkit.referrals.credits import credit_milestone, credit_once
from fieldkit.referrals.introducers import introducer
from fieldkit.referrals.links import may_link
from fieldkit.referrals.records import (
    CHAIN,
    ENDINGS,
    ISSUED,
    STATUS_WORDS,
    STATUSES,
    TRANSITIONS,
    VETTED,
    Referral,
    ReferralRefused,
    event_template,
    existing,
    get_referral,
    now_text,
    practitioner_of,
    referral_for_card,
    unknown_status,
)
from fieldkit.referrals.stock import find_card, issue_cards
from fieldkit.store import Store


def issue_referral(
    store: Store,
    *,
    channel: str,
    need: str | None = None,
    language: str | None = None,
    introducer_id: str | None = None,
    practitioner_id: str | None = None,
    person_id: str | None = None,
    card_code: str | None = None,
    via: str = "screen",
) -> Referral:
    """Issue a referral: suggest a practitioner, link a card (a blank one, or a new one).

    The person is linked only with their `share_intake_with_practitioners` consent;
    otherwise the referral is anonymous and its card's code is the only link.
    """
    template = event_template(store)
    if channel not in CHANNELS:
        raise ReferralRefused("unknown_channel", f"{channel!r} is not a channel: use one of {', '.join(CHANNELS)}.")
    if introducer_id:
        found = introducer(store, introducer_id)
        if found is None or not found.active:
            raise ReferralRefused(
                "unknown_introducer", "No such introducer: add them first (`fieldkit referral introducer add`)."
            )
    elif channel == "community":
        raise ReferralRefused(
            "introducer_required", "A community introduction needs its introducer: choose who brought the person."
        )
    if practitioner_id:
        practitioner_of(template, practitioner_id)
    need = _listed(need, directory.specialisms(template.practitioners), "unknown_need",
                   "something the practitioners of this event help with")
    language = _listed(language, directory.languages(template.practitioners), "unknown_language",
                       "a language the practitioners of this event speak")
    suggestions = directory.suggest(
        template.practitioners, specialism=need, language=language, open_this_week=open_this_week(store, template)
    )
    suggested = suggestions[0].practitioner.id if suggestions else None
    linked = person_id if person_id and may_link(store, person_id) else None

    with store.transaction():
        if card_code:
            chosen = find_card(store, card_code)
            if referral_for_card(store, chosen.id) is not None:
                raise ReferralRefused(
                    "card_in_use", f"Card {chosen.display_code} is already linked to a referral: use another blank card."
                )
        else:
            chosen = issue_cards(store, 1, blank=False)[0]
        referral_id = store.set_record(
            "referrals",
            None,
            {
                "card_id": chosen.id,
                "event_id": store.event_id,
                "channel": channel,
                "introducer_id": introducer_id or None,
                "suggested_practitioner_id": suggested,
                "practitioner_id": practitioner_id or suggested,
                "issued_at": now_text(store),
            },
        )
        if linked or need or language:
            store.set_record(
                "referral_details",
                referral_id,
                {"person_id": linked, "need": need or None, "language": language or None},
            )
        append_status(store, referral_id, ISSUED, via=via)
    return get_referral(store, referral_id)


def _listed(value: str | None, listed: list[str], code: str, what: str) -> str | None:
    """`value` as the directory spells it; a value the directory does not list is refused with the list."""
    if not value:
        return None
    found = directory.spelled_as_listed(value, listed)
    if found is None:
        raise ReferralRefused(code, f"{value!r} is not {what}: choose one of {', '.join(listed)}.")
    return found


def choose_practitioner(store: Store, referral_id: str, practitioner_id: str) -> Referral:
    """The practitioner may choose another practitioner than the one suggested."""
    referral = existing(store, referral_id)
    if referral.status in ENDINGS:
        raise ReferralRefused("closed", f"Referral {referral.display_code} is {referral.status}: issue a new one.")
    practitioner_of(event_template(store), practitioner_id)
    store.set_record("referrals", referral.id, {"practitioner_id": practitioner_id})
    return get_referral(store, referral.id)


def append_status(
    store: Store, referral_id: str, status: str, *, via: str, reason: str | None = None, practitioner_id: str | None = None
) -> str:
    return store.append_fact(
        "referral_status",
        {
            "referral_id": referral_id,
            "status": status,
            "reason": reason,
            "practitioner_id": practitioner_id,
            "via": via,
            "at": now_text(store),
        },
    )


def check_transition(referral: Referral, status: str) -> None:
    """Refuse (with the reason) a status change the lifecycle does not allow."""
    if status not in STATUSES:
        raise ReferralRefused("unknown_status", unknown_status(status))
    allowed = TRANSITIONS[referral.status]
    if status == referral.status:
        raise ReferralRefused("already", f"Referral {referral.display_code} is already {STATUS_WORDS[status]}.")
    if status not in allowed:
        if not allowed:
            why = f"it is {STATUS_WORDS[referral.status]}, which is final"
        else:
            why = f"a referral that is {referral.status} can only become {', '.join(allowed[:-1])} or {allowed[-1]}"
        hint = " Vet it first." if referral.status == ISSUED and status in CHAIN else ""
        raise ReferralRefused("invalid_transition", f"Referral {referral.display_code} cannot become {status}: {why}.{hint}")


def set_status(
    store: Store,
    referral_id: str,
    status: str,
    *,
    reason: str | None = None,
    practitioner_id: str | None = None,
    via: str = "screen",
) -> Referral:
    """Move a referral on (one fact), crediting its introducer at the template's milestone."""
    referral = existing(store, referral_id)
    check_transition(referral, status)
    reason = " ".join((reason or "").split()) or None
    if status in ENDINGS and not reason:
        raise ReferralRefused("reason_required", f"Say why the referral is {status} (a few words).")
    template = event_template(store)
    if status == VETTED:
        if not practitioner_id:
            raise ReferralRefused(
                "vetter_required", "Only a practitioner of the community can vet: choose which practitioner vets it."
            )
        practitioner_of(template, practitioner_id)
    elif practitioner_id:
        practitioner_of(template, practitioner_id)
    with store.transaction():
        append_status(store, referral.id, status, via=via, reason=reason, practitioner_id=practitioner_id)
        if status == credit_milestone(template) and referral.introducer_id:
            credit_once(store, referral, status)
    return get_referral(store, referral.id)


def vet(store: Store, referral_id: str, practitioner_id: str, *, via: str = "screen") -> Referral:
    return set_status(store, referral_id, VETTED, practitioner_id=practitioner_id, via=via)
