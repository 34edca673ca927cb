"""Core's fixtures come from core.testing, the pytest plugin samverka[test] installs (entry point
pytest11); this suite adds the sample plugin, which exercises every hook, to the test app."""

import pytest


@pytest.fixture(scope="session")
def app_plugins() -> tuple:
    from tests.core import sample_plugin

    return (sample_plugin,)
