"""The application factory: db, auth, plugin manager, blueprints, in that order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask
from flask_limiter import Limiter
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from core import extensions
from core.auth.permissions import RoleRegistry, public
from core.db import MAX_ID, db
from core.people.vault import Vault
from core.plugins import PluginRegistry, call_each
from core.settings import Settings

log = logging.getLogger(__name__)

#: Core's own modules, registered as internal plugins so core and plugins take one path.
INTERNAL_PLUGINS = (
    ("tenants", "core.tenants.plugin"),
    ("auth", "core.auth.plugin"),
    ("oidc", "core.auth.oidc.plugin"),
    ("people", "core.people.plugin"),
    ("sessions", "core.sessions.plugin"),
    ("audit", "core.audit.plugin"),
    ("stats", "core.stats.plugin"),
    ("demo", "core.demo"),
    ("web", "core.web.plugin"),
    ("jobs", "core.jobs.plugin"),
    ("api_clients", "core.auth.api_clients.plugin"),
)


class IdConverter(IntegerConverter):
    """``<int:...>`` up to ``MAX_ID``: a larger number is a 404 like any unknown id, never an
    overflow in the database driver (a 500). The OpenAPI document shows the bound."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


@dataclass
class SamverkaState:
    """What the app keeps about its plugins, at ``app.extensions["samverka"]``."""

    settings: Settings
    registry: PluginRegistry
    api: Api | None = None
    vault: Vault | None = None
    limiter: Limiter | None = None
    roles: RoleRegistry | None = None
    #: Blueprint name -> plugin key, so requests to a disabled plugin answer 404.
    blueprint_plugins: dict[str, str] = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    due_jobs: dict = field(default_factory=dict)


def create_app(settings: Settings | None = None, *, discover: bool = True, plugins: tuple = ()) -> Flask:
    """Build an app. ``plugins`` registers extra plugin modules (tests) beside discovered ones."""
    import importlib

    settings = settings or Settings.from_env()
    app = Flask("core", template_folder="web/templates", static_folder="web/static")
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_NAME="samverka_session",
        API_TITLE="Samverka",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": "Samverka REST API. Tenant data lives under /api/v1/t/<tenant>/."}},
        BABEL_DEFAULT_LOCALE=settings.default_language,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        # A request naming another Host is a 400: no page, link or redirect can be built from it.
        TRUSTED_HOSTS=settings.allowed_hosts,
    )
    logging.basicConfig(level=settings.log_level)

    db.configure(settings.database_url)

    registry = PluginRegistry(disabled=settings.disabled_plugins)
    for key, module_name in INTERNAL_PLUGINS:
        registry.register_internal(importlib.import_module(module_name), key)
    if discover:
        registry.discover()
    for module in plugins:
        registry.register(module, source="test")
    vault = Vault.from_settings(settings.encryption_key, settings.index_key, settings.old_encryption_keys)
    state = SamverkaState(settings=settings, registry=registry, vault=vault)
    app.extensions["samverka"] = state

    from core.auth import guard
    from core.web import errors, i18n, inputs, ratelimit, security
    from core.web.openapi import SamverkaApi

    extensions.csrf.init_app(app)
    i18n.init_app(app, settings, [p.info.translations for p in registry.plugins.values() if p.info.translations])
    state.api = SamverkaApi(app)
    _declare_public(app, "api-docs.openapi_json")
    _declare_public(app, "static")  # stylesheets carry no data; the login page needs them
    errors.init_app(app)
    security.init_app(app, settings)
    app.before_request(inputs.check_path)  # before the gate, which looks the tenant up
    app.before_request(inputs.check_json_shape)  # before anything parses a JSON body
    guard.init_app(app)
    app.before_request(inputs.check_body)
    _build_registries(state)
    state.api.declare_security(state.roles.permissions, app.config["SESSION_COOKIE_NAME"])
    _register_blueprints(app, state)
    state.limiter = ratelimit.init_app(app, settings)

    from core.web.views import navigation

    app.context_processor(lambda: {"navigation": navigation})

    @app.teardown_appcontext
    def _remove_session(_exc=None) -> None:
        db.session.remove()

    return app


def _declare_public(app: Flask, endpoint: str) -> None:
    """Mark a view that an extension registered (a bound method) as public."""
    original = app.view_functions[endpoint]

    def view(*args, **kwargs):
        return original(*args, **kwargs)

    app.view_functions[endpoint] = public(view)


def _build_registries(state: SamverkaState) -> None:
    hook = state.registry.hook
    permissions = [p for group in hook.samverka_permissions() for p in group]
    roles = [r for group in hook.samverka_roles() for r in group]
    state.roles = RoleRegistry(permissions, roles)
    state.metrics = {m.key: m for group in hook.samverka_metrics() for m in group}
    state.due_jobs = {}
    for answer in call_each(hook.samverka_due_jobs):
        for job in answer.result or ():
            state.due_jobs[f"{answer.key}.{job.key}"] = (answer.key, answer.internal, job)


def _register_blueprints(app: Flask, state: SamverkaState) -> None:
    hook = state.registry.hook
    for answer in call_each(hook.samverka_web_blueprints):
        for bp in answer.result or ():
            prefix = bp.url_prefix if answer.internal else f"/t/<tenant>/{answer.plugin}{bp.url_prefix or ''}"
            app.register_blueprint(bp, url_prefix=prefix)
            if not answer.internal:
                state.blueprint_plugins[bp.name] = answer.plugin
    for answer in call_each(hook.samverka_api_blueprints):
        for bp in answer.result or ():
            base = "/api/v1/t/<tenant>" if answer.internal else f"/api/v1/t/<tenant>/{answer.plugin}"
            # JSON bodies cannot be sent cross-site without CORS; bearer clients carry no cookie.
            extensions.csrf.exempt(bp)
            state.api.register_blueprint(bp, url_prefix=f"{base}{bp.url_prefix or ''}")
            if not answer.internal:
                state.blueprint_plugins[bp.name] = answer.plugin
