"""A walk over a libcst subtree without libcst's visitor machinery, in the visitor's order.

``node.visit(visitor)`` costs tens of microseconds a node (attribute hooks, per-node method
lookups, rebuilding the child lists); a rule that only needs to meet some statements and one
node in the order the visitor would meet them pays that for every whitespace token of a
function. ``events`` yields the same pre-order visits and post-order leaves from the nodes'
dataclass fields, skipping the fields that hold only whitespace and punctuation.

The fields are taken in their declared order, which is the visitor's order wherever a
statement, a block or an expression follows another: ``If`` (test, body, orelse), ``For``,
``While``, ``Try``, ``With``, every expression's operands. Where the declared order is not the
visitor's, ``_VISIT_ORDER`` restates it: a function's decorators and parameters before its
body, an ``except`` clause's type before its body, a ``case``'s guard before its body. Inside
an expression the two orders can differ (``a if test else b`` declares ``test`` first but is
visited ``a`` first), which is why callers that bind names inside expressions (``:=``) fall
back to the visitor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import libcst as cst

# Fields that only ever hold whitespace, comments, brackets or punctuation tokens.
_TOKEN_FIELDS = frozenset(
    (
        "asynchronous",
        "colon",
        "comma",
        "comment",
        "dot",
        "empty_lines",
        "equal",
        "first_colon",
        "first_line",
        "footer",
        "header",
        "last_line",
        "lbrace",
        "lbracket",
        "leading_lines",
        "lines_after_decorators",
        "lpar",
        "newline",
        "operator",
        "rbrace",
        "rbracket",
        "relative",
        "rpar",
        "second_colon",
        "semicolon",
        "separator",
        "trailing_comma",
        "trailing_whitespace",
    )
)

# The visitor's order of a node's fields where it is not the declared order.
_VISIT_ORDER: dict[type, tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.MatchCase: ("pattern", "guard", "body"),
}

_fields_of: dict[type, tuple[str, ...]] = {}

LEAVE = object()  # marks the second event of a node, after its children


def child_fields(kind: type) -> tuple[str, ...]:
    """The fields of ``kind`` that may hold code, in the order the visitor visits them."""
    fields = _fields_of.get(kind)
    if fields is None:
        names = [
            field.name
            for field in dataclasses.fields(kind)
            if field.name not in _TOKEN_FIELDS and not field.name.startswith("whitespace")
        ]
        order = _VISIT_ORDER.get(kind, ())
        names = [name for name in order if name in names] + [
            name for name in names if name not in order
        ]
        fields = _fields_of[kind] = tuple(names)
    return fields


def events(root: Any, enters: Any = lambda node: True) -> Iterator[tuple[Any, bool]]:
    """``(node, False)`` when the walk reaches a node, ``(node, True)`` after its children,
    for ``root`` and every node under it; ``enters(node)`` False leaves a node's children out
    (and its leave event)."""
    pending: list[Any] = [root]
    while pending:
        node = pending.pop()
        if node is LEAVE:
            yield pending.pop(), True
            continue
        yield node, False
        if not enters(node):
            continue
        pending.append(node)
        pending.append(LEAVE)
        children: list[Any] = []
        for name in child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                children.extend(item for item in value if isinstance(item, cst.CSTNode))
        children.reverse()
        pending.extend(children)
