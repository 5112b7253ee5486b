"""Which names of one scope a value is computed from: enough to tell whether two tensors come
from the same batch.

A name "in scope" says little on its own: in a notebook every cell shares the module's names, so
an ``attention_mask`` printed in one cell would vouch for a toy tensor fed to an RNN in another.
Following assignments back (flow-insensitively, within the scope: a function, or the module body
of a script or notebook) says whether a mask and an RNN's input share a source. Two kinds of
names are not sources of data: where a tensor goes (a device or dtype argument, ``.to(...)``),
and names bound only to literals (sizes such as ``max_len = 50``, which every tensor may share).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

# Arguments that say where a tensor lives or what it holds, never which data it is.
_PLACEMENT_METHODS = frozenset(("to", "cuda", "cpu", "type", "type_as", "float", "long", "int"))
_PLACEMENT_KEYWORDS = frozenset(("device", "dtype", "non_blocking", "requires_grad"))
_LITERALS = (cst.Integer, cst.Float, cst.SimpleString, cst.Name, cst.UnaryOperation)
_NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def names_read(node: cst.CSTNode) -> set[str]:
    """The plain names an expression reads (the base of ``batch.text``, not ``text``), without
    ``self`` and without arguments that only place a tensor on a device or dtype."""
    found: set[str] = set()
    pending: list[cst.CSTNode] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.Name):
            if current.value != "self":
                found.add(current.value)
        elif isinstance(current, cst.Attribute):
            pending.append(current.value)  # the attribute's own name is not a variable
        elif isinstance(current, cst.Call):
            pending.append(current.func)
            placement = (
                isinstance(current.func, cst.Attribute)
                and current.func.attr.value in _PLACEMENT_METHODS
            )
            for argument in current.args:
                keyword = argument.keyword.value if argument.keyword is not None else None
                if placement or keyword in _PLACEMENT_KEYWORDS:
                    continue
                pending.append(argument.value)
        elif not isinstance(current, _NESTED):
            pending.extend(current.children)
    return found


class Lineage:
    """The sources of every name a scope assigns: ``lineage.ancestors({"x"})``."""

    def __init__(self, scope: cst.CSTNode) -> None:
        self.sources: dict[str, set[str]] = {}
        self.literal_only: set[str] = set()
        self._values: list[tuple[set[str], cst.CSTNode]] = []  # (names bound, their value)
        self._targets: list[tuple[cst.CSTNode, cst.CSTNode]] = []  # (target, value)
        self._not_literal: set[str] = set()
        body: Iterable[cst.CSTNode] = ()
        if isinstance(scope, cst.Module):
            body = scope.body
        elif isinstance(scope, cst.FunctionDef) and isinstance(scope.body, cst.IndentedBlock):
            body = scope.body.body
        for target, value in _bindings(body):
            names = names_read(value) if value is not None else set()
            if value is not None:
                self._values.append((set(_target_names(target)), value))
                self._targets.append((target, value))
            for name in _target_names(target):
                self.sources.setdefault(name, set()).update(names)
                if value is not None and _is_literal(value):
                    self.literal_only.add(name)
                else:
                    self._not_literal.add(name)
        self.literal_only -= self._not_literal

    def bound_from(self, node: cst.CSTNode) -> set[str]:
        """The names an assignment binds to ``node``'s result (``out, _ = self.rnn(x)``)."""
        return {
            name
            for names, value in self._values
            if any(part is node for part in _descendants(value))
            for name in names
        }

    def bound_to(self, node: cst.CSTNode) -> set[str]:
        """The names an assignment binds to ``node``'s whole result (``x = self.encode(w)``)."""
        return {
            name
            for target, value in self._targets
            if value is node and isinstance(target, cst.Name)
            for name in _target_names(target)
        }

    def values_of(self, name: str) -> list[cst.CSTNode]:
        """Every value the scope binds ``name`` to."""
        return [value for names, value in self._values if name in names]

    def first_bound_from(self, node: cst.CSTNode) -> set[str]:
        """The names bound to the first item of ``node``'s result: ``out`` of ``out, _ =
        self.rnn(x)`` and of ``out = self.rnn(x)[0]``, not the state."""
        found: set[str] = set()
        for target, value in self._targets:
            if value is node and isinstance(target, (cst.Tuple, cst.List)) and target.elements:
                found.update(_target_names(target.elements[0].value))
            elif (
                isinstance(value, cst.Subscript)
                and value.value is node
                and len(value.slice) == 1
                and isinstance(value.slice[0].slice, cst.Index)
                and isinstance(value.slice[0].slice.value, cst.Integer)
                and value.slice[0].slice.value.value == "0"
            ):
                found.update(_target_names(target))
        return found

    def ancestors(self, names: Iterable[str], stop: Iterable[str] = ()) -> set[str]:
        """``names`` and every name they are computed from, sizes given by literals left out,
        and not followed past the names in ``stop``."""
        seen: set[str] = set()
        stopped = set(stop)
        pending = list(names)
        while pending:
            name = pending.pop()
            if name in seen or name in self.literal_only or name in stopped:
                continue
            seen.add(name)
            pending.extend(self.sources.get(name, ()))
        return seen


def _descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(current.children)


def _is_literal(value: cst.CSTNode) -> bool:
    if isinstance(value, cst.Name):
        return value.value in ("True", "False", "None")
    if isinstance(value, cst.UnaryOperation):
        return _is_literal(value.expression)
    return isinstance(value, _LITERALS)


def _target_names(target: cst.CSTNode) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


def _bindings(body: Iterable[cst.CSTNode]) -> Iterator[tuple[cst.CSTNode, cst.CSTNode | None]]:
    """(target, value) of every assignment in a block, nested blocks included, nested functions
    and classes not; a ``for`` target takes its iterable as value, a ``with`` target its item."""
    pending = list(body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, _NESTED):
            continue
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        yield target.target, small.value
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    yield small.target, small.value
            continue
        if isinstance(statement, cst.For):
            yield statement.target, statement.iter
        elif isinstance(statement, cst.With):
            for item in statement.items:
                if item.asname is not None:
                    yield item.asname.name, item.item
        for field in ("body", "orelse", "finalbody"):
            child = getattr(statement, field, None)
            if isinstance(child, (cst.Else, cst.Finally)):
                child = child.body
            if isinstance(child, cst.If):
                pending.append(child)
            elif isinstance(child, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                pending.extend(child.body)
        pending.extend(handler for handler in getattr(statement, "handlers", ()))
