"""The plugin contract: every hook a programme plugin (or core itself) may implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Mapping, NamedTuple, get_args

import pluggy

if TYPE_CHECKING:
    from flask import Blueprint as WebBlueprint
    from flask_smorest import Blueprint as ApiBlueprint
    from marshmallow import Schema
    from sqlalchemy.orm import Session

    from core.people.models import Consent, Person
    from core.sessions.models import ScheduledSession
    from core.tenants.models import Tenant

PROJECT = "samverka"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class PluginInfo:
    """Who a plugin is. ``key`` names its URLs, tables (``<key>_*``) and migration branch."""

    key: str
    title: str
    version: str
    description: str = ""
    #: A marshmallow schema class validating this plugin's per-tenant settings.
    settings_schema: type[Schema] | None = None
    #: The folder of the plugin's own gettext catalogs (``<lang>/LC_MESSAGES/messages.mo``),
    #: merged after core's: a plugin's pages and labels speak the user's language.
    translations: Path | None = None


@dataclass(frozen=True)
class Permission:
    key: str
    description: str


@dataclass(frozen=True)
class Role:
    """A role that can be granted to a user at a tenant, and the permissions it carries."""

    key: str
    title: str
    permissions: frozenset[str]
    description: str = ""


@dataclass(frozen=True)
class NavItem:
    """A link in the tenant's navigation, shown only to holders of ``permission``."""

    label: str
    endpoint: str
    permission: str
    order: int = 100
    params: dict[str, Any] = field(default_factory=dict)


class Rate(NamedTuple):
    """A rate or median with the number of people it stands on: core/stats hides the figure
    where ``base`` is below five, so it never reveals a handful of people."""

    value: float
    base: int


#: What a metric's figures are. A "count" is summed into a total and suppressed below five
#: (1-4 show as "<5"); a "rate" or "median" gets no total, and is hidden where the
#: :class:`Rate` it returns stands on fewer than five people.
MetricKind = Literal["count", "rate", "median"]


@dataclass(frozen=True)
class Metric:
    """A figure for national comparison, computed per tenant and aggregated in core/stats."""

    key: str
    title: str
    #: ``compute(session, tenant_ids) -> {tenant_id: figure}``; returns aggregates only.
    #: A figure is a number, or for a "rate" or "median" a :class:`Rate` (a bare number is
    #: shown as it is). A tenant it leaves out gets 0.
    compute: Callable[[Session, list[int]], Mapping[int, float | Rate]]
    kind: MetricKind = "count"

    def __post_init__(self) -> None:
        if self.kind not in get_args(MetricKind):
            raise ValueError(f"metric {self.key!r}: kind {self.kind!r} is not one of {get_args(MetricKind)}")


@dataclass(frozen=True)
class DueJob:
    """Work that falls due (reminders, expiries, retention), run by ``samverka jobs run``.

    ``run(session, tenant, now)`` is called inside the tenant's scope and must be
    idempotent: running it twice at the same ``now`` changes nothing the second time.
    With ``needs_hooks`` it is called with ``hooks=`` too: the tenant's relay, for core
    jobs that ask every enabled plugin (retention asks each to erase its part).
    """

    key: str
    run: Callable[..., int]
    every: timedelta = timedelta(minutes=15)
    needs_hooks: bool = False


@dataclass
class ErasureReport:
    """What a plugin erased or anonymised for one person, described without the data."""

    erased: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    #: Reasons the plugin must keep something (a legal hold, a retention duty).
    kept: list[str] = field(default_factory=list)


@hookspec
def samverka_plugin_info() -> PluginInfo:
    """Describe the plugin; every plugin must answer.

    Called once per plugin at registration, on that plugin alone, before anything else of it.
    Collected (pluggy gathers a list), though core only reads each plugin's own answer.

    :returns: a :class:`PluginInfo` whose ``key`` equals the plugin's entry-point name.
    """


@hookspec
def samverka_web_blueprints() -> list[WebBlueprint]:
    """Give the plugin's HTML blueprints.

    Called once at registration (to check their names) and once at start-up (to mount them).
    Collected: every plugin's list, each mounted under its own key. A programme plugin's
    blueprints are named ``<key>`` or ``<key>_...``, or the plugin is left out; they are
    mounted under ``/t/<tenant>/<key>/``, and requests for a tenant that has not enabled the
    plugin answer 404 before any view runs.

    :returns: flask blueprints.
    """


@hookspec
def samverka_api_blueprints() -> list[ApiBlueprint]:
    """Give the plugin's flask-smorest blueprints.

    Called once at registration (to check their names) and once at start-up (to mount them).
    Collected: every plugin's list, each mounted under its own key. Named like web blueprints
    (``<key>`` or ``<key>_...``); mounted under ``/api/v1/t/<tenant>/<key>/`` and documented
    in the OpenAPI document; like web blueprints they answer 404 for tenants without the plugin.

    :returns: flask-smorest blueprints.
    """


@hookspec
def samverka_migrations() -> Path | None:
    """Give the folder of the plugin's alembic branch (``branch_labels=("<key>",)``), whose
    first revision depends on core's.

    Called once whenever migrations run. Collected: every plugin's folder joins alembic's
    version locations.

    :returns: the folder, or None when the plugin has no tables.
    """


@hookspec
def samverka_permissions() -> list[Permission]:
    """Give the permissions the plugin checks (keys prefixed ``<key>.``).

    Called once at start-up. Collected: every plugin's permissions join one registry.

    :returns: the plugin's permissions.
    """


@hookspec
def samverka_roles() -> list[Role]:
    """Give the roles the plugin adds (keys prefixed ``<key>.``), grantable at a tenant.

    Called once at start-up. Collected: every plugin's roles join one registry.

    :returns: the plugin's roles.
    """


@hookspec
def samverka_navigation(tenant: Tenant) -> list[NavItem]:
    """Give navigation items for ``tenant``.

    Called once per page, through the tenant's relay, so only plugins the tenant has enabled
    are asked. Collected: every plugin's items, sorted by ``order``; each is shown only to
    holders of its permission.

    :param tenant: the tenant whose page is drawn.
    :returns: the plugin's links.
    """


@hookspec
def samverka_metrics() -> list[Metric]:
    """Give the plugin's metrics for national comparison.

    Called once at start-up. Collected: every plugin's metrics join one registry, by key.

    :returns: the plugin's metrics (a "rate" or "median" computes :class:`Rate` figures).
    """


@hookspec
def samverka_person_export(session: Session, person: Person) -> dict[str, Any] | None:
    """Give everything the plugin holds about ``person`` as JSON-ready data.

    Called once per export through the person's tenant relay, inside that tenant's scope.
    Collected, one plugin at a time: the export holds each plugin's answer under its key.

    :param session: the database session, in the person's tenant.
    :param person: the person exported.
    :returns: the plugin's data, or None when it holds nothing about the person.
    """


@hookspec
def samverka_person_erase(session: Session, person: Person, anonymise: bool) -> ErasureReport | None:
    """Erase (or, with ``anonymise``, strip identifying fields from) the plugin's records of
    ``person``, honouring its own retention duties, and say what was done.

    Called once per erasure through the person's tenant relay, before core erases the
    person, with the person's row locked; runs in the caller's transaction, so a failure
    anywhere erases nothing. Collected, one plugin at a time: the reports are keyed by
    plugin, and a reason in any report's ``kept`` makes core anonymise instead of delete.

    :param session: the database session, in the person's tenant.
    :param person: the person erased.
    :param anonymise: True to keep the records without anything identifying, False to delete.
    :returns: what was done, or None when the plugin held nothing about the person.
    """


@hookspec
def samverka_people_held(session: Session, person_ids: list[int]) -> Iterable[int] | None:
    """Say which of ``person_ids`` the plugin still holds records of (anything its export
    would show), so a plugin erasing its own part knows whether the person record may go too.

    Called once for a whole batch of people (never once per person) through the tenant's
    relay, inside its scope, by ``core.people.services.held_by_plugins`` for erasure and
    retention; the asking plugin is left out. Collected: an id any plugin names is
    held. Answer with a fixed number of queries whatever the number of ids.

    :param session: the database session, in the tenant of the people.
    :param person_ids: the people asked about.
    :returns: the ids among ``person_ids`` the plugin holds (None or empty when none).
    """


@hookspec
def samverka_consent_withdrawn(session: Session, person: Person, consent: Consent) -> None:
    """Stop the processing ``consent`` covered (its ``plugin`` says whose it was).

    Called once per withdrawal through the person's tenant relay, inside the tenant's scope
    and the withdrawal's transaction; a plugin whose consent it is not returns at once.
    Collected, and nothing is read from the answers.

    :param session: the database session, in the person's tenant.
    :param person: the person who withdrew.
    :param consent: the consent withdrawn (``withdrawn_on`` is set).
    :returns: nothing.
    """


@hookspec
def samverka_session_titles(session: Session, sessions: list[ScheduledSession], language: str) -> dict[int, str] | None:
    """Give the titles of the plugin's own sessions among ``sessions`` (those whose
    ``plugin`` is the plugin's key) in ``language``, so a title stored language-neutral is
    read in the reader's language.

    Called once per list, page, feed or answer that shows session titles (never once per
    session), through the tenant's relay, inside its scope. Collected: every plugin's titles
    are merged; a session no plugin names keeps its stored title.

    :param session: the database session, in the tenant.
    :param sessions: the sessions shown, of any plugin.
    :param language: the reader's language (``sv``, ``da``, ``fi``, ``en``).
    :returns: ``{session id: title}``, or None when none is the plugin's.
    """


@hookspec
def samverka_demo_data(session: Session, tenant: Tenant) -> None:
    """Add realistic demo records for ``tenant``; must be idempotent.

    Called by ``samverka demo load`` once per tenant, through the tenant's relay (so only
    plugins the tenant has enabled are asked), inside that tenant's scope. Collected, and
    nothing is read from the answers.

    :param session: the database session, in the tenant.
    :param tenant: the tenant to fill.
    :returns: nothing.
    """


@hookspec
def samverka_due_jobs() -> list[DueJob]:
    """Give the plugin's due-jobs.

    Called once at start-up. Collected: every plugin's jobs join one registry, keyed
    ``<plugin>.<job key>``; ``samverka jobs run`` runs each for every tenant that has the
    plugin enabled.

    :returns: the plugin's due-jobs.
    """


@hookspec
def samverka_tenant_enabled(session: Session, tenant: Tenant, settings: dict[str, Any]) -> None:
    """Prepare for ``tenant`` turning the plugin on (or changing its settings): defaults,
    preconditions (raise ``ValueError`` to refuse; nothing is saved then).

    Called when the plugin is enabled or its settings change, inside the tenant's scope and
    transaction, on the plugin being enabled only. Collected, and nothing is read from the
    answers.

    :param session: the database session, in the tenant.
    :param tenant: the tenant turning the plugin on.
    :param settings: the validated settings, as stored.
    :returns: nothing.
    """


@hookspec
def samverka_tenant_disabled(session: Session, tenant: Tenant) -> None:
    """Note that ``tenant`` turned the plugin off. Records are kept; the plugin only stops
    answering for that tenant.

    Called when the plugin is disabled, on the plugin being disabled only. Collected, and
    nothing is read from the answers.

    :param session: the database session, in the tenant.
    :param tenant: the tenant turning the plugin off.
    :returns: nothing.
    """
