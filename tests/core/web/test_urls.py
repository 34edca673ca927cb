"""Links that leave a request start with the base URL, never the Host header (#7 item 4)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.db import tenant_scope
from core.jobs.models import OutboxMessage
from core.settings import Settings, SettingsError
from core.web.urls import external_url
from core.testing.app import login

BASE = "https://samverka.example.org"  # core/testing/database.py


def _outbox(db_session, tenant) -> list[OutboxMessage]:
    with tenant_scope(tenant.id):
        return db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_request_for_an_unknown_host_is_a_400(client, make_tenant, make_user, db_session):
    tenant = make_tenant()
    make_user(("staff", tenant), email="sara@example.org")
    response = client.post("/password/forgot", data={"email": "sara@example.org"},
                           headers={"Host": "attacker.example"})
    assert response.status_code == 400
    assert "attacker.example" not in response.get_data(as_text=True)
    assert _outbox(db_session, tenant) == []
    api = client.get(f"/api/v1/t/{tenant.slug}/tenant", headers={"Host": "attacker.example"})
    assert api.status_code == 400 and api.mimetype == "application/problem+json"


def test_a_reset_asked_for_through_another_allowed_host_links_to_the_base_url(client, make_tenant, make_user,
                                                                               db_session):
    tenant = make_tenant()
    make_user(("staff", tenant), email="sara@example.org")
    response = client.post("/password/forgot", data={"email": "sara@example.org"}, headers={"Host": "127.0.0.1:5000"})
    assert response.status_code == 200
    [message] = _outbox(db_session, tenant)
    links = re.findall(r"https?://\S+", message.body_text)
    assert links and all(link.startswith(f"{BASE}/password/reset/") for link in links)


def test_calendar_feed_urls_start_with_the_base_url(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))
    created = client.post(f"/api/v1/t/{tenant.slug}/calendar-feeds", json={"label": "Leaders"})
    assert created.status_code == 201 and created.json["url"].startswith(f"{BASE}/t/{tenant.slug}/calendar/")
    page = client.post(f"/t/{tenant.slug}/admin/calendar-feeds", data={"label": "Mine"})
    assert f"{BASE}/t/{tenant.slug}/calendar/" in page.get_data(as_text=True)


def test_external_url_needs_no_request(app):
    with app.app_context():
        assert external_url("auth.reset_password", token="abc") == f"{BASE}/password/reset/abc"


def test_trusted_hosts_are_the_base_urls_host_and_the_extra_ones():
    demo = Settings.from_env({"SAMVERKA_TRUSTED_HOSTS": "intranet.example.org, .example.net"})
    assert demo.allowed_hosts == ["127.0.0.1", "intranet.example.org", ".example.net", "localhost"]
    production = Settings(environment="production", base_url="https://samverka.example.org")
    assert production.allowed_hosts == ["samverka.example.org"]


@pytest.mark.parametrize("base_url", [None, "http://127.0.0.1:8000", "http://localhost", "ftp://x.example", "nohost"])
def test_production_refuses_to_start_without_a_public_base_url(base_url):
    environ = {"SAMVERKA_ENVIRONMENT": "production"}
    if base_url is not None:
        environ["SAMVERKA_BASE_URL"] = base_url
    with pytest.raises(SettingsError, match="SAMVERKA_BASE_URL"):
        Settings.from_env(environ)
