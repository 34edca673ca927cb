"""Tenant pages: overview, plugins on and off, settings forms; installed plugins for operators."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.auth.permissions import requires
from core.db import db
from core.tenants import services
from core.tenants.models import Tenant, TenantPlugin
from core.web.forms import describe, form_page, read_form

bp = Blueprint("tenants", __name__)


def _registry():
    return current_app.extensions["samverka"].registry


def _installed(key: str):
    loaded = _registry().plugins.get(key)
    if loaded is None:
        abort(404)
    return loaded


@bp.get("/t/<tenant>/")
@requires("core.tenant.view")
def overview():
    states = {row.plugin: row for row in db.session.scalars(select(TenantPlugin))}
    plugins = [(p, states.get(k)) for k, p in sorted(_registry().plugins.items()) if k in g.enabled_plugins]
    return render_template("tenants/overview.html", plugins=plugins)


@bp.get("/t/<tenant>/admin/plugins")
@requires("core.tenant.admin")
def plugins():
    states = {row.plugin: row for row in db.session.scalars(select(TenantPlugin))}
    rows = [(p, states.get(k)) for k, p in sorted(_registry().plugins.items())]
    return render_template("tenants/plugins.html", rows=rows)


@bp.route("/t/<tenant>/admin/plugins/<key>", methods=["GET", "POST"])
@requires("core.tenant.admin")
def plugin_settings(key: str):
    """The plugin's settings form, generated from its settings schema (which the service loads,
    for the API's PUT too): saving it turns the plugin on; the plugin may refuse, saying why."""
    loaded = _installed(key)
    schema = loaded.info.settings_schema() if loaded.info.settings_schema else None
    state = services.plugin_state(db.session, g.tenant, key)
    stored = dict(state.settings) if state else {}

    def read(form) -> dict:
        return read_form(schema, form) if schema else {}

    def render(typed, errors):
        values = {**stored, **typed, **read(request.form)} if request.method == "POST" else typed
        form = describe(schema, values) if schema else []
        return render_template("tenants/plugin_settings.html", plugin=loaded, state=state, form=form, errors=errors)

    return form_page(
        render, lambda raw: services.enable_plugin(db.session, _registry(), g.tenant, key, raw), read=read,
        initial=stored, flash_message=_("Settings saved and %(plugin)s is on.", plugin=_(loaded.info.title)),
        done=url_for("tenants.plugin_settings", key=key))


@bp.post("/t/<tenant>/admin/plugins/<key>/enable")
@requires("core.tenant.admin")
def enable(key: str):
    loaded = _installed(key)
    try:
        services.enable_plugin(db.session, _registry(), g.tenant, key)
    except ValueError as exc:
        db.session.rollback()
        flash(_("%(plugin)s could not be turned on: %(reason)s", plugin=_(loaded.info.title), reason=exc), "error")
        return redirect(url_for("tenants.plugin_settings", key=key))
    db.session.commit()
    flash(_("%(plugin)s is on.", plugin=_(loaded.info.title)), "success")
    return redirect(url_for("tenants.plugins"))


@bp.post("/t/<tenant>/admin/plugins/<key>/disable")
@requires("core.tenant.admin")
def disable(key: str):
    loaded = _installed(key)
    services.disable_plugin(db.session, _registry(), g.tenant, key)
    db.session.commit()
    flash(_("%(plugin)s is off. Its records are kept.", plugin=_(loaded.info.title)), "success")
    return redirect(url_for("tenants.plugins"))


@bp.get("/platform/plugins")
@requires("core.platform")
def platform_plugins():
    registry = _registry()
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.name)).all()
    by_id = {t.id: t for t in tenants}
    enabled = services.enabled_tenants(db.session, list(by_id))
    usage = {key: sorted((by_id[i] for i in enabled.get(key, ())), key=lambda t: t.name) for key in registry.plugins}
    return render_template("tenants/platform_plugins.html", registry=registry, usage=usage)
