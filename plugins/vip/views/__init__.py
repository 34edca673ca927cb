"""The VIP plugin's pages, mounted by core under ``/t/<tenant>/vip/``.

One blueprint (endpoints ``vip.*``); each module below adds the pages of one part.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("vip", __name__, template_folder="../templates")

from plugins.vip.views import applications, groups, outreach, overview, public, training, waitlist  # noqa: E402,F401
