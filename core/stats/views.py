"""The statistics page: aggregates of the tenant's subtree and node members, suppressed."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template

from core.auth.permissions import requires
from core.db import db
from core.stats import services

bp = Blueprint("stats", __name__, url_prefix="/t/<tenant>/stats")


@bp.get("/")
@requires("core.stats.read")
def index():
    metrics = current_app.extensions["samverka"].metrics
    table = services.statistics_table(db.session, metrics, g.tenant)
    return render_template("stats/index.html", table=table, small=services.SMALL_LABEL,
                           hidden=services.HIDDEN_LABEL)
