"""Plugin discovery through entry points, and the per-tenant hook relay."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Iterable, NamedTuple

import pluggy
from pluggy import HookCallError, HookImpl

from core import hookspecs
from core.db import Base
from core.hookspecs import PluginInfo

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "samverka.plugins"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class PluginError(Exception):
    """A plugin broke the contract (bad key, missing info, wrong settings)."""


@dataclass(frozen=True)
class LoadedPlugin:
    info: PluginInfo
    module: object
    #: "internal" for core's own modules, else the distribution that shipped the plugin.
    source: str

    @property
    def internal(self) -> bool:
        return self.source == "internal"


class HookResult(NamedTuple):
    """One plugin's answer to a hook called plugin by plugin (:func:`call_each`)."""

    #: The name the plugin is registered under: its key, or ``core.<name>`` for core's own.
    plugin: str
    result: Any

    @property
    def internal(self) -> bool:
        return self.plugin.startswith("core.")

    @property
    def key(self) -> str:
        """The plugin's key; for core's own modules the name after ``core.``."""
        return self.plugin.removeprefix("core.")


def call_impl(impl: HookImpl, kwargs: dict[str, Any]) -> Any:
    """Call one hook implementation as pluggy does: with only the arguments it names (an
    implementation may take a subset of the hookspec's), so a plugin that needs fewer
    arguments keeps working and a hook may gain arguments without breaking plugins."""
    try:
        args = [kwargs[name] for name in impl.argnames]
    except KeyError as missing:
        raise HookCallError(f"{impl.plugin_name}.{impl.function.__name__} takes {missing}, which was not given") from None
    return impl.function(*args)


def call_each(hook: Any, /, *, except_plugin: str | None = None, **kwargs: Any) -> list[HookResult]:
    """Call ``hook`` (from ``registry.hook`` or a tenant's relay) on each of its plugins in
    turn, but ``except_plugin`` (a registered name), for callers that must know whose answer
    is whose (export, erasure, blueprints, due-jobs). Every answer comes back, None
    included, in the order of registration. Wrappers are not called: they only make sense
    around pluggy's own call."""
    return [HookResult(impl.plugin_name, call_impl(impl, kwargs)) for impl in hook.get_hookimpls()
            if impl.plugin_name != except_plugin and not (impl.hookwrapper or impl.wrapper)]


def plugin_tables(module: object) -> set[str]:
    """The tables of the models a plugin defines: those of every mapped class in the plugin's
    package when the plugin is its package's ``plugin`` module (the layout docs/plugins.md
    gives), else the plugin module's own. The package's ``models`` module is imported first,
    so models a plugin imports only when needed are counted too."""
    source = module if isinstance(module, ModuleType) else sys.modules.get(getattr(module, "__module__", ""))
    if source is None:
        return set()
    package = source.__package__ if source.__name__.endswith(".plugin") and source.__package__ else source.__name__
    if hasattr(sys.modules.get(package), "__path__") and importlib.util.find_spec(f"{package}.models"):
        importlib.import_module(f"{package}.models")
    return {table.name for mapper in Base.registry.mappers
            if mapper.class_.__module__ == package or mapper.class_.__module__.startswith(f"{package}.")
            for table in mapper.tables}


class PluginRegistry:
    """Owns the pluggy manager of one app: internal modules first, then discovered plugins."""

    def __init__(self, disabled: Iterable[str] = ()) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        #: Plugins that failed to import or register, with the reason; the app runs without them.
        self.failed: dict[str, str] = {}
        self._disabled = frozenset(disabled)
        self._callers: dict[tuple[str, frozenset[str]], Any] = {}

    @property
    def hook(self) -> pluggy.HookRelay:
        """Every installed plugin's hooks: for start-up registries, never for tenant work."""
        return self.pm.hook

    def register_internal(self, module: ModuleType, key: str) -> None:
        """Register one of core's own modules; internal plugins are on for every tenant. A
        hook core implements but does not declare fails here, not in the next plugin's check."""
        self.pm.register(module, name=f"core.{key}")
        self.pm.check_pending()

    def register(self, module: object, *, source: str) -> LoadedPlugin:
        """Register a programme plugin, checking its info against the contract."""
        name = getattr(module, "__name__", repr(module))
        self.pm.register(module, name=f"pending:{name}")
        try:
            info = self._single_info(module)
            if not KEY_PATTERN.match(info.key):
                raise PluginError(f"plugin key {info.key!r} must match {KEY_PATTERN.pattern}")
            if info.key in self.plugins:
                raise PluginError(f"plugin key {info.key!r} is already taken")
            self.pm.check_pending()
            self._check_names(module, info.key)
        except Exception:
            self.pm.unregister(module)
            raise
        self.pm.unregister(module)
        self.pm.register(module, name=info.key)
        loaded = LoadedPlugin(info=info, module=module, source=source)
        self.plugins[info.key] = loaded
        self._callers.clear()
        return loaded

    def unregister(self, key: str) -> None:
        loaded = self.plugins.pop(key)
        self.pm.unregister(loaded.module)
        self._callers.clear()

    def discover(self) -> None:
        """Load every plugin announced under the ``samverka.plugins`` entry-point group.

        A plugin that fails to import or breaks the contract is logged and left out.
        """
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in self._disabled:
                log.info("plugin %s is installed but disabled by settings", ep.name)
                continue
            try:
                module = ep.load()
                source = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ep.value
                loaded = self.register(module, source=source)
                if loaded.info.key != ep.name:
                    self.unregister(loaded.info.key)
                    raise PluginError(
                        f"entry point {ep.name!r} registers a plugin with key {loaded.info.key!r}"
                    )
            except Exception as exc:  # a broken plugin must not stop the platform
                log.exception("plugin %s failed to load and is left out", ep.name)
                self.failed[ep.name] = f"{type(exc).__name__}: {exc}"

    def _check_names(self, module: object, key: str) -> None:
        """The contract's names: tables ``<key>_*``, blueprints ``<key>`` or ``<key>_...``."""
        wrong = [f"table {name!r}" for name in sorted(plugin_tables(module)) if not name.startswith(f"{key}_")]
        for hook_name in ("samverka_web_blueprints", "samverka_api_blueprints"):
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin is module:
                    wrong += [f"blueprint {bp.name!r}" for bp in call_impl(impl, {}) or ()
                              if bp.name != key and not bp.name.startswith(f"{key}_")]
        if wrong:
            raise PluginError(f"plugin {key!r} must name its tables {key}_* and its blueprints {key} or "
                              f"{key}_...: {', '.join(wrong)}")

    def _single_info(self, module: object) -> PluginInfo:
        impl = getattr(module, "samverka_plugin_info", None)
        if impl is None:
            raise PluginError(f"{module!r} does not implement samverka_plugin_info")
        info = impl()
        if not isinstance(info, PluginInfo):
            raise PluginError(f"{module!r}: samverka_plugin_info must return a PluginInfo")
        return info

    def call_one(self, key: str, hook_name: str, **kwargs: Any) -> Any:
        """Call ``hook_name`` on one plugin only (enable, disable, demo data of that plugin),
        with the arguments its implementation takes; None when it has none."""
        module = self.plugins[key].module
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            if impl.plugin is module:
                return call_impl(impl, kwargs)
        return None

    def relay(self, enabled: Iterable[str]) -> TenantHooks:
        """The hooks of internal plugins plus the plugins in ``enabled``, for one tenant."""
        disabled = frozenset(k for k in self.plugins if k not in set(enabled))
        return TenantHooks(self, disabled)

    def _relay_caller(self, name: str, disabled: frozenset[str]) -> Any:
        caller = self._callers.get((name, disabled))
        if caller is None:
            if disabled:
                remove = [self.plugins[k].module for k in disabled]
                caller = self.pm.subset_hook_caller(name, remove_plugins=remove)
            else:
                caller = getattr(self.pm.hook, name)
            self._callers[(name, disabled)] = caller
        return caller


class TenantHooks:
    """Attribute access like ``pm.hook``, leaving out the plugins a tenant has not enabled."""

    def __init__(self, registry: PluginRegistry, disabled: frozenset[str]) -> None:
        self._registry = registry
        self.disabled = disabled

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("samverka_"):
            raise AttributeError(name)
        return self._registry._relay_caller(name, self.disabled)
