"""Truncated back-propagation through time: a loop that detaches the state it carries.

``h = h.detach()`` (or ``h.detach_()``, ``h = h.data``, ``h = tuple(e.data for e in h)``,
``h = repackage_hidden(h)``) before ``out, h = model(batch, h)``: the loop keeps the state's
values from one batch to the next but cuts the graph there. That is a training loop over batches
(a language model over consecutive chunks, a classifier carrying ``h`` across independent
batches): each call reads whole sequences at once, and carrying the state between batches is a
training choice, not stepping a bidirectional model through one sequence as streaming does
(BRN007). Streaming inference has no graph to cut, so it does not detach the state it carries.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from lint_rules.ast_names import dotted

# What cuts a tensor from its graph: ``h.detach()``, ``h.detach_()``, ``h.data``.
_DETACHING_ATTRIBUTES = frozenset(("detach", "detach_", "data"))
# Helpers named for it (``repackage_hidden`` in PyTorch's word language model, ``detach_hidden``).
_DETACHING_HELPER_WORDS = ("repackage", "detach")


def detaches_state(body: Iterable[ast.AST], names: set[str]) -> bool:
    """Whether statements of a loop's ``body`` (nested functions aside) detach one of the
    carried state's ``names``: rebind it from a detached copy of itself, or detach it in place."""
    for node in _walk(body):
        if isinstance(node, ast.Assign) and _binds(node.targets, names):
            if _mentions(node.value, names) and _detaching(node.value):
                return True
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr == "detach_":
                if _mentions(func.value, names):
                    return True
    return False


def _walk(body: Iterable[ast.AST]) -> Iterable[ast.AST]:
    pending = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _binds(targets: list[ast.expr], names: set[str]) -> bool:
    for target in targets:
        elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        if any(dotted(element) in names for element in elements):
            return True
    return False


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(dotted(child) in names for child in ast.walk(node))


def _detaching(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and child.attr in _DETACHING_ATTRIBUTES:
            return True
        if isinstance(child, ast.Call):
            name = (dotted(child.func) or "").rsplit(".", 1)[-1].lower()
            if any(word in name for word in _DETACHING_HELPER_WORDS):
                return True
    return False
