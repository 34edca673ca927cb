"""Tenant admin pages for people who work here: invite, grant and revoke roles, see who holds what;
and the invitation link's page, where the invited account accepts its role."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.audit import services as audit
from core.auth import services
from core.auth.guard import current_user
from core.auth.models import User
from core.auth.permissions import public, requires
from core.auth.views import chosen_password
from core.db import db, utcnow
from core.web.forms import form_page
from core.web.ratelimit import limited
from core.web.urls import external_url

bp = Blueprint("users", __name__, url_prefix="/t/<tenant>/admin/users")
invitations = Blueprint("invitations", __name__, url_prefix="/t/<tenant>/invitations")


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
    """The same answer whether the address has an account (here, elsewhere) or not: the inviter
    learns nothing about it, and nothing is granted before its holder accepts."""
    from core.jobs.services import enqueue_email

    def send(typed):
        user, token = services.invite(db.session, _roles(), g.tenant, now=utcnow(), invited_by=g.user, **typed)
        audit.record(db.session, "invitation.create", object_type="user", object_id=user.id,
                     detail={"role": typed["role"]})
        link = external_url("invitations.accept", token=token)
        enqueue_email(db.session, to=user.email, subject=_("You are invited to Samverka"),
                      text=render_template("core/email/invitation.txt", user=user, tenant=g.tenant,
                                           role=_roles().roles[typed["role"]], link=link))

    return form_page(
        lambda typed, errors: render_template("users/index.html", holders=services.holders(db.session, g.tenant),
                                              roles=_roles().roles, errors=errors, typed=typed),
        send, read=lambda form: {k: form.get(k, "") for k in ("email", "name", "role")},
        flash_message=_("An invitation has been sent to %(email)s. The role is given when it is accepted.",
                        email=request.form.get("email", "").strip()),
        done=url_for("users.index"))


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


@invitations.route("/<token>", methods=["GET", "POST"])
@public  # the link in the email; who may accept is checked here
@limited("invitation", limit=20, window=300)
def accept(token: str):
    """Accept a role: signed in as the invited account, or, for an account that has no password
    yet (a new one), by choosing it here, as the link came to its address."""
    now = utcnow()
    invitation = services.live_invitation(db.session, token, now)
    if invitation is None:
        return render_template("users/invitation.html", state="invalid"), 404
    invitee, user = db.session.get(User, invitation.user_id), current_user()
    choose_password = user is None and invitee.password_hash is None
    if user is None and not choose_password:
        return redirect(url_for("auth.login", next=request.path))
    if user is not None and user.id != invitee.id:
        return render_template("users/invitation.html", state="other_account"), 403
    role = _roles().roles.get(invitation.role)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if choose_password:
            password, errors = chosen_password()
            if not errors:
                services.set_password(db.session, invitee, password)
        if not errors:
            if services.accept_invitation(db.session, invitation, invitee, g.tenant, now):
                audit.record(db.session, "invitation.accept", object_type="user", object_id=invitee.id,
                             detail={"role": invitation.role, "invitation_id": invitation.id})
            db.session.commit()
            return render_template("users/invitation.html", state="accepted", invitee=invitee, role=role,
                                   signed_in=user is not None)
    return render_template("users/invitation.html", state="open", invitee=invitee, role=role,
                           choose_password=choose_password, errors=errors), 422 if errors else 200
