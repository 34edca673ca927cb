"""core.testing: Samverka's fixtures as a pytest plugin a plugin's own suite gets by installing
samverka[test], and that the running application never imports."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import core.testing.app
import core.testing.plugin
from core.testing import PluginTests, plugin_tests


def _environment() -> dict[str, str]:
    """This environment without the test run's own settings: a suite of its own, on SQLite."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("SAMVERKA_", "PYTEST_", "COV_")) and k != "PYTHONPATH"}


def test_the_fixtures_are_registered_once_through_the_pytest11_entry_point(request):
    [entry] = [ep for ep in entry_points(group="pytest11") if ep.name == "samverka"]
    assert entry.value == "core.testing.plugin"
    plugins = request.config.pluginmanager
    assert plugins.get_plugin("samverka") is core.testing.plugin
    assert plugins.get_plugin("core.testing.app") is core.testing.app
    registered = [name for name, plugin in plugins.list_name_plugin() if plugin is core.testing.plugin]
    assert registered == ["samverka"]


def test_the_running_application_imports_neither_pytest_nor_the_fixtures(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from core.app import create_app
        from core.settings import Settings
        import core.cli  # the command, too
        app = create_app(Settings(database_url="sqlite:///{tmp_path / 'app.db'}", environment="test",
                                  secret_key="x" * 48))
        assert app.extensions["samverka"].registry.plugins
        loaded = sorted(m for m in sys.modules
                        if m.split(".")[0] in ("pytest", "_pytest", "playwright", "aiosmtpd", "schemathesis")
                        or m.startswith("core.testing"))
        print(loaded)
    """)
    done = subprocess.run([sys.executable, "-c", script], env=_environment(), cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_suite_outside_this_repository_gets_the_fixtures_and_adds_to_the_worlds(tmp_path):
    """As a partner's suite: no conftest, its own PluginTests named in its own configuration."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nsamverka_plugin_tests = my_sweep.py\n")
    (tmp_path / "my_sweep.py").write_text(textwrap.dedent("""
        from importlib.metadata import entry_points

        from core.testing import PluginTests

        def build(app, db_session, tenant, make_user, make_person, marker):
            return {"guest_id": make_person(tenant, first_name=f"Guest{marker}").id}

        # Standing in for the partner's own plugin: any one installed.
        KEY = sorted(ep.name for ep in entry_points(group="samverka.plugins"))[0]
        PLUGIN_TESTS = PluginTests(key=KEY, build=build)
    """))
    (tmp_path / "test_mine.py").write_text(textwrap.dedent("""
        from core.testing import login

        def test_a_tenant_page(client, make_tenant, make_user, query_counter):
            tenant = make_tenant(languages=("en",))
            login(client, make_user(("tenant_admin", tenant)), language="en")
            with query_counter.counting() as counted:
                assert client.get(f"/t/{tenant.slug}/").status_code == 200
            assert counted.count > 0

        def test_the_worlds_hold_what_the_sweep_module_adds(tenant_worlds):
            a, b = tenant_worlds
            assert a.guest_id and b.guest_id and a.guest_id != b.guest_id
    """))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
                          env=_environment(), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout


def test_the_partner_plugin_is_installed_beside_samverka_and_passes_its_own_suite(request):
    """python3 dev.py test installs tests/partner_plugin with pip; its suite, run from its own
    folder as a partner runs it (its pyproject.toml, no conftest of Samverka's), passes. It also
    runs as part of this suite, on both engines."""
    import samverka_partner

    partner = Path(request.config.rootpath) / "tests" / "partner_plugin"
    assert Path(samverka_partner.__file__).resolve().is_relative_to(partner)
    assert any(ep.name == "partner" for ep in entry_points(group="samverka.plugins"))
    # The standalone run is on SQLite; its PostgreSQL tests run in this suite's PostgreSQL pass
    # (tests/partner_plugin/tests is collected there too), so here they skip, also in CI.
    standalone = {**_environment(), "SAMVERKA_TEST_POSTGRESQL_FOLLOWS": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], env=standalone,
                          cwd=partner, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and " failed" not in done.stdout


def test_plugins_add_to_the_sweep_tables_but_never_give_a_name_another_meaning(monkeypatch):
    same = [PluginTests("one", fillers={"group_id": "group_id"}), PluginTests("two", fillers={"group_id": "group_id",
                                                                                             "note_id": "note_id"})]
    monkeypatch.setattr(plugin_tests, "_loaded", same)
    assert plugin_tests.merged("fillers", {"person_id": "person_id"}) == {
        "person_id": "person_id", "group_id": "group_id", "note_id": "note_id"}
    monkeypatch.setattr(plugin_tests, "_loaded", [same[0], PluginTests("two", fillers={"group_id": "team_id"})])
    with pytest.raises(ValueError, match="another meaning"):
        plugin_tests.merged("fillers")
