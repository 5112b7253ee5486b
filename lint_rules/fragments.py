"""Fragments of PyTorch code: a file that subclasses ``nn.Module`` without binding ``nn``.

Code pasted out of a notebook (``BiLSTM.py`` holding one class, the imports left in the
notebook) never imports ``nn``; it cannot run alone, but it says what it means. When nothing in
the module binds ``nn`` (no import of it, no star import that might, no assignment) and one of
its classes derives from ``nn.Module``, ``nn`` is read as ``torch.nn``: every framework that
spells a module ``nn.Module`` and an RNN ``nn.LSTM(..., bidirectional=True)`` (PyTorch and the
APIs modelled on it) concatenates the two directions the same way.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from lint_rules.imports import dotted_name


def unbound_torch_nn(module: cst.Module, bound: dict[str, str]) -> bool:
    """True when ``nn`` is unbound in ``module`` and one of its classes is an ``nn.Module``."""
    if "nn" in bound:
        return False
    subclasses_module = False
    for statement in module.body:
        if isinstance(statement, cst.ClassDef):
            bases = {dotted_name(base.value) for base in statement.bases}
            subclasses_module = subclasses_module or "nn.Module" in bases
        elif _may_bind_nn(statement):
            return False
    return subclasses_module


def _may_bind_nn(statement: Any) -> bool:
    """A star import, an import or assignment of ``nn``, or a definition named ``nn``,
    anywhere at module level (inside top-level blocks too)."""
    for node in _module_level(statement):
        if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
            return True
        if isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(
            node.names, cst.ImportStar
        ):
            for alias in node.names:
                local = alias.asname.name if alias.asname is not None else alias.name
                if dotted_name(local) is not None and dotted_name(local).split(".")[0] == "nn":
                    return True
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = (
                [target.target for target in node.targets]
                if isinstance(node, cst.Assign)
                else [node.target]
            )
            if any(isinstance(target, cst.Name) and target.value == "nn" for target in targets):
                return True
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.name.value == "nn":
            return True
    return False


def _module_level(statement: Any):
    pending = [statement]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            continue
        pending.extend(child for child in node.children if isinstance(child, cst.CSTNode))
