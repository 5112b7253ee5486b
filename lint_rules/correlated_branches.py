"""A condition tested twice: what its first branches set is what its second branches see.

``if self.rnn_type == "LSTM": out, (h, c) = self.rnn(x)`` / ``else: out, h = self.rnn(x)`` joins
``c`` to unknown after the ``if``, since the branches disagree. A later
``if self.rnn_type == "LSTM": c = c.view(...)`` can only run where the first test held, so its
body sees the value ``c`` had at the end of the first body (and its ``else`` the first ``else``'s).
That holds when the test is the same expression with the same meaning (every name it reads is
bound to the same value at both tests) and the name was not assigned between the two ``if``s.
Only RNN tensors are carried over: they are what the join loses and the rules need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libcst as cst

from lint_rules.imports import dotted_name
from lint_rules.scopes import Frame
from lint_rules.values import StateTuple, TensorFact

_EMPTY = cst.Module(body=[])


@dataclass(frozen=True, eq=False)
class Tested:
    """One ``if`` whose join lost RNN tensors: the values each branch ended with."""

    statement: cst.If
    text: str  # the test without whitespace
    reads: tuple[tuple[str, Any], ...]  # the names the test reads and their values then
    branches: tuple[dict[str, Any], dict[str, Any]]  # (body, else): name -> value lost


def test_reads(frame: Frame, test: Any) -> tuple[tuple[str, Any], ...]:
    """The dotted names a test reads and the values they are bound to now."""
    names: set[str] = set()
    pending = [test]
    while pending:
        node = pending.pop()
        name = dotted_name(node)
        if name is not None:
            parts = name.split(".")
            names.update(".".join(parts[: end + 1]) for end in range(len(parts)))
            continue
        pending.extend(child for child in node.children if isinstance(child, cst.CSTNode))
    return tuple((name, frame.lookup(name)) for name in sorted(names))


def remember(
    frame: Frame,
    statement: cst.If,
    reads: tuple[tuple[str, Any], ...],
    body: dict[str, Any],
    orelse: dict[str, Any],
    merged: dict[str, Any],
) -> None:
    lost: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
    for kept, env in zip(lost, (body, orelse)):
        for name, value in env.items():
            if isinstance(value, (TensorFact, StateTuple)) and merged.get(name) is not value:
                kept[name] = value
    if lost[0] or lost[1]:
        frame.tested.append(Tested(statement, _text(statement.test), reads, lost))


def recall(frame: Frame, statement: cst.If) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """What the body and the ``else`` of ``statement`` see from an earlier ``if`` on the same
    test, or None."""
    if not frame.tested:
        return None
    text = _text(statement.test)
    for earlier in reversed(frame.tested):
        if earlier.text != text:
            continue
        if any(frame.lookup(name) is not value for name, value in earlier.reads):
            return None  # a name the test reads was rebound: it may mean something else now
        assigned = _assigned_between(frame.scope.node, earlier.statement, statement)
        if assigned is None:
            return None
        body, orelse = earlier.branches
        return (
            {name: value for name, value in body.items() if name not in assigned},
            {name: value for name, value in orelse.items() if name not in assigned},
        )
    return None


def _text(test: Any) -> str:
    return "".join(_EMPTY.code_for_node(test).split())


def _assigned_between(function: Any, first: cst.If, second: cst.If) -> set[str] | None:
    """Names assigned after ``first`` ends and before ``second`` starts, in source order
    (``self.x`` as ``self.x``); None when the order cannot be told."""
    assigned: set[str] = set()
    after_first = False
    pending = [function]  # source order, iteratively: generated code nests deeply
    while pending:
        node = pending.pop()
        if node is second:
            return assigned if after_first else None
        if node is first:
            after_first = True
            continue
        if after_first:
            for target in _targets(node):
                assigned.update(_names(target))
        pending.extend(reversed(node.children))
    return None


def _targets(node: Any) -> list[Any]:
    if isinstance(node, cst.Assign):
        return [target.target for target in node.targets]
    if isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For)):
        return [node.target]
    if isinstance(node, cst.NamedExpr):
        return [node.target]
    if isinstance(node, cst.AsName):
        return [node.name]
    return []


def _names(target: Any) -> set[str]:
    if isinstance(target, (cst.Tuple, cst.List)):
        found: set[str] = set()
        for element in target.elements:
            found |= _names(element.value)
        return found
    if isinstance(target, cst.StarredElement):
        return _names(target.value)
    name = dotted_name(target)
    return {name} if name else set()
