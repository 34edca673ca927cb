"""Bearer tokens on API requests: which client, in which tenant, with which scopes."""

from __future__ import annotations

from flask import abort as flask_abort
from flask import request
from flask_smorest import abort

from core.auth.api_clients import services
from core.auth.api_clients.services import ApiAccess
from core.db import db
from core.tenants.models import Tenant

#: Longer than any token we issue; anything longer is refused unread.
MAX_TOKEN_LENGTH = 200


def token_from_request() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None without one."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()[:MAX_TOKEN_LENGTH + 1]


def _unauthorized(description: str):
    abort(401, message=description,
          headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'})


def resolve(token: str, tenant: Tenant | None) -> ApiAccess:
    """The client ``token`` stands for in ``tenant``; answers 401 for a token that does not
    work, and 404 for another tenant's token, exactly as for a tenant that does not exist."""
    if tenant is None:
        _unauthorized("Bearer tokens are accepted only under /api/v1/t/<tenant>/.")
    owner = services.token_tenant_id(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if owner is None:
        _unauthorized("The access token is malformed.")
    if owner != tenant.id:
        flask_abort(404)
    access = services.authenticate_token(db.session, token)
    if access is None:
        _unauthorized("The access token is unknown, expired or revoked.")
    return access
