"""Session pages: the list, one session's attendance, calendar feeds and the public .ics."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core.auth.permissions import public, requires
from core.db import db
from core.pagination import paginate, requested_page
from core.sessions import services
from core.sessions.models import AttendanceStatus, CalendarFeed

bp = Blueprint("sessions", __name__, url_prefix="/t/<tenant>")


@bp.get("/sessions/")
@requires("core.sessions.read")
def index():
    page = paginate(db.session, services.list_sessions(), requested_page(), 50)
    titles = services.titles(g.hooks, db.session, page.items, str(get_locale()))
    return render_template("sessions/index.html", page=page, titles=titles, programmes=_programmes())


def _programmes() -> dict[str, str]:
    """The tenant's enabled plugins by key, each named by its title in the reader's language."""
    installed = current_app.extensions["samverka"].registry.plugins
    found = {key: _(installed[key].info.title) for key in g.enabled_plugins if key in installed}
    return dict(sorted(found.items(), key=lambda item: item[1].casefold()))


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@requires("core.sessions.read")
def detail(session_id: int):
    scheduled = services.get_session(db.session, session_id)
    if scheduled is None:
        abort(404)
    errors: dict = {}
    typed = {row.person_id: row.status.value if row.status else "" for row in scheduled.attendance}
    if request.method == "POST":
        if "core.sessions.write" not in g.permissions:
            abort(403)
        statuses = {}
        for row in scheduled.attendance:
            value = request.form.get(f"status-{row.person_id}", "")
            typed[row.person_id] = value
            if value and value not in AttendanceStatus._value2member_map_:
                errors[row.person_id] = _("Choose one of the options.")
            statuses[row.person_id] = value or None
        if not errors and not any(statuses.values()):
            flash(_("Nothing was chosen, so nothing was saved."), "info")
            return redirect(url_for("sessions.detail", session_id=session_id))
        if not errors:
            try:
                services.record_attendance(db.session, scheduled, statuses)
            except services.SessionError as exc:
                db.session.rollback()
                errors["_all"] = " ".join(exc.errors.get("attendance", []))
                scheduled = services.get_session(db.session, session_id)
            else:
                db.session.commit()
                flash(_("Attendance saved."), "success")
                return redirect(url_for("sessions.detail", session_id=session_id))
    title = services.titles(g.hooks, db.session, [scheduled], str(get_locale()))[scheduled.id]
    return render_template("sessions/detail.html", scheduled=scheduled, title=title, typed=typed,
                           statuses=services.statuses_open(scheduled), started=services.has_started(scheduled),
                           errors=errors), 422 if errors else 200


@bp.route("/admin/calendar-feeds", methods=["GET", "POST"])
@requires("core.sessions.write")
def feeds():
    new_url, errors, typed, status = None, {}, {"label": "", "plugin": ""}, 200
    programmes = _programmes()
    if request.method == "POST":
        typed = {"label": request.form.get("label", ""), "plugin": request.form.get("plugin", "")}
        label = typed["label"].strip()[:100] or _("Sessions")
        try:
            _feed, token = services.create_feed(db.session, label=label, plugin=typed["plugin"] or None,
                                                enabled=programmes)
        except services.SessionError as exc:
            db.session.rollback()
            errors, status = exc.errors, 422
        else:
            db.session.commit()
            new_url = url_for("sessions.calendar", token=token, _external=True)
            typed = {"label": "", "plugin": ""}
    rows = db.session.scalars(select(CalendarFeed).order_by(CalendarFeed.created_at)).all()
    return render_template("sessions/feeds.html", feeds=rows, new_url=new_url, programmes=programmes,
                           typed=typed, errors=errors), status


@bp.post("/admin/calendar-feeds/<int:feed_id>/revoke")
@requires("core.sessions.write")
def revoke(feed_id: int):
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.id == feed_id))
    if feed is None:
        abort(404)
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
    body = services.feed_calendar(db.session, feed, g.tenant, request.host, g.hooks)
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})
