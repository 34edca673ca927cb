"""Addresses that leave a request (emails, calendar feeds, pages showing a URL to copy elsewhere).

They start with the ``base_url`` setting (SAMVERKA_BASE_URL) and never with the request's Host
header, which the client chooses: a password reset asked for with ``Host: attacker.example``
must still link to the real site. Inside a request and outside one (due jobs) alike.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def _base_url() -> str:
    return current_app.extensions["samverka"].settings.base_url.rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` with ``values``, under the configured base URL.

    In a request, URL defaults apply as for ``url_for`` (the current tenant's slug)."""
    current_app.inject_url_defaults(endpoint, values)
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return _base_url() + path


def public_host() -> str:
    """The base URL's host name: where identifiers meant to be global (iCalendar UIDs) point."""
    return urlsplit(_base_url()).hostname or "localhost"


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our name."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
