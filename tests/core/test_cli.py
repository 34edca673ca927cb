"""The samverka command: plugins, users and demo data, through the CLI as an operator runs it."""

import json

import pytest
from sqlalchemy import select

from core.auth.models import RoleGrant, User
from core.cli import main
from core.db import tenant_scope
from core.tenants.models import TenantPlugin
from tests.core import sample_plugin


@pytest.fixture
def cli(app, db_session):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_plugins_list_shows_version_and_enabled_tenants(cli, make_tenant):
    make_tenant("gotland", plugins={"sample": {}})
    make_tenant("visby")
    result = cli("plugins", "list")
    assert result.exit_code == 0
    assert "sample\t1.0\tSample programme\tenabled for: gotland" in result.output


def test_plugins_enable_with_settings_and_disable(cli, db_session, make_tenant):
    tenant = make_tenant("kiruna")
    result = cli("plugins", "enable", "kiruna", "sample", "--settings", json.dumps({"participants_per_group": 5}))
    assert result.exit_code == 0, result.output
    with tenant_scope(tenant.id):
        row = db_session.scalar(select(TenantPlugin))
    assert row.enabled and row.settings["participants_per_group"] == 5
    assert cli("plugins", "disable", "kiruna", "sample").output.strip() == "sample is off for kiruna"
    with tenant_scope(tenant.id):
        assert db_session.scalar(select(TenantPlugin.enabled)) is False


def test_plugins_enable_shows_each_invalid_field(cli, db_session, make_tenant):
    tenant_id = make_tenant("lulea").id
    result = cli("plugins", "enable", "lulea", "sample", "--settings",
                 json.dumps({"participants_per_group": 0, "audiences": ["children"]}))
    assert result.exit_code == 1
    assert "participants_per_group: Must be greater than or equal to 1" in result.output
    assert "audiences: " in result.output and "Must be one of" in result.output
    with tenant_scope(tenant_id):
        assert db_session.scalar(select(TenantPlugin)) is None


@pytest.mark.parametrize(("args", "message"), [
    (("enable", "nowhere", "sample"), "no tenant 'nowhere'"),
    (("enable", "umea", "nope"), "no plugin 'nope' is installed"),
    (("enable", "umea", "sample", "--settings", "{bad"), "--settings is not valid JSON"),
    (("enable", "umea", "sample", "--settings", "[1]"), "--settings must be a JSON object"),
])
def test_plugins_enable_bad_input_is_a_clear_error(cli, make_tenant, args, message):
    make_tenant("umea")
    result = cli("plugins", *args)
    assert result.exit_code == 1 and message in result.output


def test_users_create_grants_roles(cli, db_session, make_tenant):
    tenant = make_tenant("falun")
    result = cli("users", "create", "Anna@Example.org", "--name", "Anna", "--password", "a-long-password",
                 "--role", "tenant_admin@falun")
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "Anna@Example.org"))
    with tenant_scope(tenant.id):
        assert db_session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user.id)).all() == ["tenant_admin"]
    assert cli("users", "create", "anna@example.org", "--name", "Anna", "--password", "short").exit_code == 1


def test_hook_demo_data_is_asked_only_of_enabled_plugins(cli, make_tenant):
    make_tenant("mora", plugins={"sample": {}})
    make_tenant("rattvik")
    sample_plugin.calls.clear()
    assert cli("demo", "load").exit_code == 0
    assert sample_plugin.calls == [("demo_data", "mora")]


def test_core_demo_data_is_idempotent(cli, db_session, make_tenant):
    from sqlalchemy import func

    from core.people.models import Person
    from core.sessions.models import ScheduledSession

    tenant_id = make_tenant("eskilstuna", country="SE").id
    cli("demo", "load")
    cli("demo", "load")
    with tenant_scope(tenant_id):
        assert db_session.scalar(select(func.count()).select_from(Person)) == 6
        assert db_session.scalar(select(func.count()).select_from(ScheduledSession)) == 3


def demo_login(cli, client, db_session):
    """Sync the demo tenants and sign ``client`` in as the login `python3 dev.py demo` prints,
    with the roles it grants (a plugin's tests check the demo's part of theirs with it)."""
    import dev
    from core.testing.app import login

    assert cli("tenants", "sync", "tenants").exit_code == 0
    email, password = dev.DEMO_ADMIN
    roles = [f"--role={role}" for role in dev.DEMO_ROLES]
    result = cli("users", "create", email, "--name", "Demo Admin", "--password", password, "--platform-admin", *roles)
    assert result.exit_code == 0, result.output
    return login(client, db_session.scalar(select(User).where(User.email == email)))


def test_the_demo_login_reaches_the_national_comparison(cli, client, db_session):
    """The login `python3 dev.py demo` prints, with the roles it grants, opens every country's statistics."""
    demo_login(cli, client, db_session)
    for country in ("sweden", "denmark", "finland"):
        assert client.get(f"/t/{country}/stats/").status_code == 200, country


@pytest.mark.parametrize("environ", [{}, {"GUNICORN_BIND": "0.0.0.0:8103"}])
def test_the_demo_prints_the_address_gunicorn_binds(environ, monkeypatch):
    import runpy
    from pathlib import Path

    import dev

    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = runpy.run_path(str(Path(dev.__file__).parent / "deploy" / "gunicorn.conf.py"))
    assert dev.demo_address(environ) == f"http://{config['bind']}"


@pytest.mark.parametrize("bind, base_url", [
    ("127.0.0.1:8000", "http://127.0.0.1:8000"), ("0.0.0.0:8103", "http://127.0.0.1:8103"),
    ("[::]:8104", "http://127.0.0.1:8104"), ("unix:/run/samverka.sock", None),
])
def test_the_demos_base_url_is_one_settings_accept_and_a_browser_opens(bind, base_url):
    import dev
    from core.settings import Settings

    assert dev.demo_base_url(dev.demo_address({"GUNICORN_BIND": bind})) == base_url
    if base_url:
        Settings(base_url=base_url).validate()  # a socket path here would stop the demo at start
