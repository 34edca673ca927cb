"""VIP pages: the overview of the tenant's VIP work, with links to the other VIP pages."""

from __future__ import annotations

from flask import current_app, g, render_template, url_for
from werkzeug.routing import BuildError

from core.auth.guard import has_permission
from core.auth.permissions import declared_permission, requires
from core.db import db
from core.web.strings import N_
from plugins.vip.services import metrics
from plugins.vip.strings import AUDIENCE_LABELS
from plugins.vip.views import bp

#: The pages the overview links to, in order: endpoint and link text (translated where it is
#: shown). A link shows when the page exists and the user holds the permission it declares;
#: ``vip.training`` only at a tenant that trains leaders.
LINKS = (
    ("vip.applications", N_("Applications")),
    ("vip.waitlist", N_("Waitlists")),
    ("vip.groups", N_("Groups and meetings")),
    ("vip.outreach", N_("Outreach: who was informed and offered a place")),
    ("vip.staff_training", N_("Our staff in the register of trained leaders")),
    ("vip.training", N_("Leader training courses")),
)


def links(trains_leaders: bool) -> list[tuple[str, str]]:
    """``(url, text)`` of each page in :data:`LINKS` this user may open here (the text in
    English: the template translates it)."""
    shown = []
    for endpoint, text in LINKS:
        view = current_app.view_functions.get(endpoint)
        if view is None or (endpoint == "vip.training" and not trains_leaders):
            continue
        permission = declared_permission(view, "GET")
        if permission is None or (permission != "public" and not has_permission(permission)):
            continue
        try:
            shown.append((url_for(endpoint), text))
        except BuildError:  # a page that needs more than the tenant in its address
            continue
    return shown


@bp.get("/")
@requires("vip.view")
def overview():
    data = metrics.overview(db.session, g.tenant.id)
    return render_template("vip/overview.html", **data, links=links(data["trains_leaders"]),
                           audience_labels=AUDIENCE_LABELS)
