"""The pytest plugin that ships Samverka's fixtures (entry point ``pytest11``: ``samverka``).

Installing ``samverka[test]`` makes every fixture of :mod:`core.testing` available to any test
suite, a partner plugin's included, with no conftest: the app with a transaction per test
(``app``, ``db_session``, ``client``, ``csrf_client``), factories (``make_tenant``, ``make_user``,
``make_person``, ``in_tenant``), ``query_counter``, ``smtp``, ``oidc_provider``, ``live_server``,
``browser`` and ``page``, and ``tenant_worlds`` for the sweeps over every route.
"""

from __future__ import annotations

from core.testing import plugin_tests

pytest_plugins = [
    "core.testing.database",
    "core.testing.app",
    "core.testing.factories",
    "core.testing.smtp",
    "core.testing.browser",
    "core.testing.oidc",
    "core.testing.worlds",
]

MARKERS = (
    "postgres: needs PostgreSQL (skipped with a reason unless SAMVERKA_TEST_DATABASE_URL is set; fails when CI=true)",
    "browser: drives Debian's chromium through Playwright",
)


def pytest_addoption(parser) -> None:
    parser.addini(plugin_tests.INI_OPTION, type="paths", default=[],
                  help="modules defining PLUGIN_TESTS = core.testing.PluginTests(...), one per plugin")


def pytest_configure(config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    plugin_tests.configure(config.getini(plugin_tests.INI_OPTION), config.rootpath)
