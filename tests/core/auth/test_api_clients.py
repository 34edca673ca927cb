"""API clients: OAuth2 client credentials, bearer tokens in the request gate, admin pages and API."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from core.audit.models import AuditEvent
from core.auth.api_clients import services
from core.auth.api_clients.models import ApiClient, ApiToken
from core.auth.plugin import CORE_PERMISSIONS
from core import tokens
from core.db import tenant_scope, utcnow
from core.web.strings import PERMISSION_DESCRIPTIONS
from core.testing.app import login
from core.testing.database import on_postgresql, require_postgresql


@pytest.fixture
def make_api_client(db_session):
    """``make_api_client(tenant, scopes)`` -> (client, secret), made through the real service."""

    def make(tenant, scopes=("core.people.read",), name="Booking system"):
        with tenant_scope(tenant.id):
            client, secret = services.create_client(db_session, name=name, scopes=list(scopes),
                                                    grantable=frozenset(scopes), created_by_id=None)
        db_session.commit()
        return client, secret

    return make


@pytest.fixture
def machine(app, db_session):
    """A client with no session cookie, as another system would call the API."""
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client()


def token_url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/oauth/token"


def get_token(machine, tenant, client, secret, *, method="basic", scope=None):
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    if method == "basic":
        return machine.post(token_url(tenant), data=data, auth=(client.client_id, secret))
    return machine.post(token_url(tenant), data={**data, "client_id": client.client_id, "client_secret": secret})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def token_for(machine, tenant, client, secret, **kwargs) -> str:
    response = get_token(machine, tenant, client, secret, **kwargs)
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def _events(db_session, tenant, action_prefix=""):
    with tenant_scope(tenant.id):
        return db_session.scalars(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id,
                                                           AuditEvent.action.startswith(action_prefix))
                                  .order_by(AuditEvent.id)).all()


# --- the token endpoint ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["basic", "post"])
def test_a_client_gets_a_short_lived_opaque_token(machine, db_session, make_tenant, make_api_client, method):
    tenant = make_tenant()
    client, secret = make_api_client(tenant, ["core.people.read", "core.sessions.read"])
    response = get_token(machine, tenant, client, secret, method=method)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    assert body["scope"] == "core.people.read core.sessions.read"
    with tenant_scope(tenant.id):
        stored = db_session.scalars(select(ApiToken)).one()
    assert stored.token_hash == tokens.digest(body["access_token"]) and body["access_token"] not in str(
        [stored.token_hash, stored.scopes])
    assert stored.expires_at.replace(tzinfo=None) > (utcnow() + timedelta(minutes=14)).replace(tzinfo=None)


def test_a_client_may_ask_for_part_of_its_scopes_but_not_more(machine, make_tenant, make_api_client):
    tenant = make_tenant()
    client, secret = make_api_client(tenant, ["core.people.read", "core.sessions.read"])
    part = get_token(machine, tenant, client, secret, scope="core.sessions.read")
    assert part.status_code == 200 and part.json["scope"] == "core.sessions.read"
    token = part.json["access_token"]
    assert machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token)).status_code == 403
    more = get_token(machine, tenant, client, secret, scope="core.people.read core.people.write")
    assert more.status_code == 400 and more.mimetype == "application/problem+json"
    assert more.json["error"] == "invalid_scope"


@pytest.mark.parametrize("method", ["basic", "post"])
def test_a_wrong_secret_is_a_401_problem(machine, make_tenant, make_api_client, method):
    tenant = make_tenant()
    client, secret = make_api_client(tenant)
    response = get_token(machine, tenant, client, secret + "x", method=method)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.json["error"] == "invalid_client" and response.json["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert "access_token" not in response.json


@pytest.mark.parametrize("method", ["basic", "post"])
def test_an_unknown_client_gets_the_same_answer_as_a_wrong_secret(machine, make_tenant, make_api_client, method):
    tenant = make_tenant()
    client, secret = make_api_client(tenant)
    wrong = get_token(machine, tenant, client, "not-the-secret", method=method)
    client.client_id = "0123456789abcdef01234567"  # an id no client has (not saved)
    unknown = get_token(machine, tenant, client, secret, method=method)
    assert unknown.status_code == wrong.status_code == 401 and unknown.json == wrong.json


def test_a_client_of_another_tenant_cannot_get_a_token_there(machine, make_tenant, make_api_client):
    a, b = make_tenant(), make_tenant()
    client, secret = make_api_client(a)
    assert get_token(machine, a, client, secret).status_code == 200
    assert get_token(machine, b, client, secret).status_code == 401


@pytest.mark.parametrize("headers, data", [
    ({"Authorization": "Basic %%%"}, {"grant_type": "client_credentials"}),
    ({"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()}, {"grant_type": "client_credentials"}),
    ({}, {"grant_type": "client_credentials", "client_id": "a\x00b", "client_secret": "x"}),
    ({}, {"grant_type": "client_credentials", "client_id": "x" * 10_000, "client_secret": "x"}),
    ({}, {"grant_type": "password", "client_id": "x", "client_secret": "x"}),
    ({}, {}),
])
def test_junk_at_the_token_endpoint_is_a_4xx_problem(machine, make_tenant, headers, data):
    tenant = make_tenant()
    response = machine.post(token_url(tenant), data=data, headers=headers)
    assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json"


def test_the_token_endpoint_of_a_missing_tenant_is_404(machine, make_tenant, make_api_client):
    tenant = make_tenant()
    client, secret = make_api_client(tenant)
    response = machine.post("/api/v1/t/no-such-tenant/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(client.client_id, secret))
    assert response.status_code == 404


def test_the_token_endpoint_refuses_plain_http_off_loopback(app, db_session, make_tenant, make_api_client):
    tenant = make_tenant()
    client, secret = make_api_client(tenant)
    remote = app.test_client()
    response = remote.post(token_url(tenant), data={"grant_type": "client_credentials"},
                           auth=(client.client_id, secret), base_url="http://samverka.example.org")
    assert response.status_code == 400 and response.json["error"] == "insecure_transport"
    tls = remote.post(token_url(tenant), data={"grant_type": "client_credentials"},
                      auth=(client.client_id, secret), base_url="https://samverka.example.org")
    assert tls.status_code == 200


def test_the_token_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/v1/t/{tenant}/oauth/token"]["post"]
    assert "application/x-www-form-urlencoded" in operation["requestBody"]["content"]
    assert "/api/v1/t/{tenant}/api-clients" in spec["paths"]


# --- bearer tokens in the request gate ------------------------------------------------------


def test_a_token_acts_with_its_scopes(machine, make_tenant, make_api_client, make_person):
    tenant = make_tenant()
    make_person(tenant, first_name="Astrid")
    client, secret = make_api_client(tenant, ["core.people.read"])
    token = token_for(machine, tenant, client, secret)
    people = machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token))
    assert people.status_code == 200 and [p["first_name"] for p in people.json["items"]] == ["Astrid"]
    assert "Set-Cookie" not in people.headers


def test_a_token_without_the_scope_is_refused_403(machine, make_tenant, make_api_client):
    tenant = make_tenant()
    client, secret = make_api_client(tenant, ["core.sessions.read"])
    token = token_for(machine, tenant, client, secret)
    assert machine.get(f"/api/v1/t/{tenant.slug}/sessions", headers=bearer(token)).status_code == 200
    response = machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token))
    assert response.status_code == 403 and response.mimetype == "application/problem+json"


def test_a_token_for_tenant_a_on_tenant_b_is_404_like_a_missing_tenant(machine, make_tenant, make_api_client):
    a, b = make_tenant(), make_tenant()
    client, secret = make_api_client(a, ["core.people.read"])
    token = token_for(machine, a, client, secret)
    assert machine.get(f"/api/v1/t/{a.slug}/people", headers=bearer(token)).status_code == 200
    on_b = machine.get(f"/api/v1/t/{b.slug}/people", headers=bearer(token))
    missing = machine.get("/api/v1/t/no-such-tenant/people", headers=bearer(token))
    assert on_b.status_code == missing.status_code == 404 and on_b.json == missing.json


def test_a_token_of_tenant_b_cannot_be_passed_off_as_tenant_a(machine, make_tenant, make_api_client):
    """The tenant named in a token is only a hint: the lookup runs inside the URL's tenant."""
    a, b = make_tenant(), make_tenant()
    client, secret = make_api_client(b, ["core.people.read"])
    token = token_for(machine, b, client, secret)
    forged = f"{a.id}.{token.split('.', 1)[1]}"
    assert machine.get(f"/api/v1/t/{b.slug}/people", headers=bearer(token)).status_code == 200
    assert machine.get(f"/api/v1/t/{a.slug}/people", headers=bearer(forged)).status_code == 401


def test_an_expired_token_is_401(machine, db_session, make_tenant, make_api_client):
    tenant = make_tenant()
    client, secret = make_api_client(tenant, ["core.people.read"])
    token = token_for(machine, tenant, client, secret)
    assert machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token)).status_code == 200
    with tenant_scope(tenant.id):
        db_session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    response = machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token))
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer nonsense", "Bearer 1.short",
                                   "Bearer 99999999999." + "a" * 43, "Bearer " + "9" * 5000,
                                   "Bearer 1." + "\u00e5" * 43])
def test_malformed_tokens_are_401_not_500(machine, make_tenant, value):
    tenant = make_tenant()
    response = machine.get(f"/api/v1/t/{tenant.slug}/people", headers={"Authorization": value})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_a_token_is_no_key_to_web_pages(machine, make_tenant, make_api_client):
    tenant = make_tenant()
    client, secret = make_api_client(tenant, ["core.people.read"])
    token = token_for(machine, tenant, client, secret)
    page = machine.get(f"/t/{tenant.slug}/people/", headers=bearer(token))
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_bearer_token_wins_over_a_session_cookie(client, make_tenant, make_user, make_api_client):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))
    assert client.get(f"/api/v1/t/{tenant.slug}/people").status_code == 200
    api_client, secret = make_api_client(tenant, ["core.sessions.read"])
    token = token_for(client, tenant, api_client, secret)
    assert client.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token)).status_code == 403


def test_public_api_paths_ignore_a_bearer_token(machine, make_tenant, make_api_client):
    tenant = make_tenant()
    client, secret = make_api_client(tenant, ["core.people.read"])
    token = token_for(machine, tenant, client, secret)
    assert machine.get("/api/openapi.json", headers=bearer(token)).status_code == 200
    assert machine.get("/api/docs", headers=bearer(token)).status_code == 200


def test_api_calls_are_audited_as_the_client(machine, db_session, make_tenant, make_api_client, make_person):
    tenant = make_tenant()
    person = make_person(tenant)
    client, secret = make_api_client(tenant, ["core.people.read"])
    token = token_for(machine, tenant, client, secret)
    assert machine.get(f"/api/v1/t/{tenant.slug}/people/{person.id}", headers=bearer(token)).status_code == 200
    issued, = _events(db_session, tenant, "token.issue")
    read, = _events(db_session, tenant, "person.read")
    assert issued.actor == read.actor == f"api:{client.client_id}" and read.user_id is None
    assert issued.detail == {"scopes": ["core.people.read"], "expires_in": 900}
    assert secret not in str(issued.detail) and token not in str(issued.detail)


# --- revoke and rotate ----------------------------------------------------------------------


@pytest.fixture
def admin(client, make_tenant, make_user):
    tenant = make_tenant()
    user = make_user(("tenant_admin", tenant), name="Ada Admin")
    login(client, user)
    client.post("/language", data={"language": "en", "next": "/"})
    return client, tenant, user


def test_revoking_a_client_ends_its_tokens_at_once(admin, machine, make_api_client, db_session):
    client, tenant, _user = admin
    api_client, secret = make_api_client(tenant, ["core.people.read"])
    token = token_for(machine, tenant, api_client, secret)
    assert machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token)).status_code == 200
    revoked = client.post(f"/t/{tenant.slug}/admin/api-clients/{api_client.id}/revoke")
    assert revoked.status_code == 302
    assert machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token)).status_code == 401
    assert get_token(machine, tenant, api_client, secret).status_code == 401
    page = client.get(f"/t/{tenant.slug}/admin/api-clients/").text
    assert "Revoked" in page and f"/api-clients/{api_client.id}/rotate" not in page


def test_a_token_of_a_revoked_client_is_refused_even_if_the_row_survived(machine, db_session, make_tenant,
                                                                          make_api_client):
    """The gate checks the client on every request, not only that the token row exists."""
    tenant = make_tenant()
    api_client, secret = make_api_client(tenant, ["core.people.read"])
    token = token_for(machine, tenant, api_client, secret)
    with tenant_scope(tenant.id):
        db_session.execute(update(ApiClient).where(ApiClient.id == api_client.id).values(revoked_at=utcnow()))
        assert db_session.scalar(select(ApiToken.id)) is not None
    db_session.commit()
    assert machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token)).status_code == 401


def test_rotating_a_secret_ends_old_tokens_and_the_old_secret(admin, machine, make_api_client):
    client, tenant, _user = admin
    api_client, old_secret = make_api_client(tenant, ["core.people.read"])
    token = token_for(machine, tenant, api_client, old_secret)
    page = client.post(f"/t/{tenant.slug}/admin/api-clients/{api_client.id}/rotate")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    new_secret = page.text.split('id="client-secret" value="', 1)[1].split('"', 1)[0]
    assert new_secret and new_secret != old_secret
    assert machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token)).status_code == 401
    assert get_token(machine, tenant, api_client, old_secret).status_code == 401
    fresh = token_for(machine, tenant, api_client, new_secret)
    assert machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(fresh)).status_code == 200


def test_a_token_issued_under_an_older_secret_is_refused(machine, db_session, make_tenant, make_api_client):
    """A token saved by a request that raced a rotation carries the old version: it is dead."""
    tenant = make_tenant()
    api_client, secret = make_api_client(tenant, ["core.people.read"])
    token = token_for(machine, tenant, api_client, secret)
    with tenant_scope(tenant.id):
        db_session.execute(update(ApiClient).where(ApiClient.id == api_client.id).values(secret_version=2))
    db_session.commit()
    assert machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token)).status_code == 401


def test_changes_are_audited_without_secrets(admin, db_session):
    client, tenant, user = admin
    created = client.post(f"/api/v1/t/{tenant.slug}/api-clients", json={"name": "Sync", "scopes": ["core.people.read"]})
    pk, secret = created.json["id"], created.json["client_secret"]
    rotated = client.put(f"/api/v1/t/{tenant.slug}/api-clients/{pk}/secret").json["client_secret"]
    client.put(f"/api/v1/t/{tenant.slug}/api-clients/{pk}/revocation")
    events = _events(db_session, tenant, "api_client.")
    assert [e.action for e in events] == ["api_client.create", "api_client.rotate", "api_client.revoke"]
    assert {e.user_id for e in events} == {user.id} and {e.object_id for e in events} == {str(pk)}
    assert events[0].detail == {"scopes": ["core.people.read"]}
    assert not any(s in str(e.detail) for e in events for s in (secret, rotated))


# --- the admin pages ------------------------------------------------------------------------


def test_the_secret_is_shown_once_and_only_its_hash_is_stored(admin, db_session):
    client, tenant, user = admin
    page = client.post(f"/t/{tenant.slug}/admin/api-clients/new",
                       data={"name": "Booking system", "scopes": ["core.people.read", "core.sessions.read"]})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = page.text.split('id="client-secret" value="', 1)[1].split('"', 1)[0]
    assert len(secret) >= 43 and f"https://samverka.example.org/api/v1/t/{tenant.slug}/oauth/token" in page.text
    with tenant_scope(tenant.id):
        row = db_session.scalars(select(ApiClient)).one()
    assert row.secret_hash == tokens.digest(secret) and row.created_by_id == user.id
    assert secret not in str([getattr(row, c.key) for c in ApiClient.__table__.columns])
    assert row.scopes == ["core.people.read", "core.sessions.read"]
    listing = client.get(f"/t/{tenant.slug}/admin/api-clients/")
    assert "Booking system" in listing.text and row.client_id in listing.text and secret not in listing.text
    api = client.get(f"/api/v1/t/{tenant.slug}/api-clients/{row.id}").json
    assert "client_secret" not in api and secret not in str(api) and api["created_by"] == "Ada Admin"


def test_the_list_dates_clients_on_the_tenants_clock(admin, db_session, make_api_client):
    """#7 item 14: made at 23:30 UTC on 5 May, which is 6 May in Sweden."""
    from datetime import datetime, timezone

    client, tenant, _user = admin
    row, _secret = make_api_client(tenant)
    with tenant_scope(tenant.id):
        db_session.get(ApiClient, row.id).created_at = datetime(2031, 5, 5, 23, 30, tzinfo=timezone.utc)
        db_session.commit()
    listing = client.get(f"/t/{tenant.slug}/admin/api-clients/").text
    assert "2031-05-06" in listing and "2031-05-05" not in listing


def test_the_form_keeps_what_was_typed_when_it_is_wrong(admin):
    client, tenant, _user = admin
    no_scopes = client.post(f"/t/{tenant.slug}/admin/api-clients/new", data={"name": "Booking system"})
    assert no_scopes.status_code == 422
    assert 'value="Booking system"' in no_scopes.text and "Choose at least one permission." in no_scopes.text
    assert 'id="scopes-error"' in no_scopes.text and 'role="alert"' in no_scopes.text
    no_name = client.post(f"/t/{tenant.slug}/admin/api-clients/new", data={"name": " ", "scopes": ["core.people.read"]})
    assert no_name.status_code == 422 and 'aria-invalid="true"' in no_name.text
    assert 'value="core.people.read" checked' in no_name.text and 'value="core.people.write" checked' not in no_name.text


def test_the_form_offers_only_permissions_the_admin_holds(admin):
    client, tenant, _user = admin
    form = client.get(f"/t/{tenant.slug}/admin/api-clients/new").text
    assert 'value="core.people.read"' in form and 'value="core.tenant.admin"' in form
    assert 'value="core.people.protected"' not in form and 'value="core.platform"' not in form
    assert "<legend>Samverka core</legend>" in form and "Read people&#39;s records" in form
    for scope in ("core.people.protected", "core.platform", "sample.view", "made.up"):
        refused = client.post(f"/t/{tenant.slug}/admin/api-clients/new", data={"name": "Sly", "scopes": [scope]})
        assert refused.status_code == 422 and "permissions that you hold yourself" in refused.text, scope


def test_plugin_permissions_are_grouped_under_the_plugin(client, make_tenant, make_user):
    tenant = make_tenant(plugins={"sample": {}})
    login(client, make_user(("tenant_admin", tenant), ("sample.leader", tenant)))
    client.post("/language", data={"language": "en", "next": "/"})
    form = client.get(f"/t/{tenant.slug}/admin/api-clients/new").text
    assert "<legend>Sample programme</legend>" in form and 'value="sample.view"' in form


def test_the_form_and_pages_speak_swedish(admin):
    client, tenant, _user = admin
    client.post("/language", data={"language": "sv", "next": "/"})
    form = client.get(f"/t/{tenant.slug}/admin/api-clients/new").text
    assert "<h1>Ny API-klient</h1>" in form and "Läsa personers uppgifter" in form
    wrong = client.post(f"/t/{tenant.slug}/admin/api-clients/new", data={"name": "X"}).text
    assert "Välj minst en behörighet." in wrong


def test_the_pages_need_the_tenant_admin_permission(client, make_tenant, make_user, make_api_client):
    tenant = make_tenant()
    api_client, _secret = make_api_client(tenant)
    login(client, make_user(("staff", tenant)))
    base = f"/t/{tenant.slug}/admin/api-clients"
    assert client.get(f"{base}/").status_code == 403
    assert client.post(f"{base}/new", data={"name": "X", "scopes": ["core.people.read"]}).status_code == 403
    assert client.post(f"{base}/{api_client.id}/revoke").status_code == 403
    assert client.get(f"/api/v1/t/{tenant.slug}/api-clients").status_code == 403


def test_another_tenants_client_cannot_be_revoked_or_rotated(admin, make_tenant, make_api_client, machine):
    client, tenant, _user = admin
    other = make_tenant()
    foreign, secret = make_api_client(other)
    assert client.post(f"/t/{tenant.slug}/admin/api-clients/{foreign.id}/revoke").status_code == 404
    assert client.post(f"/t/{tenant.slug}/admin/api-clients/{foreign.id}/rotate").status_code == 404
    assert client.put(f"/api/v1/t/{tenant.slug}/api-clients/{foreign.id}/revocation").status_code == 404
    assert get_token(machine, other, foreign, secret).status_code == 200
    mine, _ = make_api_client(tenant)
    assert client.post(f"/t/{tenant.slug}/admin/api-clients/{mine.id}/revoke").status_code == 302


def test_the_navigation_shows_api_clients_to_tenant_admins(admin):
    client, tenant, _user = admin
    page = client.get(f"/t/{tenant.slug}/").text
    assert f'href="/t/{tenant.slug}/admin/api-clients/"' in page


# --- the management API ---------------------------------------------------------------------


def test_manage_clients_through_the_api(admin, machine):
    client, tenant, _user = admin
    base = f"/api/v1/t/{tenant.slug}/api-clients"
    created = client.post(base, json={"name": "Sync", "scopes": ["core.people.read"]})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    body = created.json
    assert body["token_url"] == f"https://samverka.example.org/api/v1/t/{tenant.slug}/oauth/token" and body["active"]
    listed = client.get(base).json
    assert listed["total"] == 1 and "client_secret" not in listed["items"][0]
    token = machine.post(f"/api/v1/t/{tenant.slug}/oauth/token", data={"grant_type": "client_credentials"},
                         auth=(body["client_id"], body["client_secret"])).json["access_token"]
    rotated = client.put(f"{base}/{body['id']}/secret")
    assert rotated.status_code == 200 and rotated.json["client_secret"] != body["client_secret"]
    assert machine.get(f"/api/v1/t/{tenant.slug}/people", headers=bearer(token)).status_code == 401
    revoked = client.put(f"{base}/{body['id']}/revocation")
    assert revoked.status_code == 200 and revoked.json["revoked_at"] and not revoked.json["active"]
    assert client.put(f"{base}/{body['id']}/revocation").status_code == 200
    assert client.put(f"{base}/{body['id']}/secret").status_code == 409


@pytest.mark.parametrize("body", [{}, {"name": "X"}, {"name": "X", "scopes": []}, {"name": "", "scopes": ["core.people.read"]},
                                  {"name": "X", "scopes": ["core.people.protected"]}, {"name": "X", "scopes": "core"},
                                  {"name": "X" * 101, "scopes": ["core.people.read"]}, []])
def test_invalid_clients_are_422_with_field_errors(admin, body):
    client, tenant, _user = admin
    response = client.post(f"/api/v1/t/{tenant.slug}/api-clients", json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json" and "errors" in response.json


def test_a_token_cannot_manage_api_clients_even_with_the_admin_scope(admin, machine, make_api_client):
    _client, tenant, _user = admin
    api_client, secret = make_api_client(tenant, ["core.tenant.admin"])
    token = token_for(machine, tenant, api_client, secret)
    assert machine.get(f"/api/v1/t/{tenant.slug}/plugins", headers=bearer(token)).status_code == 200
    base = f"/api/v1/t/{tenant.slug}/api-clients"
    assert machine.get(base, headers=bearer(token)).status_code == 403
    assert machine.post(base, json={"name": "Child", "scopes": ["core.tenant.admin"]}, headers=bearer(token)).status_code == 403
    assert machine.put(f"{base}/{api_client.id}/secret", headers=bearer(token)).status_code == 403


def test_the_client_lists_run_constant_queries(admin, query_counter, make_api_client):
    client, tenant, _user = admin
    make_api_client(tenant)

    def grow():
        for i in range(10):
            make_api_client(tenant, name=f"Client {i}")

    query_counter.assert_constant(client, [f"/t/{tenant.slug}/admin/api-clients/",
                                           f"/api/v1/t/{tenant.slug}/api-clients"], grow)


def test_core_permission_descriptions_are_in_the_catalogs():
    missing = {p.description for p in CORE_PERMISSIONS} - set(PERMISSION_DESCRIPTIONS)
    assert not missing, f"add these to PERMISSION_DESCRIPTIONS in core/web/strings.py: {sorted(missing)}"


# --- PostgreSQL: row-level security as the application role ---------------------------------


@pytest.mark.postgres
def test_token_lookups_work_under_row_level_security_as_the_app_role(machine, db_session, make_tenant,
                                                                       make_api_client, test_settings):
    require_postgresql()
    assert on_postgresql()
    role = db_session.execute(text("SELECT rolname, rolbypassrls, rolsuper FROM pg_roles "
                                   "WHERE rolname = current_user")).one()
    assert role.rolname == test_settings.database_app_role and not role.rolbypassrls and not role.rolsuper
    a, b = make_tenant(), make_tenant()
    client, secret = make_api_client(a, ["core.people.read"])
    token = token_for(machine, a, client, secret)
    assert machine.get(f"/api/v1/t/{a.slug}/people", headers=bearer(token)).status_code == 200
    assert machine.get(f"/api/v1/t/{b.slug}/people", headers=bearer(token)).status_code == 404
    digest = tokens.digest(token)
    raw = "SELECT count(*) FROM api_token t JOIN api_client c ON c.id = t.api_client_id WHERE t.token_hash = :h"
    assert db_session.execute(text(raw), {"h": digest}).scalar() == 0  # no tenant: the database shows nothing
    with tenant_scope(b.id):
        assert db_session.execute(text(raw), {"h": digest}).scalar() == 0
    with tenant_scope(a.id):
        assert db_session.execute(text(raw), {"h": digest}).scalar() == 1


def test_the_token_endpoint_is_rate_limited(client, make_tenant):
    tenant = make_tenant()
    codes = [client.post(f"/api/v1/t/{tenant.slug}/oauth/token",
                         data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}).status_code
             for _ in range(121)]  # 60 a minute in fixed windows: 121 reach the limit across an edge
    assert codes[0] == 401 and 429 in codes
    assert client.post(f"/api/v1/t/{tenant.slug}/oauth/token").mimetype == "application/problem+json"
