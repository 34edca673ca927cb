"""Meta-tests that keep the plugin contract honest (after Datasette's): every hook documented
with its signature, documented as it is declared, implemented only as declared, and tested."""

import ast
import inspect
import re
from pathlib import Path
from types import FunctionType, ModuleType

from core import hookspecs

ROOT = Path(__file__).parents[2]
HOOKS = {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("samverka_")}


def _signature(fn) -> str:
    return f"{fn.__name__}{inspect.signature(fn)}".replace("'", "")


def _documented() -> dict[str, str]:
    """Hook name -> the signature its heading shows, from the "## Hooks" section of the guide."""
    guide = (ROOT / "docs" / "plugins.md").read_text()
    section = guide.split("\n## Hooks\n", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(0).removeprefix("### ")
            for m in re.finditer(r"^### (samverka_\w+)\(.*$", section, flags=re.M)}


def _arguments(signature: str) -> list[str]:
    """The argument names of a documented signature such as ``samverka_x(session: Session, ...) -> T``."""
    function = ast.parse(f"def {signature}: ...").body[0]
    return [arg.arg for arg in function.args.args]


def test_every_hookspec_is_documented_with_its_signature():
    documented = _documented()
    assert sorted(set(HOOKS) - set(documented)) == [], "document these in docs/plugins.md, ## Hooks"
    assert {name: documented[name] for name in HOOKS} == {name: _signature(fn) for name, fn in HOOKS.items()}


def test_the_guide_documents_no_hook_that_does_not_exist():
    assert sorted(set(_documented()) - set(HOOKS)) == []


def test_documented_arguments_are_the_hookspecs_arguments():
    documented = _documented()
    assert {name: _arguments(documented[name]) for name in HOOKS if name in documented} == {
        name: list(inspect.signature(fn).parameters) for name, fn in HOOKS.items() if name in documented}


def test_every_hookspec_docstring_says_when_it_is_called_how_answers_combine_and_each_param():
    problems = []
    for name, fn in HOOKS.items():
        doc = fn.__doc__ or ""
        first = bool(getattr(fn, f"{hookspecs.PROJECT}_spec")["firstresult"])
        if "Called" not in doc:
            problems.append(f"{name}: when is it called?")
        if ("First result wins" in doc) != first or ("Collected" in doc) == first:
            problems.append(f"{name}: say 'Collected' or, for a firstresult hook, 'First result wins'")
        params = list(inspect.signature(fn).parameters)
        if re.findall(r":param (\w+):", doc) != params:
            problems.append(f"{name}: document :param: for {params}, in order")
        if ":returns:" not in doc:
            problems.append(f"{name}: say what it returns")
    assert problems == []


def test_every_hookimpl_of_every_registered_plugin_names_a_hookspec(app):
    """pluggy checks names only of what is marked: an unmarked ``samverka_*`` function is
    silently never called. Every implementation takes only the hookspec's arguments."""
    pm = app.extensions["samverka"].registry.pm
    wrong = []
    for plugin_name, plugin in pm.list_name_plugin():
        assert isinstance(plugin, ModuleType), plugin_name
        for attr, impl in vars(plugin).items():
            if type(impl) is not FunctionType:  # getattr would wake flask's proxies (g, request)
                continue
            opts = getattr(impl, f"{hookspecs.PROJECT}_impl", None)
            if opts is None and not attr.startswith("samverka_"):
                continue
            hook = (opts or {}).get("specname") or attr
            if hook not in HOOKS:
                wrong.append(f"{plugin_name}.{attr}: no such hook")
            elif opts is None:
                wrong.append(f"{plugin_name}.{attr}: not marked with hookimpl, so never called")
            elif not set(inspect.signature(impl).parameters) <= set(inspect.signature(HOOKS[hook]).parameters):
                wrong.append(f"{plugin_name}.{attr}: takes arguments the hookspec does not give")
    assert len(pm.get_plugins()) > 1
    assert wrong == []


def _hook_test_names() -> set[str]:
    """Names of the test functions that exercise a hook: ``test_hook_...``."""
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_hook_"):
                names.add(node.name)
    return names


def test_every_hookspec_is_exercised_by_a_test():
    """Each hook ``samverka_x`` needs a test named ``test_hook_...`` whose name holds ``x``
    (``test_hook_permissions_and_roles`` covers both hooks), as Datasette's do."""
    names = _hook_test_names()
    untested = [hook for hook in HOOKS if not any(
        re.search(rf"(^|_){hook.removeprefix('samverka_')}(_|$)", name.removeprefix("test_hook_")) for name in names)]
    assert untested == []
