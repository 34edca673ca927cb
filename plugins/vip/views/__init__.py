"""The VIP plugin's pages, mounted by core under ``/t/<tenant>/vip/``.

One blueprint (endpoints ``vip.*``); each module below adds the pages of one part.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("vip", __name__, template_folder="../templates")


def posted_id(raw: str | None) -> int | None:
    """An id from a form or query string, or None for anything that is not one (never an
    error: "²" and "99999999999" are simply no id)."""
    from core.toolkit import MAX_ID

    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID:
        return int(raw)
    return None

from plugins.vip.views import applications, groups, outreach, overview, public, training, waitlist  # noqa: E402,F401
