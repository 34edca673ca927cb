"""The ``samverka`` command: database, tenants, plugins, users, demo data and jobs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import create_engine, select

from core.db import db, tenant_scope
from core.settings import Settings, SettingsError


def _create_app():
    from core.app import create_app

    try:
        return create_app(Settings.from_env())
    except SettingsError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """Samverka: the platform Nordic municipalities run their social programmes on."""


def _state():
    return current_app.extensions["samverka"]


def _tenant(slug: str):
    from core.tenants.models import Tenant

    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r}")
    return tenant


# -- database -------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Migrations: one core branch, one branch per plugin."""


def _migration_url() -> str:
    settings = _state().settings
    return settings.migration_database_url or settings.database_url


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every branch's migrations up to its head, then row-level security."""
    from alembic import command

    from core.migrations import alembic_config, rls

    url = _migration_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(_state().registry, url), "heads")
    engine = create_engine(url)
    with engine.begin() as connection:
        secured = rls.apply(connection, _state().settings.database_app_role)
    engine.dispose()
    if secured:
        click.echo(f"row-level security on {len(secured)} tenant tables")
    click.echo("database is up to date")


@db_group.command("heads")
@with_appcontext
def db_heads() -> None:
    """Show each branch's head."""
    from alembic import command

    from core.migrations import alembic_config

    command.heads(alembic_config(_state().registry, _migration_url()), verbose=False)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--branch", default="core", show_default=True, help="core or a plugin key")
@click.option("--autogenerate/--empty", default=True)
@with_appcontext
def db_revision(message: str, branch: str, autogenerate: bool) -> None:
    """Write a new migration on one branch (for plugin authors and core developers)."""
    from alembic import command

    from core.migrations import alembic_config

    command.revision(
        alembic_config(_state().registry, _migration_url()),
        message=message,
        autogenerate=autogenerate,
        head=f"{branch}@head",
    )


# -- tenants --------------------------------------------------------------------------


@main.group("tenants")
def tenants_group() -> None:
    """Tenant configuration as code."""


@tenants_group.command("sync")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def tenants_sync(directory: Path) -> None:
    """Create or update the tenants described in DIRECTORY/*.toml (idempotent)."""
    from core.tenants.sync import TenantConfigError, sync_tenants

    try:
        report = sync_tenants(db.session, _state().registry, directory)
    except TenantConfigError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    for change in report.changes:
        click.echo(change)
    click.echo(f"{len(report.changes)} change(s)" if report.changes else "no changes")


# -- plugins --------------------------------------------------------------------------


@main.group("plugins")
def plugins_group() -> None:
    """Installed plugins and which tenants have them on."""


@plugins_group.command("list")
@with_appcontext
def plugins_list() -> None:
    """List installed plugins, their versions and the tenants that enabled them."""
    from core.tenants import services
    from core.tenants.models import Tenant

    registry = _state().registry
    tenants = {t.id: t.slug for t in db.session.scalars(select(Tenant))}
    usage = services.enabled_tenants(db.session, list(tenants))
    if not registry.plugins and not registry.failed:
        click.echo("no plugins installed")
    for key, loaded in sorted(registry.plugins.items()):
        enabled = sorted(tenants[i] for i in usage.get(key, ()))
        click.echo(f"{key}\t{loaded.info.version}\t{loaded.info.title}\tenabled for: {', '.join(enabled) or '-'}")
    for key, reason in sorted(registry.failed.items()):
        click.echo(f"{key}\tFAILED\t{reason}")


@plugins_group.command("enable")
@click.argument("tenant")
@click.argument("plugin")
@click.option("--settings", "settings_json", help="The plugin's settings as a JSON object.")
@with_appcontext
def plugins_enable(tenant: str, plugin: str, settings_json: str | None) -> None:
    """Turn PLUGIN on for TENANT, validating its settings."""
    from core.tenants import services

    settings = None
    if settings_json is not None:
        try:
            settings = json.loads(settings_json)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"--settings is not valid JSON: {exc}") from None
        if not isinstance(settings, dict):
            raise click.ClickException("--settings must be a JSON object")
    target = _tenant(tenant)
    try:
        services.enable_plugin(db.session, _state().registry, target, plugin, settings)
    except services.PluginSettingsError as exc:
        db.session.rollback()
        for field, messages in sorted(exc.errors.items()):
            click.echo(f"  {field}: {'; '.join(map(str, messages)) if isinstance(messages, list) else messages}", err=True)
        raise click.ClickException(f"the settings for {plugin} are not valid") from None
    except (services.UnknownPluginError, ValueError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"{plugin} is on for {tenant}")


@plugins_group.command("disable")
@click.argument("tenant")
@click.argument("plugin")
@with_appcontext
def plugins_disable(tenant: str, plugin: str) -> None:
    """Turn PLUGIN off for TENANT (its records are kept)."""
    from core.tenants import services

    try:
        changed = services.disable_plugin(db.session, _state().registry, _tenant(tenant), plugin)
    except services.UnknownPluginError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"{plugin} is off for {tenant}" if changed else f"{plugin} was not on for {tenant}")


# -- users ----------------------------------------------------------------------------


@main.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, metavar="ROLE@TENANT", help="Grant a role, e.g. tenant_admin@eskilstuna.")
@click.option("--platform-admin", is_flag=True)
@with_appcontext
def users_create(email: str, name: str, password: str, roles: tuple[str, ...], platform_admin: bool) -> None:
    """Create a local account, or update its name, password and roles if it exists."""
    from core.auth import services

    grants = []
    for spec in roles:
        role, _, slug = spec.partition("@")
        if not slug:
            raise click.ClickException(f"--role {spec!r} must look like ROLE@TENANT")
        grants.append((role, _tenant(slug)))
    try:
        user = services.upsert_local_user(
            db.session, _state().roles, email=email, name=name, password=password,
            grants=grants, platform_admin=platform_admin,
        )
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"user {user.email} is ready")


# -- jobs -----------------------------------------------------------------------------


@main.group("jobs")
def jobs_group() -> None:
    """Due-jobs and the notification outbox."""


@jobs_group.command("run")
@click.option("--now", "now_text", metavar="ISO", help="Run as at this time (ISO 8601; without an offset, UTC).")
@with_appcontext
def jobs_run(now_text: str | None) -> None:
    """Run every due job for every tenant, then send the outbox; exits 1 when a job failed."""
    from datetime import datetime

    from core.db import utcnow
    from core.jobs.services import run_due_jobs

    try:
        now = datetime.fromisoformat(now_text) if now_text else utcnow()
    except ValueError:
        raise click.BadParameter(f"{now_text!r} is not an ISO 8601 time", param_hint="--now") from None
    report = run_due_jobs(db.session, _state(), now)
    _echo_report(report)
    if report.failed:
        sys.exit(1)


@jobs_group.command("loop")
@click.option("--every", default=60.0, show_default=True, type=click.FloatRange(min=0), metavar="SECONDS",
              help="Seconds between runs.")
@click.option("--times", type=click.IntRange(min=1), help="Stop after this many runs (default: run until stopped).")
@with_appcontext
def jobs_loop(every: float, times: int | None) -> None:
    """Run the due-jobs and send the outbox every SECONDS until stopped: the demo's cron.

    A run that breaks (the database away a moment) is logged and the loop goes on; Ctrl+C or
    SIGTERM stops it. In production schedule `samverka jobs run` instead (cron, a CronJob).
    """
    import time

    from core.db import utcnow
    from core.jobs.services import run_due_jobs

    runs = 0
    try:
        while True:
            started = time.monotonic()
            try:
                _echo_report(run_due_jobs(db.session, _state(), utcnow()))
            except Exception:  # the next run tries again; a loop that dies sends nothing more
                db.session.rollback()
                current_app.logger.exception("the due-jobs run failed; trying again in %s seconds", every)
            finally:
                db.session.remove()  # each run starts from the database, not from what the last one loaded
            runs += 1
            if times is not None and runs >= times:
                return
            time.sleep(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        click.echo("stopped")


def _echo_report(report) -> None:
    delivery = report.delivery
    click.echo(f"{report.ran} job(s) run, {len(report.failed)} failed; "
               f"{delivery.sent} message(s) sent, {delivery.retrying} to retry, {delivery.failed} failed for good")
    for failed in report.failed:
        click.echo(f"failed: {failed}", err=True)


# -- demo and keys --------------------------------------------------------------------


@main.group("demo")
def demo_group() -> None:
    """The embedded demo."""


@demo_group.command("load")
@with_appcontext
def demo_load() -> None:
    """Ask every plugin for demo data in each tenant that has it on (idempotent)."""
    from core.tenants.models import Tenant, TenantPlugin

    registry = _state().registry
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.slug)).all()
    for tenant in tenants:
        with tenant_scope(tenant.id):
            enabled = db.session.scalars(select(TenantPlugin.plugin).where(TenantPlugin.enabled.is_(True))).all()
            registry.relay(enabled).samverka_demo_data(session=db.session, tenant=tenant)
    db.session.commit()
    click.echo(f"demo data loaded for {len(tenants)} tenants")


@main.group("keys")
def keys_group() -> None:
    """Key material."""


@keys_group.command("generate")
def keys_generate() -> None:
    """Print fresh values for SAMVERKA_SECRET_KEY, _ENCRYPTION_KEY and _INDEX_KEY."""
    import secrets

    from core.people.vault import generate_key

    click.echo(f"SAMVERKA_SECRET_KEY={secrets.token_urlsafe(48)}")
    click.echo(f"SAMVERKA_ENCRYPTION_KEY={generate_key()}")
    click.echo(f"SAMVERKA_INDEX_KEY={generate_key()}")
if __name__ == "__main__":
    main()
