"""Tenant rules: turning plugins on and off with validated settings, and reading the tree."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import tenant_scope
from core.errors import FieldError
from core.plugins import PluginRegistry
from core.tenants.models import Tenant, TenantPlugin


class PluginSettingsError(FieldError):
    """The settings do not satisfy the plugin's schema; ``errors`` maps field to messages."""

    def __init__(self, plugin: str, errors: dict[str, Any]) -> None:
        super().__init__(errors)
        self.args = (f"invalid settings for plugin {plugin}: {errors}",)
        self.plugin = plugin


class PluginRefused(FieldError):
    """The plugin refused to be turned on for the tenant (its ``samverka_tenant_enabled`` raised
    ``ValueError``); the message is its reason, shown with the settings as a whole (``_schema``)."""

    def __init__(self, plugin: str, reason: str) -> None:
        super().__init__({"_schema": [reason]})
        self.args = (reason,)
        self.plugin = plugin


class UnknownPluginError(LookupError):
    def __init__(self, plugin: str) -> None:
        super().__init__(f"no plugin {plugin!r} is installed")
        self.plugin = plugin


def validate_settings(registry: PluginRegistry, plugin: str, settings: dict[str, Any] | None) -> dict:
    """Load ``settings`` through the plugin's schema and return the stored (dumped) form."""
    loaded = registry.plugins.get(plugin)
    if loaded is None:
        raise UnknownPluginError(plugin)
    schema_class = loaded.info.settings_schema
    if schema_class is None:
        if settings:
            raise PluginSettingsError(plugin, {"_schema": ["this plugin takes no settings"]})
        return {}
    schema = schema_class()
    try:
        return schema.dump(schema.load(settings or {}))
    except ValidationError as exc:
        raise PluginSettingsError(plugin, exc.normalized_messages()) from None


def plugin_state(session: Session, tenant: Tenant, plugin: str) -> TenantPlugin | None:
    with tenant_scope(tenant.id):
        return session.scalar(select(TenantPlugin).where(TenantPlugin.plugin == plugin))


def enable_plugin(
    session: Session,
    registry: PluginRegistry,
    tenant: Tenant,
    plugin: str,
    settings: dict[str, Any] | None = None,
) -> TenantPlugin:
    """Turn ``plugin`` on for ``tenant`` (or change its settings); the plugin may refuse.

    ``settings=None`` keeps the tenant's current settings, or the schema defaults.
    """
    with tenant_scope(tenant.id):
        row = session.scalar(select(TenantPlugin).where(TenantPlugin.plugin == plugin))
        if settings is None and row is not None:
            settings = row.settings
        stored = validate_settings(registry, plugin, settings)
        if row is None:
            row = TenantPlugin(plugin=plugin, tenant_id=tenant.id)
            session.add(row)
        row.enabled = True
        row.settings = stored
        session.flush()
        try:
            registry.call_one(plugin, "samverka_tenant_enabled", session=session, tenant=tenant, settings=stored)
        except ValueError as exc:
            raise PluginRefused(plugin, str(exc)) from exc
        return row


def disable_plugin(session: Session, registry: PluginRegistry, tenant: Tenant, plugin: str) -> bool:
    """Turn ``plugin`` off for ``tenant``, keeping its records; False when it was not on."""
    if plugin not in registry.plugins:
        raise UnknownPluginError(plugin)
    with tenant_scope(tenant.id):
        row = session.scalar(select(TenantPlugin).where(TenantPlugin.plugin == plugin))
        if row is None or not row.enabled:
            return False
        row.enabled = False
        session.flush()
        registry.call_one(plugin, "samverka_tenant_disabled", session=session, tenant=tenant)
        return True


def plugin_settings(session: Session, plugin: str) -> dict[str, Any]:
    """The current tenant's stored settings for ``plugin`` (empty when never configured)."""
    row = session.scalar(select(TenantPlugin).where(TenantPlugin.plugin == plugin))
    return dict(row.settings) if row is not None else {}


def plugin_tenants(session: Session, plugin: str, tenant_ids: list[int], *,
                   enabled: bool | None = None) -> dict[int, dict[str, Any]]:
    """Of ``tenant_ids``, those that have a row for ``plugin`` and its stored settings, from one
    query: every such tenant (``enabled=None``), or only those with it on (True) or off (False).
    Runs in the caller's tenant scope (an aggregate over several tenants, as core/stats sets it)."""
    if not tenant_ids:
        return {}
    stmt = select(TenantPlugin.tenant_id, TenantPlugin.settings).where(
        TenantPlugin.tenant_id.in_(tenant_ids), TenantPlugin.plugin == plugin)
    if enabled is not None:
        stmt = stmt.where(TenantPlugin.enabled.is_(enabled))
    return {tenant_id: dict(settings or {}) for tenant_id, settings in session.execute(stmt)}


def enabled_tenants(session: Session, tenant_ids: list[int]) -> dict[str, list[int]]:
    """For each plugin, which of ``tenant_ids`` have it on (one query, for operators)."""
    if not tenant_ids:
        return {}
    found: dict[str, list[int]] = {}
    with tenant_scope(*tenant_ids):
        rows = session.execute(
            select(TenantPlugin.plugin, TenantPlugin.tenant_id).where(TenantPlugin.enabled.is_(True))
        )
        for plugin, tenant_id in rows:
            found.setdefault(plugin, []).append(tenant_id)
    return found

