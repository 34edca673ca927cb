"""The partner plugin's contract with Samverka: every hook it implements."""

from __future__ import annotations

from pathlib import Path

from core.hookspecs import Metric, NavItem, Permission, PluginInfo, Role
from core.toolkit import N_, hookimpl
from samverka_partner import models  # noqa: F401  (the table must be known before migrations run)
from samverka_partner import services
from samverka_partner.api import api
from samverka_partner.views import web

HERE = Path(__file__).resolve().parent


@hookimpl
def samverka_plugin_info():
    return PluginInfo(key="partner", title=N_("Partner programme"), version="0.3.0",
                      description=N_("Notes the staff keep about the people in the programme."),
                      translations=HERE / "translations")


@hookimpl
def samverka_web_blueprints():
    return [web]


@hookimpl
def samverka_api_blueprints():
    return [api]


@hookimpl
def samverka_migrations():
    return HERE / "migrations"


@hookimpl
def samverka_permissions():
    return [Permission("partner.view", N_("See the partner programme's notes")),
            Permission("partner.write", N_("Write notes in the partner programme"))]


@hookimpl
def samverka_roles():
    return [Role("partner.staff", N_("Partner staff"),
                 frozenset({"partner.view", "partner.write", "core.tenant.view"}))]


@hookimpl
def samverka_navigation(tenant):
    return [NavItem(N_("Partner notes"), "partner.index", "partner.view")]


@hookimpl
def samverka_metrics():
    return [Metric("partner.people_with_notes", N_("People with partner notes"), services.people_with_notes)]


@hookimpl
def samverka_person_export(session, person):
    return services.export(session, person)


@hookimpl
def samverka_person_erase(session, person, anonymise):
    return services.erase(session, person)


@hookimpl
def samverka_people_held(session, person_ids):
    return services.people_held(session, person_ids)
