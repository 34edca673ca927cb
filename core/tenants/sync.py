"""Tenant configuration as code: load tenants/*.toml and bring the database in line."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.plugins import PluginRegistry
from core.tenants.models import Tenant, TenantKind, TenantPlugin
from core.tenants.services import PluginSettingsError, UnknownPluginError, validate_settings
from core.db import tenant_scope
from core.validation import Name

SLUG = validate.Regexp(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", error="use lowercase letters, digits and hyphens")
LANGUAGES = ("sv", "da", "fi", "en")


class PluginEntrySchema(Schema):
    enabled = fields.Boolean(load_default=True)
    settings = fields.Dict(keys=fields.String(), load_default=dict)


class TenantFileSchema(Schema):
    slug = fields.String(required=True, validate=SLUG)
    name = Name(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.Enum(TenantKind, by_value=True, required=True)
    parent = fields.String(load_default=None, validate=SLUG)
    country = fields.String(load_default=None, validate=validate.OneOf(["SE", "DK", "FI", "NO", "IS"]))
    languages = fields.List(fields.String(validate=validate.OneOf(LANGUAGES)), load_default=list)
    members = fields.List(fields.String(validate=SLUG), load_default=list)
    require_admin_totp = fields.Boolean(load_default=False)
    plugins = fields.Dict(keys=fields.String(), values=fields.Nested(PluginEntrySchema), load_default=dict)

    @validates_schema
    def _shape(self, data: dict, **_kwargs) -> None:
        if data["kind"] is TenantKind.country and not data.get("country"):
            raise ValidationError("a country needs its ISO code", "country")
        if data["kind"] is not TenantKind.country and not data.get("parent"):
            raise ValidationError("every tenant but a country needs a parent", "parent")
        if data["members"] and data["kind"] is not TenantKind.node:
            raise ValidationError("only a node has members", "members")


class TenantConfigError(ValueError):
    """A tenant file is invalid; the message names the file and the field."""

    def __init__(self, path: Path | str, field_name: str, message: str) -> None:
        super().__init__(f"{path}: {field_name}: {message}")
        self.path = str(path)
        self.field = field_name


@dataclass
class SyncReport:
    changes: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.changes.append(message)


def load_directory(directory: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Read and validate every ``*.toml`` file; raise on the first bad file."""
    entries: dict[str, tuple[Path, dict[str, Any]]] = {}
    files = sorted(Path(directory).glob("*.toml"))
    if not files:
        raise TenantConfigError(directory, "-", "no tenant files (*.toml) found")
    for path in files:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise TenantConfigError(path, "-", f"not valid TOML ({exc})") from None
        try:
            data = TenantFileSchema().load(raw)
        except ValidationError as exc:
            name, message = _first_error(exc.normalized_messages())
            raise TenantConfigError(path, name, message) from None
        if data["slug"] in entries:
            raise TenantConfigError(path, "slug", f"{data['slug']!r} is also in {entries[data['slug']][0]}")
        entries[data["slug"]] = (path, data)
    return entries


def _first_error(messages: dict, prefix: str = "") -> tuple[str, str]:
    key, value = next(iter(sorted(messages.items(), key=lambda kv: str(kv[0]))))
    name = f"{prefix}.{key}" if prefix else str(key)
    if isinstance(value, dict):
        return _first_error(value, name)
    return name, "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def sync_tenants(session: Session, registry: PluginRegistry, directory: Path) -> SyncReport:
    """Create or update the tenants in ``directory`` and their plugins, in the caller's
    transaction. Raises :class:`TenantConfigError` before writing when a file is invalid."""
    entries = load_directory(directory)
    existing = {t.slug: t for t in session.scalars(select(Tenant))}
    order = _parents_first(entries, existing)
    _check_plugins(registry, entries)

    report = SyncReport()
    tenants: dict[str, Tenant] = dict(existing)
    for slug in order:
        path, data = entries[slug]
        parent = tenants.get(data["parent"]) if data["parent"] else None
        country = data["country"] or (parent.country if parent else None)
        wanted = {
            "name": data["name"],
            "kind": data["kind"],
            "parent": parent,
            "country": country,
            "languages": data["languages"] or (parent.languages if parent else ["en"]),
            "require_admin_totp": data["require_admin_totp"],
        }
        tenant = tenants.get(slug)
        if tenant is None:
            tenant = Tenant(slug=slug, **wanted)
            session.add(tenant)
            tenants[slug] = tenant
            report.add(f"created tenant {slug}")
        else:
            changed = [k for k, v in wanted.items() if getattr(tenant, k) != v]
            for key in changed:
                setattr(tenant, key, wanted[key])
            if changed:
                report.add(f"updated tenant {slug}: {', '.join(changed)}")
    session.flush()

    for slug in order:
        path, data = entries[slug]
        tenant = tenants[slug]
        members = [tenants[m] for m in data["members"]]
        if {m.id for m in tenant.members} != {m.id for m in members}:
            tenant.members = members
            report.add(f"set members of {slug}: {', '.join(data['members']) or '(none)'}")
        _sync_plugins(session, registry, tenant, data["plugins"], report)
    session.flush()
    return report


def _parents_first(entries: dict, existing: dict[str, Tenant]) -> list[str]:
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(slug: str, trail: tuple[str, ...]) -> None:
        if state.get(slug) == "done":
            return
        path, data = entries[slug]
        if state.get(slug) == "visiting":
            raise TenantConfigError(path, "parent", f"cycle: {' > '.join(trail + (slug,))}")
        state[slug] = "visiting"
        parent = data["parent"]
        if parent is not None:
            if parent in entries:
                visit(parent, trail + (slug,))
            elif parent not in existing:
                raise TenantConfigError(path, "parent", f"no tenant {parent!r}")
        for member in data["members"]:
            if member not in entries and member not in existing:
                raise TenantConfigError(path, "members", f"no tenant {member!r}")
        state[slug] = "done"
        order.append(slug)

    for slug in sorted(entries):
        visit(slug, ())
    return order


def _check_plugins(registry: PluginRegistry, entries: dict) -> None:
    for slug, (path, data) in entries.items():
        for plugin, entry in data["plugins"].items():
            try:
                entry["settings"] = validate_settings(registry, plugin, entry["settings"])
            except UnknownPluginError:
                raise TenantConfigError(path, f"plugins.{plugin}", "no such plugin is installed") from None
            except PluginSettingsError as exc:
                name, message = _first_error(exc.errors)
                raise TenantConfigError(path, f"plugins.{plugin}.settings.{name}", message) from None


def _sync_plugins(session: Session, registry: PluginRegistry, tenant: Tenant, wanted: dict, report: SyncReport) -> None:
    with tenant_scope(tenant.id):
        rows = {row.plugin: row for row in session.scalars(select(TenantPlugin))}
        for plugin, entry in sorted(wanted.items()):
            row = rows.get(plugin)
            if row is None:
                row = TenantPlugin(plugin=plugin, enabled=entry["enabled"], settings=entry["settings"])
                session.add(row)
                session.flush()
                report.add(f"{'enabled' if entry['enabled'] else 'added (off)'} {plugin} for {tenant.slug}")
            elif (row.enabled, row.settings) != (entry["enabled"], entry["settings"]):
                row.enabled, row.settings = entry["enabled"], entry["settings"]
                session.flush()
                report.add(f"updated {plugin} for {tenant.slug}")
            else:
                continue
            hook = "samverka_tenant_enabled" if row.enabled else "samverka_tenant_disabled"
            kwargs = {"settings": row.settings} if row.enabled else {}
            registry.call_one(plugin, hook, session=session, tenant=tenant, **kwargs)
        for plugin, row in sorted(rows.items()):
            if plugin not in wanted and row.enabled:
                row.enabled = False
                report.add(f"disabled {plugin} for {tenant.slug} (not in its file)")
                session.flush()
                if plugin in registry.plugins:
                    registry.call_one(plugin, "samverka_tenant_disabled", session=session, tenant=tenant)
