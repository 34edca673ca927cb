"""Words the interface shows that ``pybabel extract`` cannot find on its own.

Templates translate some values only at render time: the navigation labels
(``_(item.label)`` in base.html) and enum values (the ``label`` filter). pybabel sees only
literal strings, so each of them is written here once inside ``N_()``, a no-op marker that
is among pybabel's default keywords, and so lands in the catalogs. A new NavItem label in
core, or a new member of one of these enums, belongs here too: tests/core/web/test_i18n.py
checks both.
"""

from __future__ import annotations

from enum import Enum

from flask_babel import gettext

from core.jobs.models import OutboxStatus
from core.people.models import ConsentGiver
from core.sessions.models import AttendanceStatus
from core.tenants.models import TenantKind


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


#: The labels of core's NavItems (core/*/plugin.py).
NAVIGATION = (
    N_("Overview"),
    N_("People"),
    N_("Sessions"),
    N_("Calendar feeds"),
    N_("Statistics"),
    N_("Plugins"),
    N_("Single sign-on"),
    N_("Audit log"),
    N_("API clients"),
    N_("Users and roles"),
)

#: The titles of core's roles (core/auth/plugin.py), shown on the users page.
ROLE_TITLES = (
    N_("Tenant administrator"),
    N_("Programme staff"),
    N_("Coordinator"),
    N_("Protected identity officer"),
    N_("Auditor"),
)

#: What each of core's roles is for (core/auth/plugin.py), shown where roles are chosen.
ROLE_DESCRIPTIONS = (
    N_("Configures the tenant: users, roles, plugins and their settings"),
    N_("Runs the daily work of the tenant's programmes"),
    N_("Sees aggregates of the tenant's subtree and node members, never personal data"),
    N_("Named staff who may see contact details of people with a protected identity"),
    N_("Reads the audit log"),
)

#: The descriptions of core's permissions (core/auth/plugin.py), shown where API client scopes
#: are chosen.
PERMISSION_DESCRIPTIONS = (
    N_("Operate the installation: installed plugins, all tenants"),
    N_("See the tenant's overview"),
    N_("Turn plugins on and off and change their settings"),
    N_("Read people's records"),
    N_("Add and change people's records"),
    N_("See contact details of people with a protected identity"),
    N_("Export everything held about a person"),
    N_("Erase or anonymise a person on request"),
    N_("See sessions and attendance"),
    N_("Plan sessions and record attendance"),
    N_("See aggregate statistics of the tenant's subtree and node members"),
    N_("Read the audit log"),
)

#: The titles of core's metrics (core/stats/metrics.py), shown as column headings.
METRIC_TITLES = (
    N_("People registered"),
    N_("Sessions held"),
)

#: Enum member -> English label (the msgid).
LABELS: dict[type[Enum], dict[Enum, str]] = {
    TenantKind: {
        TenantKind.country: N_("Country"),
        TenantKind.region: N_("Region"),
        TenantKind.node: N_("Node"),
        TenantKind.municipality: N_("Municipality"),
        TenantKind.organisation: N_("Organisation"),
    },
    AttendanceStatus: {
        AttendanceStatus.present: N_("Present"),
        AttendanceStatus.absent_with_notice: N_("Absent with notice"),
        AttendanceStatus.absent: N_("Absent"),
        AttendanceStatus.cancelled: N_("Cancelled"),
    },
    ConsentGiver: {
        # TRANSLATORS: who gave a consent: the person themself (shown in lower case).
        ConsentGiver.self: N_("self"),
        ConsentGiver.guardian: N_("guardian"),
        ConsentGiver.legal_representative: N_("legal representative"),
    },
    OutboxStatus: {
        # TRANSLATORS: an email waiting to be sent.
        OutboxStatus.pending: N_("Queued"),
        OutboxStatus.sent: N_("Sent"),
        OutboxStatus.failed: N_("Failed"),
    },
}


#: Field name -> label (the msgid) of what a person's export holds (core/people/schemas.py);
#: plugins add theirs with :func:`register_field_labels`. The export page shows the labels.
FIELD_LABELS: dict[str, str] = {
    "id": N_("Number"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "birth_date": N_("Date of birth"),
    "birth_year": N_("Year of birth"),
    "gender": N_("Gender"),
    "preferred_language": N_("Preferred language"),
    "interpreter_needed": N_("Needs an interpreter"),
    "interpreter_language": N_("Interpreter language"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "address": N_("Address"),
    "protected_identity": N_("Protected identity"),
    "contact_withheld": N_("Contact details withheld"),
    "national_id_country": N_("Country of the national identity number"),
    "national_id_masked": N_("National identity number (masked)"),
    "created_at": N_("Created"),
    "updated_at": N_("Last changed"),
    "purpose": N_("Purpose"),
    "plugin": N_("Programme"),
    "given_by": N_("Given by"),
    "given_on": N_("Date given"),
    "withdrawn_on": N_("Withdrawn on"),
    "active": N_("In force"),
}


def register_field_labels(labels: dict[str, str]) -> None:
    """Let the export page show a plugin's field names translated; ``labels`` maps each field
    name to its English msgid, marked with ``N_`` in the plugin's own sources. Core's own
    labels win over a plugin's for the same name."""
    for name, msgid in labels.items():
        FIELD_LABELS.setdefault(name, msgid)


def field_label(name: str) -> str:
    """A field name of an export in the current language: the ``field_label`` template filter."""
    msgid = FIELD_LABELS.get(name)
    return gettext(msgid) if msgid else name.replace("_", " ")


def register_labels(enum: type[Enum], labels: dict[Enum, str]) -> None:
    """Let a plugin's enum show translated through the ``label`` filter; ``labels`` maps
    every member to its English msgid, marked with ``N_`` in the plugin's own sources."""
    missing = set(enum) - set(labels)
    if missing:
        raise ValueError(f"labels for {enum.__name__} miss {sorted(m.value for m in missing)}")
    LABELS[enum] = dict(labels)


def label(member: Enum) -> str:
    """``member``'s label in the current language: the ``label`` template filter."""
    msgid = LABELS.get(type(member), {}).get(member)
    return gettext(msgid) if msgid else str(member.value)
