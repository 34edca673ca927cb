"""Links in VIP's emails to public pages a token opens: answering an offer, withdrawing an application."""

from __future__ import annotations

from core.toolkit import Tenant, digest_token, external_url, new_token

#: No link of ours carries a longer token; a longer one is not looked up.
MAX_TOKEN = 200

__all__ = ["MAX_TOKEN", "new_token", "stored_hash", "external"]


def stored_hash(token: str | None) -> str | None:
    """What is stored of ``token`` from a URL, to look it up; None for one no link carries."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return digest_token(token)


def external(tenant: Tenant, endpoint: str, token: str) -> str:
    """The absolute address of ``tenant``'s public page ``endpoint`` for ``token``, built from
    the ``base_url`` setting (SAMVERKA_BASE_URL), never from a request's host."""
    return external_url(endpoint, tenant=tenant.slug, token=token)
