"""Sign-in through a tenant's OpenID Connect provider, end to end against a real provider process."""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.auth.models import RoleGrant, User
from core.auth.oidc import services
from core.auth.oidc.models import OidcLoginState, TenantIdentityProvider
from core.auth.oidc.services import OidcError, secret_ref_for, verify_id_token
from core.db import tenant_scope, user_scope
from core.testing.app import login
from core.testing.oidc import RegisteredClient

PROVIDER_NAME = "Test IdP"
#: Tenant pages speak the tenant's first language (here Swedish) unless the browser asks otherwise.
ENGLISH = {"Accept-Language": "en"}
#: SAMVERKA_BASE_URL of the test settings: the callback the provider redirects to starts with it.
BASE_URL = "https://samverka.example.org"


@pytest.fixture
def sso(oidc_provider, make_tenant, db_session, monkeypatch):
    """``sso(**provider_columns)``: a tenant whose provider is the test provider, with a
    confidential client registered there (its secret in the tenant's environment variable)."""

    def make(*, secret: bool = True, **columns):
        tenant = make_tenant()
        registered = oidc_provider.register_client([f"{BASE_URL}/t/{tenant.slug}/login/oidc/callback"],
                                                   public=not secret)
        if secret:
            monkeypatch.setenv(secret_ref_for(tenant), registered.client_secret)
        settings = dict(display_name=PROVIDER_NAME, issuer=oidc_provider.issuer, client_id=registered.client_id,
                        client_secret_ref=secret_ref_for(tenant) if secret else None,
                        allowed_domains=["example.org"], create_users=False, default_role=None, enabled=True)
        settings.update(columns)
        with tenant_scope(tenant.id):
            db_session.add(TenantIdentityProvider(**settings))
            db_session.commit()
        return tenant

    return make


@dataclass(frozen=True)
class IssuedToken:
    """An ID token the app verified, with what it was verified against and the claims it gave."""

    raw: str
    provider: TenantIdentityProvider
    metadata: services.ProviderMetadata
    nonce: str
    claims: dict[str, Any]


@pytest.fixture
def id_tokens(monkeypatch) -> list[IssuedToken]:
    """The ID tokens the provider issued during the test, as the app received and verified them."""
    seen: list[IssuedToken] = []
    verify = services.verify_id_token

    def spy(id_token, provider, metadata, *, nonce, **kwargs):
        claims = verify(id_token, provider, metadata, nonce=nonce, **kwargs)
        seen.append(IssuedToken(id_token, provider, metadata, nonce, claims))
        return claims

    monkeypatch.setattr(services, "verify_id_token", spy)
    return seen


def provider_row(db_session, tenant) -> TenantIdentityProvider:
    with tenant_scope(tenant.id):
        return db_session.scalar(select(TenantIdentityProvider))


def start(client, tenant, **args):
    response = client.get(f"/t/{tenant.slug}/login/oidc", query_string=args)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def callback(client, url: str):
    """Follow the provider's redirect back into the app: to the base URL, where the test client
    answers too (a configured host, not the one the sign-in started on)."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE_URL, url
    return client.get(f"{parts.path}?{parts.query}", headers=ENGLISH)


def sign_in(client, provider, tenant, email: str, **args):
    return callback(client, provider.sign_in(start(client, tenant, **args), email))


def events(db_session, tenant, action: str) -> list[AuditEvent]:
    with tenant_scope(tenant.id):
        return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                                AuditEvent.tenant_id == tenant.id)))


def assert_refused(response, db_session, tenant, reason: str, client=None, *, logins: int = 0) -> None:
    """Refused with 401, recorded with its reason (and nothing else), and nobody signed in."""
    assert response.status_code == 401, response.text
    assert response.headers.get("Location") is None
    failed = events(db_session, tenant, "login.failed")
    assert [e.detail for e in failed] == [{"reason": reason, "method": "oidc"}]
    assert len(events(db_session, tenant, "login")) == logins
    if client is not None:
        assert client.get(f"/t/{tenant.slug}/").headers["Location"].startswith("/login")


# --- the happy path and what it proves on the way ---------------------------------------------


def test_an_invited_user_signs_in_with_pkce_state_and_nonce_and_lands_on_the_tenant(
        client, sso, oidc_provider, make_user, db_session):
    tenant = sso()
    eva = make_user(("staff", tenant), email="Eva.Lund@example.org", name="Eva")
    authorization_url = start(client, tenant)
    query = parse_qs(urlsplit(authorization_url).query)
    assert query["response_type"] == ["code"] and query["client_id"] == [provider_row(db_session, tenant).client_id]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}

    response = callback(client, oidc_provider.sign_in(authorization_url, "eva.lund@example.org"))
    assert response.status_code == 302 and response.headers["Location"] == f"/t/{tenant.slug}/"
    page = client.get(f"/t/{tenant.slug}/")
    assert page.status_code == 200 and tenant.name in page.text
    # The provider issued the tokens only to the registered client_secret_basic authentication and
    # with the PKCE verifier (it requires both), so the token request carried them.
    (event,) = events(db_session, tenant, "login")
    assert (event.user_id, event.detail) == (eva.id, {"method": "oidc"})
    assert events(db_session, tenant, "login.failed") == []
    assert db_session.get(User, eva.id).name == "Eva Lund"  # the provider's name claim is mapped onto the account


def test_claims_given_only_by_userinfo_sign_in(client, sso, oidc_provider, make_user, db_session, id_tokens):
    """The provider's default: the ID token names the subject, UserInfo gives address and name."""
    tenant = sso()
    eva = make_user(("staff", tenant), email="eva.lund@example.org", name="Eva")
    response = sign_in(client, oidc_provider, tenant, "eva.lund@example.org")
    assert response.status_code == 302 and response.headers["Location"] == f"/t/{tenant.slug}/"
    (issued,) = id_tokens
    assert issued.claims["sub"] and not {"email", "email_verified", "name"} & set(issued.claims)
    assert db_session.get(User, eva.id).name == "Eva Lund"
    assert [e.user_id for e in events(db_session, tenant, "login")] == [eva.id]


def test_a_deep_link_comes_back_to_where_it_started(client, sso, oidc_provider, make_user):
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    response = sign_in(client, oidc_provider, tenant, "eva@example.org", next=f"/t/{tenant.slug}/people/")
    assert response.headers["Location"] == f"/t/{tenant.slug}/people/"
    off_site = sign_in(client, oidc_provider, tenant, "eva@example.org", next="//evil.example/")
    assert off_site.headers["Location"] == f"/t/{tenant.slug}/"


def test_the_login_page_offers_the_tenants_provider(client, sso, make_tenant, db_session):
    tenant = sso()
    link = f'href="/t/{tenant.slug}/login/oidc"'
    page = client.get(f"/login?tenant={tenant.slug}").text
    assert link in page and f"Log in with {PROVIDER_NAME}" in page
    assert client.get(f"/t/{tenant.slug}/login").headers["Location"] == f"/login?tenant={tenant.slug}"
    deep = client.get(f"/login?next=/t/{tenant.slug}/people/").text
    assert f'href="/t/{tenant.slug}/login/oidc?next=/t/{tenant.slug}/people/"' in deep
    assert "Log in with" not in client.get("/login").text
    other = make_tenant()
    assert "Log in with" not in client.get(f"/login?tenant={other.slug}").text
    assert "Log in with" not in client.get("/login?tenant=no-such-tenant").text
    with tenant_scope(tenant.id):
        db_session.scalar(select(TenantIdentityProvider)).enabled = False
        db_session.commit()
    assert "Log in with" not in client.get(f"/login?tenant={tenant.slug}").text
    assert client.get(f"/t/{tenant.slug}/login/oidc").status_code == 404


@pytest.mark.parametrize("language, words", [("sv", "Logga in med"), ("da", "Log ind med"), ("fi", "Kirjaudu palvelulla")])
def test_the_provider_button_is_translated(client, sso, language, words):
    tenant = sso()
    client.post("/language", data={"language": language, "next": "/login"})
    assert f"{words}" in client.get(f"/login?tenant={tenant.slug}").text


# --- refusals ----------------------------------------------------------------------------------


def test_a_provider_of_another_issuer_is_refused(client, sso, oidc_provider, db_session):
    """The issuer configured with a trailing slash: the discovery document names the provider's
    own issuer, which is not the configured one, and no one is sent to that provider."""
    tenant = sso(issuer=oidc_provider.issuer + "/")
    response = client.get(f"/t/{tenant.slug}/login/oidc", headers=ENGLISH)
    assert_refused(response, db_session, tenant, "discovery_issuer", client)
    assert "did not work" in response.text


def test_a_token_from_another_issuer_or_for_another_audience_is_refused(
        client, sso, oidc_provider, make_user, db_session, id_tokens):
    """A conforming provider signs only its own issuer and the requesting client into a token, so
    a token it really issued is checked against a configuration naming another issuer, or
    another client, as a mixed-up or substituted token would meet the app."""
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    assert sign_in(client, oidc_provider, tenant, "eva@example.org").status_code == 302
    (issued,) = id_tokens
    with tenant_scope(tenant.id):
        configured = {"issuer": issued.provider.issuer, "client_id": issued.provider.client_id}
    for changed, reason in [({"issuer": "http://127.0.0.1:9/not-the-issuer"}, "issuer"),
                            ({"client_id": "some-other-client"}, "audience")]:
        with pytest.raises(OidcError) as refused:
            verify_id_token(issued.raw, TenantIdentityProvider(**{**configured, **changed}), issued.metadata,
                            nonce=issued.nonce)
        assert refused.value.reason == reason
    # the positive twin: the same token against the configuration it was issued for
    claims = verify_id_token(issued.raw, TenantIdentityProvider(**configured), issued.metadata, nonce=issued.nonce)
    assert claims["sub"] == "eva@example.org"


def test_an_expired_token_is_refused(client, sso, oidc_provider, make_user, db_session, monkeypatch):
    """The provider's ID tokens live an hour (its default); the callback is checked two hours on."""
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    verify = services.verify_id_token
    monkeypatch.setattr(services, "verify_id_token",
                        lambda *args, **kwargs: verify(*args, **kwargs, now=time.time() + 2 * 3600))
    assert_refused(sign_in(client, oidc_provider, tenant, "eva@example.org"), db_session, tenant, "expired", client)


def test_a_token_with_another_nonce_is_refused(client, sso, oidc_provider, make_user, db_session):
    """The sign-in's stored nonce is not the one the provider was sent, as when a code of another
    sign-in is injected: the token's nonce does not match."""
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    url = oidc_provider.sign_in(start(client, tenant), "eva@example.org")
    with tenant_scope(tenant.id):
        db_session.scalar(select(OidcLoginState)).nonce = "a-nonce-this-sign-in-never-sent"
        db_session.commit()
    assert_refused(callback(client, url), db_session, tenant, "nonce", client)


def test_userinfo_about_another_subject_is_refused(client, sso, oidc_provider, make_user, db_session, caplog):
    """The provider's account store answers UserInfo for another account than the ID token's
    (see tests/oidc_provider/server.js): its claims must not sign anyone in."""
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    make_user(("staff", tenant), email="ola@example.org")
    oidc_provider.change_account("eva@example.org", at_userinfo="ola@example.org")
    with caplog.at_level(logging.DEBUG, logger="core"):
        response = sign_in(client, oidc_provider, tenant, "eva@example.org")
    assert_refused(response, db_session, tenant, "userinfo_subject", client)
    assert "did not work" in response.text
    assert "eva@" not in caplog.text and "ola@" not in caplog.text  # no claim value in the log


def test_a_userinfo_error_is_a_refusal(client, sso, oidc_provider, make_user, db_session):
    """The account is gone when UserInfo is asked: the provider answers 401, the app a clear page."""
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    oidc_provider.change_account("eva@example.org", at_userinfo=None)
    response = sign_in(client, oidc_provider, tenant, "eva@example.org")
    assert_refused(response, db_session, tenant, "userinfo_refused", client)
    assert "did not work" in response.text


def test_a_state_is_used_once(client, sso, oidc_provider, make_user, db_session):
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    url = oidc_provider.sign_in(start(client, tenant), "eva@example.org")
    assert callback(client, url).status_code == 302
    client.post("/logout")
    assert_refused(callback(client, url), db_session, tenant, "state_replayed", client, logins=1)
    with tenant_scope(tenant.id):
        (state,) = db_session.scalars(select(OidcLoginState)).all()
    assert state.used_at is not None


def test_a_state_older_than_ten_minutes_is_refused(client, sso, oidc_provider, make_user, db_session):
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    url = oidc_provider.sign_in(start(client, tenant), "eva@example.org")
    with tenant_scope(tenant.id):
        state = db_session.scalar(select(OidcLoginState))
        state.expires_at = state.created_at - timedelta(seconds=1)
        db_session.commit()
    response = callback(client, url)
    assert_refused(response, db_session, tenant, "state_expired", client)
    assert "expired or was already used" in response.text


def test_a_callback_from_another_browser_is_refused(app, client, sso, oidc_provider, make_user, db_session):
    """Login CSRF: a callback URL someone else started cannot sign this browser in."""
    tenant = sso()
    make_user(("staff", tenant), email="mallory@example.org")
    url = oidc_provider.sign_in(start(client, tenant), "mallory@example.org")
    victim = app.test_client()
    assert_refused(callback(victim, url), db_session, tenant, "state_not_this_browser", victim)
    # and the state is spent: the browser that started it cannot use it afterwards either
    assert callback(client, url).status_code == 401


def test_a_state_of_another_tenant_is_unknown_here(client, sso, oidc_provider, make_user, db_session):
    a, b = sso(), sso()
    make_user(("staff", b), email="eva@example.org")
    url = oidc_provider.sign_in(start(client, b), "eva@example.org")
    moved = url.replace(f"/t/{b.slug}/", f"/t/{a.slug}/")
    assert_refused(callback(client, moved), db_session, a, "state_unknown")
    # the positive twin: a sign-in started at b finishes at b
    fresh = oidc_provider.sign_in(start(client, b), "eva@example.org")
    assert callback(client, fresh).headers["Location"] == f"/t/{b.slug}/"


def test_a_user_who_was_not_invited_is_refused(client, sso, oidc_provider, db_session):
    tenant = sso()
    response = sign_in(client, oidc_provider, tenant, "stranger@example.org")
    assert_refused(response, db_session, tenant, "not_invited", client)
    assert "Ask its administrator to invite you" in response.text
    assert db_session.scalar(select(User).where(User.email == "stranger@example.org")) is None


def test_an_account_without_a_role_here_was_not_invited(client, sso, oidc_provider, make_user, db_session):
    tenant = sso()
    ola = make_user(email="ola@example.org")
    assert_refused(sign_in(client, oidc_provider, tenant, "ola@example.org"), db_session, tenant, "not_invited")
    (event,) = events(db_session, tenant, "login.failed")
    assert event.user_id == ola.id


def test_an_address_outside_the_allowed_domains_is_refused(client, sso, oidc_provider, make_user, db_session):
    tenant = sso(create_users=True, default_role="staff")
    make_user(("staff", tenant), email="eva@elsewhere.example")
    assert_refused(sign_in(client, oidc_provider, tenant, "eva@elsewhere.example"), db_session, tenant, "domain",
                   client)


def test_an_unverified_address_is_refused(client, sso, oidc_provider, make_user, db_session):
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    oidc_provider.change_account("eva@example.org", claims={"email_verified": False})
    assert_refused(sign_in(client, oidc_provider, tenant, "eva@example.org"), db_session, tenant, "email_unverified")


def test_an_account_with_roles_elsewhere_or_a_platform_admin_must_use_its_password(
        client, sso, oidc_provider, make_user, make_tenant, db_session):
    """The tenant's provider speaks for the tenant only: its admin could otherwise configure a
    provider that asserts the address of someone who works at another tenant."""
    tenant, elsewhere = sso(), make_tenant()
    make_user(("staff", tenant), ("tenant_admin", elsewhere), email="both@example.org")
    make_user(("staff", tenant), email="root@example.org", platform_admin=True)
    response = sign_in(client, oidc_provider, tenant, "both@example.org")
    assert response.status_code == 401 and "password" in response.text
    sign_in(client, oidc_provider, tenant, "root@example.org")
    reasons = sorted(e.detail["reason"] for e in events(db_session, tenant, "login.failed"))
    assert reasons == ["other_tenants", "platform_admin"]
    assert events(db_session, tenant, "login") == []


def test_a_missing_client_secret_is_refused_before_the_token_request(
        client, sso, oidc_provider, make_user, db_session, monkeypatch):
    tenant = sso()
    make_user(("staff", tenant), email="eva@example.org")
    url = oidc_provider.sign_in(start(client, tenant), "eva@example.org")
    registered = RegisteredClient(provider_row(db_session, tenant).client_id, os.environ[secret_ref_for(tenant)])
    monkeypatch.delenv(secret_ref_for(tenant))
    assert_refused(callback(client, url), db_session, tenant, "secret_missing")
    # The code was never spent: the provider still exchanges it, which it refuses once a token request was made.
    with tenant_scope(tenant.id):
        state = db_session.scalar(select(OidcLoginState))
    code = parse_qs(urlsplit(url).query)["code"][0]
    redeemed = oidc_provider.redeem(registered, code, redirect_uri=state.redirect_uri, code_verifier=state.code_verifier)
    assert redeemed.status_code == 200, redeemed.text


def test_the_provider_saying_no_is_recorded(client, sso, oidc_provider, db_session):
    tenant = sso()
    url = oidc_provider.sign_in(start(client, tenant), "eva@example.org", cancel=True)
    assert parse_qs(urlsplit(url).query)["error"] == ["access_denied"]
    assert_refused(callback(client, url), db_session, tenant, "provider_error")


# --- creating users at first sign-in ------------------------------------------------------------


def test_create_on_first_sign_in_gives_the_default_role(client, sso, oidc_provider, db_session):
    tenant = sso(create_users=True, default_role="staff")
    response = sign_in(client, oidc_provider, tenant, "new.person@example.org")
    assert response.headers["Location"] == f"/t/{tenant.slug}/"
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    user = db_session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert (user.name, user.password_hash, user.language) == ("New Person", None, "sv")
    with tenant_scope(tenant.id), user_scope(user.id):
        assert list(db_session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user.id))) == ["staff"]
    assert [e.object_id for e in events(db_session, tenant, "user.create")] == [str(user.id)]
    assert [e.detail for e in events(db_session, tenant, "role.grant")] == [{"role": "staff", "method": "oidc"}]
    assert [e.user_id for e in events(db_session, tenant, "login")] == [user.id]
    # the second time the same account signs in; nothing is created or granted again
    client.post("/logout")
    assert sign_in(client, oidc_provider, tenant, "new.person@example.org").status_code == 302
    assert len(events(db_session, tenant, "user.create")) == 1 and len(events(db_session, tenant, "login")) == 2


def test_create_on_first_sign_in_without_a_default_role_gives_none(client, sso, oidc_provider, db_session):
    tenant = sso(create_users=True)
    response = sign_in(client, oidc_provider, tenant, "new@example.org")
    assert response.headers["Location"] == "/"  # signed in, but no role here until an admin grants one
    user = db_session.scalar(select(User).where(User.email == "new@example.org"))
    with user_scope(user.id):
        assert db_session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id)).all() == []
    assert client.get(f"/t/{tenant.slug}/").status_code == 404
    assert events(db_session, tenant, "role.grant") == []


def test_a_public_client_signs_in_with_pkce_alone(client, sso, oidc_provider, make_user):
    tenant = sso(secret=False)
    make_user(("staff", tenant), email="eva@example.org")
    # Registered with token endpoint authentication "none", the client gets tokens for PKCE alone.
    assert sign_in(client, oidc_provider, tenant, "eva@example.org").headers["Location"] == f"/t/{tenant.slug}/"


def test_only_the_tenant_with_a_provider_offers_sign_in(client, sso, make_tenant):
    with_provider, without = sso(), make_tenant()
    assert client.get(f"/t/{with_provider.slug}/login/oidc").status_code == 302
    response = client.get(f"/t/{without.slug}/login/oidc", headers=ENGLISH)
    assert response.status_code == 404 and "does not offer single sign-on" in response.text


def test_starting_sign_ins_is_rate_limited(client, sso):
    tenant = sso()
    statuses = [client.get(f"/t/{tenant.slug}/login/oidc").status_code for _ in range(31)]
    assert statuses[:30] == [302] * 30 and statuses[30] == 429


# --- the tenant admin's settings page -----------------------------------------------------------


def test_a_tenant_admin_configures_the_provider(client, make_tenant, make_user, db_session):
    tenant = make_tenant("sso-town")
    login(client, make_user(("tenant_admin", tenant)))
    page = client.get("/t/sso-town/admin/sign-in")
    assert page.status_code == 200
    # The address to register at the provider starts with the base URL, not the request's Host.
    assert f"{BASE_URL}/t/sso-town/login/oidc/callback" in page.text
    assert 'value="SAMVERKA_OIDC_SECRET_SSO_TOWN"' in page.text

    bad = client.post("/t/sso-town/admin/sign-in", data={
        "display_name": "", "issuer": "http://login.example.org", "client_id": "samverka",
        "client_secret_ref": "SAMVERKA_SECRET_KEY", "allowed_domains": "example.org\nnot a domain",
        "default_role": "no-such-role"})
    assert bad.status_code == 422
    for field in ("display_name", "issuer", "client_secret_ref", "allowed_domains", "default_role"):
        assert f'id="{field}-error"' in bad.text, field
    assert 'value="http://login.example.org"' in bad.text and "not a domain" in bad.text
    with tenant_scope(tenant.id):
        assert db_session.scalar(select(TenantIdentityProvider)) is None

    good = client.post("/t/sso-town/admin/sign-in", data={
        "display_name": "Sso Town ID", "issuer": "https://login.example.org/.well-known/openid-configuration",
        "client_id": "samverka", "client_secret_ref": "SAMVERKA_OIDC_SECRET_SSO_TOWN",
        "allowed_domains": "Example.org, @sso-town.se", "create_users": "1", "default_role": "staff",
        "enabled": "1"})
    assert good.status_code == 302
    with tenant_scope(tenant.id):
        provider = db_session.scalar(select(TenantIdentityProvider))
    assert (provider.issuer, provider.allowed_domains, provider.create_users, provider.default_role) == (
        "https://login.example.org", ["example.org", "sso-town.se"], True, "staff")
    assert provider.client_secret_ref == "SAMVERKA_OIDC_SECRET_SSO_TOWN"
    (event,) = events(db_session, tenant, "identity_provider.change")
    assert "client_secret_ref" in event.detail["fields"] and "secret" not in str(event.detail).replace(
        "client_secret_ref", "")
    assert re.search(r'id="create_users"[^>]*checked', client.get("/t/sso-town/admin/sign-in").text)


def test_the_settings_page_is_for_tenant_admins_of_that_tenant(client, make_tenant, make_user):
    a, b = make_tenant(), make_tenant()
    login(client, make_user(("staff", a), ("tenant_admin", b)))
    assert client.get(f"/t/{a.slug}/admin/sign-in").status_code == 403
    assert client.get(f"/t/{b.slug}/admin/sign-in").status_code == 200
    assert client.post(f"/t/{a.slug}/admin/sign-in", data={}).status_code == 403


# --- in a real browser ------------------------------------------------------------------------------


@pytest.mark.browser
def test_log_in_with_the_provider_in_a_browser(page, live_server, oidc_provider):
    from playwright.sync_api import expect
    from sqlalchemy.orm import Session

    from core.tenants.models import Tenant
    from core.testing.browser import assert_accessible

    account = live_server.make_account("staff")
    # A public client: the live server's environment was fixed when it started, so it holds no secret.
    client_id = oidc_provider.register_client([f"{live_server.url}/t/{account.tenant_slug}/login/oidc/callback"],
                                              public=True).client_id
    with Session(live_server.engine) as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == account.tenant_slug))
    with tenant_scope(tenant_id), Session(live_server.engine) as session:
        session.add(TenantIdentityProvider(display_name=PROVIDER_NAME, issuer=oidc_provider.issuer,
                                           client_id=client_id, client_secret_ref=None,
                                           allowed_domains=["example.org"], create_users=False, enabled=True))
        session.commit()

    page.goto(f"/t/{account.tenant_slug}/login")
    expect(page).to_have_url(re.compile(rf"/login\?tenant={account.tenant_slug}$"))
    link = page.get_by_role("link", name=f"Log in with {PROVIDER_NAME}")
    expect(link).to_be_visible()
    assert_accessible(page)

    link.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc_provider.url)}/interaction/"))
    page.get_by_placeholder("Enter any login").fill(account.email)  # the provider's own pages, unlabelled
    page.get_by_placeholder("and password").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent to the scopes asked for
    expect(page).to_have_url(f"{live_server.url}/t/{account.tenant_slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(account.tenant_name)
    assert_accessible(page)
