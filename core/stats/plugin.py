"""Core's statistics (metrics and the aggregate page) as an internal plugin."""

from __future__ import annotations

from core.hookspecs import NavItem, hookimpl


@hookimpl
def samverka_metrics():
    from core.stats.metrics import CORE_METRICS

    return CORE_METRICS


@hookimpl
def samverka_web_blueprints():
    from core.stats.views import bp

    return [bp]


@hookimpl
def samverka_navigation(tenant):
    return [NavItem("Statistics", "stats.index", "core.stats.read", order=800)]
