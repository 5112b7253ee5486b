"""RNN inputs that hold one time step: ``x[:, t:t+1]``, ``x[:, t].unsqueeze(1)``.

An RNN stepped over a batch one frame at a time (``self.gru(x[:, t:t+1], h)`` in a loop over
time) reads each step on its own: neither direction reads the padding before the real steps,
whatever the batch holds. What such a loop does wrong is stepping a bidirectional RNN at all
(BRN007), not reading padding in reverse (BRN005).
"""

from __future__ import annotations

import libcst as cst

from lint_rules.cst_names import literal_int
from lint_rules.statements import statements

_CODE = cst.Module([])


def holds_one_step(node: cst.BaseExpression | None, time_axis: int, function=None) -> bool:
    """Whether ``node``, an RNN's input whose time axis is ``time_axis``, is one step long: a
    slice ``a:a+1`` (or ``:1``) at that axis, an integer index there put back with
    ``unsqueeze(time_axis)``, or a name bound only to such expressions in ``function``."""
    if isinstance(node, cst.Name) and isinstance(function, cst.FunctionDef):
        values = _bindings(function, node.value)
        return bool(values) and all(_one_step(value, time_axis) for value in values)
    return node is not None and _one_step(node, time_axis)


def _one_step(node: cst.BaseExpression, time_axis: int) -> bool:
    if isinstance(node, cst.Subscript):
        item = _item_at(node, time_axis)
        return isinstance(item, cst.Slice) and _one_long(item)
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "unsqueeze"
        and len(node.args) == 1
        and literal_int(node.args[0].value) == time_axis
        and isinstance(node.func.value, cst.Subscript)
    ):
        item = _item_at(node.func.value, time_axis)
        return isinstance(item, cst.Index) and not isinstance(
            item.value, (cst.Tuple, cst.List, cst.Ellipsis)
        )
    return False


def _item_at(node: cst.Subscript, axis: int) -> cst.BaseSlice | None:
    """The index at ``axis`` when every index before it is a plain one (no ``...``)."""
    if axis >= len(node.slice):
        return None
    for element in node.slice[:axis]:
        slice_ = element.slice
        if isinstance(slice_, cst.Index) and isinstance(slice_.value, cst.Ellipsis):
            return None
    return node.slice[axis].slice


def _one_long(item: cst.Slice) -> bool:
    """``a:a+1``, ``a:1+a`` or ``:1``, without a step."""
    if item.step is not None or item.upper is None:
        return False
    if item.lower is None:
        return literal_int(item.upper) == 1
    upper = item.upper
    if not (isinstance(upper, cst.BinaryOperation) and isinstance(upper.operator, cst.Add)):
        return False
    lower = _CODE.code_for_node(item.lower)
    left, right = _CODE.code_for_node(upper.left), _CODE.code_for_node(upper.right)
    return (left == lower and right == "1") or (right == lower and left == "1")


def _bindings(function: cst.FunctionDef, name: str) -> list[cst.BaseExpression]:
    """Every value ``name`` is assigned in ``function``; empty when it is bound any other way
    (a parameter, a loop target, an augmented assignment); a nested function's names are its own."""
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    if any(param.name.value == name for param in every):
        return []
    found: list[cst.BaseExpression] = []
    for node in statements(function.body):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name) and target.target.value == name:
                    found.append(node.value)
        elif isinstance(node, cst.AugAssign):
            if isinstance(node.target, cst.Name) and node.target.value == name:
                return []
        elif isinstance(node, cst.For) and name in _names_in(node.target):
            return []
    return found


def _names_in(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()

    class Collector(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            names.add(name.value)

    node.visit(Collector())
    return names
