"""core.toolkit is the one door into core for plugins (issue #8).

The import rule: a plugin module imports of core only ``core.toolkit`` and ``core.hookspecs``,
never another plugin, and a plugin's services never import flask or a ``flask_*`` package
(translation there comes from the toolkit's ``gettext``, ``_`` and ``force_locale``).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import core.toolkit as toolkit

ROOT = Path(__file__).resolve().parents[2]

#: Where the plugin packages live: (folder holding the package, package's dotted name).
#: Every package under plugins/, and the partner plugin (its own distribution).
PLUGIN_PACKAGES = [(ROOT, f"plugins.{folder.name}") for folder in sorted((ROOT / "plugins").iterdir())
                   if (folder / "__init__.py").exists()]
PLUGIN_PACKAGES.append((ROOT / "tests" / "partner_plugin", "samverka_partner"))

#: The modules of core a plugin may import.
DOORS = ("core.toolkit", "core.hookspecs")

@dataclass(frozen=True)
class Leak:
    """One import that breaks the rule: where, what, and which rule."""

    path: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported}: {self.rule}"


CORE_RULE = "a plugin imports of core only core.toolkit and core.hookspecs"
PLUGIN_RULE = "a plugin never imports another plugin"
RELATIVE_RULE = "a relative import stays inside the plugin's own package"
FLASK_RULE = "a plugin's services never import flask or flask_* (use core.toolkit's gettext, force_locale)"


def _other_plugin_packages() -> set[str]:
    """Top-level packages of every installed plugin distribution (entry points samverka.plugins)."""
    return {entry.value.split(":")[0].split(".")[0] for entry in importlib.metadata.entry_points(group="samverka.plugins")}


def _module_name(path: Path, folder: Path) -> str:
    parts = list(path.relative_to(folder).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str | None:
    """The absolute name of ``from <level dots><name> import ...`` in ``module``; None when the
    dots climb above the top-level package."""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 >= len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _dynamic_imports(tree: ast.AST):
    """``importlib.import_module("x")``, ``import_module("x")``, ``__import__("x")`` with a
    string literal: (node, module name)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if called not in ("import_module", "__import__"):
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield node, first.value


def leaks(source: str, module: str, package: str, path: str, is_package: bool = False,
          others: frozenset[str] | set[str] = frozenset()) -> list[Leak]:
    """Every import in ``source`` (the module ``module`` of the plugin package ``package``) that
    breaks the rule. ``others``: top-level packages of other plugin distributions."""
    tree = ast.parse(source, filename=path)
    in_services = _is_under(module, f"{package}.services")
    found: list[Leak] = []

    def check(line: int, target: str, names: list[str] | None) -> None:
        """``target``: the absolute module imported; ``names``: what a ``from`` import takes of it."""
        top = target.split(".")[0]
        if top == "core":
            if target in DOORS:
                return
            if target == "core" and names:
                for name in names:
                    if f"core.{name}" not in DOORS:
                        found.append(Leak(path, line, f"core.{name}", CORE_RULE))
                return
            for imported in [f"{target}.{name}" for name in names] if names else [target]:
                found.append(Leak(path, line, imported, CORE_RULE))
        elif top == "plugins" and not _is_under(package, "plugins"):
            found.append(Leak(path, line, target, PLUGIN_RULE))
        elif top == "plugins":
            if _is_under(target, package):
                return
            if target == "plugins" and names:
                for name in names:
                    if not _is_under(f"plugins.{name}", package):
                        found.append(Leak(path, line, f"plugins.{name}", PLUGIN_RULE))
                return
            found.append(Leak(path, line, target, PLUGIN_RULE))
        elif top in others and not _is_under(target, package) and top != package.split(".")[0]:
            found.append(Leak(path, line, target, PLUGIN_RULE))
        elif in_services and (top == "flask" or top.startswith("flask_")):
            for imported in [f"{target}.{name}" for name in names] if names else [target]:
                found.append(Leak(path, line, imported, FLASK_RULE))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(node.lineno, alias.name, None)
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names if alias.name != "*"] or None
            if node.level:
                target = _resolve(module, is_package, node.level, node.module)
                if target is None or not _is_under(target, package):
                    shown = "." * node.level + (node.module or "")
                    found.append(Leak(path, node.lineno, target or shown, RELATIVE_RULE))
                    continue
            else:
                target = node.module or ""
            check(node.lineno, target, names)
    for node, name in _dynamic_imports(tree):
        if name.startswith("."):
            found.append(Leak(path, node.lineno, name, RELATIVE_RULE))
        else:
            check(node.lineno, name, None)
    return sorted(found, key=lambda leak: leak.line)


def plugin_modules():
    """(path, module name, package, is package) of every Python module of every plugin."""
    for folder, package in PLUGIN_PACKAGES:
        root = folder.joinpath(*package.split("."))
        for path in sorted(root.rglob("*.py")):
            yield path, _module_name(path, folder), package, _is_package(path)


def all_leaks() -> list[Leak]:
    others = (_other_plugin_packages() | {package.split(".")[0] for _folder, package in PLUGIN_PACKAGES}) - {"plugins"}
    found = []
    for path, module, package, is_package in plugin_modules():
        found += leaks(path.read_text(encoding="utf-8"), module, package, str(path.relative_to(ROOT)),
                       is_package, others)
    return found


def test_plugins_import_only_the_toolkit_and_the_hookspecs_of_core():
    broken = all_leaks()
    assert not broken, "Plugin imports that break the one-door rule (docs/plugins.md):\n" + "\n".join(map(str, broken))


def test_the_rule_sees_every_plugin():
    packages = [package for _folder, package in PLUGIN_PACKAGES]
    assert "plugins.vip" in packages and "samverka_partner" in packages
    modules = {module for _path, module, _package, _is_package in plugin_modules()}
    assert {"plugins.vip.plugin", "plugins.vip.services.groups", "samverka_partner.plugin"} <= modules


# The checker itself: each rule, broken by a small source, is reported with file, line and rule.

def _leaks(source: str, module: str = "plugins.vip.views", package: str = "plugins.vip", **kwargs) -> list[str]:
    return [str(leak) for leak in leaks(source, module, package, "p.py", **kwargs)]


@pytest.mark.parametrize("source, imported", [
    ("import core.db", "core.db"),
    ("import core", "core"),
    ("import core.auth.models as m", "core.auth.models"),
    ("from core.db import db", "core.db.db"),
    ("from core import hookimpl", "core.hookimpl"),
    ("from core import csvfile", "core.csvfile"),
    ("from core.people import services as people", "core.people.services"),
    ("import importlib\nimportlib.import_module('core.db')", "core.db"),
    ("from importlib import import_module\nimport_module('core.jobs.models')", "core.jobs.models"),
    ("__import__('core.db')", "core.db"),
    ("def f():\n    from core.tenants.services import plugin_settings", "core.tenants.services.plugin_settings"),
])
def test_the_checker_reports_core_beyond_the_door(source, imported):
    line = source.count("\n") + 1
    assert _leaks(source) == [f"p.py:{line}: imports {imported}: {CORE_RULE}"]


@pytest.mark.parametrize("source", [
    "import core.toolkit",
    "import core.hookspecs",
    "from core import toolkit, hookspecs",
    "from core.toolkit import db, TenantOwned",
    "from core.hookspecs import PluginInfo",
    "import importlib\nimportlib.import_module('core.toolkit')",
    "from plugins.vip import models\nfrom plugins.vip.services import groups",
    "from . import models\nfrom .services import groups",
    "import sqlalchemy\nfrom marshmallow import fields",
    "from flask import Blueprint\nfrom flask_babel import gettext",
])
def test_the_checker_lets_the_doors_and_the_plugins_own_modules_pass(source):
    assert _leaks(source) == []


@pytest.mark.parametrize("source, module, package, imported", [
    ("from plugins.peer_support import models", "plugins.vip.views", "plugins.vip", "plugins.peer_support"),
    ("import plugins.vida.services", "plugins.vip.api", "plugins.vip", "plugins.vida.services"),
    ("from plugins import vida", "plugins.vip.api", "plugins.vip", "plugins.vida"),
    ("import plugins", "plugins.vip.api", "plugins.vip", "plugins"),
    ("from plugins.vip import models", "samverka_partner.plugin", "samverka_partner", "plugins.vip"),
    ("import samverka_partner.models", "plugins.vip.plugin", "plugins.vip", "samverka_partner.models"),
    ("import importlib\nimportlib.import_module('plugins.vida.plugin')", "plugins.vip.plugin", "plugins.vip",
     "plugins.vida.plugin"),
])
def test_the_checker_reports_another_plugin(source, module, package, imported):
    line = source.count("\n") + 1
    assert _leaks(source, module, package, others={"samverka_partner"}) == [
        f"p.py:{line}: imports {imported}: {PLUGIN_RULE}"]


@pytest.mark.parametrize("source, module, is_package, imported", [
    ("from ... import core", "plugins.vip.views.x", False, "plugins"),
    ("from ..vida import models", "plugins.vip.plugin", False, "plugins.vida"),
    ("from .... import x", "plugins.vip.views.x", False, "...."),
    ("from .. import other", "samverka_partner.plugin", False, ".."),
    ("import importlib\nimportlib.import_module('..vida', 'plugins.vip')", "plugins.vip.plugin", False, "..vida"),
])
def test_the_checker_reports_relative_imports_leaving_the_plugin(source, module, is_package, imported):
    package = "samverka_partner" if module.startswith("samverka_partner") else "plugins.vip"
    line = source.count("\n") + 1
    assert _leaks(source, module, package, is_package=is_package) == [
        f"p.py:{line}: imports {imported}: {RELATIVE_RULE}"]


def test_a_relative_import_inside_the_plugin_resolves_from_the_package():
    assert _leaks("from .. import models", "plugins.vip.services.groups") == []
    assert _leaks("from . import groups", "plugins.vip.services", is_package=True) == []
    assert _leaks("from .models import Note", "samverka_partner.plugin", "samverka_partner") == []


@pytest.mark.parametrize("source, imported", [
    ("import flask", "flask"),
    ("from flask import render_template", "flask.render_template"),
    ("from flask_babel import gettext as _", "flask_babel.gettext"),
    ("import flask_smorest", "flask_smorest"),
    ("def f():\n    from flask import g", "flask.g"),
    ("import importlib\nimportlib.import_module('flask_babel')", "flask_babel"),
])
@pytest.mark.parametrize("module, is_package", [
    ("plugins.vip.services", True), ("plugins.vip.services.offers", False), ("plugins.vip.services", False),
])
def test_the_checker_reports_flask_in_services(source, imported, module, is_package):
    line = source.count("\n") + 1
    assert _leaks(source, module, is_package=is_package) == [f"p.py:{line}: imports {imported}: {FLASK_RULE}"]
    assert _leaks(source, "plugins.vip.views.offers") == []
    assert _leaks(source, "plugins.vip.servicesx") == []


def test_the_checker_reports_each_name_and_line():
    source = "from core.auth.models import RoleGrant, User\n\nimport core.db, core.toolkit\n"
    assert _leaks(source) == [f"p.py:1: imports core.auth.models.RoleGrant: {CORE_RULE}",
                              f"p.py:1: imports core.auth.models.User: {CORE_RULE}",
                              f"p.py:3: imports core.db: {CORE_RULE}"]


# The toolkit module itself.

def test_every_toolkit_name_is_there_once():
    assert len(toolkit.__all__) == len(set(toolkit.__all__))
    assert [name for name in toolkit.__all__ if not hasattr(toolkit, name)] == []


def test_the_toolkit_exports_only_what_it_lists():
    """Everything public in the module is listed: no name reaches plugins by accident."""
    # (pytest rewrites the installed distribution's modules and adds its "@py_" helpers.)
    public = {name for name in vars(toolkit) if not name.startswith(("__", "@")) and name != "annotations"}
    assert public - set(toolkit.__all__) == set()


# docs/plugins.md: the toolkit reference and the tutorial cannot drift from the code.

GUIDE = ROOT / "docs" / "plugins.md"
PARTNER = ROOT / "tests" / "partner_plugin"


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start: end if end != -1 else len(text)]


def documented_toolkit_names(text: str) -> set[str]:
    """The names the reference documents: the backquoted names before the colon of each item."""
    names = set()
    for line in _section(text, "The toolkit").splitlines():
        if line.startswith("- `"):
            names |= set(re.findall(r"`([^`]+)`", line.split(": ", 1)[0]))
    return names


def test_every_toolkit_name_is_documented_in_the_guide():
    assert set(toolkit.__all__) - documented_toolkit_names(GUIDE.read_text(encoding="utf-8")) == set(), (
        "document these in docs/plugins.md, under \"The toolkit\", in the group of the module")


def test_the_guide_documents_no_toolkit_name_that_does_not_exist():
    assert documented_toolkit_names(GUIDE.read_text(encoding="utf-8")) - set(toolkit.__all__) == set()


def test_the_reference_check_sees_a_missing_and_an_extra_name():
    text = "# G\n\n## The toolkit\n\n- `db`: the database.\n- `gone`, `_`: old.\n\n## Testing a plugin\n- `x`: no\n"
    assert documented_toolkit_names(text) == {"db", "gone", "_"}


def tutorial_files(text: str) -> list[tuple[str, bool, str]]:
    """(path, whole file?, code) of each code block the tutorial introduces with **`path`**."""
    found = []
    for match in re.finditer(r"^\*\*`([^`]+)`\*\*( \(the parts that matter\))?\n\n```[a-z]*\n(.*?)\n```$",
                             _section(text, "Tutorial: a plugin from an empty folder"), flags=re.M | re.S):
        found.append((match.group(1), not match.group(2), match.group(3)))
    return found


def test_the_tutorial_shows_the_partner_plugin_as_it_is():
    """Every file the tutorial shows is the partner plugin's file, to the letter (pyproject.toml:
    the lines shown are in it), every module and template of the plugin is shown, and so is a
    test file of its suite, in whole."""
    shown = tutorial_files(GUIDE.read_text(encoding="utf-8"))
    different = []
    for path, whole, code in shown:
        actual = (PARTNER / path).read_text(encoding="utf-8")
        if whole and code != actual.rstrip("\n") or not whole and not set(code.splitlines()) <= set(actual.splitlines()):
            different.append(path)
    assert different == [], "docs/plugins.md's tutorial differs from tests/partner_plugin/ in these files"
    files = {str(path.relative_to(PARTNER)) for pattern in ("*.py", "*.html", "babel.cfg")
             for path in (PARTNER / "samverka_partner").rglob(pattern)}
    assert files - {path for path, _whole, _code in shown} == set(), "the tutorial does not show these files"
    tests = {path for path, whole, _code in shown if whole and path.startswith("tests/test_")}
    assert tests, "the tutorial's step on tests shows none of the partner plugin's test files in whole"


def test_current_vault_and_roles_are_the_apps_own(app):
    state = app.extensions["samverka"]
    with app.app_context():
        assert toolkit.current_vault() is state.vault
        assert toolkit.current_roles() is state.roles
