"""Invitations reveal nothing about an address and grant nothing before they are accepted (#7 item 8)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.auth.models import RoleGrant, User
from core.db import tenant_scope, utcnow
from core.jobs.models import OutboxMessage
from core.testing.app import login

LINK = re.compile(r"https://samverka\.example\.org(/t/[\w-]+/invitations/\S+)")


@pytest.fixture
def admin(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant), name="Anna Admin"))
    return client, tenant


def _invite(client, tenant, email: str, name: str = "Typed Name", role: str = "staff"):
    return client.post(f"/t/{tenant.slug}/admin/users/invite", data={"name": name, "email": email, "role": role},
                       follow_redirects=True, headers={"Accept-Language": "en"})


def _link(db_session, tenant, to: str) -> str:
    with tenant_scope(tenant.id):
        body = db_session.scalars(select(OutboxMessage.body_text).where(OutboxMessage.recipient == to)).one()
    return LINK.search(body).group(1)


def _roles(db_session, tenant, user) -> list[str]:
    with tenant_scope(tenant.id):
        return sorted(db_session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user.id,
                                                                      RoleGrant.tenant_id == tenant.id)))


def _same_page(html: str, address: str) -> str:
    """The page without the typed address and the CSRF tokens (signed with the second they
    were made in, so two pages a moment apart differ there and nowhere else)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html.replace(address, "ADDRESS"))


def test_known_and_unknown_addresses_get_the_same_answer_and_no_name(admin, db_session, make_user, make_tenant):
    client, tenant = admin
    karin = make_user(("staff", make_tenant()), name="Karin Holm", email="karin.holm@example.org")
    known = _invite(client, tenant, "karin.holm@example.org")
    unknown = _invite(client, tenant, "nobody.yet@example.org")
    assert known.status_code == unknown.status_code == 200
    assert "Karin Holm" not in known.text and "Holm" not in known.text
    assert _same_page(known.text, "karin.holm@example.org") == _same_page(unknown.text, "nobody.yet@example.org")
    assert "An invitation has been sent to karin.holm@example.org." in known.text
    assert _roles(db_session, tenant, karin) == []  # nothing granted before she accepts
    db_session.expire_all()
    assert db_session.get(User, karin.id).name == "Karin Holm"  # the typed name changes nothing


def test_the_holder_of_an_existing_account_accepts_signed_in(admin, app, db_session, make_user, make_tenant):
    client, tenant = admin
    karin = make_user(("staff", make_tenant()), name="Karin Holm", email="karin.holm@example.org",
                      password="karin's long password")
    _invite(client, tenant, "karin.holm@example.org", role="auditor")
    link = _link(db_session, tenant, "karin.holm@example.org")

    browser = app.test_client()
    assert browser.get(link).status_code == 302 and "/login" in browser.get(link).headers["Location"]
    assert browser.post(link).status_code == 302  # not signed in: nothing happens
    assert _roles(db_session, tenant, karin) == []
    login(browser, karin)
    page = browser.get(link, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Auditor" in page.text
    assert _roles(db_session, tenant, karin) == []
    accepted = browser.post(link, headers={"Accept-Language": "en"})
    assert accepted.status_code == 200 and "You have the role Auditor" in accepted.text
    assert _roles(db_session, tenant, karin) == ["auditor"]
    assert browser.get(f"/t/{tenant.slug}/audit/").status_code != 404  # she works here now
    assert browser.post(link).status_code == 404  # used up
    with tenant_scope(tenant.id):
        actions = db_session.scalars(select(AuditEvent.action).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.object_id == str(karin.id)).order_by(AuditEvent.id)).all()
    assert actions == ["invitation.create", "invitation.accept"]


def test_another_account_cannot_accept(admin, app, db_session, make_user, make_tenant):
    client, tenant = admin
    karin = make_user(("staff", make_tenant()), email="karin.holm@example.org", password="karin's long password")
    mallory = make_user(("staff", make_tenant()), email="mallory@example.org")
    _invite(client, tenant, "karin.holm@example.org")
    link = _link(db_session, tenant, "karin.holm@example.org")
    other = login(app.test_client(), mallory)
    assert other.get(link).status_code == 403
    assert other.post(link).status_code == 403
    assert _roles(db_session, tenant, mallory) == [] and _roles(db_session, tenant, karin) == []
    # Nor without signing in by choosing a password: Karin's account has one.
    anonymous = app.test_client()
    anonymous.post(link, data={"password": "a password of mallory", "password_again": "a password of mallory"})
    assert _roles(db_session, tenant, karin) == []


def test_a_new_account_gets_the_role_only_when_its_password_is_chosen(admin, app, db_session):
    client, tenant = admin
    _invite(client, tenant, "nils@example.org", name="Nils New")
    nils = db_session.scalar(select(User).where(User.email == "nils@example.org"))
    assert nils.name == "Nils New" and nils.password_hash is None and _roles(db_session, tenant, nils) == []
    link = _link(db_session, tenant, "nils@example.org")
    browser = app.test_client()
    short = browser.post(link, data={"password": "short", "password_again": "short"})
    assert short.status_code == 422 and _roles(db_session, tenant, nils) == []
    assert browser.post(link, data={"password": "nils long password",
                                    "password_again": "nils long password"}).status_code == 200
    assert _roles(db_session, tenant, nils) == ["staff"]


def test_an_expired_invitation_or_one_of_another_tenant_does_not_work(admin, app, db_session, make_tenant):
    from core.auth.models import Invitation

    client, tenant = admin
    _invite(client, tenant, "nils@example.org")
    link = _link(db_session, tenant, "nils@example.org")
    other_tenant = make_tenant()
    browser = app.test_client()
    assert browser.get(link.replace(f"/t/{tenant.slug}/", f"/t/{other_tenant.slug}/")).status_code == 404
    with tenant_scope(tenant.id):
        invitation = db_session.scalars(select(Invitation)).one()
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db_session.commit()
    page = browser.post(link, data={"password": "nils long password", "password_again": "nils long password"})
    assert page.status_code == 404
    nils = db_session.scalar(select(User).where(User.email == "nils@example.org"))
    assert _roles(db_session, tenant, nils) == [] and nils.password_hash is None
