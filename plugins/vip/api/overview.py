"""VIP API: the overview of the tenant's VIP work (the figures of the overview page)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView

from core.toolkit import db, requires
from plugins.vip.api import api
from plugins.vip.schemas import VipOverviewSchema
from plugins.vip.services import metrics


@api.route("/overview")
class Overview(MethodView):
    @requires("vip.view")
    @api.response(200, VipOverviewSchema)
    def get(self):
        """The tenant's VIP figures, waitlist lengths per audience and groups running or planned."""
        return metrics.overview(db.session, g.tenant.id)
