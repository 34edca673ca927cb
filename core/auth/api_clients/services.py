"""API client rules: create, rotate and revoke clients; store and check their access tokens."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, joinedload

from core.audit import services as audit
from core.auth.api_clients.models import ApiClient, ApiToken
from core.db import as_utc, utcnow
from core.errors import FieldError
from core.tokens import digest, matches, new_token
from core.validation import clean_into
from core.web.strings import N_

NAME_MAX = 100
#: Never a scope: operating the installation is no tenant's to hand out.
UNGRANTABLE = frozenset({"core.platform"})
#: ``<tenant id>.<43 url-safe characters>``: the tenant id lets a token used on another tenant's
#: URL answer 404 without a read across tenants; the random part carries all the secrecy.
TOKEN_PATTERN = re.compile(r"^([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{43})$", re.ASCII)
CLIENT_ID_PATTERN = re.compile(r"^[a-z0-9]{1,64}$", re.ASCII)


class ApiClientError(FieldError):
    """A client could not be created or changed; ``errors`` maps fields to English msgids."""


@dataclass(frozen=True)
class ApiAccess:
    """The client a bearer token stands for, as the request gate needs it."""

    client_pk: int
    client_id: str
    scopes: frozenset[str]

    @property
    def actor_label(self) -> str:
        return f"api:{self.client_id}"


def secret_matches(client: ApiClient, secret: str) -> bool:
    return matches(secret, client.secret_hash)


def grantable_scopes(known: Iterable[str], held: Iterable[str]) -> frozenset[str]:
    """The scopes a user may give a client: permission keys they hold themselves, so a client
    never carries more than its creator (a tenant admin cannot mint protected-identity access)."""
    return frozenset(held) & frozenset(known) - UNGRANTABLE


def _validated(name: str | None, scopes: Iterable[str] | None, grantable: frozenset[str]) -> tuple[str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [N_("Give the client a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [N_("The name can have at most 100 characters.")]
    else:
        name = clean_into(errors, "name", name)
    chosen = sorted(set(scopes or ()))
    if not chosen:
        errors["scopes"] = [N_("Choose at least one permission.")]
    elif not set(chosen) <= grantable:
        errors["scopes"] = [N_("A client can only get permissions that you hold yourself.")]
    if errors:
        raise ApiClientError(errors)
    return name, chosen


def create_client(session: Session, *, name: str | None, scopes: Iterable[str] | None,
                  grantable: frozenset[str], created_by_id: int | None) -> tuple[ApiClient, str]:
    """A new client in the current tenant and its secret, returned once; only a hash is kept."""
    name, chosen = _validated(name, scopes, grantable)
    secret, secret_hash = new_token()
    client = ApiClient(name=name, client_id=secrets.token_hex(12), secret_hash=secret_hash,
                       secret_version=1, scopes=chosen, created_by_id=created_by_id)
    session.add(client)
    session.flush()
    audit.record(session, "api_client.create", object_type="api_client", object_id=client.id,
                 detail={"scopes": chosen})
    return client, secret


def rotate_secret(session: Session, client: ApiClient) -> str:
    """Give ``client`` a new secret (returned once); every token issued before stops working."""
    if client.revoked_at is not None:
        raise ApiClientError({"_schema": [N_("A revoked client cannot get a new secret.")]})
    secret, client.secret_hash = new_token()
    client.secret_version = ApiClient.secret_version + 1  # in SQL: two rotations never share a version
    client.rotated_at = utcnow()
    session.flush()
    _end_tokens(session, client, older_than_version=client.secret_version)
    audit.record(session, "api_client.rotate", object_type="api_client", object_id=client.id,
                 detail={"secret_version": client.secret_version})
    return secret


def revoke_client(session: Session, client: ApiClient) -> bool:
    """Revoke ``client`` for good: no new tokens, and its tokens stop working at once.
    Returns False when it was revoked already."""
    if client.revoked_at is not None:
        return False
    client.revoked_at = utcnow()
    session.flush()
    _end_tokens(session, client)
    audit.record(session, "api_client.revoke", object_type="api_client", object_id=client.id)
    return True


def _end_tokens(session: Session, client: ApiClient, older_than_version: int | None = None) -> None:
    """Delete tokens that can no longer work (the request gate refuses them anyway)."""
    stmt = delete(ApiToken).where(ApiToken.api_client_id == client.id)
    if older_than_version is not None:
        stmt = stmt.where(ApiToken.secret_version < older_than_version)
    session.execute(stmt, execution_options={"synchronize_session": False})


def list_clients() -> Select:
    """The current tenant's clients, live ones first, with their creators (one query a page)."""
    return (select(ApiClient).options(joinedload(ApiClient.created_by))
            .order_by(ApiClient.revoked_at.is_not(None), ApiClient.name, ApiClient.id))


def find_live_client(session: Session, client_id: str) -> ApiClient | None:
    """The unrevoked client with this public id in the current tenant, for the token endpoint."""
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.match(client_id):
        return None  # odd input (NUL bytes, megabytes) never reaches the database
    return session.scalar(select(ApiClient).where(ApiClient.client_id == client_id, ApiClient.revoked_at.is_(None)))


def new_access_token(tenant_id: int) -> str:
    return f"{int(tenant_id)}.{secrets.token_urlsafe(32)}"


def token_tenant_id(token: str) -> int | None:
    """The tenant a well-formed token names, or None for anything else."""
    match = TOKEN_PATTERN.match(token)
    return int(match.group(1)) if match else None


def store_token(session: Session, client: ApiClient, access_token: str, scopes: list[str], expires_in: int,
                now: datetime | None = None) -> ApiToken:
    """Keep the hash of a token just issued to ``client`` and record the issue (no secrets)."""
    now = now or utcnow()
    # Expired tokens of this client are of no use: clear them as new ones are made.
    session.execute(delete(ApiToken).where(ApiToken.api_client_id == client.id, ApiToken.expires_at < now),
                    execution_options={"synchronize_session": False})
    token = ApiToken(api_client_id=client.id, token_hash=digest(access_token), scopes=sorted(scopes),
                     secret_version=client.secret_version, issued_at=now,
                     expires_at=now + timedelta(seconds=expires_in))
    session.add(token)
    session.flush()
    audit.record(session, "token.issue", object_type="api_client", object_id=client.id,
                 detail={"scopes": sorted(scopes), "expires_in": expires_in})
    return token


def authenticate_token(session: Session, access_token: str, now: datetime | None = None) -> ApiAccess | None:
    """The client behind a bearer token in the current tenant, or None when the token is
    unknown, expired, issued under a rotated secret, or its client is revoked.

    One query joining token and client: the client's state is checked on every request.
    """
    row = session.execute(
        select(ApiToken, ApiClient).join(ApiClient, ApiToken.api_client_id == ApiClient.id)
        .where(ApiToken.token_hash == digest(access_token))
    ).first()
    if row is None:
        return None
    token, client = row
    if (client.revoked_at is not None or token.secret_version != client.secret_version
            or as_utc(token.expires_at) <= (now or utcnow())):
        return None
    return ApiAccess(client_pk=client.id, client_id=client.client_id, scopes=frozenset(token.scopes))
