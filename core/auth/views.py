"""Sign-in with a local account (with TOTP when due), sign-out, password reset, account security."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select

from core.audit import services as audit
from core.audit.services import Actor, acting_as
from core.auth import services, signin, totp
from core.auth.guard import current_session
from core.auth.models import User
from core.auth.passwords import verify_password
from core.auth.permissions import authenticated, public
from core.db import db, tenant_scope, utcnow
from core.errors import FieldError
from core.web.forms import form_page
from core.web.ratelimit import limited
from core.web.urls import external_url

bp = Blueprint("auth", __name__)


def _state():
    return current_app.extensions["samverka"]


def _failed(user: User | None, reason: str) -> None:
    # The typed address is not kept: it may be anyone's, and is no account of ours.
    with acting_as(Actor(user_id=user.id if user else None, label="public", client_address=request.remote_addr)):
        audit.record(db.session, "login.failed", object_type="user" if user else None,
                     object_id=user.id if user else None, detail={"reason": reason})
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
@public
@limited("login", limit=20, window=60)
def login():
    email, error = "", None
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        password = request.form.get("password", "")
        now = utcnow()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        try:
            if user is not None:
                # Counted before the password is checked, so parallel guesses cannot pass the lock.
                services.claim_login_attempt(db.session, user, now, _state().settings.lockout_threshold)
                db.session.commit()
        except services.AccountLocked as exc:
            _failed(user, "locked")
            error = _("Too many failed attempts. Try again after %(time)s.", time=format_datetime(exc.until, "short"))
        else:
            if verify_password(user.password_hash if user else None, password) and user.is_active:
                services.record_successful_login(db.session, user)
                return signin.sign_in(user, method="password", next_url=request.args.get("next"))
            _failed(user, "credentials")
            error = _("The email address or password is wrong.")
    return render_template("core/login.html", email=email, error=error), 401 if error else 200


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limited("login-code", limit=20, window=60)
def second_factor():
    """The TOTP step, or enrolment when a tenant demands a second factor the user lacks."""
    row = current_session()
    if row is None:
        return redirect(url_for("auth.login"))
    if row.fully_authenticated:
        return redirect(url_for("web.home"))
    user = row.user
    if user.totp_enabled_at is None:
        return redirect(url_for("auth.security"))
    error = None
    if request.method == "POST":
        if services.check_totp(db.session, _state().vault, user, request.form.get("code", "")):
            from core.auth import sessions

            sessions.complete(db.session, row)
            signin.record_login(user, session.get("method", "password") + "+totp")
            db.session.commit()
            return redirect(session.pop("next", None) or url_for("web.home"))
        _failed(user, "totp")
        error = _("That code is not right. Use the newest code in your app.")
    return render_template("core/login_code.html", error=error), 401 if error else 200


@bp.post("/logout")
@public
def logout():
    signin.sign_out()
    return redirect(url_for("auth.login"))


@bp.route("/account/security", methods=["GET", "POST"])
@public  # reachable mid-sign-in (enrolment a tenant demands); checks the session itself
def security():
    row = current_session()
    if row is None:
        return redirect(url_for("auth.login", next=request.path))
    user = row.user
    pending = not row.fully_authenticated
    if pending and user.totp_enabled_at is not None:
        return redirect(url_for("auth.second_factor"))
    error = None
    secret = request.form.get("secret") or totp.new_secret()
    if request.method == "POST":
        action = request.form.get("action")
        if action == "enrol" and user.totp_enabled_at is None:
            if services.enrol_totp(db.session, _state().vault, user, secret, request.form.get("code", "")):
                if pending:
                    from core.auth import sessions

                    sessions.complete(db.session, row)
                    signin.record_login(user, session.get("method", "password") + "+totp")
                audit.record_many(db.session, "totp.enrol", services.tenant_ids_of(db.session, user),
                                  object_type="user", object_id=user.id)
                db.session.commit()
                flash(_("Two-step sign-in is on."), "success")
                return redirect(session.pop("next", None) or url_for("auth.security")) if pending else redirect(url_for("auth.security"))
            error = _("That code is not right. Check the time on your phone and try the newest code.")
        elif action == "disable" and user.totp_enabled_at is not None and not pending:
            if services.second_factor_required_by_tenant(db.session, user):
                error = _("An organisation you administer requires two-step sign-in, so it cannot be turned off.")
            elif services.check_totp(db.session, _state().vault, user, request.form.get("code", "")):
                user.totp_secret_encrypted = user.totp_enabled_at = user.totp_last_step = None
                audit.record_many(db.session, "totp.disable", services.tenant_ids_of(db.session, user),
                                  object_type="user", object_id=user.id)
                db.session.commit()
                flash(_("Two-step sign-in is off."), "success")
                return redirect(url_for("auth.security"))
            else:
                error = _("That code is not right. Use the newest code in your app.")
        else:
            abort(400)
    uri = totp.provisioning_uri(secret, user.email)
    qr = segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for your authenticator app"))
    return render_template("core/security.html", user=user, pending=pending, secret=secret, uri=uri, qr=qr,
                           error=error), 422 if error else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limited("password-reset", limit=5, window=300)
def forgot_password():
    sent = False
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is not None and user.is_active:
            _send_reset(user)
        sent = True  # the same answer either way: the page never tells who has an account
    return render_template("core/password_forgot.html", sent=sent)


def _send_reset(user: User) -> None:
    from core.jobs.services import enqueue_email

    tenant_ids = services.tenant_ids_of(db.session, user)
    if not tenant_ids:
        current_app.logger.warning("user %s has no tenant to send a reset from", user.id)
        return
    token = services.create_password_reset(db.session, user, utcnow())
    link = external_url("auth.reset_password", token=token)
    with tenant_scope(tenant_ids[0]):
        enqueue_email(db.session, to=user.email, subject=_("Set a new password for Samverka"),
                      text=render_template("core/email/password_reset.txt", user=user, link=link))
        audit.record(db.session, "password.reset_requested", object_type="user", object_id=user.id)
    db.session.commit()


def chosen_password() -> tuple[str, dict[str, list[str]]]:
    """The new password typed twice in the form, and what is wrong with it (nothing: ``{}``)."""
    password, again = request.form.get("password", ""), request.form.get("password_again", "")
    if password != again:
        return password, {"password_again": [_("The two passwords are not the same.")]}
    if len(password) < services.MIN_PASSWORD_LENGTH:
        return password, {"password": [_("Use at least %(n)s characters.", n=services.MIN_PASSWORD_LENGTH)]}
    return password, {}


def _new_password(_form) -> str:
    """The new password typed twice in the form, or :class:`FieldError` saying what is wrong."""
    password, errors = chosen_password()
    if errors:
        raise FieldError(errors)
    return password


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@limited("password-reset-set", limit=10, window=300)
def reset_password(token: str):
    now = utcnow()
    if not services.peek_password_reset(db.session, token, now):
        return render_template("core/password_reset.html", invalid=True, errors={}), 404

    def reset(password: str) -> None:
        user = services.redeem_password_reset(db.session, token, now)
        services.set_password(db.session, user, password)
        audit.record_many(db.session, "password.reset", services.tenant_ids_of(db.session, user),
                          object_type="user", object_id=user.id)

    return form_page(  # what was typed is never shown again: a password stays out of the page
        lambda _typed, errors: render_template("core/password_reset.html", invalid=False, errors=errors),
        reset, read=_new_password, flash_message=_("Your password is changed. Log in with the new one."),
        done=url_for("auth.login"))


@bp.get("/account")
@authenticated
def account():
    return redirect(url_for("auth.security"))
