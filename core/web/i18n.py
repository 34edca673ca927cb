"""Interface languages: sv, da, fi, en, chosen by the user, the tenant or the browser."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterable

from babel.numbers import format_percent
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale, gettext

from core.extensions import babel
from core.settings import Settings
from core.tenants.clock import local_time
from core.web.messages import translate_messages
from core.web.strings import field_label, label

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
        """Dates and times on a tenant's pages (the ``datetimeformat`` filters) in its clock;
        on the platform's own pages in the installation's (``SAMVERKA_TIMEZONE``)."""
        tenant = g.get("tenant") if has_request_context() else None
        return tenant.timezone if tenant is not None else settings.timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["label"] = label  # enum values, in the current language
    app.jinja_env.filters["messages"] = translate_messages  # validation messages, likewise
    app.jinja_env.filters["programme"] = programme
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.filters["percent"] = percent
    # A stored moment on the current tenant's clock, for strftime in templates.
    app.jinja_env.filters["local"] = lambda moment: local_time(moment, g.get("tenant")) if moment else moment

    @app.context_processor
    def _languages() -> dict:
        return {
            "language_names": {k: LANGUAGE_NAMES[k] for k in supported},
            "current_locale": lambda: str(get_locale() or settings.default_language),
            "programmes": programmes,
        }


def percent(value: float) -> str:
    """A share in per cent (0-100) to one decimal, as the reader's locale writes it
    ("72,7 %" in Swedish, "72.7%" in English): the ``percent`` template filter."""
    share = Decimal(str(round(float(value), 1))) / 100
    return format_percent(share, locale=get_locale(), decimal_quantization=False)


def programme(key: str | None) -> str | None:
    """A programme's title in the current language, from its plugin key (the ``programme``
    filter): pages name a programme by its title, never by its key."""
    if not key:
        return key
    loaded = current_app.extensions["samverka"].registry.plugins.get(key)
    return gettext(loaded.info.title) if loaded is not None else key


def programmes() -> list[tuple[str, str]]:
    """The current tenant's programmes as (key, title), by title: choices in forms."""
    keys = g.get("enabled_plugins") or ()
    installed = current_app.extensions["samverka"].registry.plugins
    return sorted(((key, programme(key)) for key in keys if key in installed), key=lambda pair: pair[1])
