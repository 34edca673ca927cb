"""What the sample plugin (tests/core/sample_plugin.py) adds to the suite-wide checks: its
settings in each world's tenant, with the world's marker in a text the settings page shows.
Named first in pyproject.toml's ``samverka_plugin_tests``, so core's sweep opens its settings."""

from core.testing import PluginTests

PLUGIN_TESTS = PluginTests(key="sample", settings=lambda marker: {"greeting": f"Hej {marker}"})
