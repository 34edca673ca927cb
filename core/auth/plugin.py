"""Core's sign-in, permissions and roles as an internal plugin."""

from __future__ import annotations

from core.hookspecs import NavItem, Permission, Role, hookimpl

CORE_PERMISSIONS = [
    Permission("core.platform", "Operate the installation: installed plugins, all tenants"),
    Permission("core.tenant.view", "See the tenant's overview"),
    Permission("core.tenant.admin", "Turn plugins on and off and change their settings"),
    Permission("core.people.read", "Read people's records"),
    Permission("core.people.write", "Add and change people's records"),
    Permission("core.people.protected", "See contact details of people with a protected identity"),
    Permission("core.people.export", "Export everything held about a person"),
    Permission("core.people.erase", "Erase or anonymise a person on request"),
    Permission("core.sessions.read", "See sessions and attendance"),
    Permission("core.sessions.write", "Plan sessions and record attendance"),
    Permission("core.stats.read", "See aggregate statistics of the tenant's subtree and node members"),
    Permission("core.audit.read", "Read the audit log"),
]

_STAFF = {"core.tenant.view", "core.people.read", "core.people.write", "core.sessions.read", "core.sessions.write"}

CORE_ROLES = [
    Role(
        "tenant_admin",
        "Tenant administrator",
        frozenset(_STAFF | {"core.tenant.admin", "core.stats.read", "core.audit.read", "core.people.export",
                            "core.people.erase"}),
        "Configures the tenant: users, roles, plugins and their settings",
    ),
    Role("staff", "Programme staff", frozenset(_STAFF), "Runs the daily work of the tenant's programmes"),
    Role(
        "coordinator",
        "Coordinator",
        frozenset({"core.tenant.view", "core.stats.read"}),
        "Sees aggregates of the tenant's subtree and node members, never personal data",
    ),
    Role(
        "protected_identity_officer",
        "Protected identity officer",
        frozenset({"core.tenant.view", "core.people.read", "core.people.protected"}),
        "Named staff who may see contact details of people with a protected identity",
    ),
    Role("auditor", "Auditor", frozenset({"core.tenant.view", "core.audit.read"}), "Reads the audit log"),
]


@hookimpl
def samverka_permissions():
    return CORE_PERMISSIONS


@hookimpl
def samverka_roles():
    return CORE_ROLES


@hookimpl
def samverka_web_blueprints():
    from core.auth.admin import bp as admin
    from core.auth.admin import invitations
    from core.auth.views import bp

    return [bp, admin, invitations]


@hookimpl
def samverka_navigation(tenant):
    return [NavItem("Users and roles", "users.index", "core.tenant.admin", order=920)]
