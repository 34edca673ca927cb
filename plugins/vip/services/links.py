"""Tokens of the links in VIP's emails to public pages: withdrawing an application (the emails build the links)."""

from __future__ import annotations

from core.toolkit import digest_token, new_token

#: No link of ours carries a longer token; a longer one is not looked up.
MAX_TOKEN = 200

__all__ = ["MAX_TOKEN", "new_token", "stored_hash"]


def stored_hash(token: str | None) -> str | None:
    """What is stored of ``token`` from a URL, to look it up; None for one no link carries."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return digest_token(token)
