"""Links in VIP's emails to public pages a token opens: answering an offer, withdrawing an application."""

from __future__ import annotations

import secrets

from core.sessions.services import hash_token
from core.tenants.models import Tenant
from core.web.urls import external_url

#: No link of ours carries a longer token; a longer one is not looked up.
MAX_TOKEN = 200


def new_token() -> tuple[str, str]:
    """A fresh link token and the SHA-256 of it, which is all that is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def stored_hash(token: str | None) -> str | None:
    """What is stored of ``token`` from a URL, to look it up; None for one no link carries."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return hash_token(token)


def external(tenant: Tenant, endpoint: str, token: str) -> str:
    """The absolute address of ``tenant``'s public page ``endpoint`` for ``token``, built from
    the ``base_url`` setting (SAMVERKA_BASE_URL), never from a request's host."""
    return external_url(endpoint, tenant=tenant.slug, token=token)
