"""What a ``mask`` is made from, where the flow-insensitive lineage cannot tell.

Two things make a mask share a source with an RNN's input without saying anything about padding:

- a size or a place: ``nb_frames, nb_samples, _ = x.shape``, ``shape = ids.size()``,
  ``device = ids.device``, then ``torch.ones(shape, device=device)``. Every tensor of the batch
  has the batch's sizes and device; an all-ones mask built to a shape masks nothing.
- the RNN's own output, through a name the function rebinds: ``x = torch.cat([x, out], -1)``
  after ``out = self.lstm(x)``, then ``mask = F.relu(x)`` (a source-separation mask, an
  output gate). Read in statement order, the mask is made after the call from what the RNN
  returned, so it says nothing about the batch the RNN read.
"""

from __future__ import annotations

import libcst as cst

from lint_rules.lineage import names_read

_SIZE_ATTRIBUTES = frozenset(("shape", "ndim", "device", "dtype"))
_SIZE_METHODS = frozenset(("size", "dim"))


def size_names(function: cst.CSTNode) -> set[str]:
    """Names every assignment of the function binds to a size or a place: ``x.shape``,
    ``x.size()``, ``x.shape[1]``, ``len(x)``, ``x.device`` (tuple targets too:
    ``b, t, f = x.shape``)."""
    sizes: set[str] = set()
    other: set[str] = set()
    for statement in _assignments(function):
        targets = _target_names(statement)
        if _is_size(statement.value):
            sizes |= targets
        else:
            other |= targets
    return sizes - other


def made_from_output(function: cst.CSTNode, mask: str, call: cst.Call, outputs: set[str]) -> bool:
    """In the function body's own statements, read in order, the mask is assigned after the
    statement holding ``call``, from names whose latest binding before it reads the RNN's
    output (``outputs``: the names bound from the call). Only a body of plain statements is
    read: an assignment inside a loop or branch keeps the answer False."""
    body = getattr(getattr(function, "body", None), "body", ())
    call_index = next(
        (index for index, statement in enumerate(body) if _holds(statement, call)), None
    )
    if call_index is None:
        return False
    for index in range(len(body) - 1, call_index, -1):
        assigned = _simple_assignment(body[index])
        if assigned is None or mask not in _target_names(assigned):
            continue
        tracked = names_read(assigned.value)
        for earlier in range(index - 1, call_index, -1):
            binding = _simple_assignment(body[earlier])
            if binding is None:
                if _binds_any(body[earlier], tracked):
                    return False  # bound in a loop or branch: not read in order
                continue
            bound = _target_names(binding) & tracked
            if bound:
                tracked = (tracked - bound) | names_read(binding.value)
            if tracked & outputs:
                return True
        return bool(tracked & outputs)
    return False


def _assignments(function: cst.CSTNode) -> list[cst.Assign]:
    found: list[cst.Assign] = []

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            found.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

    function.visit(Finder())
    return found


def _is_size(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.IfExp):
        return _is_size(value.body) and _is_size(value.orelse)
    if isinstance(value, cst.Subscript):
        value = value.value
    if isinstance(value, cst.Attribute):
        return value.attr.value in _SIZE_ATTRIBUTES
    if isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Attribute):
            return func.attr.value in _SIZE_METHODS
        return isinstance(func, cst.Name) and func.value == "len"
    return False


def _target_names(assignment: cst.Assign) -> set[str]:
    names: set[str] = set()
    for target in assignment.targets:
        pending: list[cst.CSTNode] = [target.target]
        while pending:
            node = pending.pop()
            if isinstance(node, cst.Name):
                names.add(node.value)
            elif isinstance(node, (cst.Tuple, cst.List)):
                pending.extend(element.value for element in node.elements)
            elif isinstance(node, cst.StarredElement):
                pending.append(node.value)
    return names


def _simple_assignment(statement: cst.CSTNode) -> cst.Assign | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Assign):
            return small
    return None


def _holds(statement: cst.CSTNode, call: cst.Call) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nonlocal found
            if node is call:
                found = True
            return not found

    statement.visit(Finder())
    return found


def _binds_any(statement: cst.CSTNode, names: set[str]) -> bool:
    """A compound statement (loop, branch, ``with``) that assigns one of ``names``."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(
            isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign))
            and bool(names_read(getattr(small, "target", None) or small.targets[0].target) & names)
            for small in statement.body
        )
    return any(bool(_target_names(assignment) & names) for assignment in _assignments(statement))
