"""Fixtures of the VIP plugin's tests: a tenant with VIP on, and its staff."""

from __future__ import annotations

import pytest

from core.tenants.models import Tenant


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
