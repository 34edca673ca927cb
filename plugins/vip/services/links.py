"""Tokens of the links in VIP's emails to public pages: withdrawing an application (the emails build the links)."""

from __future__ import annotations

import secrets

from core.sessions.services import hash_token

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
