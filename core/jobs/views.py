"""The demo's outbox page: a platform admin reads the email queued and sent, with no SMTP server."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from core.auth.permissions import requires
from core.db import db
from core.jobs import services

bp = Blueprint("jobs", __name__)


def _settings():
    settings = current_app.extensions["samverka"].settings
    # In production the mail holds live one-time links (password resets, invitations).
    if settings.is_production:
        abort(404)
    return settings


@bp.get("/platform/outbox")
@requires("core.platform")
def outbox():
    settings = _settings()
    rows = services.outbox_for_operator(db.session)
    return render_template("jobs/outbox.html", rows=rows, mail_folder=settings.mail_folder)


@bp.get("/platform/outbox/<int:message_id>")
@requires("core.platform")
def outbox_message(message_id: int):
    _settings()
    found = services.outbox_message_for_operator(db.session, message_id)
    if found is None:
        abort(404)
    db.session.commit()  # the audit event of the read
    message, tenant = found
    return render_template("jobs/outbox_message.html", message=message, tenant=tenant)
