"""Tenant admins invite people, give and take roles, and see who holds what."""

import re

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.auth.models import User
from core.db import tenant_scope
from core.testing.app import login


@pytest.fixture
def admin(client, make_tenant, make_user):
    tenant = make_tenant()
    user = make_user(("tenant_admin", tenant), name="Anna Admin")
    login(client, user)
    return client, tenant, user


def test_the_page_lists_who_holds_what_here_only(admin, make_user, make_tenant):
    client, tenant, _user = admin
    make_user(("staff", tenant), ("auditor", tenant), name="Stina Staff")
    make_user(("staff", make_tenant()), name="Olle Outsider")
    page = client.get(f"/t/{tenant.slug}/admin/users/", headers={"Accept-Language": "en"}).text
    assert "Stina Staff" in page and "Auditor" in page and "Olle Outsider" not in page


def test_inviting_a_new_person_sends_a_link_to_choose_a_password(admin, db_session, app):
    client, tenant, _user = admin
    response = client.post(f"/t/{tenant.slug}/admin/users/invite",
                           data={"name": "Nils New", "email": "nils@example.org", "role": "staff"})
    assert response.status_code == 302
    from core.jobs.models import OutboxMessage

    with tenant_scope(tenant.id):
        message = db_session.scalars(select(OutboxMessage)).one()
    link = re.search(r"https://samverka\.example\.org(/t/\S+/invitations/\S+)", message.body_text).group(1)
    other = app.test_client()
    accepted = other.post(link, data={"password": "nils long password", "password_again": "nils long password"},
                          headers={"Accept-Language": "en"})
    assert accepted.status_code == 200 and "You have the role Programme staff" in accepted.text
    assert other.post("/login", data={"email": "nils@example.org", "password": "nils long password"}).status_code == 302
    assert other.get(f"/t/{tenant.slug}/people/").status_code == 200
    with tenant_scope(tenant.id):
        actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant.id)).all()
    assert {"invitation.create", "invitation.accept"} <= set(actions)


def test_a_bad_invitation_keeps_what_was_typed(admin, db_session):
    client, tenant, _user = admin
    response = client.post(f"/t/{tenant.slug}/admin/users/invite", data={"name": "Nils", "email": "not-an-address", "role": "nope"})
    assert response.status_code == 422
    assert 'value="Nils"' in response.text and 'id="email-error"' in response.text and 'id="role-error"' in response.text
    assert db_session.scalar(select(User).where(User.email == "not-an-address")) is None


def test_granting_and_revoking_takes_effect_at_once(admin, app, make_user):
    client, tenant, _user = admin
    staff = make_user(("coordinator", tenant), name="Cora")
    other = login(app.test_client(), staff)
    assert other.get(f"/t/{tenant.slug}/people/").status_code == 403
    client.post(f"/t/{tenant.slug}/admin/users/{staff.id}/roles", data={"role": "staff"})
    assert other.get(f"/t/{tenant.slug}/people/").status_code == 200
    client.post(f"/t/{tenant.slug}/admin/users/{staff.id}/roles/staff/revoke")
    assert other.get(f"/t/{tenant.slug}/people/").status_code == 403


def test_roles_cannot_be_given_to_users_of_other_tenants(admin, make_user, make_tenant):
    client, tenant, _user = admin
    outsider = make_user(("staff", make_tenant()))
    assert client.post(f"/t/{tenant.slug}/admin/users/{outsider.id}/roles", data={"role": "staff"}).status_code == 404
    assert client.post(f"/t/{tenant.slug}/admin/users/{outsider.id}/roles/staff/revoke").status_code == 404


def test_an_admin_cannot_lock_themself_out(admin):
    client, tenant, user = admin
    client.post(f"/t/{tenant.slug}/admin/users/{user.id}/roles/tenant_admin/revoke")
    assert client.get(f"/t/{tenant.slug}/admin/users/").status_code == 200


def test_staff_cannot_manage_roles(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("staff", tenant)))
    assert client.get(f"/t/{tenant.slug}/admin/users/").status_code == 403


def test_users_page_runs_constant_queries(admin, make_user, query_counter):
    client, tenant, _user = admin
    query_counter.assert_constant(client, [f"/t/{tenant.slug}/admin/users/"],
                                  lambda: [make_user(("staff", tenant)) for _ in range(15)])
