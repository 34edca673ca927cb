"""Core's people registry as an internal plugin."""

from __future__ import annotations

from datetime import timedelta

from core.hookspecs import DueJob, NavItem, hookimpl


@hookimpl
def samverka_web_blueprints():
    from core.people.views import bp

    return [bp]


@hookimpl
def samverka_api_blueprints():
    from core.people.api import bp

    return [bp]


@hookimpl
def samverka_navigation(tenant):
    return [NavItem("People", "people.index", "core.people.read", order=10)]


def _retention(session, tenant, now, hooks):
    from core.people.services import enforce_retention

    return enforce_retention(session, hooks, now.date())


@hookimpl
def samverka_due_jobs():
    return [DueJob("retention", _retention, every=timedelta(hours=6), needs_hooks=True)]
