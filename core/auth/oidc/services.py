"""OIDC rules: a tenant's provider configuration, and the sign-in flow from authorization to user."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask_babel import gettext as _
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core.auth import services as auth_services
from core.auth.models import RoleGrant, User
from core.auth.oidc.models import OidcLoginState, TenantIdentityProvider
from core.auth.permissions import RoleRegistry
from core.db import as_utc, user_scope, utcnow
from core.errors import FieldError
from core.settings import Settings
from core.tenants.models import Tenant
from core.tokens import digest, new_token
from core.validation import clean_into

log = logging.getLogger(__name__)

#: The client secret of tenant ``slug`` is read from this variable plus the slug in capitals
#: (hyphens as underscores). Tying the name to the tenant keeps one tenant's admin from pointing
#: their provider at another tenant's secret, or at any other secret of the installation.
SECRET_REF_PREFIX = "SAMVERKA_OIDC_SECRET_"
SCOPE = "openid email profile"
STATE_LIFETIME = timedelta(minutes=10)
#: Clock skew tolerated between us and the provider, in seconds.
LEEWAY = 60
HTTP_TIMEOUT = 10
#: Metadata and keys are read again after this many seconds (keys also on an unknown key id).
METADATA_TTL = 3600
#: Asymmetric algorithms only: a token signed with the client secret (HS256) is refused.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
#: The claims sign-in maps; any the ID token lacks are read from the UserInfo endpoint.
NEEDED_CLAIMS = ("email", "email_verified", "name")


class OidcError(Exception):
    """A sign-in that must not go through. ``reason`` is a short code for the audit log and the
    message shown; it never carries a token or claim values."""

    def __init__(self, reason: str, user: User | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user


class ProviderConfigError(FieldError):
    """The configuration form was not valid: field name -> messages (a 422)."""


# --- configuration -----------------------------------------------------------------------------


def secret_ref_for(tenant: Tenant) -> str:
    """The one environment variable that may hold ``tenant``'s client secret."""
    return SECRET_REF_PREFIX + tenant.slug.upper().replace("-", "_")


def resolve_secret(tenant: Tenant, provider: TenantIdentityProvider, environ: Mapping[str, str] | None = None) -> str | None:
    """The client secret, read at use time; None for a public client. Raises OidcError when the
    reference is not this tenant's variable (a row edited by hand) or the variable is unset."""
    ref = provider.client_secret_ref
    if not ref:
        return None
    if ref != secret_ref_for(tenant):
        raise OidcError("secret_reference")
    secret = (os.environ if environ is None else environ).get(ref)
    if not secret:
        log.error("OIDC client secret of tenant %s is not set: define %s", tenant.slug, ref)
        raise OidcError("secret_missing")
    return secret


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def acceptable_url(url: str, settings: Settings) -> bool:
    """HTTPS; plain HTTP only to loopback and never in production (test providers)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and _is_loopback(parts.hostname) and not settings.is_production


def normalise_issuer(value: str) -> str:
    """The issuer identifier, also when the discovery URL was pasted."""
    value = value.strip()
    if value.endswith(DISCOVERY_SUFFIX):
        value = value[: -len(DISCOVERY_SUFFIX)]
    return value


def parse_domains(text: str) -> list[str]:
    return sorted({part.strip().lower().lstrip("@") for part in re.split(r"[\s,;]+", text) if part.strip()})


def validate_provider(tenant: Tenant, roles: RoleRegistry, settings: Settings, form: Mapping[str, Any]) -> dict[str, Any]:
    """Check the configuration form; return the values to store or raise ProviderConfigError.

    ``form`` holds strings (``allowed_domains`` one or several per line) and booleans.
    """
    errors: dict[str, list[str]] = {}
    display_name = str(form.get("display_name") or "").strip()
    if not 1 <= len(display_name) <= 100:
        errors["display_name"] = [_("Give a name of at most 100 characters, such as the organisation's login service.")]
    else:
        display_name = clean_into(errors, "display_name", display_name)
    issuer = normalise_issuer(str(form.get("issuer") or ""))
    parts = urlsplit(issuer) if issuer else None
    if not issuer or len(issuer) > 500 or not acceptable_url(issuer, settings) or (parts and parts.query):
        errors["issuer"] = [_("Give the issuer as an https:// address without a query, as the provider publishes it.")]
    client_id = str(form.get("client_id") or "").strip()
    if not 1 <= len(client_id) <= 255:
        errors["client_id"] = [_("Give the client id the provider registered for Samverka.")]
    secret_ref = str(form.get("client_secret_ref") or "").strip() or None
    if secret_ref is not None and secret_ref != secret_ref_for(tenant):
        errors["client_secret_ref"] = [
            _("The secret must be in the environment variable %(name)s, or leave the field empty for a public client.",
              name=secret_ref_for(tenant))
        ]
    domains = parse_domains(str(form.get("allowed_domains") or ""))
    bad = [d for d in domains if not DOMAIN_PATTERN.match(d)]
    if bad:
        errors["allowed_domains"] = [_("Not an email domain: %(domains)s", domains=", ".join(bad))]
    elif not domains:
        errors["allowed_domains"] = [_("Give at least one email domain, such as example.org.")]
    default_role = str(form.get("default_role") or "").strip() or None
    if default_role is not None and default_role not in roles.roles:
        errors["default_role"] = [_("Choose one of the roles in the list.")]
    if errors:
        raise ProviderConfigError(errors)
    return {
        "display_name": display_name,
        "issuer": issuer,
        "client_id": client_id,
        "client_secret_ref": secret_ref,
        "allowed_domains": domains,
        "create_users": bool(form.get("create_users")),
        "default_role": default_role,
        "enabled": bool(form.get("enabled")),
    }


def provider_of(session: Session) -> TenantIdentityProvider | None:
    """The current tenant's provider, if it has one."""
    return session.scalar(select(TenantIdentityProvider))


def save_provider(session: Session, values: dict[str, Any]) -> tuple[TenantIdentityProvider, list[str]]:
    """Create or update the current tenant's provider from validated values; return it and the
    names of the fields that changed."""
    provider = provider_of(session)
    if provider is None:
        provider = TenantIdentityProvider(**values)
        session.add(provider)
        changed = sorted(values)
    else:
        changed = sorted(k for k, v in values.items() if getattr(provider, k) != v)
        for key, value in values.items():
            setattr(provider, key, value)
    session.flush()
    return provider, changed


# --- provider metadata and keys --------------------------------------------------------------


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_endpoint_auth_methods: tuple[str, ...]
    #: None when the provider publishes no UserInfo endpoint.
    userinfo_endpoint: str | None = None


_cache_lock = threading.Lock()
_metadata_cache: dict[str, tuple[float, ProviderMetadata]] = {}
_keys_cache: dict[str, tuple[float, KeySet]] = {}


def clear_caches() -> None:
    with _cache_lock:
        _metadata_cache.clear()
        _keys_cache.clear()


def _get_json(url: str) -> dict:
    response = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"}, allow_redirects=False)
    with response:
        response.raise_for_status()
        data = response.json()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def discover(issuer: str, settings: Settings) -> ProviderMetadata:
    """The provider's metadata from its discovery document; its issuer must be ours exactly."""
    with _cache_lock:
        cached = _metadata_cache.get(issuer)
    if cached and time.monotonic() - cached[0] < METADATA_TTL:
        return cached[1]
    if not acceptable_url(issuer, settings):
        raise OidcError("issuer_url")
    try:
        document = _get_json(issuer.rstrip("/") + DISCOVERY_SUFFIX)
    except (requests.RequestException, ValueError):
        log.warning("OIDC discovery failed for %s", issuer, exc_info=True)
        raise OidcError("provider_unreachable") from None
    if document.get("issuer") != issuer:
        raise OidcError("discovery_issuer")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not acceptable_url(value, settings):
            raise OidcError("discovery_document")
        endpoints[name] = value
    userinfo = document.get("userinfo_endpoint")
    if userinfo is not None:
        if not isinstance(userinfo, str) or not acceptable_url(userinfo, settings):
            raise OidcError("discovery_document")
        endpoints["userinfo_endpoint"] = userinfo
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    metadata = ProviderMetadata(issuer=issuer, token_endpoint_auth_methods=tuple(map(str, methods)), **endpoints)
    with _cache_lock:
        _metadata_cache[issuer] = (time.monotonic(), metadata)
    return metadata


def _signing_keys(jwks_uri: str, *, refresh: bool = False) -> KeySet:
    with _cache_lock:
        cached = _keys_cache.get(jwks_uri)
    if cached and not refresh and time.monotonic() - cached[0] < METADATA_TTL:
        return cached[1]
    try:
        keys = KeySet.import_key_set(_get_json(jwks_uri))
    except (requests.RequestException, ValueError, JoseError):
        log.warning("OIDC keys could not be read from %s", jwks_uri, exc_info=True)
        raise OidcError("provider_unreachable") from None
    with _cache_lock:
        _keys_cache[jwks_uri] = (time.monotonic(), keys)
    return keys


# --- the flow ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str


def start_login(session: Session, provider: TenantIdentityProvider, settings: Settings, *,
                redirect_uri: str, next_path: str | None) -> AuthorizationRequest:
    """Record a new sign-in (state, nonce, PKCE verifier) and build the provider's URL for it.

    Runs inside the tenant; the caller commits and keeps ``state`` in the browser's session.
    """
    metadata = discover(provider.issuer, settings)
    (state, state_hash), nonce = new_token(), secrets.token_urlsafe(32)
    verifier = generate_token(64)
    now = utcnow()
    session.execute(delete(OidcLoginState).where(OidcLoginState.expires_at < now))
    session.add(OidcLoginState(state_hash=state_hash, nonce=nonce, code_verifier=verifier,
                               redirect_uri=redirect_uri, next_path=next_path, created_at=now,
                               expires_at=now + STATE_LIFETIME))
    session.flush()
    with OAuth2Session(provider.client_id, scope=SCOPE, redirect_uri=redirect_uri,
                       code_challenge_method="S256") as client:
        url, _sent_state = client.create_authorization_url(metadata.authorization_endpoint, state=state,
                                                           code_verifier=verifier, nonce=nonce)
    return AuthorizationRequest(url=url, state=state)


def take_state(session: Session, state: str | None, browser_states: list[str]) -> OidcLoginState:
    """Claim the sign-in ``state`` names, once: a second use, an expired one, or one this browser
    did not start (a callback URL passed to someone else) is refused. The claim is part of the
    caller's transaction, which commits it whether the sign-in then succeeds or not."""
    if not state:
        raise OidcError("state_missing")
    row = session.scalar(select(OidcLoginState).where(OidcLoginState.state_hash == digest(state)))
    if row is None:
        raise OidcError("state_unknown")
    claimed = session.execute(
        update(OidcLoginState)
        .where(OidcLoginState.id == row.id, OidcLoginState.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise OidcError("state_replayed")
    if as_utc(row.expires_at) <= utcnow():
        raise OidcError("state_expired")
    if not any(hmac.compare_digest(state.encode(), str(known).encode()) for known in browser_states):
        raise OidcError("state_not_this_browser")
    return row


def _token_auth_method(secret: str | None, metadata: ProviderMetadata) -> str:
    if secret is None:
        return "none"
    if "client_secret_basic" in metadata.token_endpoint_auth_methods:
        return "client_secret_basic"
    if "client_secret_post" in metadata.token_endpoint_auth_methods:
        return "client_secret_post"
    raise OidcError("token_auth_method")


def exchange_code(tenant: Tenant, provider: TenantIdentityProvider, settings: Settings, login: OidcLoginState,
                  code: str | None) -> dict[str, Any]:
    """Trade the authorization code (with the PKCE verifier) for tokens; return the ID token's
    claims once its signature, issuer, audience, expiry and nonce are checked, completed from the
    UserInfo endpoint when it lacks a claim sign-in needs (see :func:`fetch_userinfo`)."""
    if not code:
        raise OidcError("code_missing")
    metadata = discover(provider.issuer, settings)
    secret = resolve_secret(tenant, provider)
    method = _token_auth_method(secret, metadata)
    with OAuth2Session(provider.client_id, secret, token_endpoint_auth_method=method) as client:
        try:
            token = client.fetch_token(metadata.token_endpoint, grant_type="authorization_code", code=code,
                                       redirect_uri=login.redirect_uri, code_verifier=login.code_verifier,
                                       timeout=HTTP_TIMEOUT, allow_redirects=False)
        except OAuthError as exc:
            log.warning("OIDC token request refused by %s: %s", provider.issuer, exc.error)
            raise OidcError("token_refused") from None
        except (requests.RequestException, ValueError):
            log.warning("OIDC token request failed for %s", provider.issuer, exc_info=True)
            raise OidcError("provider_unreachable") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("id_token_missing")
        claims = verify_id_token(id_token, provider, metadata, nonce=login.nonce)
        if all(name in claims for name in NEEDED_CLAIMS) or metadata.userinfo_endpoint is None:
            return claims
        # The ID token is signed: where both speak, its claims win.
        return {**fetch_userinfo(client, metadata.userinfo_endpoint, subject=claims["sub"]), **claims}


def fetch_userinfo(client: OAuth2Session, endpoint: str, *, subject: str) -> dict[str, Any]:
    """The claims of the UserInfo endpoint, read with the access token ``client`` holds.

    A provider may give ``email`` and ``name`` only here (OpenID Connect Core 5.4). Its ``sub``
    must be the ID token's (Core 5.3.2): else the answer is about someone else and the sign-in
    is refused. An error answer is a refusal too; nothing of the answer is logged.
    """
    try:
        response = client.get(endpoint, timeout=HTTP_TIMEOUT, allow_redirects=False,
                              headers={"Accept": "application/json"})
    except OAuthError as exc:  # no usable access token: missing, expired, or not a bearer token
        log.warning("OIDC UserInfo not asked at %s: %s", endpoint, exc.error)
        raise OidcError("userinfo_refused") from None
    except requests.RequestException:
        log.warning("OIDC UserInfo request to %s failed", endpoint, exc_info=True)
        raise OidcError("provider_unreachable") from None
    with response:
        if response.status_code != 200:
            log.warning("OIDC UserInfo request to %s answered %s", endpoint, response.status_code)
            raise OidcError("userinfo_refused")
        try:
            userinfo = response.json()
        except ValueError:
            userinfo = None
    if not isinstance(userinfo, dict):
        raise OidcError("userinfo_response")
    if not isinstance(userinfo.get("sub"), str) or not hmac.compare_digest(userinfo["sub"].encode(), subject.encode()):
        log.warning("OIDC UserInfo from %s names another subject than the ID token", endpoint)
        raise OidcError("userinfo_subject")
    return userinfo


def verify_id_token(id_token: str, provider: TenantIdentityProvider, metadata: ProviderMetadata, *,
                    nonce: str, now: float | None = None) -> dict[str, Any]:
    """The ID token's claims, or OidcError naming the first check that failed."""
    try:
        header = jws.extract_compact(id_token.encode()).protected
    except (JoseError, ValueError):
        raise OidcError("signature") from None
    keys = _signing_keys(metadata.jwks_uri)
    if header.get("kid") and header["kid"] not in {key.kid for key in keys.keys}:
        keys = _signing_keys(metadata.jwks_uri, refresh=True)  # the provider may have rotated its keys
    try:
        token = jwt.decode(id_token, keys, algorithms=SIGNING_ALGORITHMS)
    except (JoseError, ValueError):
        raise OidcError("signature") from None
    claims = dict(token.claims)
    now = time.time() if now is None else now
    if claims.get("iss") != provider.issuer:
        raise OidcError("issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if provider.client_id not in audiences:
        raise OidcError("audience")
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise OidcError("audience")
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or expires <= now - LEEWAY:
        raise OidcError("expired")
    issued = claims.get("iat")
    if not isinstance(issued, (int, float)) or issued > now + LEEWAY:
        raise OidcError("issued_at")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        raise OidcError("nonce")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcError("subject")
    return claims


@dataclass(frozen=True)
class SignIn:
    user: User
    created: bool
    #: The default role given at this sign-in, if any.
    granted: str | None
    #: Whether the user now holds a role at the tenant (else they land on the start page).
    has_role: bool


def _display_name(claims: Mapping[str, Any], email: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get(k) for k in ("given_name", "family_name")]
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return (name.strip() if name else email.split("@", 1)[0])[:200]


def user_for_claims(session: Session, roles: RoleRegistry, tenant: Tenant, provider: TenantIdentityProvider,
                    claims: Mapping[str, Any], languages: tuple[str, ...] = ()) -> SignIn:
    """The account the verified claims sign in to, by the tenant's rules (runs inside the tenant).

    The address must be verified (when the provider says) and of an allowed domain. A known
    account must be active, must not be a platform admin and must hold roles at no other
    tenant: this provider speaks for this tenant only, and its admin could otherwise assert
    the address of someone who works elsewhere. Without a role here the account must have been
    invited, unless the tenant creates users at first sign-in, who then get its default role.
    """
    email = claims.get("email")
    if not isinstance(email, str) or email.count("@") != 1 or len(email) > 254:
        raise OidcError("email_missing")
    email = email.strip()
    if claims.get("email_verified") is False:
        raise OidcError("email_unverified")
    if email.rsplit("@", 1)[1].lower() not in provider.allowed_domains:
        raise OidcError("domain")
    user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    created = False
    if user is None:
        if not provider.create_users:
            raise OidcError("not_invited")
        user = User(email=email, name=_display_name(claims, email), password_hash=None)
        session.add(user)
        session.flush()
        created = True
    elif not user.is_active:
        raise OidcError("inactive", user)
    elif user.is_platform_admin:
        raise OidcError("platform_admin", user)
    with user_scope(user.id):
        tenant_ids = set(session.scalars(select(RoleGrant.tenant_id).where(RoleGrant.user_id == user.id)))
    if tenant_ids - {tenant.id}:
        raise OidcError("other_tenants", user)
    granted = None
    if tenant.id not in tenant_ids:
        if not provider.create_users:
            raise OidcError("not_invited", user)
        if provider.default_role:
            auth_services.grant(session, user, tenant, provider.default_role)
            granted = provider.default_role
    if not created and claims.get("name") and user.name != _display_name(claims, email):
        user.name = _display_name(claims, email)
    locale = claims.get("locale")
    if user.language is None and isinstance(locale, str) and locale[:2].lower() in languages:
        user.language = locale[:2].lower()
    session.flush()
    return SignIn(user=user, created=created, granted=granted, has_role=tenant.id in tenant_ids or granted is not None)
