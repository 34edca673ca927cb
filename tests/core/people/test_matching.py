"""Person matching for duplicates: national ID through the blind index, name + contact, name + birth year."""

from datetime import date

import pytest

from core.db import tenant_scope, utcnow
from core.people import matching, services
from core.people.matching import MatchProfile, find_matches, match_candidates, parse_candidate_national_id
from core.people.national_id import parse

PNR = "19811218-9876"  # Skatteverket's published test number


@pytest.fixture
def vault(app):
    return app.extensions["samverka"].vault


@pytest.fixture
def parses(monkeypatch):
    """Every national ID matching parses, counted (matching and core's people services)."""
    calls = []

    def counting(country, raw, **kwargs):
        calls.append(country)
        return parse(country, raw, **kwargs)

    monkeypatch.setattr(matching, "parse", counting)
    monkeypatch.setattr(services, "parse", counting)
    return calls


def _find(db_session, vault, tenant, candidate, *, national_id=None, **kwargs):
    with tenant_scope(tenant.id):
        target = MatchProfile.of_candidate(vault, candidate, national_id=national_id, **kwargs)
        return [(m.person.id, m.reasons) for m in find_matches(db_session, target)]


def test_the_same_national_id_is_found_through_the_blind_index(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    person = make_person(tenant, first_name="Sara", last_name="Lind", national_id=PNR)
    parsed = parse("SE", "811218-9876")
    assert _find(db_session, vault, tenant, {"first_name": "Annie", "last_name": "Berg"}, national_id=parsed) == [
        (person.id, ("national_id",))]


def test_the_raw_national_id_of_a_candidate_is_never_read(db_session, make_tenant, make_person, vault, parses):
    """The caller parses it once and passes the result; matching parses nothing itself."""
    tenant = make_tenant(country="SE")
    make_person(tenant, first_name="Sara", last_name="Lind", national_id=PNR)
    parses.clear()
    assert _find(db_session, vault, tenant, {"first_name": "Annie", "last_name": "Berg", "national_id": PNR}) == []
    assert parses == []


def test_a_candidates_national_id_is_parsed_once_for_its_country(db_session, make_tenant, make_person, vault, parses):
    tenant = make_tenant(country="SE")
    person = make_person(tenant, first_name="Sara", last_name="Lind", national_id=PNR)
    parses.clear()
    with tenant_scope(tenant.id):
        parsed = parse_candidate_national_id({"national_id": "811218-9876", "national_id_country": "SE"}, "DK")
        found = find_matches(db_session, MatchProfile.of_candidate(vault, {}, national_id=parsed))
    assert [m.person.id for m in found] == [person.id] and parses == ["SE"]


def test_a_blank_or_invalid_national_id_of_a_candidate_is_no_match_and_no_error():
    assert parse_candidate_national_id({"national_id": ""}, "SE") is None
    assert parse_candidate_national_id({"national_id": "19811218-9875"}, "SE") is None  # checksum
    assert parse_candidate_national_id({}, "SE") is None


def test_core_duplicates_parse_the_national_id_once(db_session, make_tenant, make_person, vault, parses):
    tenant = make_tenant(country="SE")
    person = make_person(tenant, first_name="Sara", last_name="Lind", national_id=PNR)
    parses.clear()
    with tenant_scope(tenant.id):
        found = services.find_duplicates(db_session, vault, {"national_id": PNR}, country="SE")
    assert [(d.person.id, d.reasons) for d in found] == [(person.id, ("national_id",))] and len(parses) == 1


def test_the_same_name_and_email_or_phone_is_a_match(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    by_email = make_person(tenant, first_name="Sara", last_name="Lind", email="sara@example.org")
    by_phone = make_person(tenant, first_name="Sara", last_name="Lind", phone="070-123 45 67")
    neither = make_person(tenant, first_name="Sara", last_name="Lind", email="other@example.org", phone="0709999999")
    found = dict(_find(db_session, vault, tenant, {"first_name": " sara ", "last_name": "LIND",
                                                   "email": "SARA@example.org ", "phone": "+46 70 123 45 67"}))
    assert found == {by_email.id: ("name+contact",), by_phone.id: ("name+contact",)}
    assert neither.id not in found


def test_a_contact_persons_phone_counts_as_a_way_to_reach_them(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    person = make_person(tenant, first_name="Sara", last_name="Lind")
    with tenant_scope(tenant.id):
        registered = MatchProfile.of(person, phones=["016-123456"], emails=[None])
    candidate = MatchProfile(first_name="Sara", last_name="Lind", phones=frozenset({"16123456"}))
    assert candidate.reasons_against(registered) == ("name+contact",)
    assert candidate.reasons_against(MatchProfile.of(person)) == ()


def test_short_numbers_match_only_when_equal():
    assert matching.phones_match("12345", "12345") and not matching.phones_match("12345", "912345")
    assert matching.phones_match("46701234567", "701234567") and not matching.phones_match("", "")


def test_the_same_name_and_birth_year_is_a_match(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    by_date = make_person(tenant, first_name="Sara", last_name="Lind", birth_date=date(1990, 5, 1))
    by_year = make_person(tenant, first_name="Sara", last_name="Lind", birth_year=1990)
    make_person(tenant, first_name="Sara", last_name="Lind", birth_year=1991)
    found = _find(db_session, vault, tenant, {"first_name": "Sara", "last_name": "Lind", "birth_date": date(1990, 1, 2)})
    assert sorted(found) == sorted([(by_date.id, ("name+birth_year",)), (by_year.id, ("name+birth_year",))])


def test_reasons_come_most_certain_first(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    person = make_person(tenant, first_name="Sara", last_name="Lind", national_id=PNR, phone="0701234567")
    found = _find(db_session, vault, tenant, {"first_name": "Sara", "last_name": "Lind", "birth_year": 1981,
                                              "phone": "0701234567"}, national_id=parse("SE", PNR))
    assert found == [(person.id, ("national_id", "name+contact", "name+birth_year"))]


def test_a_name_alone_or_a_contact_alone_is_not_a_match(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    make_person(tenant, first_name="Sara", last_name="Lind", birth_year=1990)
    make_person(tenant, first_name="Bodil", last_name="Lind", phone="0701234567")
    assert _find(db_session, vault, tenant, {"first_name": "Sara", "last_name": "Lind", "birth_year": 1991}) == []
    assert _find(db_session, vault, tenant, {"first_name": "Sara", "last_name": "Lind", "phone": "0701234567"}) == []


def test_anonymised_people_and_other_tenants_people_never_match(db_session, make_tenant, make_person, vault):
    mine, other = make_tenant(country="SE"), make_tenant(country="SE")
    make_person(other, first_name="Sara", last_name="Lind", national_id=PNR, birth_year=1981)
    gone = make_person(mine, first_name="Sara", last_name="Lind", birth_year=1981)
    with tenant_scope(mine.id):
        gone.anonymised_at = utcnow()
        db_session.commit()
    candidate = {"first_name": "Sara", "last_name": "Lind", "birth_year": 1981}
    assert _find(db_session, vault, mine, candidate, national_id=parse("SE", PNR)) == []
    assert _find(db_session, vault, other, candidate, national_id=parse("SE", PNR)) != []


def test_wildcards_in_a_name_match_only_themselves(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    make_person(tenant, first_name="Saras", last_name="Lind")
    make_person(tenant, first_name="S%", last_name="Lind")
    with tenant_scope(tenant.id):
        names = {p.first_name for p in match_candidates(db_session, [MatchProfile(first_name="Sara_", last_name="Lind")])}
        assert names == set()
        names = {p.first_name for p in match_candidates(db_session, [MatchProfile(first_name="s%", last_name="lind")])}
        assert names == {"S%"}
        assert services.find_duplicates(db_session, vault, {"first_name": "Sara_", "last_name": "Lind"}, country="SE") == []


def test_a_limited_lookup_keeps_the_same_national_id_first(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    make_person(tenant, first_name="Sara", last_name="Lind")
    same = make_person(tenant, first_name="Sara", last_name="Lind", national_id=PNR)
    with tenant_scope(tenant.id):
        target = MatchProfile.of_candidate(vault, {"first_name": "Sara", "last_name": "Lind"}, national_id=parse("SE", PNR))
        assert [p.id for p in match_candidates(db_session, [target], limit=1)] == [same.id]
        assert len(match_candidates(db_session, [target], limit=None)) == 2
        assert [p.id for p in match_candidates(db_session, [target], exclude_id=same.id)] != [same.id]


def test_many_people_are_looked_up_in_one_query(db_session, make_tenant, make_person, vault, query_counter):
    tenant = make_tenant(country="SE")
    people = [make_person(tenant, first_name=f"N{n}", last_name="Lind") for n in range(5)]
    with tenant_scope(tenant.id):
        profiles = [MatchProfile.of(p) for p in people]
        with query_counter.counting() as counted:
            found = match_candidates(db_session, profiles, limit=None)
    assert {p.id for p in found} == {p.id for p in people} and counted.count == 1
