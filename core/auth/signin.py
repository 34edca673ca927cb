"""Signing a user in and out of this browser, for every way of proving who they are."""

from __future__ import annotations

from flask import g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from core.audit import services as audit
from core.audit.services import Actor, acting_as
from core.auth import services, sessions
from core.auth.models import User
from core.db import db
from core.web.urls import safe_next


def sign_in(user: User, *, method: str, next_url: str | None = None) -> Response:
    """Start a fresh session for ``user`` (who proved themselves by ``method``: password,
    oidc) and redirect: to the second-factor step when one is due, else onwards."""
    second_factor = services.second_factor_required(db.session, user)
    token = sessions.start(db.session, user, fully_authenticated=not second_factor,
                           client_address=request.remote_addr, user_agent=request.headers.get("User-Agent"))
    if not second_factor:
        record_login(user, method)
    db.session.commit()
    language = user.language or session.get("language")
    session.clear()  # nothing from before sign-in carries over
    session["sid"] = token
    session["method"] = method
    if language:
        session["language"] = language
    target = safe_next(next_url, url_for("web.home"))
    if second_factor:
        session["next"] = target
        return redirect(url_for("auth.second_factor"))
    return redirect(target)


def record_login(user: User, method: str) -> None:
    with acting_as(Actor(user_id=user.id, client_address=request.remote_addr)):
        audit.record_many(db.session, "login", services.tenant_ids_of(db.session, user),
                          object_type="user", object_id=user.id, detail={"method": method})


def sign_out() -> None:
    sessions.end(db.session, session.get("sid"))
    db.session.commit()
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    g.user = None
