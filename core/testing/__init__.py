"""Samverka's test fixtures as a pytest plugin, for core's suite and for a plugin's own.

Only pytest imports this package (through the ``pytest11`` entry point, :mod:`core.testing.plugin`);
the running application never does, so pytest and Playwright stay optional (``samverka[test]``).
The helpers a test imports are re-exported here: ``from core.testing import login``.
"""

from __future__ import annotations

import importlib

#: name -> the module defining it. Imported on first use: pytest must import the fixture
#: modules itself first, to rewrite their assertions.
_EXPORTS = {
    "login": "app", "rolled_back": "app",
    "assert_accessible": "browser", "log_in": "browser", "log_out": "browser",
    "drop_committed_tenant": "database", "migration_scripts": "database", "on_postgresql": "database",
    "require_postgresql": "database",
    "PluginTests": "plugin_tests",
    "World": "worlds",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'core.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"core.testing.{_EXPORTS[name]}"), name)
