"""Core's audit log as an internal plugin."""

from __future__ import annotations

from core.hookspecs import NavItem, hookimpl


@hookimpl
def samverka_web_blueprints():
    from core.audit.views import bp

    return [bp]


@hookimpl
def samverka_navigation(tenant):
    return [NavItem("Audit log", "audit.index", "core.audit.read", order=950)]
