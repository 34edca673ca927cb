"""Meta-tests that keep the plugin contract honest (after Datasette's)."""

import ast
import inspect
import re
from pathlib import Path

from core import hookspecs

ROOT = Path(__file__).parents[2]
HOOKS = {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("samverka_")}


def _signature(fn) -> str:
    return f"{fn.__name__}{inspect.signature(fn)}".replace("'", "")


def test_every_hookspec_is_documented_with_its_signature():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    missing = [_signature(fn) for fn in HOOKS.values() if f"### {_signature(fn)}\n" not in guide]
    assert missing == [], "document these in docs/plugins.md"


def test_the_guide_documents_no_hook_that_does_not_exist():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    documented = set(re.findall(r"^### (samverka_\w+)\(", guide, flags=re.M))
    assert documented == set(HOOKS)


def test_every_hookspec_has_a_docstring_saying_when_it_is_called():
    assert [name for name, fn in HOOKS.items() if "Called" not in (fn.__doc__ or "")] == []


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_hook_"):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name) and t.id.startswith("test_hook_"))
    return names


def test_every_hookspec_is_exercised_by_a_test():
    """Each hook ``samverka_x`` needs a test named ``test_hook_x`` (or starting with it)."""
    names = _test_names()
    untested = [
        hook for hook in HOOKS
        if not any(n == f"test_hook_{hook.removeprefix('samverka_')}" or n.startswith(f"test_hook_{hook.removeprefix('samverka_')}_") for n in names)
    ]
    assert untested == []
