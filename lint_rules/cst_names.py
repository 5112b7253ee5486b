"""Names and integer literals in libcst trees, the twins of ``ast_names`` for the rules' pass:
the last name of a call's callee (``nn.LSTM`` -> ``LSTM``) and an integer literal's value."""

from __future__ import annotations

from typing import Any

import libcst as cst


def last_name(node: Any) -> str:
    """``c`` for ``a.b.c`` or ``c``; "" for anything else (a call, a subscript)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


def literal_int(node: Any) -> int | None:
    """The value of an integer literal (``0x10`` included); None for anything else."""
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return None
    return None
