"""Plugin discovery, the per-tenant relay, and what a disabled plugin answers."""

import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from core import hookimpl
from core.app import create_app
from core.db import tenant_scope
from core.hookspecs import ErasureReport, PluginInfo
from core.plugins import PluginError, PluginRegistry
from tests.core import sample_plugin
from core.testing.app import login

ROOT = Path(__file__).parents[2]


def test_relay_leaves_out_plugins_the_tenant_has_not_enabled(app):
    registry = app.extensions["samverka"].registry
    on = [i.label for g in registry.relay({"sample"}).samverka_navigation(tenant=None) for i in g]
    off = [i.label for g in registry.relay(set()).samverka_navigation(tenant=None) for i in g]
    assert "Sample" in on and "Sample" not in off
    assert "Overview" in on and "Overview" in off  # core's internal plugins are always there


def test_relay_callers_are_cached_per_set_of_disabled_plugins(app):
    registry = app.extensions["samverka"].registry
    assert registry.relay(set()).samverka_navigation is registry.relay(set()).samverka_navigation


def test_enabled_plugin_pages_answer(client, make_tenant, make_user):
    tenant = make_tenant(plugins={"sample": {}})
    login(client, make_user(("sample.leader", tenant)))
    assert client.get(f"/t/{tenant.slug}/sample/").text == f"sample for {tenant.slug}"
    assert client.get(f"/api/v1/t/{tenant.slug}/sample/ping").json == {"tenant": tenant.slug}


def test_disabled_plugin_pages_and_api_answer_404(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("sample.leader", tenant)))
    assert client.get(f"/t/{tenant.slug}/sample/").status_code == 404
    response = client.get(f"/api/v1/t/{tenant.slug}/sample/ping")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_plugin_turned_off_stops_answering(client, db_session, make_tenant, make_user, app):
    from core.tenants.services import disable_plugin

    tenant = make_tenant(plugins={"sample": {}})
    login(client, make_user(("sample.leader", tenant)))
    assert client.get(f"/t/{tenant.slug}/sample/").status_code == 200
    disable_plugin(db_session, app.extensions["samverka"].registry, tenant, "sample")
    db_session.commit()
    assert client.get(f"/t/{tenant.slug}/sample/").status_code == 404


def test_a_plugin_key_must_follow_the_contract():
    class Bad:
        __name__ = "bad"

        @staticmethod
        def samverka_plugin_info():
            from core.hookspecs import PluginInfo

            return PluginInfo(key="Bad Key", title="x", version="1")

    registry = PluginRegistry()
    with pytest.raises(PluginError, match="must match"):
        registry.register(Bad, source="test")
    assert registry.plugins == {}


def _fake_distribution(site: Path, name: str, entry_points: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_a_plugin_that_fails_to_import_is_logged_and_left_out(tmp_path, monkeypatch, caplog, test_settings):
    _fake_distribution(tmp_path, "broken_plugin", "[samverka.plugins]\nbroken = broken_plugin_module:nothing\n")
    (tmp_path / "broken_plugin_module.py").write_text("raise ImportError('missing dependency')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with caplog.at_level(logging.ERROR):
        app = create_app(test_settings, plugins=(sample_plugin,))
    registry = app.extensions["samverka"].registry
    assert "broken" not in registry.plugins and "missing dependency" in registry.failed["broken"]
    assert "plugin broken failed to load" in caplog.text
    assert app.test_client().get("/healthz").status_code == 200


def _plugin_module(name: str, key: str, *hooks) -> ModuleType:
    """A plugin module ``name`` made in the test: ``samverka_plugin_info`` for ``key``, and ``hooks``."""

    @hookimpl
    def samverka_plugin_info():
        return PluginInfo(key=key, title=key.title(), version="1")

    module = ModuleType(name)
    for hook in (samverka_plugin_info, *hooks):
        setattr(module, hook.__name__, hook)
    return module


@pytest.fixture
def models_of_a_plugin(tmp_path, monkeypatch):
    """``make(package, {table: class name})``: a plugin package on the path whose models
    module maps those tables on core's metadata. The tables and modules go at the end, so
    other tests see core's metadata as it was."""
    from core.db import Base

    made: list[tuple[str, list[str]]] = []
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(package: str, tables: dict[str, str]) -> None:
        folder = tmp_path / package
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        key = package.removesuffix("_plugin")
        (folder / "plugin.py").write_text(textwrap.dedent(f"""
            from core import hookimpl
            from core.hookspecs import PluginInfo

            @hookimpl
            def samverka_plugin_info():
                return PluginInfo(key="{key}", title="{key}", version="1")
        """))
        classes = "".join(f"\n\nclass {cls}(TenantOwned, Base):\n    __tablename__ = \"{table}\"\n"
                          f"    id: Mapped[int] = mapped_column(primary_key=True)\n"
                          for table, cls in tables.items())
        (folder / "models.py").write_text("from sqlalchemy.orm import Mapped, mapped_column\n\n"
                                          "from core.db import Base, TenantOwned\n" + classes)
        made.append((package, list(tables)))

    yield make
    for package, tables in made:
        for table in tables:
            if table in Base.metadata.tables:
                Base.metadata.remove(Base.metadata.tables[table])
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]


def test_a_plugin_whose_tables_lack_its_key_prefix_is_logged_and_left_out(models_of_a_plugin, tmp_path, caplog,
                                                                           test_settings):
    models_of_a_plugin("tidy_plugin", {"tidy_record": "TidyRecord"})
    models_of_a_plugin("sloppy_plugin", {"sloppy_record": "SloppyRecord", "record_of_sloppy": "RecordOfSloppy"})
    _fake_distribution(tmp_path, "tables_plugins", "[samverka.plugins]\nsloppy = sloppy_plugin.plugin\n"
                                                   "tidy = tidy_plugin.plugin\n")
    with caplog.at_level(logging.ERROR):
        app = create_app(test_settings, plugins=(sample_plugin,))
    registry = app.extensions["samverka"].registry
    assert "sloppy" not in registry.plugins and "plugin sloppy failed to load" in caplog.text
    assert "table 'record_of_sloppy'" in registry.failed["sloppy"] and "sloppy_record" not in registry.failed["sloppy"]
    assert "tidy" in registry.plugins and "tidy" not in registry.failed  # the negative twin: <key>_* passes
    assert all("sloppy" not in name for name, _plugin in registry.pm.list_name_plugin())  # nothing of it stays


def test_a_plugin_whose_blueprints_are_not_named_after_its_key_is_left_out():
    from flask import Blueprint
    from flask_smorest import Blueprint as ApiBlueprint

    web, api = Blueprint("bad_web", __name__), ApiBlueprint("api_of_bad", __name__)

    @hookimpl
    def samverka_web_blueprints():
        return [web]

    @hookimpl
    def samverka_api_blueprints():
        return [api]

    registry = PluginRegistry()
    with pytest.raises(PluginError) as refused:
        registry.register(_plugin_module("bad_plugin", "bad", samverka_web_blueprints, samverka_api_blueprints),
                          source="test")
    assert "blueprint 'api_of_bad'" in str(refused.value) and "bad_web" not in str(refused.value)
    assert registry.plugins == {} and registry.pm.get_plugins() == set()
    web.name = "bad"  # <key> and <key>_... are both the plugin's own: the negative twin
    registry.register(_plugin_module("good_plugin", "bad", samverka_web_blueprints), source="test")
    assert "bad" in registry.plugins


def test_a_hook_implementation_may_take_fewer_arguments_than_its_hookspec(db_session, app, make_tenant, make_person):
    """pluggy's rule: an implementation names the arguments it wants. Core's calls plugin by
    plugin (export, erasure, people held, enable) honour it as pluggy's own calls do."""
    from core.people import services as people
    from core.tenants.services import enable_plugin

    seen = []

    @hookimpl
    def samverka_person_export(person):
        return {"person": person.id}

    @hookimpl
    def samverka_person_erase(anonymise):
        return None if anonymise else ErasureReport(erased={"lean_record": 1})

    @hookimpl
    def samverka_people_held(person_ids):
        return [min(person_ids)]

    @hookimpl
    def samverka_tenant_enabled(tenant):
        seen.append(tenant.slug)

    registry = app.extensions["samverka"].registry
    registry.register(_plugin_module("lean_plugin", "lean", samverka_person_export, samverka_person_erase,
                                     samverka_people_held, samverka_tenant_enabled), source="test")
    try:
        tenant = make_tenant()
        first, second = make_person(tenant, national_id=None), make_person(tenant, national_id=None)
        enable_plugin(db_session, registry, tenant, "lean", {})
        assert seen == [tenant.slug]
        hooks = registry.relay({"lean"})
        with tenant_scope(tenant.id):
            assert people.export_person(db_session, hooks, first)["plugins"] == {"lean": {"person": first.id}}
            assert people.held_by_plugins(db_session, hooks, [second.id, first.id]) == {min(first.id, second.id)}
            reports = people.erase_person(db_session, hooks, first, anonymise=False)
        assert reports["lean"].erased == {"lean_record": 1}
    finally:
        registry.unregister("lean")


def test_hook_plugin_info(app):
    info = app.extensions["samverka"].registry.plugins["sample"].info
    assert (info.key, info.title, info.version) == ("sample", "Sample programme", "1.0")


def test_hook_web_blueprints_and_api_blueprints_are_mounted_under_the_tenant(app):
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert "/t/<tenant>/sample/" in rules and "/api/v1/t/<tenant>/sample/ping" in rules



def test_hook_permissions_and_roles(app):
    roles = app.extensions["samverka"].roles
    assert "sample.view" in roles.permissions
    assert roles.permissions_of(["sample.leader"]) == {"sample.view", "core.tenant.view"}



def test_hook_navigation_shows_items_by_permission(client, make_tenant, make_user):
    tenant = make_tenant(plugins={"sample": {}})
    login(client, make_user(("sample.leader", tenant)))
    page = client.get(f"/t/{tenant.slug}/").text
    assert f'href="/t/{tenant.slug}/sample/"' in page
    assert "/admin/plugins" not in page  # the leader may not administer the tenant


def test_hook_metrics(app):
    metric = app.extensions["samverka"].metrics["sample.groups"]
    assert metric.compute(None, [1, 2]) == {1: 7, 2: 7}


def test_hook_due_jobs(app):
    plugin, internal, job = app.extensions["samverka"].due_jobs["sample.tick"]
    assert (plugin, internal, job.key) == ("sample", False, "tick")


def test_hook_tenant_enabled_and_tenant_disabled(db_session, make_tenant, app):
    from core.tenants.services import disable_plugin, enable_plugin

    registry = app.extensions["samverka"].registry
    tenant = make_tenant()
    sample_plugin.calls.clear()
    enable_plugin(db_session, registry, tenant, "sample", {})
    disable_plugin(db_session, registry, tenant, "sample")
    assert sample_plugin.calls == [("enabled", tenant.slug), ("disabled", tenant.slug)]



def test_hook_tenant_enabled_can_refuse(db_session, make_tenant, app):
    from core.tenants.services import enable_plugin

    with pytest.raises(ValueError, match="refuses"):
        enable_plugin(db_session, app.extensions["samverka"].registry, make_tenant(), "sample", {"greeting": "refuse"})


def test_a_refusal_and_bad_settings_are_field_errors_a_form_page_shows(db_session, make_tenant, app):
    """Core's error classes, so the settings page needs no except of its own: the refusal is a
    422 on the settings as a whole, its message the plugin's reason as before."""
    from core.errors import FieldError
    from core.tenants.services import PluginRefused, PluginSettingsError, enable_plugin

    registry, tenant = app.extensions["samverka"].registry, make_tenant()
    with pytest.raises(PluginRefused) as refused:
        enable_plugin(db_session, registry, tenant, "sample", {"greeting": "refuse"})
    assert isinstance(refused.value, FieldError) and refused.value.plugin == "sample"
    assert refused.value.errors == {"_schema": [str(refused.value)]} and "refuses" in str(refused.value)
    with pytest.raises(PluginSettingsError) as invalid:
        enable_plugin(db_session, registry, tenant, "sample", {"participants_per_group": 99})
    assert isinstance(invalid.value, FieldError) and "participants_per_group" in invalid.value.errors
    assert str(invalid.value).startswith("invalid settings for plugin sample: ")


@pytest.fixture(scope="module")
def partner_site(tmp_path_factory) -> Path:
    """The partner plugin, pip-installed as its own distribution into a separate folder."""
    site = tmp_path_factory.mktemp("partner-site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(ROOT / "tests" / "partner_plugin")],
        check=True, capture_output=True,
    )
    return site


def test_hook_migrations_and_a_partner_package_needs_no_change_to_core(partner_site, tmp_path):
    """Install, migrate, list, enable and use a partner plugin, all through the CLI and HTTP."""
    import os

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SAMVERKA_")},
           "PYTHONPATH": os.pathsep.join([str(partner_site), str(ROOT)]),
           "SAMVERKA_DATABASE_URL": f"sqlite:///{tmp_path / 'partner.db'}", "SAMVERKA_ENVIRONMENT": "test"}
    cli = [sys.executable, "-m", "core.cli"]

    def run(*args):
        done = subprocess.run([*cli, *args], env=env, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "0002_partner_versions (partner) (head)" in run("db", "heads")
    run("db", "upgrade")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "se.toml").write_text('slug = "se"\nname = "SE"\nkind = "country"\ncountry = "SE"\n')
    (tmp_path / "t" / "m.toml").write_text(
        'slug = "m"\nname = "M"\nkind = "municipality"\nparent = "se"\nlanguages = ["en", "sv"]\n[plugins.partner]\n')
    run("tenants", "sync", str(tmp_path / "t"))
    listing = run("plugins", "list")
    assert "partner\t0.3.0\tPartner programme\tenabled for: m" in listing
    script = textwrap.dedent("""
        from core.app import create_app
        from core.auth.models import User
        from core.auth.services import grant
        from core.db import db
        from core.tenants.models import Tenant
        from sqlalchemy import select
        app = create_app()
        with app.app_context():
            user = User(email="p@example.org", name="P")
            db.session.add(user); db.session.flush()
            for slug in ("m", "se"):
                grant(db.session, user, db.session.scalar(select(Tenant).where(Tenant.slug == slug)), "partner.staff")
            db.session.commit()
            from core.auth import sessions
            token = sessions.start(db.session, user)
            db.session.commit()
            client = app.test_client()
            with client.session_transaction() as s:
                s["sid"] = token
            import re
            for language in ("en", "sv"):
                with app.app_context():  # a request of its own: Flask-Babel keeps the language in g
                    page = client.get("/t/m/partner/", headers={"Accept-Language": language})
                print(page.status_code, re.search('<p id="count">(.*?)</p>', page.text).group(1))
            print(client.get("/t/se/partner/").status_code)
    """)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # The page counts the tenant's partner notes, in the package's own catalog's words (sv).
    assert done.stdout.split("\n")[:3] == ["200 0 notes", "200 0 anteckningar", "404"]


def test_hook_people_held_a_plugin_that_exports_but_does_not_answer_holds_whom_it_exports(
        db_session, app, make_tenant, make_person):
    """Fail closed: a plugin without ``samverka_people_held`` (one written before it existed)
    keeps everyone its export holds something of, so another plugin's erasure spares them."""
    from core.people import services as people

    @hookimpl
    def samverka_person_export(person):
        return {"note": 1} if person.first_name == "Kept" else None

    registry = app.extensions["samverka"].registry
    registry.register(_plugin_module("quiet_plugin", "quiet", samverka_person_export), source="test")
    try:
        tenant = make_tenant(plugins={"sample": {}})
        kept = make_person(tenant, first_name="Kept", national_id=None)
        free = make_person(tenant, first_name="Free", national_id=None)
        with tenant_scope(tenant.id):
            assert people.held_by_plugins(db_session, registry.relay({"quiet"}), [kept.id, free.id]) == {kept.id}
            assert people.held_by_plugins(db_session, registry.relay({"quiet"}), [kept.id, free.id],
                                          except_plugin="quiet") == set()
            assert people.held_by_plugins(db_session, registry.relay(set()), [kept.id, free.id]) == set()
    finally:
        registry.unregister("quiet")
