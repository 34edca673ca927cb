"""The request gate: resolve the tenant from the URL, the user, and the declared permission."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from core.audit.services import Actor, acting_as
from core.auth.api_clients import bearer as api_bearer
from core.auth import sessions
from core.auth.models import RoleGrant, User, UserSession
from core.auth.permissions import AUTHENTICATED, PUBLIC, declared_permission
from core.db import db, tenant_scope, user_scope
from core.tenants.models import Tenant, TenantPlugin

log = logging.getLogger(__name__)

#: Permission implied for platform admins outside any tenant (installation pages).
PLATFORM_PERMISSION = "core.platform"


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_pop_tenant_slug)
    app.url_defaults(_add_tenant_slug)
    app.before_request(_gate)
    app.teardown_request(_leave_scopes)


def _pop_tenant_slug(endpoint, values) -> None:
    if values and "tenant" in values:
        g.tenant_slug = values.pop("tenant")


def _add_tenant_slug(endpoint: str, values: dict) -> None:
    if "tenant" in values or not getattr(g, "tenant", None):
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "tenant"):
        values["tenant"] = g.tenant.slug


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def current_session() -> UserSession | None:
    """This browser's live session (also one still waiting for its second factor)."""
    if "user_session" not in g:
        row = sessions.resume(db.session, session.get("sid"), timeouts())
        if db.session.dirty:
            db.session.commit()  # the refreshed last-seen time, or a timeout just found
        g.user_session = row
    return g.user_session


def timeouts() -> sessions.Timeouts:
    """How long a browser session lasts unused and at most (the installation's settings)."""
    settings = current_app.extensions["samverka"].settings
    return sessions.Timeouts(idle=timedelta(minutes=settings.session_idle_minutes),
                             absolute=timedelta(hours=settings.session_absolute_hours))


def current_user() -> User | None:
    """The signed-in user of this request; None until a due second factor is passed."""
    if "user" not in g:
        row = current_session()
        g.user = row.user if row is not None and row.fully_authenticated else None
    return g.user


def _enter(scope_cm) -> None:
    scope_cm.__enter__()
    g.setdefault("_scopes", []).append(scope_cm)


def _leave_scopes(_exc=None) -> None:
    for scope_cm in reversed(g.pop("_scopes", [])):
        scope_cm.__exit__(None, None, None)


def _gate():
    if request.endpoint is None:
        return None  # 404 and 405 answer by themselves
    view = current_app.view_functions[request.endpoint]
    permission = declared_permission(view, request.method)
    if permission is None:
        log.error("route %s declares no permission; refusing", request.endpoint)
        abort(403)

    bearer = api_bearer.token_from_request() if is_api_request() else None
    if bearer is not None:
        g.user = None  # a machine client: no session cookie is read
    user = current_user()
    _enter(user_scope(user.id if user else None))
    _enter(acting_as(Actor(user_id=user.id if user else None, label=None if user else "public",
                           client_address=request.remote_addr)))
    slug = g.get("tenant_slug")
    if slug is not None:
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            abort(404)
        g.tenant = tenant
        _enter(tenant_scope(tenant.id))
        enabled = frozenset(
            db.session.scalars(select(TenantPlugin.plugin).where(TenantPlugin.enabled.is_(True)))
        )
        g.enabled_plugins = enabled
        g.hooks = current_app.extensions["samverka"].registry.relay(enabled)
        plugin_key = current_app.extensions["samverka"].blueprint_plugins.get(request.blueprint or "")
        if plugin_key is not None and plugin_key not in enabled:
            abort(404)

    if permission == PUBLIC:
        g.permissions = frozenset()
        return None
    if bearer is not None:
        return _gate_api_client(bearer, permission)
    if user is None:
        if is_api_request():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if permission == AUTHENTICATED and slug is None:
        g.permissions = frozenset({PLATFORM_PERMISSION}) if user.is_platform_admin else frozenset()
        return None
    if slug is None:
        if permission == PLATFORM_PERMISSION and user.is_platform_admin:
            g.permissions = frozenset({PLATFORM_PERMISSION})
            return None
        abort(403)

    roles = db.session.scalars(
        select(RoleGrant.role).where(RoleGrant.user_id == user.id, RoleGrant.tenant_id == g.tenant.id)
    ).all()
    if not roles:
        abort(404)  # a tenant the user has no part in does not exist for them
    g.permissions = current_app.extensions["samverka"].roles.permissions_of(roles)
    if permission != AUTHENTICATED and permission not in g.permissions:
        abort(403)
    return None


def _gate_api_client(token: str, permission: str) -> None:
    """A bearer token: its client acts in its own tenant only, with the token's scopes."""
    access = api_bearer.resolve(token, g.get("tenant"))
    _enter(acting_as(Actor(label=access.actor_label, client_address=request.remote_addr)))
    g.api_client = access
    known = current_app.extensions["samverka"].roles.permissions
    g.permissions = frozenset(scope for scope in access.scopes if scope in known)
    if permission != AUTHENTICATED and permission not in g.permissions:
        abort(403)


def has_permission(permission: str) -> bool:
    return permission in g.get("permissions", frozenset())
