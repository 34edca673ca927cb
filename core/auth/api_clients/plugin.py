"""API clients (OAuth2 client credentials) as an internal plugin: pages, API, token endpoint."""

from __future__ import annotations

from core.hookspecs import NavItem, hookimpl


@hookimpl
def samverka_web_blueprints():
    from core.auth.api_clients.views import bp

    return [bp]


@hookimpl
def samverka_api_blueprints():
    from core.auth.api_clients.api import bp as api
    from core.auth.api_clients.oauth import bp as oauth

    return [api, oauth]


@hookimpl
def samverka_navigation(tenant):
    return [NavItem("API clients", "api_clients.index", "core.tenant.admin", order=920)]
