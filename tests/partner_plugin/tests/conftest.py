"""The partner plugin's fixtures. Samverka's own (app, client, make_tenant, make_user, ...) come
from core.testing, which ``pip install samverka[test]`` registers with pytest: no import needed."""

from __future__ import annotations

import pytest

from core.testing import login


@pytest.fixture
def partner_tenant(make_tenant):
    """A municipality with the partner programme on."""
    return make_tenant(plugins={"partner": {}}, languages=("en", "sv"))


@pytest.fixture
def partner_staff(client, make_user, partner_tenant):
    """``client`` signed in as a user with the partner's staff role at ``partner_tenant``."""
    return login(client, make_user(("partner.staff", partner_tenant), name="Pia Partner"), language="en")
