"""The VIP plugin's hook implementations: everything core learns about VIP comes from here."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from core.hookspecs import DueJob, NavItem, Permission, PluginInfo, Role, hookimpl
from plugins.vip import models  # noqa: F401  (the tables must be known before migrations run)
from plugins.vip import strings  # noqa: F401  (registers the labels of the enums)
from plugins.vip.settings import KEY, VipSettings

HERE = Path(__file__).resolve().parent

PERMISSIONS = [
    Permission("vip.view", "See the VIP overview, the waitlists and the groups"),
    Permission("vip.applications", "Handle VIP applications, the waitlist and offers of places"),
    Permission("vip.groups", "Form VIP groups, assign their leaders and plan their meetings"),
    Permission("vip.attendance", "Record attendance at VIP group meetings"),
    Permission("vip.outreach", "Record who was informed about VIP and offered a place"),
    Permission("vip.training", "Run leader training courses and keep the national register of trained leaders"),
]

_STAFF = {"core.tenant.view", "core.people.read", "vip.view"}

ROLES = [
    Role("vip.coordinator", "VIP coordinator",
         frozenset(_STAFF | {"core.people.write", "vip.applications", "vip.groups", "vip.attendance", "vip.outreach"}),
         "Runs the VIP course in the organisation: applications, waitlists, groups, outreach"),
    Role("vip.leader", "VIP group leader", frozenset(_STAFF | {"vip.attendance"}),
         "Leads VIP groups and records attendance"),
    Role("vip.trainer", "VIP leader trainer", frozenset({"core.tenant.view", "vip.view", "vip.training"}),
         "Runs the leader training courses of the training organisation"),
]


@hookimpl
def samverka_plugin_info():
    return PluginInfo(
        key=KEY, title="VIP", version="1.0",
        description=strings.DESCRIPTION,
        settings_schema=VipSettings, translations=HERE / "translations",
    )


@hookimpl
def samverka_web_blueprints():
    from plugins.vip.views import bp

    return [bp]


@hookimpl
def samverka_api_blueprints():
    from plugins.vip.api import api

    return [api]


@hookimpl
def samverka_migrations():
    return HERE / "migrations"


@hookimpl
def samverka_permissions():
    return PERMISSIONS


@hookimpl
def samverka_roles():
    return ROLES


@hookimpl
def samverka_navigation(tenant):
    return [NavItem("VIP", "vip.overview", "vip.view", order=40)]


@hookimpl
def samverka_metrics():
    from plugins.vip.services.metrics import METRICS

    return METRICS


def _expire_offers(session, tenant, now):
    from plugins.vip.services.offers import expire_due_offers

    return expire_due_offers(session, tenant, now)


def _reminders(session, tenant, now):
    from plugins.vip.services.meetings import send_reminders

    return send_reminders(session, tenant, now)


def _group_statuses(session, tenant, now):
    from plugins.vip.services.groups import advance_statuses

    return advance_statuses(session, tenant, now)


def _retention(session, tenant, now, hooks):
    from plugins.vip.services.retention import erase_unplaced

    return erase_unplaced(session, tenant, now, hooks)


@hookimpl
def samverka_due_jobs():
    return [
        DueJob("expire_offers", _expire_offers, every=timedelta(minutes=15)),
        DueJob("reminders", _reminders, every=timedelta(minutes=15)),
        DueJob("group_statuses", _group_statuses, every=timedelta(hours=1)),
        DueJob("retention", _retention, every=timedelta(hours=6), needs_hooks=True),
    ]


@hookimpl
def samverka_person_export(session, person):
    from plugins.vip.services.export import export_person

    return export_person(session, person)


@hookimpl
def samverka_person_erase(session, person, anonymise):
    from plugins.vip.services.export import erase_person

    return erase_person(session, person, anonymise)


@hookimpl
def samverka_people_held(session, person_ids):
    from plugins.vip.services.export import held

    return held(session, person_ids)


@hookimpl
def samverka_consent_withdrawn(session, person, consent):
    if consent.plugin != KEY:
        return
    from plugins.vip.services.applications import consent_withdrawn

    consent_withdrawn(session, person, consent)


@hookimpl
def samverka_session_titles(session, sessions, language):
    from plugins.vip.services.meetings import session_titles

    return session_titles(session, sessions, language)


@hookimpl
def samverka_demo_data(session, tenant):
    from plugins.vip.demo import load

    load(session, tenant)
