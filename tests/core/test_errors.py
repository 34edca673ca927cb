"""get_or_404: a row of the current tenant, or NotFound (never another tenant's row)."""

from __future__ import annotations

import pytest

from core.db import tenant_scope
from core.errors import NotFound, get_or_404
from core.people.models import Person


def test_get_or_404_finds_a_row_of_the_current_tenant(db_session, make_tenant, make_person):
    tenant = make_tenant()
    person = make_person(tenant, first_name="Sara")
    with tenant_scope(tenant.id):
        assert get_or_404(db_session, Person, person.id).first_name == "Sara"


def test_get_or_404_does_not_find_another_tenants_row_even_when_loaded(db_session, make_tenant, make_person):
    mine, theirs = make_tenant(), make_tenant()
    person = make_person(theirs)  # in the session's identity map, where session.get would find it
    with tenant_scope(mine.id), pytest.raises(NotFound, match="no such person in this tenant"):
        get_or_404(db_session, Person, person.id)


def test_get_or_404_names_what_was_looked_for(db_session, make_tenant):
    tenant = make_tenant()
    with tenant_scope(tenant.id), pytest.raises(NotFound, match="no such registered person in this tenant"):
        get_or_404(db_session, Person, 2_000_000_000, what="registered person")


def test_a_unique_violation_in_the_block_is_a_conflict():
    from sqlalchemy.exc import IntegrityError

    from core.errors import Conflict, conflict_on_integrity_error

    class Taken(Conflict):
        pass

    with pytest.raises(Conflict, match="^Someone was quicker.$") as caught:
        with conflict_on_integrity_error("Someone was quicker."):
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
    assert isinstance(caught.value.__cause__, IntegrityError)
    with pytest.raises(Taken):
        with conflict_on_integrity_error("Taken.", Taken):
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
    with pytest.raises(ValueError):  # anything else passes through unchanged
        with conflict_on_integrity_error("Taken."):
            raise ValueError("not a violation")


def test_a_conflict_may_give_the_api_its_own_detail(app):
    from core.errors import Conflict

    with app.test_request_context("/api/v1/anything", method="POST"):
        worded = app.handle_user_exception(Conflict("Gruppen är full.", detail="the group is full"))
        plain = app.handle_user_exception(Conflict("The room is booked."))
    assert (worded.status_code, worded.json["detail"]) == (409, "the group is full")
    assert (plain.status_code, plain.json["detail"]) == (409, "The room is booked.")


def test_get_or_invalid_is_a_field_error_for_an_id_the_input_names(db_session, make_tenant, make_person):
    from core.errors import FieldError, get_or_invalid

    mine, theirs = make_tenant(), make_tenant()
    person, stranger = make_person(mine), make_person(theirs)
    with tenant_scope(mine.id):
        assert get_or_invalid(db_session, Person, person.id, field="person_id", message="No such person.") is person
        with pytest.raises(FieldError) as refused:
            get_or_invalid(db_session, Person, stranger.id, field="person_id", message="No such person.")
    assert refused.value.errors == {"person_id": ["No such person."]}
