"""Single sign-on through each tenant's OpenID Connect provider, as an internal plugin."""

from __future__ import annotations

from core.hookspecs import NavItem, hookimpl


@hookimpl
def samverka_web_blueprints():
    from core.auth.oidc.views import bp

    return [bp]


@hookimpl
def samverka_navigation(tenant):
    return [NavItem("Single sign-on", "oidc.settings", "core.tenant.admin", order=910)]
