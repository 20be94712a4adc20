"""The practitioner directory: filters, suggestions by need, language and this week's places."""

from __future__ import annotations

from fieldkit.referrals import directory


def names(items):
    return [getattr(i, "practitioner", i).id for i in items]


def test_filters(template):
    ps = template.practitioners
    assert names(directory.filter_practitioners(ps, specialism="Anxiety")) == ["amara-okafor", "eleni-papadaki"]
    assert names(directory.filter_practitioners(ps, language="uk")) == ["olena-kovalenko"]
    assert names(directory.filter_practitioners(ps, accepting=False)) == ["joao-ferreira"]
    assert names(directory.filter_practitioners(ps, specialism="low mood", language="en", accepting=True)) == [
        "amara-okafor",
        "olena-kovalenko",
    ]
    assert directory.filter_practitioners(ps, specialism="astrology") == []
    assert "grief" in directory.specialisms(ps) and "el" in directory.languages(ps)


def test_suggestion_ranks_specialism_then_language_then_places(template):
    ps = template.practitioners
    found = directory.suggest(ps, specialism="anxiety", language="el", open_this_week={})
    assert names(found) == ["eleni-papadaki", "amara-okafor"]
    assert found[0].matches_language and "3 of 3 places" in found[0].reason


def test_full_practitioners_and_those_not_accepting_are_not_suggested(template):
    ps = template.practitioners
    found = directory.suggest(ps, specialism="anxiety", language=None, open_this_week={"amara-okafor": 4})
    assert names(found) == ["eleni-papadaki"]
    assert names(directory.suggest(ps, specialism="addiction", language="pt", open_this_week={})) != ["joao-ferreira"]
    assert all(s.practitioner.accepting_new_clients for s in directory.suggest(ps, specialism=None, language=None, open_this_week={}))


def test_no_match_still_suggests_someone_with_places(template):
    found = directory.suggest(template.practitioners, specialism="astrology", language="fr", open_this_week={})
    assert found and all(s.available > 0 for s in found)
