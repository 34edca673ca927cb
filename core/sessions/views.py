"""Session pages: the list, one session's attendance, calendar feeds and the public .ics."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core.auth.permissions import public, requires
from core.db import db
from core.errors import get_or_404
from core.pagination import paginate, requested_page
from core.sessions import services
from core.sessions.models import CalendarFeed
from core.validation import clean_fields
from core.sessions.forms import read_attendance
from core.web.forms import form_page
from core.web.i18n import programmes
from core.web.urls import external_url, public_host

bp = Blueprint("sessions", __name__, url_prefix="/t/<tenant>")


@bp.get("/sessions/")
@requires("core.sessions.read")
def index():
    page = paginate(db.session, services.list_sessions(), requested_page(), 50)
    titles = services.titles(g.hooks, db.session, page.items, str(get_locale()))
    return render_template("sessions/index.html", page=page, titles=titles)


def _detail(scheduled, typed: dict, errors: dict):
    title = services.titles(g.hooks, db.session, [scheduled], str(get_locale()))[scheduled.id]
    return render_template("sessions/detail.html", scheduled=scheduled, title=title, typed=typed,
                           statuses=services.statuses_open(scheduled), started=services.has_started(scheduled),
                           errors=errors)


def _record(scheduled, data: dict | None):
    """Record what was chosen (None clears a status); nothing when nothing was chosen."""
    if data is None:
        return None
    statuses = {entry["person_id"]: entry["status"] for entry in data["attendance"]}
    return services.record_attendance(db.session, scheduled, statuses)


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@requires("core.sessions.read")
def detail(session_id: int):
    scheduled = services.session_or_404(db.session, session_id)
    if request.method == "POST" and "core.sessions.write" not in g.permissions:
        abort(403)
    typed = {str(row.person_id): request.form.get(f"status-{row.person_id}", "") if request.method == "POST"
             else (row.status.value if row.status else "") for row in scheduled.attendance}
    return form_page(
        lambda _typed, errors: _detail(services.session_or_404(db.session, session_id), typed, errors),
        lambda data: _record(scheduled, data), read=lambda form: read_attendance(scheduled, form),
        renamed={"attendance": "_all"},
        flash_message=lambda rows: (_("Nothing was chosen, so nothing was saved."), "info") if rows is None
        else _("Attendance saved."),
        done=url_for("sessions.detail", session_id=session_id))


@bp.route("/admin/calendar-feeds", methods=["GET", "POST"])
@requires("core.sessions.write")
def feeds():
    new_url, errors, typed = None, {}, {"label": "", "plugin": ""}
    if request.method == "POST":
        typed = {"label": request.form.get("label", ""), "plugin": request.form.get("plugin", "")}
        errors = clean_fields(typed, short=("label",))
        if not errors:
            try:
                _feed, token = services.create_feed(db.session, label=typed["label"].strip()[:100] or _("Sessions"),
                                                    plugin=typed["plugin"] or None, enabled=dict(programmes()))
            except services.SessionError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                new_url, typed = external_url("sessions.calendar", token=token), {"label": "", "plugin": ""}
    rows = db.session.scalars(select(CalendarFeed).order_by(CalendarFeed.created_at)).all()
    return render_template("sessions/feeds.html", feeds=rows, new_url=new_url, typed=typed,
                           errors=errors), 422 if errors else 200


@bp.post("/admin/calendar-feeds/<int:feed_id>/revoke")
@requires("core.sessions.write")
def revoke(feed_id: int):
    feed = get_or_404(db.session, CalendarFeed, feed_id, what="feed")
    services.revoke_feed(db.session, feed)
    db.session.commit()
    flash(_("The feed is revoked; its address no longer works."), "success")
    return redirect(url_for("sessions.feeds"))


@bp.get("/calendar/<token>.ics")
@public
def calendar(token: str):
    """Public by design: calendar apps cannot log in. The token is the key."""
    feed = services.feed_for_token(db.session, token)
    if feed is None:
        abort(404)
    body = services.feed_calendar(db.session, feed, g.tenant, public_host(), g.hooks)
    return Response(body, mimetype="text/calendar")
