"""Core's sessions and attendance as an internal plugin."""

from __future__ import annotations

from core.hookspecs import NavItem, hookimpl


@hookimpl
def samverka_web_blueprints():
    from core.sessions.views import bp

    return [bp]


@hookimpl
def samverka_api_blueprints():
    from core.sessions.api import bp

    return [bp]


@hookimpl
def samverka_navigation(tenant):
    return [
        NavItem("Sessions", "sessions.index", "core.sessions.read", order=20),
        NavItem("Calendar feeds", "sessions.feeds", "core.sessions.write", order=910),
    ]
