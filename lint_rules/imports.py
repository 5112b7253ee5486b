"""The module's import table: which local names mean ``torch``, ``torch.nn``, ``nn.LSTM``...

A full name-resolution pass costs several times a parse; a file's imports are a handful of
statements, so a dictionary from local name to dotted name is enough to resolve
``nn.LSTM``, ``L`` (``from torch.nn import LSTM as L``) and ``torch.nn.LSTM`` alike.
"""

from __future__ import annotations

from typing import Any

import libcst as cst


def dotted_name(node: Any) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


class ImportTable:
    """Local name -> fully qualified dotted name, filled from import statements."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def add(self, statement: cst.Import | cst.ImportFrom) -> None:
        if isinstance(statement, cst.Import):
            for alias in statement.names:
                full = dotted_name(alias.name)
                if full is None:
                    continue
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.names[alias.asname.name.value] = full
                else:
                    root = full.split(".", 1)[0]
                    self.names[root] = root
            return
        if statement.relative or statement.module is None:
            module = ""
        else:
            module = dotted_name(statement.module) or ""
        if isinstance(statement.names, cst.ImportStar):
            if module in ("torch.nn", "torch.nn.modules") and not statement.relative:
                for name in ("LSTM", "GRU", "RNN", "Linear", "Embedding", "ModuleList",
                             "Sequential", "Dropout", "LayerNorm"):
                    self.names.setdefault(name, f"torch.nn.{name}")
            return
        for alias in statement.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.names[local] = f"{module}.{name}" if module else name

    def resolve(self, node: Any) -> str | None:
        """The qualified name of ``node`` when its root is an imported name, else None."""
        dotted = dotted_name(node)
        if dotted is None:
            return None
        root, _, rest = dotted.partition(".")
        full_root = self.names.get(root)
        if full_root is None:
            return None
        return f"{full_root}.{rest}" if rest else full_root


def canonical(qualified: str) -> str:
    """Fold torch's internal module paths onto the public ones (``torch.nn.modules.rnn.LSTM``)."""
    if qualified.startswith("torch.nn.modules."):
        return "torch.nn." + qualified.rsplit(".", 1)[-1]
    if qualified.startswith("torch.nn.parameter."):
        return "torch.nn." + qualified.rsplit(".", 1)[-1]
    if qualified.startswith("torch.autograd.variable."):
        return "torch.autograd.Variable"
    return qualified
