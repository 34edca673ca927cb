"""The shell: start page and tenant picker, language choice, health probes."""

from __future__ import annotations

from typing import Iterable, TypeVar

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.routing import BuildError
from sqlalchemy import select, text

from core.auth.guard import current_user, has_permission
from core.auth.models import RoleGrant
from core.auth.permissions import PUBLIC, authenticated, declared_permission, public
from core.db import db
from core.tenants.models import Tenant
from core.web.urls import safe_next

bp = Blueprint("web", __name__)
T = TypeVar("T")


@bp.get("/")
@authenticated
def home():
    user = current_user()
    tenants = db.session.scalars(
        select(Tenant)
        .where(Tenant.id.in_(select(RoleGrant.tenant_id).where(RoleGrant.user_id == user.id)))
        .order_by(Tenant.name)
    ).all()
    if len(tenants) == 1 and not user.is_platform_admin:
        return redirect(url_for("tenants.overview", tenant=tenants[0].slug))
    # The outbox page is the demo's mailbox; production mail holds live one-time links.
    outbox_page = user.is_platform_admin and not current_app.extensions["samverka"].settings.is_production
    return render_template("core/home.html", tenants=tenants, outbox_page=outbox_page)


@bp.post("/language")
@public
def set_language():
    language = request.form.get("language")
    if language in current_app.config["SAMVERKA_LANGUAGES"]:
        session["language"] = language
    return redirect(safe_next(request.form.get("next"), url_for("web.home")))


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
@public
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        current_app.logger.exception("readiness check failed")
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/api/docs")
@public
def api_docs():
    """Readable API documentation rendered from the OpenAPI document, no script needed."""
    spec = current_app.extensions["samverka"].api.spec.to_dict()
    groups: dict[str, list[dict]] = {}
    for path, operations in sorted(spec.get("paths", {}).items()):
        shared = operations.get("parameters", [])
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            groups.setdefault(tag, []).append({
                "method": method.upper(),
                "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": [*shared, *operation.get("parameters", [])],
                "body": body.get("$ref", "").rsplit("/", 1)[-1],
                "responses": sorted(operation.get("responses", {}).items()),
            })
    tags = {t["name"]: t.get("description", "") for t in spec.get("tags", [])}
    schemas = spec.get("components", {}).get("schemas", {})
    return render_template("core/api_docs.html", spec=spec, groups=groups, tags=tags, schemas=schemas)


def navigation() -> list:
    """This page's navigation: one relay call, filtered by the user's permissions."""
    tenant = g.get("tenant")
    hooks = g.get("hooks")
    if tenant is None or hooks is None or g.get("user") is None:
        return []
    permissions = g.get("permissions", frozenset())
    items = [i for group in hooks.samverka_navigation(tenant=tenant) for i in group]
    return sorted((i for i in items if i.permission in permissions), key=lambda i: (i.order, i.label))


def permitted_links(links: Iterable[tuple[str, T]]) -> list[tuple[str, T]]:
    """``(url, text)`` for each ``(endpoint, text)`` of ``links`` this user may open here: the
    page exists, the user holds the permission it declares (or it is public), and its address
    needs nothing beyond what the request has (the tenant)."""
    shown = []
    for endpoint, link_text in links:
        view = current_app.view_functions.get(endpoint)
        permission = declared_permission(view, "GET") if view is not None else None
        if permission is None or (permission != PUBLIC and not has_permission(permission)):
            continue
        try:
            shown.append((url_for(endpoint), link_text))
        except BuildError:  # a page that needs more than the tenant in its address
            continue
    return shown
