"""Staff of a tenant (core.auth.services): the users holding any role there, and nobody else."""

import pytest

from core.auth.services import staff_emails, staff_of_tenant, staff_query, staff_roles
from core.db import TenancyError, tenant_scope


@pytest.fixture
def world(make_tenant, make_user):
    here, there = make_tenant(), make_tenant()
    return {
        "here": here, "there": there,
        "admin": make_user(("tenant_admin", here), ("staff", here), name="Bo Admin", email="bo@here.se"),
        "worker": make_user(("staff", here), name="Ann Worker", email="ann@here.se"),
        "both": make_user(("auditor", here), ("staff", there), name="Cia Both", email="cia@both.se"),
        "elsewhere": make_user(("tenant_admin", there), ("staff", there), name="Dan Elsewhere", email="dan@there.se"),
        "nobody": make_user(name="Eva Nobody"),
    }


def test_staff_are_the_users_with_any_role_here_by_name(db_session, world):
    with tenant_scope(world["here"].id):
        assert staff_of_tenant(db_session) == [world["worker"], world["admin"], world["both"]]
        assert list(db_session.scalars(staff_query())) == [world["worker"], world["admin"], world["both"]]


def test_a_user_with_a_role_at_another_tenant_only_is_not_staff_here(db_session, world):
    with tenant_scope(world["here"].id):
        staff = staff_of_tenant(db_session)
    assert world["elsewhere"] not in staff and world["nobody"] not in staff
    with tenant_scope(world["there"].id):  # the negative twin: staff there
        assert staff_of_tenant(db_session) == [world["both"], world["elsewhere"]]


def test_staff_among_given_ids(db_session, world):
    asked = [world["elsewhere"].id, world["admin"].id, world["nobody"].id]
    with tenant_scope(world["here"].id):
        assert staff_of_tenant(db_session, asked) == [world["admin"]]
        assert staff_of_tenant(db_session, []) == []


def test_staff_roles_are_those_held_here_only(db_session, world):
    users = [world["admin"], world["both"], world["elsewhere"]]
    with tenant_scope(world["here"].id):
        assert staff_roles(db_session, users) == {world["admin"].id: ("staff", "tenant_admin"),
                                                  world["both"].id: ("auditor",)}
        assert staff_roles(db_session, []) == {}
    with tenant_scope(world["there"].id):
        assert staff_roles(db_session, users) == {world["both"].id: ("staff",),
                                                  world["elsewhere"].id: ("staff", "tenant_admin")}


def test_staff_needs_exactly_one_current_tenant(db_session, world):
    with pytest.raises(TenancyError):
        staff_of_tenant(db_session)


def test_staff_emails_per_tenant_are_of_active_users_only(db_session, world, make_tenant):
    empty = make_tenant()
    world["worker"].is_active = False
    db_session.flush()
    ids = [world["here"].id, world["there"].id, empty.id]
    with tenant_scope(*ids):
        assert staff_emails(db_session, ids) == {world["here"].id: {"bo@here.se", "cia@both.se"},
                                                 world["there"].id: {"cia@both.se", "dan@there.se"}}
        assert staff_emails(db_session, [world["there"].id]) == {world["there"].id: {"cia@both.se", "dan@there.se"}}
        assert staff_emails(db_session, []) == {}


def test_staff_emails_read_only_the_tenants_in_scope(db_session, world):
    """Fail closed: a plugin asking for another tenant's staff from inside one tenant gets
    nothing of it; outside any tenant scope the call is refused."""
    with tenant_scope(world["here"].id):
        assert staff_emails(db_session, [world["here"].id, world["there"].id]) == {
            world["here"].id: {"ann@here.se", "bo@here.se", "cia@both.se"}}
        assert staff_emails(db_session, [world["there"].id]) == {}
    with pytest.raises(TenancyError):
        staff_emails(db_session, [world["here"].id])
