"""Pass 1's nodes filed once per module, by scope and by type, for every collector to share.

Pass 1 gathers many kinds of fact (instantiations, config defaults, padding forms, states that
cross modules, readouts...), each from a few node types. When every collector walked the tree
for itself, the walks and the per-node type tests cost more than ``ast.parse``. Here one walk
files each node under its scope (the module's own statements, or one function's or class's
body, without the functions and classes nested in it); a collector asks its scope for the types
it reads, ``index.scope(function).of(ast.Call, ast.Assign)``, and gets them in source order
(the order a pre-order walk meets them), so its output is the same as when it walked. A
collector that reads a whole definition in ``ast.walk``'s order (``__init__`` with the functions
nested in it) asks ``index.walked(init, ast.Assign)``: one walk however many collectors ask.

Expression contexts and operators (``Load``, ``Add``, ``Eq``: a third of a module's nodes,
without children) are not filed: no collector asks for them, and asking raises.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

_DEFINITIONS = frozenset((ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
_LAMBDA_ENDS = object()  # pushed under a lambda's children: popping it leaves the lambda
# Fields that hold only expression contexts and operators (and a module's type-ignore comments).
_NOT_FILED_FIELDS = frozenset(("ctx", "op", "ops", "type_ignores"))
_NOT_FILED_TYPES = (ast.expr_context, ast.operator, ast.cmpop, ast.boolop, ast.unaryop)
_fields_of: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    """``kind``'s fields in declared order (``ast.iter_child_nodes``'), less the unfiled ones."""
    fields = _fields_of.get(kind)
    if fields is None:
        fields = _fields_of[kind] = tuple(
            name
            for name in kind._fields
            if name not in _NOT_FILED_FIELDS  # type: ignore[attr-defined]
        )
    return fields


def _children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes(node)`` less expression contexts and operators, as a list."""
    children: list[ast.AST] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name, None)
        if type(value) is list:
            children += [item for item in value if isinstance(item, ast.AST)]
        elif isinstance(value, ast.AST):
            children.append(value)
    return children


def _refuse_unfiled(types: tuple[type, ...]) -> None:
    if any(issubclass(kind, _NOT_FILED_TYPES) for kind in types):
        raise ValueError(f"expression contexts and operators are not filed: {types}")


class ScopeNodes:
    """The nodes of one scope: ``nodes`` in pre-order (what ``ast.walk`` of its statements
    yields, in source order, stopping at nested definitions), ``nested`` the functions and
    classes defined directly in it."""

    __slots__ = ("nodes", "nested", "_in_lambdas", "_of")

    def __init__(self) -> None:
        self.nodes: list[ast.AST] = []
        self.nested: list[ast.AST] = []
        self._in_lambdas: set[int] = set()  # ids of lambdas and the nodes inside them
        self._of: dict[tuple, list[ast.AST]] = {}

    def of(self, *types: type, in_lambdas: bool = True) -> list[ast.AST]:
        """The scope's nodes of exactly these types, in source order; ``in_lambdas=False``
        leaves out lambdas' bodies (a lambda is a scope of its own to some collectors)."""
        key = (types, in_lambdas)
        found = self._of.get(key)
        if found is None:
            _refuse_unfiled(types)
            wanted = frozenset(types)
            found = [node for node in self.nodes if type(node) in wanted]
            if not in_lambdas and self._in_lambdas:
                found = [node for node in found if id(node) not in self._in_lambdas]
            self._of[key] = found
        return found


class NodeIndex:
    """Every scope of a module, filed in one walk; ``scope(owner)`` for the module itself
    (``owner`` the ``ast.Module``), a function or a class."""

    def __init__(self, tree: ast.Module) -> None:
        self._scopes: dict[int, ScopeNodes] = {}
        self._walked: dict[int, list[ast.AST]] = {}
        pending: list[tuple[ast.AST, Sequence[ast.stmt]]] = [(tree, tree.body)]
        while pending:
            owner, body = pending.pop()
            scope = _file(body)
            self._scopes[id(owner)] = scope
            pending.extend((nested, nested.body) for nested in scope.nested)  # type: ignore[attr-defined]

    def scope(self, owner: ast.AST) -> ScopeNodes:
        return self._scopes[id(owner)]

    def walked(self, node: ast.AST, *types: type) -> list[ast.AST]:
        """The nodes of these types in ``node``'s whole subtree (nested definitions, its own
        arguments and decorators included), in ``ast.walk``'s breadth-first order, for the
        collectors whose answer depends on that order; the walk is made once per node."""
        _refuse_unfiled(types)
        every = self._walked.get(id(node))
        if every is None:
            every = self._walked[id(node)] = _breadth_first(node)
        wanted = frozenset(types)
        return [item for item in every if type(item) in wanted]


def _file(body: Sequence[ast.stmt]) -> ScopeNodes:
    """One scope's nodes in pre-order, children in field order (as ``ast.iter_child_nodes``)."""
    scope = ScopeNodes()
    nodes, nested, in_lambdas = scope.nodes, scope.nested, scope._in_lambdas
    lambdas_open = 0
    pending: list = list(reversed(body))
    while pending:
        node = pending.pop()
        if node is _LAMBDA_ENDS:
            lambdas_open -= 1
            continue
        kind = type(node)
        if kind in _DEFINITIONS:
            nested.append(node)
            continue
        nodes.append(node)
        if kind is ast.Lambda:
            lambdas_open += 1
            pending.append(_LAMBDA_ENDS)
        if lambdas_open:
            in_lambdas.add(id(node))
        children: list = []  # _children(node), inlined: this loop meets every node
        for name in _fields_of.get(kind) or _child_fields(kind):
            value = getattr(node, name, None)
            if type(value) is list:
                children += [item for item in value if isinstance(item, ast.AST)]
            elif isinstance(value, ast.AST):
                children.append(value)
        if children:
            children.reverse()
            pending.extend(children)
    return scope


def _breadth_first(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))`` less expression contexts and operators, in the same order."""
    every = [node]
    position = 0
    while position < len(every):
        every.extend(_children(every[position]))
        position += 1
    return every
