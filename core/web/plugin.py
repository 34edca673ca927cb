"""Core's web shell as an internal plugin."""

from __future__ import annotations

from core.hookspecs import hookimpl


@hookimpl
def samverka_web_blueprints():
    from core.web.views import bp

    return [bp]
