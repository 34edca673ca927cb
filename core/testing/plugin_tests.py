"""What each plugin's test package adds to the suite-wide checks: the shared test world, the
isolation sweep's tables and the translation catalogs (:class:`PluginTests`).

A plugin's test package exports one ``PLUGIN_TESTS = PluginTests(...)`` in a module of its
own (``tests/plugins/<key>/sweep.py`` in this repository). The suite names those modules in
its pytest configuration, one line per plugin, whatever the plugin::

    [tool.pytest.ini_options]
    samverka_plugin_tests = ["tests/plugins/vip/sweep.py"]

Core's checks then take every plugin's part from :func:`configured` and name no plugin.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The pytest configuration option naming the modules, paths relative to the configuration file.
INI_OPTION = "samverka_plugin_tests"


@dataclass(frozen=True)
class PluginTests:
    """One plugin's part of the shared test world and of the sweeps over every route."""

    #: The plugin's key (``PluginInfo.key``).
    key: str
    #: ``settings(marker)``: the plugin's settings in each world's tenant (default: the
    #: schema's defaults). Text that a page shows should carry ``marker``.
    settings: Callable[[str], dict[str, Any]] = lambda marker: {}
    #: ``build(app, db_session, tenant, make_user, make_person, marker)``: one object of every kind
    #: the plugin keeps in the world's tenant, made by the real services; returns the values the
    #: tables below name (``{"group_id": 12, ...}``), read as attributes of the :class:`World`.
    build: Callable[..., dict[str, Any]] | None = None
    #: URL argument -> World value, for arguments the plugin's routes add.
    fillers: dict[str, str] = field(default_factory=dict)
    #: (endpoint, argument) -> World value, where the argument's meaning depends on the route.
    fillers_by_endpoint: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (endpoint, method, argument) -> World value, for one method of a route only.
    fillers_by_method: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: Public routes inside a tenant: "capability", "client_credentials" or "skip: <why>".
    public_in_tenant: dict[str, str] = field(default_factory=dict)
    #: Routes outside any tenant that take an argument: why the sweep leaves them out.
    outside_tenants: dict[str, str] = field(default_factory=dict)
    #: (endpoint, method) -> ("json" | "form" | "csv", build(world)) or None: a minimal valid body
    #: of each mutating route.
    bodies: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: API blueprints that refuse bearer tokens on purpose, and why.
    bearer_refused: dict[str, str] = field(default_factory=dict)
    #: (sources, babel.cfg) of the plugin's own translation catalogs, relative to the rootdir.
    catalogs: tuple[str, str] | None = None


_paths: list[Path] = []
_rootdir: Path | None = None
_loaded: list[PluginTests] | None = None


def configure(paths: Iterable[Path], rootdir: Path) -> None:
    """Remember the configured modules (called by the pytest plugin at configure time)."""
    global _rootdir, _loaded
    _paths[:] = [Path(p).resolve() for p in paths]
    _rootdir = rootdir
    _loaded = None


def _import(path: Path):
    """Import ``path`` under its dotted name when it sits in packages (so a test importing the
    same module gets the same object), else under a name of its own."""
    parts, folder = [path.stem], path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) > 1:
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        return importlib.import_module(".".join(parts))
    name = "samverka_plugin_tests_" + re.sub(r"\W", "_", str(path))
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def configured() -> list[PluginTests]:
    """Every configured plugin's :class:`PluginTests`, in the order of the configuration."""
    global _loaded
    if _loaded is None:
        found = []
        for path in _paths:
            if not path.exists():
                raise FileNotFoundError(f"{INI_OPTION} names {path}, which does not exist")
            declared = getattr(_import(path), "PLUGIN_TESTS", None)
            if not isinstance(declared, PluginTests):
                raise TypeError(f"{path} must define PLUGIN_TESTS = core.testing.PluginTests(...)")
            found.append(declared)
        keys = [t.key for t in found]
        if len(keys) != len(set(keys)):
            raise ValueError(f"{INI_OPTION} names a plugin twice: {keys}")
        _loaded = found
    return _loaded


def merged(attribute: str, base: dict | None = None) -> dict:
    """``base`` (core's own table) with every plugin's table ``attribute``; a key two of them
    give different values is an error, not a silent override."""
    table = dict(base or {})
    for tests in configured():
        for key, value in getattr(tests, attribute).items():
            if key in table and table[key] != value:
                raise ValueError(f"{tests.key}'s {attribute} gives {key!r} another meaning: {value!r}, "
                                 f"not {table[key]!r}")
            table[key] = value
    return table


def rootdir() -> Path:
    """The directory the pytest configuration lives in (catalog paths are relative to it)."""
    if _rootdir is None:
        raise RuntimeError("core.testing is not configured: run under pytest with the samverka plugin")
    return _rootdir
