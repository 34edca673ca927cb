"""Tenant admin pages for people who work here: invite, grant and revoke roles, see who holds what."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.audit import services as audit
from core.auth import services
from core.auth.models import User
from core.auth.permissions import requires
from core.db import db, utcnow
from core.web.ratelimit import limited

bp = Blueprint("users", __name__, url_prefix="/t/<tenant>/admin/users")


def _roles():
    return current_app.extensions["samverka"].roles


@bp.get("/")
@requires("core.tenant.admin")
def index():
    return render_template("users/index.html", holders=services.holders(db.session, g.tenant), roles=_roles().roles,
                           errors={}, typed={})


@bp.post("/invite")
@requires("core.tenant.admin")
@limited("invite", limit=60, window=3600)
def invite():
    typed = {k: request.form.get(k, "") for k in ("email", "name", "role")}
    try:
        user, token = services.invite(db.session, _roles(), g.tenant, now=utcnow(), **typed)
    except services.InvitationError as exc:
        db.session.rollback()
        return render_template("users/index.html", holders=services.holders(db.session, g.tenant),
                               roles=_roles().roles, errors=exc.errors, typed=typed), 422
    audit.record(db.session, "role.grant", object_type="user", object_id=user.id,
                 detail={"role": typed["role"], "invited": token is not None})
    if token is not None:
        from core.jobs.services import enqueue_email

        link = url_for("auth.reset_password", token=token, _external=True)
        enqueue_email(db.session, to=user.email, subject=_("You are invited to Samverka"),
                      text=render_template("core/email/invitation.txt", user=user, tenant=g.tenant, link=link))
    db.session.commit()
    flash(_("%(name)s has the role now.", name=user.name) if token is None else
          _("%(name)s is invited; an email with a link to choose a password is on its way.", name=user.name), "success")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/roles")
@requires("core.tenant.admin")
def grant(user_id: int):
    role = request.form.get("role", "")
    user = db.session.get(User, user_id)
    if user is None or role not in _roles().roles or not any(h.id == user_id for h, _r in services.holders(db.session, g.tenant)):
        abort(404)
    services.grant(db.session, user, g.tenant, role)
    audit.record(db.session, "role.grant", object_type="user", object_id=user.id, detail={"role": role})
    db.session.commit()
    flash(_("Role given."), "success")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/roles/<role>/revoke")
@requires("core.tenant.admin")
def revoke(user_id: int, role: str):
    if user_id == g.user.id and role == "tenant_admin":
        flash(_("You cannot take the administrator role from yourself; ask another administrator."), "error")
        return redirect(url_for("users.index"))
    if not services.revoke(db.session, user_id, g.tenant, role):
        abort(404)
    audit.record(db.session, "role.revoke", object_type="user", object_id=user_id, detail={"role": role})
    db.session.commit()
    flash(_("Role taken away."), "success")
    return redirect(url_for("users.index"))
