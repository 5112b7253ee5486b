"""Project functions that pack their argument: what they return is a ``PackedSequence``.

A project often packs in a helper of its own (``torch_utils.pack_rnn_input`` sorts the batch,
calls ``pack_padded_sequence`` and returns the packed batch with the indices that restore the
order), and the model calls it: ``packed, order = pack_rnn_input(embedded, lengths)``, then
``self.lstm(packed)``. The model reads a packed batch, so BRN005 has nothing to say.

Pass 1 (``returned_packing``) records, per module-level function, which returned value (the
whole of it, or one element of a returned tuple) is a pack call's result, directly or through a
name last bound to one, or what another project function returns (``return pack_sorted(x,
lengths)``, ``packed, order = sort_and_pack(x)``). Pass 2 (``packing_helpers_for``) follows those
calls through the project's imports, a few functions deep, and hands each module the helpers it
imports that pack; the analysis (``packed_result``) turns a call of one into the packed value.
A function defined in the module itself, or a method, is interpreted where it is called and
needs none of this.
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from typing import Any

from lint_rules.ast_names import dotted, literal_int
from lint_rules.torch_api import PACK_CALLS
from lint_rules.values import Packed, TupleValue

# Roots of calls that are never a project function (torch's and numpy's own, methods of self).
_LIBRARY_ROOTS = frozenset(("torch", "nn", "F", "np", "numpy", "tf", "keras", "self", "super"))
_DEPTH = 3  # helpers calling helpers: how many functions deep a pack is followed
_WHOLE = 0  # the arity of a returned value that is not a tuple literal

# What a returned value is: ("pack",), a pack call's result, or ("call", callee, element), what
# the project function ``callee`` returns (``element`` None) or one element of its tuple.
Source = tuple
# (arity, position, source): the value at ``position`` of a returned tuple of ``arity`` items,
# or the whole returned value when ``arity`` is 0.
ReturnedPacking = tuple[int, int, Source]


def returned_packing(
    function: ast.AST, nodes: list[ast.AST], hollow: Collection[int] = ()
) -> tuple[ReturnedPacking, ...]:
    """What ``function`` returns that may be packed; ``nodes`` are its scope's ``Return``,
    ``Assign`` and ``AnnAssign`` nodes in source order (``node_index``), ``hollow`` the ids
    of its packs that pack nothing (``hollow_packing``)."""
    arguments = getattr(function, "args", None)
    local = (
        {arg.arg for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
        if arguments is not None
        else set()
    )
    for node in nodes:  # a method of a local value (`order.cuda()`) is no project function
        if isinstance(node, ast.Assign):
            local.update(name.id for target in node.targets for name in _names(target))
        elif isinstance(node, ast.AnnAssign):
            local.update(name.id for name in _names(node.target))
    bindings: dict[str, list[tuple[tuple[int, int], Source | None]]] = {}
    found: list[ReturnedPacking] = []
    for node in nodes:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name, source in _bound(target, node.value, local, hollow):
                    bindings.setdefault(name, []).append(((node.lineno, node.col_offset), source))
        elif isinstance(node, ast.Return) and node.value is not None:
            at = (node.lineno, node.col_offset)
            if isinstance(node.value, ast.Tuple):
                items = node.value.elts
                for position, item in enumerate(items):
                    source = _returned(item, at, bindings, local, hollow)
                    if source is not None:
                        found.append((len(items), position, source))
            else:
                source = _returned(node.value, at, bindings, local, hollow)
                if source is not None:
                    found.append((_WHOLE, 0, source))
    return tuple(found)


def _names(target: ast.AST) -> list[ast.Name]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _names(element)]
    return []


def _bound(target: ast.AST, value: ast.AST, local: set[str], hollow: Collection[int]):
    """(name, source) for each name an assignment binds; source None when not a packing one."""
    if isinstance(target, ast.Name):
        yield target.id, _source(value, local, hollow)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for position, element in enumerate(target.elts):
            if not isinstance(element, ast.Name):
                continue
            if isinstance(value, ast.Tuple) and len(value.elts) == len(target.elts):
                yield element.id, _source(value.elts[position], local, hollow)
            else:
                callee = _callee(value, local)
                yield element.id, ("call", callee, position) if callee else None


def _returned(
    node: ast.AST, at: tuple[int, int], bindings: dict, local: set[str], hollow: Collection[int]
) -> Source | None:
    """The source of a returned expression: a call, or a name as its last binding before the
    ``return`` left it (``x = pack_padded_sequence(x, ...)``, then ``return x``)."""
    if isinstance(node, ast.Name):
        before = [source for where, source in bindings.get(node.id, ()) if where < at]
        return before[-1] if before else None
    return _source(node, local, hollow)


def _source(node: ast.AST, local: set[str], hollow: Collection[int]) -> Source | None:
    if isinstance(node, ast.Call):
        name = dotted(node.func) or ""
        if name.rsplit(".", 1)[-1] in PACK_CALLS:
            return None if id(node) in hollow else ("pack",)
        callee = _callee(node, local)
        return ("call", callee, None) if callee else None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call):
        position = literal_int(node.slice)
        callee = _callee(node.value, local)
        if callee and position is not None and position >= 0:
            return ("call", callee, position)  # `return sort_and_pack(x, lengths)[0]`
    return None


def _callee(node: ast.AST, local: set[str]) -> str | None:
    """The dotted name a call calls, when it may be a project function: not torch's, nor a
    method of a parameter or a local value."""
    if not isinstance(node, ast.Call):
        return None
    name = dotted(node.func)
    if name is None:
        return None
    root = name.split(".", 1)[0]
    return None if root in _LIBRARY_ROOTS or root in local else name


# -- pass 2 -----------------------------------------------------------------------------------


def packed_positions(index: Any, path: str, name: str, depth: int = 0) -> frozenset:
    """(arity, position) of what the project function ``name`` of ``path`` returns packed
    ((0, 0): the whole value)."""
    function = index._functions.get(path, {}).get(name)
    if function is None or not function.returned_packing or depth > _DEPTH:
        return frozenset()
    found: set[tuple[int, int]] = set()
    for arity, position, source in function.returned_packing:
        if source[0] == "pack":
            found.add((arity, position))
            continue
        _, callee, element = source
        target = index.resolve_function(path, callee)
        if target is None:
            continue
        inner = packed_positions(index, target[0], target[1], depth + 1)
        if element is None and arity == _WHOLE:
            found.update(inner)  # `return pack_sorted(x, lengths)`: the callee's value itself
        elif element is None:
            if (_WHOLE, 0) in inner:
                found.add((arity, position))
        elif any(inner_arity and at == element for inner_arity, at in inner):
            found.add((arity, position))
    return frozenset(found)


def packing_helpers_for(index: Any, path: str) -> tuple[tuple[str, tuple, str], ...]:
    """(name as the module calls it, packed positions, origin) of the project functions that
    ``path`` imports (``pack_rnn_input``, ``utils.pack_batch``, through a star import) and
    that return a packed value."""
    names = index.__dict__.get("_packing_names")
    if names is None:
        names = {
            function.name
            for summary in index.summaries.values()
            for function in summary.functions
            if function.returned_packing
        }
        index.__dict__["_packing_names"] = names
    if not names:
        return ()  # most projects: no function of theirs returns a packed batch
    candidates: set[str] = set()
    for item in index.summaries[path].imports:
        if item.local == "*":
            candidates.update(names)
            continue
        if item.name in names:
            candidates.add(item.local)
        candidates.update(f"{item.local}.{name}" for name in names)  # `utils.pack_batch`
    found = []
    for local in sorted(candidates):
        target = index.resolve_function(path, local)
        if target is None or target[0] == path:
            continue
        positions = packed_positions(index, *target)
        if positions:
            line = index._functions[target[0]][target[1]].line
            found.append((local, tuple(sorted(positions)), f"{target[0]}:{line}"))
    return tuple(found)


# -- the analysis -----------------------------------------------------------------------------


def packed_result(helpers: tuple, called: str | None) -> Packed | TupleValue | None:
    """The value a call of the imported helper ``called`` gives: packed where it packs (the
    other elements of its tuple unknown); None when ``called`` is no packing helper."""
    if called is None:
        return None
    for local, positions, _ in helpers:
        if local != called:
            continue
        if (_WHOLE, 0) in positions:
            return Packed()
        arity = positions[0][0]
        packed = {position for at_arity, position in positions if at_arity == arity}
        return TupleValue(tuple(Packed() if i in packed else None for i in range(arity)))
    return None
