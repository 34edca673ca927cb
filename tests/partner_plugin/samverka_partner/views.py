"""The partner pages, mounted by core under ``/t/<tenant>/partner/``."""

from __future__ import annotations

from flask import Blueprint, render_template

from core.toolkit import db, paginate, requested_page, requires
from samverka_partner import services

web = Blueprint("partner", __name__, template_folder="templates")


@web.get("/")
@requires("partner.view")
def index():
    """The tenant's notes, newest first, a page at a time."""
    page = paginate(db.session, services.notes_query(), requested_page())
    return render_template("partner/index.html", page=page)
