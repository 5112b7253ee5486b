"""The statements of a libcst block, nested blocks included, nested definitions not.

Loops, assignments and the other statements a rule looks for sit only in blocks, so a walk over
statements finds them without a visitor's call per expression node: on a large module that is
the difference between a hundredth and a tenth of a libcst parse.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst


def statements(block: cst.BaseSuite) -> Iterator[cst.CSTNode]:
    """Every statement in ``block`` and the blocks nested in it, small statements (``x = f()``)
    included, not those of nested functions or classes. Loops and assignments are statements,
    so walking statements alone finds them without visiting every expression node."""
    pending: list[cst.CSTNode] = [block]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.IndentedBlock):
            pending.extend(reversed(node.body))
        elif isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            yield from node.body  # ``x = f()``; ``while w: y = 2``
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            continue
        elif isinstance(node, cst.BaseCompoundStatement):
            yield node
            pending.extend(reversed(blocks(node)))
        elif isinstance(node, (cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally)):
            pending.append(node.body)
        elif isinstance(node, cst.MatchCase):
            pending.append(node.body)


def blocks(node: cst.BaseCompoundStatement) -> list[cst.CSTNode]:
    """The blocks a compound statement holds, in source order (an ``elif`` is an ``If``)."""
    if isinstance(node, cst.Match):
        return list(node.cases)
    blocks: list[cst.CSTNode] = [node.body]
    if isinstance(node, (cst.Try, cst.TryStar)):
        blocks.extend(node.handlers)
    for name in ("orelse", "finalbody"):
        extra = getattr(node, name, None)
        if extra is not None:
            blocks.append(extra)
    return blocks
