"""The partner plugin's contract with Samverka."""

from pathlib import Path

from flask import Blueprint
from sqlalchemy import func, select

from core import hookimpl
from core.auth.permissions import requires
from core.db import db
from core.hookspecs import NavItem, Permission, PluginInfo, Role

from samverka_partner.models import PartnerNote

web = Blueprint("partner", __name__)


@web.get("/")
@requires("partner.view")
def index():
    count = db.session.scalar(select(func.count()).select_from(PartnerNote))
    return f"partner notes: {count}"


@hookimpl
def samverka_plugin_info():
    return PluginInfo(key="partner", title="Partner programme", version="0.3.0")


@hookimpl
def samverka_web_blueprints():
    return [web]


@hookimpl
def samverka_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def samverka_permissions():
    return [Permission("partner.view", "See the partner programme")]


@hookimpl
def samverka_roles():
    return [Role("partner.staff", "Partner staff", frozenset({"partner.view", "core.tenant.view"}))]


@hookimpl
def samverka_navigation(tenant):
    return [NavItem("Partner", "partner.index", "partner.view")]
