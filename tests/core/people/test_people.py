"""People: national IDs encrypted and indexed, duplicates, protected identity, consent, export, erasure."""

from datetime import date

import pytest
from sqlalchemy import select, text

from core.db import tenant_scope
from core.people import services
from core.people.models import Person
from tests.core import sample_plugin

PNR = "19811218-9876"  # Skatteverket's published test number


@pytest.fixture
def vault(app):
    return app.extensions["samverka"].vault


def test_a_national_id_is_stored_encrypted_indexed_and_masked(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    person = make_person(tenant, national_id=PNR)
    assert person.national_id_masked == "********-9876"
    assert "198112189876" not in person.national_id_encrypted and person.national_id_index
    assert person.birth_date == date(1981, 12, 18)
    assert services.reveal_national_id(vault, person) == "198112189876"


def test_raw_rows_hold_no_plain_national_id(db_session, make_tenant, make_person):
    tenant = make_tenant(country="SE")
    make_person(tenant, national_id=PNR)
    with tenant_scope(tenant.id):
        rows = db_session.execute(text("SELECT * FROM person")).mappings().all()
    assert rows and not any("8112189876" in str(value) for row in rows for value in row.values())


def test_an_invalid_national_id_is_a_field_error_without_the_number(db_session, make_tenant, make_person):
    tenant = make_tenant(country="SE")
    with pytest.raises(services.PersonError) as err:
        make_person(tenant, national_id="19811218-9877")
    assert "national_id" in err.value.errors and "9877" not in str(err.value)


def test_a_ciphertext_moved_to_another_tenant_does_not_decrypt(db_session, make_tenant, make_person, vault):
    from core.people.vault import VaultError

    a, b = make_tenant(country="SE"), make_tenant(country="SE")
    person = make_person(a, national_id=PNR)
    impostor = make_person(b)
    impostor.national_id_encrypted = person.national_id_encrypted
    with pytest.raises(VaultError):
        services.reveal_national_id(vault, impostor)


def test_duplicates_by_national_id_and_by_name_are_found_not_merged(db_session, make_tenant, make_person, vault):
    tenant = make_tenant(country="SE")
    first = make_person(tenant, first_name="Sara", last_name="Lind", national_id=PNR)
    with tenant_scope(tenant.id):
        by_id = services.find_duplicates(db_session, vault, {"national_id": "811218-9876"}, country="SE")
        by_name = services.find_duplicates(db_session, vault, {"first_name": "sara", "last_name": "LIND"}, country="SE")
        assert [d.person.id for d in by_id] == [first.id] and by_id[0].reasons == ("national_id",)
        assert [d.person.id for d in by_name] == [first.id]
        assert db_session.scalar(select(Person).where(Person.id == first.id)) is not None


def test_duplicates_in_another_tenant_are_not_found(db_session, make_tenant, make_person, vault):
    a, b = make_tenant(country="SE"), make_tenant(country="SE")
    make_person(a, first_name="Sara", last_name="Lind", national_id=PNR)
    with tenant_scope(b.id):
        assert services.find_duplicates(db_session, vault, {"national_id": PNR, "first_name": "Sara", "last_name": "Lind"}, country="SE") == []


def test_protected_identity_withholds_contact_details(make_tenant, make_person):
    person = make_person(make_tenant(), protected_identity=True, email="a@b.se", phone="070 1234567", address="Gatan 1")
    hidden = services.shown(person, see_protected=False)
    assert hidden["contact_withheld"] and (hidden["email"], hidden["phone"], hidden["address"]) == (None, None, None)
    assert services.shown(person, see_protected=True)["address"] == "Gatan 1"


def test_consent_given_and_withdrawn(db_session, make_tenant, make_person):
    tenant = make_tenant()
    person = make_person(tenant)
    with tenant_scope(tenant.id):
        consent = services.add_consent(db_session, person, purpose="Group course", plugin="sample",
                                       given_by="guardian", given_on=date(2026, 1, 10))
        assert services.has_consent(db_session, person, plugin="sample", on=date(2026, 2, 1))
        services.withdraw_consent(db_session, consent, date(2026, 3, 1))
        assert services.has_consent(db_session, person, plugin="sample", on=date(2026, 2, 1))
        assert not services.has_consent(db_session, person, plugin="sample", on=date(2026, 3, 2))
        with pytest.raises(services.PersonError):
            services.withdraw_consent(db_session, consent, date(2025, 1, 1))


def test_hook_person_export_gathers_core_and_enabled_plugins(db_session, app, make_tenant, make_person):
    tenant = make_tenant(plugins={"sample": {}})
    person = make_person(tenant, national_id=None, email="x@example.org")
    registry = app.extensions["samverka"].registry
    with tenant_scope(tenant.id):
        data = services.export_person(db_session, registry.relay({"sample"}), person)
        without = services.export_person(db_session, registry.relay(set()), person)
    assert data["person"]["email"] == "x@example.org" and data["plugins"] == {"sample": {"sample": "record"}}
    assert without["plugins"] == {}


def test_hook_people_held_asks_each_enabled_plugin_once_for_all_the_people(db_session, app, make_tenant, make_person):
    tenant = make_tenant(plugins={"sample": {}})
    first, second = make_person(tenant, national_id=None), make_person(tenant, national_id=None)
    registry = app.extensions["samverka"].registry
    ids = [second.id, first.id, second.id]
    sample_plugin.calls.clear()
    with tenant_scope(tenant.id):
        assert services.held_by_plugins(db_session, registry.relay({"sample"}), ids) == {first.id, second.id}
        assert sample_plugin.calls == [("held", sorted({first.id, second.id}))]  # one call, not one per person
        sample_plugin.calls.clear()
        assert services.held_by_plugins(db_session, registry.relay({"sample"}), ids, except_plugin="sample") == set()
        assert services.held_by_plugins(db_session, registry.relay(set()), ids) == set()  # not enabled: not asked
        assert services.held_by_plugins(db_session, registry.relay({"sample"}), []) == set()
    assert sample_plugin.calls == []


def test_hook_person_erase_deletes_or_anonymises(db_session, app, make_tenant, make_person):
    tenant = make_tenant(plugins={"sample": {}})
    gone = make_person(tenant, national_id=None)
    kept = make_person(tenant, gender="keep", national_id=None, email="k@example.org")
    hooks = app.extensions["samverka"].registry.relay({"sample"})
    sample_plugin.calls.clear()
    with tenant_scope(tenant.id):
        reports = services.erase_person(db_session, hooks, gone, anonymise=False)
        assert reports["sample"].erased == {"sample_record": 1} and reports["core"].erased["person"] == 1
        assert db_session.scalar(select(Person).where(Person.id == gone.id)) is None
        reports = services.erase_person(db_session, hooks, kept, anonymise=False)
        assert reports["core"].anonymised == {"person": 1} and reports["core"].kept == ["keep"]
        assert (kept.first_name, kept.email, kept.gender) == ("", None, None) and kept.anonymised_at
    assert ("erase", gone.id) in sample_plugin.calls


def test_person_or_invalid_refuses_strangers_and_anonymised_people_at_the_field(db_session, make_tenant, make_person):
    from core.errors import FieldError
    from core.db import utcnow

    mine, theirs = make_tenant(), make_tenant()
    person, gone, stranger = make_person(mine), make_person(mine), make_person(theirs)
    with tenant_scope(mine.id):
        gone.anonymised_at = utcnow()
        db_session.flush()
        found = services.person_or_invalid(db_session, person.id, field="person_id", message="No such person.")
        assert found is person
        for person_id in (gone.id, stranger.id, 999999):
            with pytest.raises(FieldError) as refused:
                services.person_or_invalid(db_session, person_id, field="person_id", message="No such person.")
            assert refused.value.errors == {"person_id": ["No such person."]}
    db_session.rollback()
