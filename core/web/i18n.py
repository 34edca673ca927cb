"""Interface languages: sv, da, fi, en, chosen by the user, the tenant or the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from flask import Flask, g, has_request_context, request, session

from flask_babel import get_locale

from core.extensions import babel
from core.settings import Settings
from core.tenants.services import local_time
from core.web.strings import label

LANGUAGE_NAMES = {"sv": "Svenska", "da": "Dansk", "fi": "Suomi", "en": "English"}


def init_app(app: Flask, settings: Settings, plugin_catalogs: Iterable[Path] = ()) -> None:
    """Pick each request's language; ``plugin_catalogs`` are plugins' translation folders,
    read after core's own (a plugin's translation of a shared word wins on its pages too)."""
    supported = [lang for lang in settings.languages if lang in LANGUAGE_NAMES]

    def select_locale() -> str:
        if not has_request_context():  # commands and jobs: their texts pick a language themselves
            return settings.default_language
        chosen = session.get("language")
        if chosen in supported:
            return chosen
        tenant = g.get("tenant")
        if tenant is not None and tenant.languages:
            offered = [lang for lang in tenant.languages if lang in supported] or supported
            return request.accept_languages.best_match(offered) or offered[0]
        return request.accept_languages.best_match(supported) or settings.default_language

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(["translations", *(str(p) for p in plugin_catalogs)])
    app.config["SAMVERKA_LANGUAGES"] = supported

    def select_timezone() -> str | None:
        """Dates and times on a tenant's pages (the ``datetimeformat`` filters) in its clock."""
        tenant = g.get("tenant") if has_request_context() else None
        return tenant.timezone if tenant is not None else None

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["label"] = label  # enum values, in the current language
    # A stored moment on the current tenant's clock, for strftime in templates.
    app.jinja_env.filters["local"] = lambda moment: local_time(moment, g.get("tenant")) if moment else moment

    @app.context_processor
    def _languages() -> dict:
        return {
            "language_names": {k: LANGUAGE_NAMES[k] for k in supported},
            "current_locale": lambda: str(get_locale() or settings.default_language),
        }
