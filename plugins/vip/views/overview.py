"""VIP pages: the overview of the tenant's VIP work, with links to the other VIP pages."""

from __future__ import annotations

from flask import g, render_template

from core.toolkit import N_, db, permitted_links, requires
from plugins.vip.services import metrics
from plugins.vip.settings import AUDIENCE_LABELS
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
    return permitted_links((endpoint, text) for endpoint, text in LINKS
                           if trains_leaders or endpoint != "vip.training")


@bp.get("/")
@requires("vip.view")
def overview():
    data = metrics.overview(db.session, g.tenant.id)
    return render_template("vip/overview.html", **data, links=links(data["trains_leaders"]),
                           audience_labels=AUDIENCE_LABELS)
