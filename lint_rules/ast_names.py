"""Names and integer literals in Python's own ``ast``: the project index's modules read call and
attribute chains and sizes with these helpers (the libcst twin of ``dotted`` is
``imports.dotted_name``)."""

from __future__ import annotations

import ast


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def literal_int(node: ast.AST) -> int | None:
    """The value of an integer literal, ``-1`` included; None for anything else (a bool too)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = literal_int(node.operand)
        return -inner if inner is not None else None
    return None
