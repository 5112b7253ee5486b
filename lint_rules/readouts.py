"""Modules whose ``forward`` takes the last step of the sequence they are given.

``class LastStep(nn.Module): def forward(self, h): return h[:, -1, :]`` in ``layers.py``, and
``self.readout = LastStep()`` ... ``self.readout(self.bilstm(x)[0])`` in the model: the last
step is taken in another class (often another module), so BRN004 must see the hand-over.
Pass 1 reads the ``forward`` with ``ast`` (``last_step_read``); the analysis turns a call of
such a class into a ``Readout`` and records a ``HandedToReadout`` when it is given an RNN's
output whose time axis is where the class reads ``-1``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from lint_rules.ast_names import literal_int
from lint_rules.entry_points import entry_name

_READ_TYPES = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Subscript)  # what it looks at


@dataclass(frozen=True)
class Readout:
    """An instance of a class whose ``forward`` reads ``input[..., -1 at time_axis, ...]``."""

    name: str  # the class
    time_axis: int
    origin: str  # "layers.py:79"
    expression: str  # "h[:, -1, :]"


@dataclass(frozen=True, eq=False)
class HandedToReadout:
    """An RNN's output given to a ``Readout``."""

    readout: Readout
    value: Any  # the TensorFact
    node: Any  # the call
    guard: Any
    scope: Any


def last_step_read(node: ast.ClassDef, nodes: Any = None) -> tuple[int, int, str] | None:
    """(time axis, line, expression) when the class's ``forward`` takes ``x[:, -1, :]`` (axis 1)
    or ``x[-1]`` (axis 0) of its first input ``x``, never reassigns ``x`` and never reads its
    step 0 too (which would be the two halves taken where they belong). ``nodes``: pass 1's
    ``node_index.NodeIndex`` of the module, when there is one."""
    methods = [item for item in node.body if isinstance(item, ast.FunctionDef)]
    entry = entry_name(item.name for item in methods)
    forward = next((item for item in methods if item.name == entry), None)
    if forward is None or len(forward.args.args) < 2:
        return None
    name = forward.args.args[1].arg
    found: tuple[int, int, str] | None = None
    steps: set[int] = set()
    walked = nodes.walked(forward, *_READ_TYPES) if nodes is not None else ast.walk(forward)
    for inner in walked:
        if isinstance(inner, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
            if any(isinstance(target, ast.Name) and target.id == name for target in targets):
                return None
        if not (
            isinstance(inner, ast.Subscript)
            and isinstance(inner.value, ast.Name)
            and inner.value.id == name
        ):
            continue
        read = _step_read(inner.slice)
        if read is None:
            continue
        axis, step = read
        steps.add(step)
        if step == -1 and found is None:
            found = (axis, inner.lineno, ast.unparse(inner))
    if found is None or 0 in steps:
        return None
    return found


def _step_read(index: ast.AST) -> tuple[int, int] | None:
    """(time axis, step) for ``[k]``, ``[:, k]``, ``[:, k, :]``; the others ``:`` only."""
    items = index.elts if isinstance(index, ast.Tuple) else [index]
    if not 1 <= len(items) <= 3:
        return None
    steps = [(position, literal_int(item)) for position, item in enumerate(items)]
    chosen = [(position, step) for position, step in steps if step is not None]
    if len(chosen) != 1 or chosen[0][0] > 1:
        return None
    others = [item for position, item in enumerate(items) if position != chosen[0][0]]
    if not all(_full_slice(item) for item in others):
        return None
    return chosen[0]


def _full_slice(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Slice) and node.lower is None and node.upper is None and not node.step
    )


def readouts_for(index: Any, path: str) -> tuple[tuple[str, int, str, str], ...]:
    """(class, time axis, origin, expression) for the readout classes ``path`` defines or
    imports by name (pass 2)."""
    names = index.__dict__.get("_readout_names")
    if names is None:
        names = {
            cls.name
            for other in index.summaries.values()
            for cls in other.classes
            if getattr(cls, "last_step", None) is not None
        }
        index.__dict__["_readout_names"] = names
    if not names:
        return ()  # most projects: no class takes the last step of its input
    summary = index.summaries[path]
    found: list[tuple[str, int, str, str]] = []
    for cls in summary.classes:
        last_step = getattr(cls, "last_step", None)
        if last_step is not None:
            found.append((cls.name, last_step[0], f"{path}:{last_step[1]}", last_step[2]))
    for item in summary.imports:
        if item.name not in names:
            continue
        target = index.resolve_class(path, item.local) or _under_another_name(index, item)
        if target is None or target[0] == path:
            continue
        cls = index._classes[target[0]].get(target[1])
        last_step = getattr(cls, "last_step", None) if cls is not None else None
        if last_step is not None:
            found.append((cls.name, last_step[0], f"{target[0]}:{last_step[1]}", last_step[2]))
    return tuple(sorted(set(found)))


def readout_named(readouts: tuple, class_name: str) -> Readout | None:
    for name, axis, origin, expression in readouts:
        if name == class_name:
            return Readout(name, axis, origin, expression)
    return None


def _under_another_name(index: Any, item: Any) -> tuple[str, str] | None:
    """``from wtpf.models.layers import X`` where the project installs its ``src/`` folder as
    ``wtpf``: no linted module or folder is named ``wtpf``, and ``models.layers`` (two names at
    least) is exactly one linted module that defines ``X``."""
    parts = item.module.split(".") if item.module and not item.level else []
    if len(parts) < 3 or parts[0] in index._by_suffix:
        return None
    candidates = index._by_suffix.get(".".join(parts[1:]), [])
    if len(candidates) != 1 or item.name not in index._classes[candidates[0]]:
        return None
    if _is_a_folder(index, parts[0]):
        return None
    return candidates[0], item.name


def _is_a_folder(index: Any, name: str) -> bool:
    return any(name in path.replace("\\", "/").split("/")[:-1] for path in index.summaries)
