"""Names and integer literals in Python's own ``ast``: the project index's modules read call and
attribute chains and sizes with these helpers (the libcst twin of ``dotted`` is
``imports.dotted_name``)."""

from __future__ import annotations

import ast


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    # pass 1 asks this of every call's callee, several times over: the common shapes first
    kind = type(node)
    if kind is ast.Name:
        return node.id  # type: ignore[attr-defined]
    if kind is ast.Attribute and type(node.value) is ast.Name:  # type: ignore[attr-defined]
        return f"{node.value.id}.{node.attr}"  # type: ignore[attr-defined]
    if kind is ast.Call or kind is ast.Subscript or kind is ast.Constant:
        return None
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


def last_name(node: ast.AST) -> str:
    """``c`` for ``a.b.c`` or ``c``; "" for anything else (a call, a subscript)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def subscript_indices(target: ast.Subscript) -> tuple[list[ast.AST], ast.AST]:
    """The indices of ``x[i][j]`` or ``x[i, j]`` in order, and ``x`` (``x.data`` read as ``x``:
    writing into a tensor's ``.data`` writes the tensor)."""
    indices: list[ast.AST] = []
    node: ast.AST = target
    while isinstance(node, ast.Subscript):
        index = node.slice
        indices[:0] = index.elts if isinstance(index, ast.Tuple) else [index]
        node = node.value
    if isinstance(node, ast.Attribute) and node.attr == "data":
        node = node.value
    return indices, node
