"""Where a module slices, along the first dimension, an element of the tuple a call returned.

``encoder_outputs, encoder_hidden = encoder(x, lengths)`` then ``encoder_hidden[:n]``: the
project index says which calls return another module's RNN state (``BidirectionalState``); this
finds the slices of what they returned. Scopes are named as the index names them: ``""`` for
module-level code, ``"f"`` for a module-level function, ``"Class.method"`` for a method. A slice
counts when it comes after the unpacking in the source with no other binding of the name in
between (``hidden = hidden[:n]`` reads before it binds), so a reassigned or reshaped state is not
mistaken for the one the call returned; on the first pass through any loop the slice reads what
the call returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from lint_rules.imports import dotted_name


@dataclass(frozen=True)
class StateSlice:
    """``node`` is ``name[lower:upper]`` of what ``callee`` returned at ``position``."""

    scope: str
    callee: str
    position: int
    node: cst.Subscript
    lower: Any  # the slice's bounds (None where absent)
    upper: Any


@dataclass
class _Scope:
    """What one scope does, each with its order in the source (bindings when they take effect)."""

    bound: dict[str, list[int]] = field(default_factory=dict)
    unpacked: list[tuple[str, int, str, int]] = field(
        default_factory=list
    )  # callee, position, name
    subscripts: list[tuple[cst.Subscript, int]] = field(default_factory=list)


def state_slices(
    module: cst.Module, wanted: Iterable[tuple[str, str, int]]
) -> Iterator[StateSlice]:
    """The first-dimension slices of the elements ``(scope, callee, position)`` names."""
    wanted = set(wanted)
    if not wanted:
        return
    collector = _Collector()
    module.visit(collector)
    for scope_name, scope in collector.scopes.items():
        for callee, position, name, unpacked_at in scope.unpacked:
            if (scope_name, callee, position) not in wanted:
                continue
            bindings = scope.bound.get(name, [])
            for node, read_at in scope.subscripts:
                if not (isinstance(node.value, cst.Name) and node.value.value == name):
                    continue
                if read_at < unpacked_at or any(unpacked_at < at < read_at for at in bindings):
                    continue
                first = node.slice[0].slice
                if isinstance(first, cst.Slice) and first.step is None:
                    yield StateSlice(scope_name, callee, position, node, first.lower, first.upper)


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.stack: list[tuple[str, str | None]] = []  # ("class" | "function", scope name)
        self.scopes: dict[str, _Scope] = {}
        self.order = 0

    def _next(self) -> int:
        self.order += 1
        return self.order

    def _current(self) -> _Scope | None:
        if not self.stack:
            return self.scopes.setdefault("", _Scope())
        kind, name = self.stack[-1]
        if kind != "function" or name is None:
            return None
        return self.scopes.setdefault(name, _Scope())

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.stack.append(("class", node.name.value if not self.stack else None))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name: str | None = None
        if not self.stack:
            name = node.name.value
        elif len(self.stack) == 1 and self.stack[0][0] == "class" and self.stack[0][1]:
            name = f"{self.stack[0][1]}.{node.name.value}"
        self.stack.append(("function", name))
        scope = self._current()
        parameters = node.params
        for param in [*parameters.posonly_params, *parameters.params, *parameters.kwonly_params]:
            self._bind(scope, param.name)  # a parameter is a binding too (redefined functions)
        for star in (parameters.star_arg, parameters.star_kwarg):
            if isinstance(star, cst.Param):
                self._bind(scope, star.name)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.stack.append(("function", None))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.stack.pop()

    def visit_Subscript(self, node: cst.Subscript) -> None:
        scope = self._current()
        if scope is not None and node.slice:
            scope.subscripts.append((node, self._next()))

    def leave_Assign(self, original_node: cst.Assign) -> None:
        scope = self._current()
        if scope is None:
            return
        at = self._next()
        value = original_node.value
        callee = dotted_name(value.func) if isinstance(value, cst.Call) else None
        for target in original_node.targets:
            element = target.target
            if isinstance(element, (cst.Tuple, cst.List)) and callee is not None:
                for position, item in enumerate(element.elements):
                    if isinstance(item.value, cst.Name):
                        scope.unpacked.append((callee, position, item.value.value, at))
            self._bind(scope, element, at)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        self._bind(self._current(), original_node.target)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self._bind(self._current(), original_node.target)

    def visit_For_body(self, node: cst.For) -> None:
        self._bind(self._current(), node.target)

    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        self._bind(self._current(), original_node.target)

    def leave_WithItem(self, original_node: cst.WithItem) -> None:
        if original_node.asname is not None:
            self._bind(self._current(), original_node.asname.name)

    def _bind(self, scope: _Scope | None, target: Any, at: int | None = None) -> None:
        if scope is None:
            return
        at = self._next() if at is None else at
        if isinstance(target, cst.Name):
            scope.bound.setdefault(target.value, []).append(at)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for item in target.elements:
                self._bind(scope, item.value, at)
        elif isinstance(target, cst.StarredElement):
            self._bind(scope, target.value, at)
