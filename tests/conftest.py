"""Shared fixtures: see tests/fixtures/ for the app, database and factories."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.app",
    "tests.fixtures.factories",
    "tests.fixtures.smtp",
    "tests.fixtures.browser",
    "tests.fixtures.oidc",
    "tests.fixtures.worlds",
]
