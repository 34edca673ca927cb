"""The VIP plugin's REST API, mounted by core under ``/api/v1/t/<tenant>/vip/``.

One flask-smorest blueprint; each module below adds the endpoints of one part.
"""

from __future__ import annotations

from flask_smorest import Blueprint

api = Blueprint("vip_api", __name__, description="The VIP course: applications, waitlists, offers, groups, "
                                                 "meetings, outreach and the register of trained leaders")

from plugins.vip.api import applications, groups, outreach, overview, training, waitlist  # noqa: E402,F401
