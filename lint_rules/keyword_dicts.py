"""Pass 1: dicts of keyword arguments that reach a constructor through ``**``.

``model = Model(**params)`` binds the keys of ``params`` as keywords. Here the dict is read where
the analysis can name it: a dict literal (``Model(**{"bidirectional": True})``, or a name bound
once to one: ``params = {...}``; ``Model(**params)``), a call to a
project function whose ``return`` statements give dict literals (``params =
model_parameter(...)``; ``Model(**params)``), or a parameter of the enclosing function that a
caller fills with such a dict (``def build(param): return Model(**param)``). A function that
returns different dicts on different branches gives each key the value the dicts holding it
agree on; a key with disagreeing literals is left unknown. Pass 2 (``keyword_dicts_resolution``)
follows the chain to the literals.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from lint_rules.ast_names import dotted

Value = tuple  # as project_index: ("bool", True), ("param", name), ("config", key)
ValueOf = Callable[[ast.AST, set[str]], "Value | None"]

# A dict source: ("dict", ((key, Value | None), ...)) a literal; ("returned", callee) what a
# project function returns; ("param", name) a parameter of the enclosing function or __init__.
Source = tuple


def returned_keys(
    returns: Iterable[ast.Return], parameters: set[str], value_of: ValueOf
) -> tuple[tuple[str, Value, int], ...]:
    """``(key, value, line)`` for the keys of the dict literals a function returns, where every
    returned dict that has the key agrees on a value the index can trace."""
    seen: dict[str, list[tuple[Value | None, int]]] = {}
    for statement in returns:
        items = _literal_items(statement.value) if statement.value is not None else None
        for key, node in items or ():
            seen.setdefault(key, []).append((value_of(node, parameters), node.lineno))
    found = []
    for key, values in seen.items():
        distinct = {value for value, _ in values}
        if len(distinct) == 1 and None not in distinct:
            found.append((key, values[0][0], values[0][1]))
    return tuple(found)


def local_sources(
    assignments: Iterable[ast.Assign], parameters: set[str], value_of: ValueOf
) -> dict[str, Source]:
    """Names a scope binds only to what one project-style function call returns
    (``params = model_parameter(flag, hidden)``, on any number of branches), or only once, to a
    dict literal (``params = {"hidden": 128, "bidirectional": True}``)."""
    found: dict[str, list[Source | None]] = {}
    for node in assignments:
        callee = _function_called(node.value)
        items = _literal_items(node.value)
        source: Source | None = None
        if callee is not None:
            source = ("returned", callee)
        elif items is not None:
            source = ("dict", tuple((key, value_of(value, parameters)) for key, value in items))
        for target in node.targets:
            if isinstance(target, ast.Name):
                found.setdefault(target.id, []).append(source)
    sources = {}
    for name, candidates in found.items():
        first = candidates[0]
        if first is None or any(candidate != first for candidate in candidates):
            continue
        if first[0] == "returned" or len(candidates) == 1:
            sources[name] = first
    return sources


def source_of(
    node: ast.AST, parameters: set[str], locals_: dict[str, Source], value_of: ValueOf
) -> Source | None:
    """What dict ``node`` (unpacked with ``**``, or passed on to be unpacked later) is."""
    items = _literal_items(node)
    if items is not None:
        return ("dict", tuple((key, value_of(value, parameters)) for key, value in items))
    callee = _function_called(node)
    if callee is not None:
        return ("returned", callee)
    if isinstance(node, ast.Name):
        if node.id in locals_:
            return locals_[node.id]
        if node.id in parameters:
            return ("param", node.id)
    return None


def _literal_items(node: ast.AST) -> list[tuple[str, ast.AST]] | None:
    """The string keys of ``{"key": value}`` or ``dict(key=value)`` with their value nodes."""
    if isinstance(node, ast.Dict):
        return [
            (key.value, value)
            for key, value in zip(node.keys, node.values)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        ]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        if not node.args:
            return [(keyword.arg, keyword.value) for keyword in node.keywords if keyword.arg]
    return None


def _function_called(node: ast.AST) -> str | None:
    """``name(...)`` / ``module.name(...)`` of a function (a lower-case name: not a class)."""
    if not isinstance(node, ast.Call):
        return None
    callee = dotted(node.func)
    if callee is None or callee == "dict" or callee.startswith("self."):
        return None
    return callee if callee.rsplit(".", 1)[-1][:1].islower() else None
