"""Which referral is whose: the person link, kept only under the sharing consent."""

from __future__ import annotations

from fieldkit.consent.coverage import Coverage
from fieldkit.consent.gate import ConsentError, allows
from fieldkit.referrals.records import SHARE_PURPOSE
from fieldkit.store import Store


def may_link(store: Store, person_id: str) -> bool:
    """Whether this person agreed that practitioners see what intake records about them."""
    try:
        return bool(allows(store, person_id, SHARE_PURPOSE))
    except ConsentError:  # an event without this purpose: never link
        return False


def people_with_referral_links(store: Store) -> set[str]:
    return {r[0] for r in store.db.execute("SELECT DISTINCT person_id FROM referral_details WHERE person_id IS NOT NULL")}


def unlink_person(store: Store, person_id: str, reason: str) -> int:
    """Empty the person link of their referrals (tombstoned, so it syncs); the referral,
    its card and its status stay, anonymous."""
    ids = [r[0] for r in store.db.execute("SELECT id FROM referral_details WHERE person_id = ?", [person_id])]
    for referral_id in ids:
        store.purge("referral_details", referral_id, reason, fields=["person_id"])
    return len(ids)


REFERRAL_LINK_COVERAGE = Coverage(
    purpose=SHARE_PURPOSE,
    name="referral links (which referral card is whose)",
    holders=people_with_referral_links,
    purge=unlink_person,
)
