"""Modules imported by a computed name: ``importlib.import_module("models." + args.model)``,
``__import__(f"model.{name}", fromlist=["Model"])``.

A plugin-style loader picks one module of a package from a config or a flag, so the program may
run any module of that package: for the project index it imports them all. A name given whole
(``import_module("models.bilstm")``) imports that module; a computed name that does not start
with a package (``import_module(name)``) says nothing, and is left out.
"""

from __future__ import annotations

import ast
import re

from lint_rules.ast_names import dotted

_IMPORTERS = frozenset(("importlib.import_module", "import_module", "__import__"))
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def dynamic_import(call: ast.Call) -> tuple[str, bool] | None:
    """(module, whole package) that an ``import_module``/``__import__`` call loads: the
    package for a computed name that starts with one, the module for a literal name."""
    if dotted(call.func) not in _IMPORTERS or not call.args:
        return None
    name = call.args[0]
    if isinstance(name, ast.Constant) and isinstance(name.value, str):
        return (name.value, False) if _DOTTED.match(name.value) else None
    prefix = _constant_prefix(name)
    if prefix is None or not prefix.endswith("."):
        return None
    package = prefix[:-1]
    return (package, True) if _DOTTED.match(package) else None


def _constant_prefix(name: ast.AST) -> str | None:
    """The literal start of ``"pkg." + x``, ``f"pkg.{x}"`` or ``"pkg.{}".format(x)``."""
    if isinstance(name, ast.BinOp) and isinstance(name.op, ast.Add):
        left = name.left
        if isinstance(left, ast.Constant) and isinstance(left.value, str):
            return left.value
        return None
    if isinstance(name, ast.JoinedStr) and name.values:
        first = name.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
        return None
    if (
        isinstance(name, ast.Call)
        and isinstance(name.func, ast.Attribute)
        and name.func.attr == "format"
        and isinstance(name.func.value, ast.Constant)
        and isinstance(name.func.value.value, str)
    ):
        return name.func.value.value.split("{", 1)[0]
    return None
