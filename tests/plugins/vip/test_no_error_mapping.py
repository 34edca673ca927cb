"""VIP's API handlers and pages map no errors themselves (#8): services raise core's errors,
core's handlers and ``form_page`` answer them. No ``try``/``except`` in plugins/vip/api and
plugins/vip/views (read as the AST, so no comment or string can hide one)."""

from __future__ import annotations

import ast
from pathlib import Path

VIP = Path(__file__).resolve().parents[3] / "plugins" / "vip"


def _catching(path: Path, root: Path = VIP) -> list[tuple[str, str, int]]:
    """(module, enclosing function, line) of each ``try`` with an ``except`` in the module."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
        body = function.body if function is not tree else [n for n in tree.body
                                                          if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        for node in (n for statement in body for n in ast.walk(statement)):
            if isinstance(node, ast.Try) and node.handlers:
                name = getattr(function, "name", "<module>")
                found.append((path.relative_to(root).as_posix(), name, node.lineno))
    return sorted(set(found))


def test_vip_api_and_views_catch_no_errors():
    modules = sorted([*VIP.glob("api/*.py"), *VIP.glob("views/*.py")])
    assert len(modules) > 10
    catching = [hit for path in modules for hit in _catching(path)]
    assert catching == []


def test_a_caught_error_is_found(tmp_path):
    module = tmp_path / "views" / "x.py"
    module.parent.mkdir()
    module.write_text("def page():\n    try:\n        pass\n    except ValueError:\n        pass\n")
    assert _catching(module, tmp_path) == [("views/x.py", "page", 2)]
