"""People arriving many to a batch go in by one statement (fieldkit/store/apply.py): they must
be stored exactly as sent and found by any word of their names, as one at a time would be."""

from __future__ import annotations

from kit import canonical_dump, sync_pair

from fieldkit.people.registry import add_person, find_people

NAMES = [
    'Zoë "Zed" O\'Brien',
    "Back\\slash Ω Ñúñez",
    "李 小龙",
    "Anaïs 🌻 Lima",
    "Kwame Mensah",
]


def test_many_people_in_one_batch_are_stored_exactly_and_found_by_every_word(coordinator, enroll):
    for name in NAMES:
        add_person(coordinator, name, email=None, phone="+44 20 7946 0000")
    # Written past the desk's tidying, as modified code on a laptop could: NUL, controls, JSON's own syntax.
    coordinator.set_record("people", None, {"display_name": 'Nul\x00Byte \x01\x1f ]}\\u0041"', "search_name": "nul\x00byte"})
    practitioner, relay_target = enroll("intake-1", "practitioner"), enroll("intake-2", "practitioner")

    first, _ = sync_pair(practitioner, coordinator)
    assert first.received >= len(NAMES)
    people = "SELECT id, origin, hlc, display_name, search_name, email, phone, created_at FROM people ORDER BY id"
    assert practitioner.db.execute(people).fetchall() == coordinator.db.execute(people).fetchall()

    for query, expected in [("zed", 'Zoë "Zed" O\'Brien'), ("brien", 'Zoë "Zed" O\'Brien'),
                            ("nunez", "Back\\slash Ω Ñúñez"), ("lima an", "Anaïs 🌻 Lima"),
                            ("mens", "Kwame Mensah")]:
        found = [p.display_name for p in find_people(practitioner, query)]
        assert expected in found, (query, found)

    # What it stored proves itself to a third laptop: the values are the ones hashed.
    relayed, _ = sync_pair(relay_target, practitioner)
    assert not isinstance(relayed, Exception) and relayed.received >= len(NAMES)
    assert canonical_dump(relay_target, with_log=False)["people"] == canonical_dump(coordinator, with_log=False)["people"]
