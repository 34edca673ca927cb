"""REST endpoints for sessions, attendance and calendar feeds."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_babel import get_locale
from flask_smorest import Blueprint
from sqlalchemy import select

from core.auth.permissions import requires
from core.db import db
from core.errors import get_or_404
from core.web.urls import external_url
from core.web.idempotency import idempotent
from core.pagination import PageArgsSchema, page_schema, paginate
from core.sessions import services
from core.sessions.models import CalendarFeed
from core.sessions.schemas import (
    AttendanceInSchema,
    AttendanceSchema,
    FeedInSchema,
    FeedSchema,
    SessionArgsSchema,
    SessionInSchema,
    SessionPatchSchema,
    SessionSchema,
)

bp = Blueprint("sessions_api", __name__, url_prefix="", description="Sessions, attendance and calendar feeds")
SessionPage = page_schema(SessionSchema, "SessionPage")


def _titled(sessions):
    """The sessions, each with ``display_title`` in the reader's language (one hook call)."""
    sessions = list(sessions)
    titles = services.titles(g.hooks, db.session, sessions, str(get_locale()))
    for scheduled in sessions:
        scheduled.display_title = titles[scheduled.id]
    return sessions



@bp.route("/sessions")
class Sessions(MethodView):
    @requires("core.sessions.read")
    @bp.arguments(SessionArgsSchema, location="query")
    @bp.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @bp.response(200, SessionPage)
    def get(self, args, page, per_page):
        """Sessions in time order; filter by plugin and a ``from``/``before`` window."""
        result = paginate(db.session, services.list_sessions(**args), page, per_page)
        result.items = _titled(result.items)
        return result

    @requires("core.sessions.write")
    @idempotent
    @bp.arguments(SessionInSchema)
    @bp.response(201, SessionSchema)
    def post(self, data):
        """Plan a session with leaders (staff user ids) and participants (person ids)."""
        leaders, participants = data.pop("leader_ids"), data.pop("participant_ids")
        scheduled = services.create_session(db.session, data, leader_ids=leaders, participant_ids=participants)
        db.session.commit()
        return _titled([services.get_session(db.session, scheduled.id)])[0]


@bp.route("/sessions/<int:session_id>")
class SessionResource(MethodView):
    @requires("core.sessions.read")
    @bp.response(200, SessionSchema)
    def get(self, session_id):
        """One session."""
        return _titled([services.session_or_404(db.session, session_id)])[0]

    @requires("core.sessions.write")
    @bp.arguments(SessionPatchSchema)
    @bp.response(200, SessionSchema)
    def patch(self, data, session_id):
        """Move, rename or cancel a session."""
        scheduled = services.session_or_404(db.session, session_id)
        services.update_session(db.session, scheduled, data)
        db.session.commit()
        return _titled([scheduled])[0]


@bp.route("/sessions/<int:session_id>/attendance")
class AttendanceResource(MethodView):
    @requires("core.sessions.read")
    @bp.response(200, AttendanceSchema(many=True))
    def get(self, session_id):
        """The participants and their attendance."""
        return services.session_or_404(db.session, session_id).attendance

    @requires("core.sessions.write")
    @bp.arguments(AttendanceInSchema)
    @bp.response(200, AttendanceSchema(many=True))
    def put(self, data, session_id):
        """Record attendance for some or all participants (status null clears it)."""
        scheduled = services.session_or_404(db.session, session_id)
        rows = services.record_attendance(
            db.session, scheduled, {e["person_id"]: e["status"] for e in data["attendance"]}
        )
        db.session.commit()
        return rows


@bp.route("/calendar-feeds")
class Feeds(MethodView):
    @requires("core.sessions.read")
    @bp.response(200, FeedSchema(many=True))
    def get(self):
        """The tenant's calendar feeds (without their tokens)."""
        return db.session.scalars(select(CalendarFeed).order_by(CalendarFeed.created_at)).all()

    @requires("core.sessions.write")
    @bp.arguments(FeedInSchema)
    @bp.response(201, FeedSchema)
    def post(self, data):
        """Create a feed of one of the tenant's programmes (``plugin``, a key of an enabled
        plugin) or of all (null); its URL is shown in this answer only."""
        feed, token = services.create_feed(db.session, **data, enabled=g.enabled_plugins)
        db.session.commit()
        feed.url = external_url("sessions.calendar", token=token)  # shown this once
        return feed


@bp.route("/calendar-feeds/<int:feed_id>")
class FeedResource(MethodView):
    @requires("core.sessions.write")
    @bp.response(204)
    def delete(self, feed_id):
        """Revoke a feed: its URL stops working at once."""
        feed = get_or_404(db.session, CalendarFeed, feed_id, what="feed")
        services.revoke_feed(db.session, feed)
        db.session.commit()
