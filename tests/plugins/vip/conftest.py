"""Fixtures of the VIP plugin's tests: a tenant with VIP on, and its staff."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.tenants.models import Tenant, TenantKind


@pytest.fixture
def vip_tenant(make_tenant) -> Tenant:
    """A Swedish municipality with VIP on and the default settings."""
    return make_tenant(plugins={"vip": {}}, languages=("sv", "en", "da", "fi"))


@pytest.fixture
def make_vip_tenant(make_tenant):
    """``make_vip_tenant(**settings)``: a municipality with VIP on and these settings."""
    return lambda slug=None, **settings: make_tenant(slug, plugins={"vip": settings}, languages=("sv", "en", "da", "fi"))


@pytest.fixture
def coordinator(make_user, vip_tenant):
    """A VIP coordinator of ``vip_tenant``."""
    return make_user(("vip.coordinator", vip_tenant), name="Vera Coordinator")


@pytest.fixture
def trained_leaders(db_session, make_user, vip_tenant):
    """Two staff users of ``vip_tenant`` with the leader role, both in the national register."""
    from datetime import date

    from plugins.vip.services import register

    leaders = [make_user(("vip.leader", vip_tenant), name=f"Leader {n}") for n in (1, 2)]
    for leader in leaders:
        register.enter(db_session, email=leader.email, trained_on=date(2024, 3, 1))
    db_session.commit()
    return leaders


#: Late in 2031: every course the tests plan (from May 2031) has begun by then.
AFTER_COURSES = datetime(2031, 12, 1, tzinfo=timezone.utc)


@pytest.fixture
def courses_begun(monkeypatch):
    """The clock of core's attendance rule and of completion set to :data:`AFTER_COURSES`, so
    pages and the API may record who was present at the tests' 2031 meetings."""
    import core.sessions.services
    import plugins.vip.services.groups

    for module in (core.sessions.services, plugins.vip.services.groups):
        monkeypatch.setattr(module, "utcnow", lambda: AFTER_COURSES)
    return AFTER_COURSES


def committed_vip_tenant(session, app, slug: str, *roles: str):
    """For concurrency tests on real committed data: a tenant with VIP on, committed in
    ``session``, and with ``roles`` a user holding them there. Returns (tenant, user or None);
    the caller stays in ``tenant_scope(tenant.id)`` for what it adds next."""
    from core.auth import services as auth_services
    from core.auth.models import User
    from core.db import tenant_scope
    from core.tenants.services import enable_plugin

    tenant = Tenant(slug=slug, name="Race", kind=TenantKind.municipality, country="SE", languages=["sv", "en"])
    user = User(email=f"{slug}@example.org", name="Race Coordinator") if roles else None
    session.add_all([tenant, *([user] if user else [])])
    session.commit()
    # A new transaction inside the scope, so the RLS setting is made for it.
    with tenant_scope(tenant.id):
        enable_plugin(session, app.extensions["samverka"].registry, tenant, "vip", {})
        for role in roles:
            auth_services.grant(session, user, tenant, role)
    return tenant, user
