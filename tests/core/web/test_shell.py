"""The web shell: login, tenant picker, languages, health, and the plugin settings form."""

import re

import pytest
from sqlalchemy import select

from core.db import tenant_scope
from core.tenants.models import TenantPlugin
from core.testing.app import login

PASSWORD = "correct horse battery"


def test_login_with_a_local_account_and_logout(client, make_tenant, make_user):
    tenant = make_tenant()
    make_user(("tenant_admin", tenant), email="eva@example.org", password=PASSWORD)
    assert client.get("/").status_code == 302
    response = client.post("/login", data={"email": "EVA@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/", follow_redirects=True).request.path == f"/t/{tenant.slug}/"
    client.post("/logout")
    assert client.get(f"/t/{tenant.slug}/").headers["Location"].startswith("/login")


def test_a_wrong_password_keeps_the_email_and_says_so(client, make_user):
    make_user(email="eva@example.org", password=PASSWORD)
    response = client.post("/login", data={"email": "eva@example.org", "password": "nope"})
    assert response.status_code == 401
    assert 'value="eva@example.org"' in response.text and "wrong" in response.text


def test_login_never_redirects_off_site(client, make_user):
    make_user(email="eva@example.org", password=PASSWORD)
    response = client.post("/login?next=//evil.example/x", data={"email": "eva@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_the_tenant_picker_lists_only_the_users_tenants(client, make_tenant, make_user):
    a, b, c = make_tenant(), make_tenant(), make_tenant()
    login(client, make_user(("staff", a), ("auditor", b)))
    page = client.get("/").text
    assert a.name in page and b.name in page and c.name not in page


def test_a_tenant_the_user_has_no_role_in_is_not_found(client, make_tenant, make_user):
    a, b = make_tenant(), make_tenant()
    login(client, make_user(("staff", a)))
    assert client.get(f"/t/{a.slug}/").status_code == 200
    assert client.get(f"/t/{b.slug}/").status_code == 404


def test_a_role_without_the_permission_is_forbidden(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("staff", tenant)))
    assert client.get(f"/t/{tenant.slug}/admin/plugins").status_code == 403


def test_language_picker_switches_the_interface(client, make_user):
    login(client, make_user())
    client.post("/language", data={"language": "sv", "next": "/"})
    assert '<html lang="sv">' in client.get("/").text
    assert client.post("/language", data={"language": "xx", "next": "https://evil.example"}).headers["Location"] == "/"


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ok", "database": "ok"}


def test_security_headers(client):
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_forms_need_a_csrf_token(csrf_client, make_user):
    make_user(email="eva@example.org", password=PASSWORD)
    assert csrf_client.post("/login", data={"email": "eva@example.org", "password": PASSWORD}).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', csrf_client.get("/login").text).group(1)
    assert csrf_client.post("/login", data={"email": "eva@example.org", "password": PASSWORD, "csrf_token": token}).status_code == 302


@pytest.fixture
def admin_client(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))
    return client, tenant


def test_turning_a_plugin_on_and_off_from_the_plugins_page(admin_client, db_session):
    client, tenant = admin_client
    assert "Sample programme" in client.get(f"/t/{tenant.slug}/admin/plugins").text
    client.post(f"/t/{tenant.slug}/admin/plugins/sample/enable")
    assert client.get(f"/t/{tenant.slug}/sample/").status_code == 403  # on, but an admin is no sample leader
    client.post(f"/t/{tenant.slug}/admin/plugins/sample/disable")
    with tenant_scope(tenant.id):
        assert db_session.scalar(select(TenantPlugin.enabled)) is False


def test_the_settings_form_is_generated_from_the_schema(admin_client):
    client, tenant = admin_client
    page = re.sub(r"\s+", " ", client.get(f"/t/{tenant.slug}/admin/plugins/sample").text)
    assert 'type="number" id="participants_per_group" name="participants_per_group" value="6" min="1" max="30"' in page
    assert 'name="audiences" value="women" checked' in page and 'name="audiences" value="mixed" >' in page
    assert 'id="reminders" name="reminders" value="1" checked' in page


def test_valid_settings_are_saved_and_turn_the_plugin_on(admin_client, db_session):
    client, tenant = admin_client
    response = client.post(f"/t/{tenant.slug}/admin/plugins/sample",
                           data={"participants_per_group": "8", "audiences": ["mixed"], "greeting": "Hej"})
    assert response.status_code == 302
    with tenant_scope(tenant.id):
        row = db_session.scalar(select(TenantPlugin))
    assert row.enabled and row.settings == {"participants_per_group": 8, "audiences": ["mixed"],
                                            "reminders": False, "greeting": "Hej"}


def test_invalid_settings_keep_what_was_typed_and_mark_each_field(admin_client, db_session):
    client, tenant = admin_client
    response = client.post(f"/t/{tenant.slug}/admin/plugins/sample",
                           data={"participants_per_group": "99", "greeting": "Hej då", "audiences": ["men"]})
    assert response.status_code == 422
    page = response.text
    assert 'value="99"' in page and 'value="Hej då"' in page and 'value="men" checked' in page
    assert 'id="participants_per_group-error"' in page and 'aria-invalid="true"' in page
    with tenant_scope(tenant.id):
        assert db_session.scalar(select(TenantPlugin)) is None


def test_a_refusing_plugin_saves_nothing_and_says_why(admin_client, db_session):
    client, tenant = admin_client
    response = client.post(f"/t/{tenant.slug}/admin/plugins/sample", data={"greeting": "refuse", "audiences": ["men"]})
    assert response.status_code == 422 and "refuses this greeting" in response.text
    with tenant_scope(tenant.id):
        assert db_session.scalar(select(TenantPlugin)) is None


def test_platform_plugins_page_is_for_platform_admins(client, make_tenant, make_user):
    make_tenant("sala", plugins={"sample": {}})
    login(client, make_user(platform_admin=True))
    page = client.get("/platform/plugins").text
    assert "Sample programme" in page and "Tenant" in page
    login(client, make_user())
    assert client.get("/platform/plugins").status_code == 403
