"""OIDC pages: the tenant's login address, the flow's start and callback (public), and its settings."""

from __future__ import annotations

import os
import re

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.audit import services as audit
from core.audit.services import Actor, acting_as
from core.auth import signin
from core.auth.oidc import services
from core.auth.oidc.models import TenantIdentityProvider
from core.auth.permissions import public, requires
from core.db import db, tenant_scope
from core.tenants.models import Tenant
from core.web.forms import form_page
from core.web.ratelimit import limited
from core.web.urls import external_url
from core.web.urls import safe_next

bp = Blueprint("oidc", __name__)

#: Browser-session key of the states of sign-ins this browser started; a few, for several tabs.
SESSION_KEY = "oidc_states"
BROWSER_STATES = 5
TENANT_PATH = re.compile(r"^/t/([a-z0-9-]{1,63})/")


def _state():
    return current_app.extensions["samverka"]


def _enabled_provider() -> TenantIdentityProvider | None:
    provider = services.provider_of(db.session)
    return provider if provider is not None and provider.enabled else None


@bp.get("/t/<tenant>/login")
@public
def tenant_login():
    """The tenant's own login address: the login page, with the tenant's provider offered."""
    next_path = safe_next(request.args.get("next"), "")
    return redirect(url_for("auth.login", tenant=g.tenant.slug, **({"next": next_path} if next_path else {})))


@bp.get("/t/<tenant>/login/oidc")
@public
@limited("oidc", limit=30, window=60, methods=("GET",))
def start():
    provider = _enabled_provider()
    if provider is None:
        return _not_offered()
    next_path = safe_next(request.args.get("next"), "") or None
    try:
        started = services.start_login(db.session, provider, _state().settings, next_path=next_path,
                                       redirect_uri=external_url("oidc.callback"))
    except services.OidcError as exc:
        db.session.rollback()
        return _failed(provider, exc)
    db.session.commit()
    session[SESSION_KEY] = [started.state, *session.get(SESSION_KEY, [])][:BROWSER_STATES]
    return redirect(started.url)


@bp.get("/t/<tenant>/login/oidc/callback")
@public
@limited("oidc", limit=30, window=60, methods=("GET",))
def callback():
    provider = _enabled_provider()
    if provider is None:
        return _not_offered()
    state = request.args.get("state")
    browser_states = list(session.get(SESSION_KEY, []))
    session[SESSION_KEY] = [s for s in browser_states if s != state]
    try:
        login = services.take_state(db.session, state, browser_states)
        if request.args.get("error"):
            raise services.OidcError("provider_error")
        claims = services.exchange_code(g.tenant, provider, _state().settings, login, request.args.get("code"))
        with db.session.begin_nested():  # a refusal undoes any account change, not the used state
            result = services.user_for_claims(db.session, _state().roles, g.tenant, provider, claims,
                                              tuple(current_app.config["SAMVERKA_LANGUAGES"]))
    except services.OidcError as exc:
        return _failed(provider, exc)
    if result.created or result.granted:
        with acting_as(Actor(user_id=result.user.id, client_address=request.remote_addr)):
            if result.created:
                audit.record(db.session, "user.create", object_type="user", object_id=result.user.id,
                             detail={"method": "oidc"})
            if result.granted:
                audit.record(db.session, "role.grant", object_type="user", object_id=result.user.id,
                             detail={"role": result.granted, "method": "oidc"})
    landing = url_for("tenants.overview", tenant=g.tenant.slug) if result.has_role else None
    return signin.sign_in(result.user, method="oidc", next_url=login.next_path or landing)


def _message(reason: str, provider: TenantIdentityProvider) -> str:
    """Reasons the person signing in can act on get words of their own; the rest a general one."""
    tenant = g.tenant.name
    if reason == "not_invited":
        return _("Your account has no access to %(tenant)s. Ask its administrator to invite you.", tenant=tenant)
    if reason == "domain":
        return _("Your email address cannot be used to sign in to %(tenant)s.", tenant=tenant)
    if reason in {"other_tenants", "platform_admin"}:
        return _("Your account works beyond %(tenant)s: sign in with your email address and password.",
                 tenant=tenant)
    if reason.startswith("state_"):
        return _("The sign-in had expired or was already used. Start again.")
    if reason == "provider_unreachable":
        return _("%(provider)s could not be reached. Try again in a while.", provider=provider.display_name)
    return _("Signing in with %(provider)s did not work. Try again, or ask your administrator for help.",
             provider=provider.display_name)


def _failed(provider: TenantIdentityProvider, error: services.OidcError):
    """Record the refusal (its reason, never a token or claim) and say what to do next."""
    user = error.user
    with acting_as(Actor(user_id=user.id if user else None, label="public", client_address=request.remote_addr)):
        audit.record(db.session, "login.failed", object_type="user" if user else None,
                     object_id=user.id if user else None, detail={"reason": error.reason, "method": "oidc"})
    db.session.commit()
    status = 502 if error.reason == "provider_unreachable" else 401
    return render_template("core/oidc_failed.html", message=_message(error.reason, provider)), status


def _not_offered():
    return render_template("core/oidc_failed.html",
                           message=_("%(tenant)s does not offer single sign-on.", tenant=g.tenant.name)), 404


def login_option() -> dict | None:
    """For the login page: the provider of the tenant named by ``?tenant=`` or by the tenant page
    the visitor was sent from (``?next=/t/<slug>/...``), as the link that starts its sign-in."""
    slug = request.args.get("tenant")
    next_path = safe_next(request.args.get("next"), "")
    if not slug and (match := TENANT_PATH.match(next_path)):
        slug = match.group(1)
    if not slug or len(slug) > 63:
        return None
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        return None
    with tenant_scope(tenant.id):
        provider = _enabled_provider()
    if provider is None:
        return None
    args = {"next": next_path} if next_path else {}
    return {"name": provider.display_name, "url": url_for("oidc.start", tenant=tenant.slug, **args)}


@bp.app_context_processor
def _login_option() -> dict:
    return {"oidc_login_option": login_option}


def _provider_input(form) -> dict:
    """The configuration form as :func:`services.validate_provider` reads it: strings and the
    two boxes as booleans."""
    values = {k: form.get(k, "") for k in ("display_name", "issuer", "client_id", "client_secret_ref",
                                           "allowed_domains", "default_role")}
    values.update(create_users="create_users" in form, enabled="enabled" in form)
    return values


def _save_provider(values: dict) -> None:
    clean = services.validate_provider(g.tenant, _state().roles, _state().settings, values)
    provider, changed = services.save_provider(db.session, clean)
    if changed:
        audit.record(db.session, "identity_provider.change", object_type="identity_provider",
                     object_id=provider.id, detail={"fields": changed})


def _settings_page(values: dict, errors: dict):
    ref = services.secret_ref_for(g.tenant)
    return render_template(
        "core/oidc_settings.html", values=values, errors=errors, secret_ref=ref,
        secret_is_set=bool(os.environ.get(ref)), roles=sorted(_state().roles.roles.values(), key=lambda r: r.key),
        callback_url=external_url("oidc.callback"), login_url=external_url("oidc.tenant_login"),
    )


@bp.route("/t/<tenant>/admin/sign-in", methods=["GET", "POST"])
@requires("core.tenant.admin")
def settings():
    def stored() -> dict:
        provider = services.provider_of(db.session)
        if provider is None:
            return {"enabled": True, "create_users": False, "client_secret_ref": services.secret_ref_for(g.tenant)}
        values = {c: getattr(provider, c) for c in ("display_name", "issuer", "client_id", "client_secret_ref",
                                                    "create_users", "default_role", "enabled")}
        return {**values, "allowed_domains": "\n".join(provider.allowed_domains)}

    return form_page(_settings_page, _save_provider, read=_provider_input, initial=stored,
                     flash_message=_("Single sign-on settings saved."), done=url_for("oidc.settings"))
