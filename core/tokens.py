"""Random tokens for links, cookies and secrets, of which only a digest is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Random bytes in a token (256 bits): enough that a fast digest (SHA-256) suffices, no salt or stretching.
TOKEN_BYTES = 32


def digest(token: str) -> str:
    """What is stored of ``token``: its SHA-256 as 64 hex digits (the same for every caller, so
    a row stored today is found with a token tomorrow)."""
    return hashlib.sha256(token.encode()).hexdigest()


#: No token core or a plugin gives out is longer; a longer one from a URL is not looked up.
MAX_TOKEN = 200


def lookup_digest(token: str | None) -> str | None:
    """The :func:`digest` to look ``token`` (from a URL or a form) up by; None for an empty one
    or one longer than any token given out (:data:`MAX_TOKEN`), which is then not looked up."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return digest(token)


def new_token() -> tuple[str, str]:
    """A fresh URL-safe token (shown once) and its :func:`digest` (stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest(token)


def matches(token: str, stored: str) -> bool:
    """Whether ``token`` is the one ``stored`` is the digest of, compared in constant time."""
    return hmac.compare_digest(digest(token).encode(), stored.encode())
