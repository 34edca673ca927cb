"""The one door into core for plugins: every name a plugin may use, documented in docs/plugins.md.

A plugin imports ``core.toolkit`` and ``core.hookspecs`` and nothing else of core; everything
else is core's own and may change without notice (tests/core/test_toolkit.py holds plugins to
it). Each name below is re-exported from where core keeps it, so a plugin and core share one
implementation; what is not listed here is private to core.
"""

from __future__ import annotations

from flask_babel import force_locale, format_date, format_datetime, format_time, get_locale
from flask_babel import gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext

from core.audit.services import Actor, acting_as, current_actor
from core.audit.services import record as record_audit
from core.auth.guard import current_user, has_permission
from core.auth.models import User
from core.auth.permissions import declared_permission, public, requires
from core.auth.services import staff_emails, staff_of_tenant, staff_query, staff_roles, upsert_local_user
from core.csvfile import writer as csv_writer
from core.db import (
    MAX_ID,
    Base,
    TenantOwned,
    UtcDateTime,
    Versioned,
    as_utc,
    current_tenant_id,
    db,
    utcnow,
)
from core.errors import Conflict, FieldError, NotFound, conflict_on_integrity_error, get_or_404, get_or_invalid
from core.extensions import current_roles, current_vault
from core.hookspecs import hookimpl
from core.jobs.emails import queue_email, queued_keys, recipient_language, render_email, tenant_url
from core.migrations.versioned import add_versioned_columns, drop_versioned_columns
from core.offers.models import OfferMixin, OfferStatus
from core.offers.pages import AnswerPage, answer_page
from core.offers.services import (
    OfferAnswered,
    OfferConflict,
    OfferExpired,
    answer_offer,
    expire_offers,
    is_expired,
    issue_offer,
    lock_offer,
    offer_for_token,
    withdraw_offer,
)
from core.pagination import (
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    Page,
    PageArgsSchema,
    page_schema,
    paginate,
    requested_page,
)
from core.people.matching import (
    MATCH_REASONS,
    Match,
    MatchProfile,
    find_matches,
    match_candidates,
    parse_candidate_national_id,
)
from core.people.models import Consent, ConsentGiver, Person
from core.people.national_id import NationalId, NationalIdError
from core.people.national_id import parse as parse_national_id
from core.people.services import (
    Duplicate,
    LegalHold,
    PersonError,
    PersonGone,
    add_consent,
    create_person,
    erase_person,
    find_duplicates,
    get_person,
    has_consent,
    held_by_plugins,
    lock_people,
    open_person,
    person_or_404,
    person_or_invalid,
    search_people,
)
from core.people.services import shown as shown_person
from core.people.services import update_person
from core.people.vault import Vault
from core.plugins import TenantHooks
from core.sessions.forms import read_attendance
from core.sessions.models import Attendance, AttendanceStatus, ScheduledSession, SessionLeader
from core.sessions.schemas import ID, AttendanceInSchema, AttendanceSchema
from core.sessions.services import (
    SessionError,
    create_session,
    has_started,
    record_attendance,
    statuses_open,
    update_session,
)
from core.tenants.clock import current_tenant, current_zone, from_local, local, local_time, zone
from core.tenants.models import Tenant
from core.tenants.services import plugin_settings, plugin_tenants
from core.tokens import digest as digest_token
from core.tokens import lookup_digest
from core.tokens import matches as token_matches
from core.tokens import new_token
from core.validation import FreeText, Name, ShortText, TextError, clean_fields, clean_into, clean_text
from core.web.errors import PROBLEM_JSON, abort_invalid
from core.web.forms import form_page, load_input, read_date, read_moment, read_time, typed_answers
from core.web.idempotency import idempotent
from core.web.openapi import ProblemSchema, conflict_response
from core.web.ratelimit import limited
from core.web.strings import N_, label, register_field_labels, register_labels
from core.web.urls import external_url
from core.web.views import permitted_links

__all__ = [
    # The contract's marker (the dataclasses a hook returns are in core.hookspecs).
    "hookimpl",
    # Database: the request's session, models owned by a tenant, time.
    "db", "Base", "TenantOwned", "Versioned", "UtcDateTime", "MAX_ID", "current_tenant_id", "utcnow", "as_utc",
    # Migrations.
    "add_versioned_columns", "drop_versioned_columns",
    # Errors services raise; core maps them to 422, 409 and 404 for pages and the API.
    "FieldError", "Conflict", "NotFound", "get_or_404", "get_or_invalid", "conflict_on_integrity_error",
    # Permissions.
    "requires", "public", "declared_permission", "has_permission", "current_user", "User",
    # Staff: users holding any role at the current tenant (and, for aggregates, at several).
    "staff_query", "staff_of_tenant", "staff_roles", "staff_emails", "upsert_local_user", "current_roles",
    # Pagination of lists (pages and API).
    "Page", "PageArgsSchema", "page_schema", "paginate", "requested_page",
    "DEFAULT_PER_PAGE", "MAX_PER_PAGE", "MAX_PAGE",
    # Audit.
    "record_audit", "Actor", "acting_as", "current_actor",
    # People, consent, national IDs.
    "Person", "Consent", "ConsentGiver", "Vault", "current_vault", "Duplicate",
    "PersonError", "PersonGone", "LegalHold",
    "create_person", "update_person", "get_person", "open_person", "person_or_404", "person_or_invalid",
    "shown_person", "search_people",
    "lock_people", "find_duplicates", "add_consent", "has_consent", "erase_person", "held_by_plugins",
    "NationalId", "NationalIdError", "parse_national_id",
    # Person matching for duplicates (national ID, name + contact, name + birth year).
    "MatchProfile", "Match", "MATCH_REASONS", "find_matches", "match_candidates", "parse_candidate_national_id",
    # Scheduled sessions and attendance.
    "ScheduledSession", "SessionLeader", "Attendance", "AttendanceStatus", "SessionError",
    "create_session", "update_session", "record_attendance", "has_started", "statuses_open",
    "ID", "AttendanceInSchema", "AttendanceSchema",
    # Tenants, their plugin settings and their clock (stored UTC <-> the tenant's local time).
    "Tenant", "TenantHooks", "plugin_settings", "plugin_tenants",
    "current_tenant", "zone", "current_zone", "local", "local_time", "from_local",
    # Tokens in links and cookies: shown once, only their digest stored.
    "new_token", "digest_token", "lookup_digest", "token_matches",
    # Email to a person or contact in their language, from templates, queued in the outbox.
    "queue_email", "queued_keys", "recipient_language", "render_email", "tenant_url",
    # Offers with a deadline: the model's columns, one-time answers, expiry, the public answer page.
    "OfferMixin", "OfferStatus", "OfferConflict", "OfferAnswered", "OfferExpired",
    "issue_offer", "offer_for_token", "is_expired", "lock_offer", "answer_offer", "withdraw_offer",
    "expire_offers", "AnswerPage", "answer_page",
    # Text people type, CSV files.
    "Name", "ShortText", "FreeText", "TextError", "clean_text", "clean_into", "clean_fields", "csv_writer",
    # HTTP: problem documents, idempotent creation, rate limits, links that leave the request.
    "PROBLEM_JSON", "ProblemSchema", "abort_invalid", "conflict_response", "idempotent", "limited",
    "external_url", "permitted_links",
    # Form pages: one path (GET renders; POST loads the API's input schema, then 422 with the
    # answers kept, or commit, flash, redirect), and readers of what a form's fields hold.
    "form_page", "load_input", "typed_answers", "read_date", "read_time", "read_moment", "read_attendance",
    # Language: translation, labels of enums and fields, dates in the reader's language.
    "_", "gettext", "ngettext", "lazy_gettext", "N_", "force_locale", "get_locale",
    "format_date", "format_time", "format_datetime",
    "label", "register_labels", "register_field_labels",
]
