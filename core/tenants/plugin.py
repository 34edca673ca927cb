"""Core's tenant pages and API as an internal plugin."""

from __future__ import annotations

from core.hookspecs import NavItem, hookimpl


@hookimpl
def samverka_web_blueprints():
    from core.tenants.views import bp

    return [bp]


@hookimpl
def samverka_api_blueprints():
    from core.tenants.api import bp

    return [bp]


@hookimpl
def samverka_navigation(tenant):
    return [
        NavItem("Overview", "tenants.overview", "core.tenant.view", order=0),
        NavItem("Plugins", "tenants.plugins", "core.tenant.admin", order=900),
    ]
