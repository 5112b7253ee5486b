"""Loops in a class's own methods that step another of its methods with a state.

``predict`` may stream through the class's own ``step``: ``out, h = self.step(chunk, h)`` in a
loop, the state that comes back going in again. The RNN call inside ``step`` then runs one chunk
at a time with a carried state, although no loop surrounds it. A loop that passes a fresh state
each time (``self.step(chunk, None)``, ``self.step(chunk, h0)`` with ``h0`` never reassigned from
the result) steps nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from lint_rules.imports import dotted_name
from lint_rules.statements import statements


def stepping_calls(
    methods: dict[str, cst.FunctionDef], backwards: Callable[[cst.BaseExpression], bool]
) -> dict[str, tuple[str, cst.Call]]:
    """Method name -> (the method whose loop steps it, the ``self.name(...)`` call), for each
    method of ``methods`` that another one calls in a loop, taking the new state back. A caller
    that steps it over the chunks both forwards and (``backwards`` telling a ``for`` loop's
    iterable that runs from the end) backwards is chunked two-pass inference: right."""
    found: dict[str, tuple[str, cst.Call]] = {}
    for caller, function in methods.items():
        passes: dict[str, set[bool]] = {}
        first: dict[str, cst.Call] = {}
        for loop in _loops(function):
            reverse = isinstance(loop, cst.For) and backwards(loop.iter)
            for callee, call in _carrying_self_calls(loop):
                if callee in methods and callee != caller:
                    passes.setdefault(callee, set()).add(reverse)
                    first.setdefault(callee, call)
        for callee, directions in passes.items():
            if directions != {True, False}:
                found.setdefault(callee, (caller, first[callee]))
    return found


def _loops(function: cst.FunctionDef) -> list[cst.For | cst.While]:
    return [node for node in statements(function.body) if isinstance(node, (cst.For, cst.While))]


def _carrying_self_calls(loop: cst.For | cst.While) -> list[tuple[str, cst.Call]]:
    """``out, h = self.name(x, h)`` in the loop: a name bound from the result after its first
    element is among the names passed after the first argument."""
    found: list[tuple[str, cst.Call]] = []
    for node in statements(loop.body):
        if not isinstance(node, cst.Assign):
            continue
        call = node.value
        if not isinstance(call, cst.Call) or not _is_self_method(call.func):
            continue
        returned: set[str] = set()
        for target in node.targets:
            if isinstance(target.target, (cst.Tuple, cst.List)):
                for element in target.target.elements[1:]:
                    returned |= _names(element.value)
        passed: set[str] = set()
        for index, arg in enumerate(call.args):
            if index > 0 or arg.keyword is not None:
                passed |= _names(arg.value)
        if returned & passed:
            assert isinstance(call.func, cst.Attribute)
            found.append((call.func.attr.value, call))
    return found


def _is_self_method(func: cst.BaseExpression) -> bool:
    return (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == "self"
    )


def _names(node: cst.CSTNode) -> set[str]:
    """The names and dotted names (``h``, ``self.state``) read in ``node``, ``self`` alone not."""
    names: set[str] = set()

    class Collector(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            dotted = dotted_name(attribute)
            if dotted is None:
                return True
            names.add(dotted)
            return False

        def visit_Name(self, name: cst.Name) -> None:
            if name.value != "self":
                names.add(name.value)

    node.visit(Collector())
    return names
