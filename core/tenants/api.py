"""REST endpoints for the tenant and its plugins."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from core.auth.permissions import requires
from core.db import db
from core.tenants import services
from core.tenants.models import TenantPlugin
from core.tenants.schemas import PluginChangeSchema, PluginStateSchema, TenantSchema
from core.web.openapi import conflict_response

bp = Blueprint("tenants_api", __name__, description="The tenant and its plugins")


def _state(key: str, row: TenantPlugin | None) -> dict:
    info = current_app.extensions["samverka"].registry.plugins[key].info
    return {
        "key": key,
        "title": info.title,
        "version": info.version,
        "description": info.description,
        "enabled": bool(row and row.enabled),
        "settings": dict(row.settings) if row else {},
    }


@bp.route("/tenant")
class TenantResource(MethodView):
    @requires("core.tenant.view")
    @bp.response(200, TenantSchema)
    def get(self):
        """The tenant of this URL, with its parent, node members and nodes."""
        return g.tenant


@bp.route("/plugins")
class PluginList(MethodView):
    @requires("core.tenant.admin")
    @bp.response(200, PluginStateSchema(many=True))
    def get(self):
        """Every installed plugin and whether this tenant has it on."""
        rows = {row.plugin: row for row in db.session.scalars(select(TenantPlugin))}
        return [_state(key, rows.get(key)) for key in sorted(current_app.extensions["samverka"].registry.plugins)]


@bp.route("/plugins/<key>")
class PluginResource(MethodView):
    @requires("core.tenant.admin")
    @bp.response(200, PluginStateSchema)
    def get(self, key: str):
        """One plugin's state for this tenant."""
        if key not in current_app.extensions["samverka"].registry.plugins:
            abort(404, message=f"no plugin {key!r} is installed")
        return _state(key, services.plugin_state(db.session, g.tenant, key))

    @requires("core.tenant.admin")
    @bp.arguments(PluginChangeSchema)
    @bp.response(200, PluginStateSchema)
    @conflict_response(bp, "The plugin refused to be turned on for this tenant.")
    def put(self, change: dict, key: str):
        """Turn a plugin on (with settings) or off for this tenant."""
        registry = current_app.extensions["samverka"].registry
        try:
            if change["enabled"]:
                row = services.enable_plugin(db.session, registry, g.tenant, key, change["settings"])
            else:
                services.disable_plugin(db.session, registry, g.tenant, key)
                row = services.plugin_state(db.session, g.tenant, key)
        except services.UnknownPluginError as exc:
            db.session.rollback()
            abort(404, message=str(exc))
        except services.PluginSettingsError as exc:
            db.session.rollback()
            abort(422, errors={"json": {"settings": exc.errors}})
        except ValueError as exc:
            db.session.rollback()
            abort(409, message=str(exc))
        db.session.commit()
        return _state(key, row)
