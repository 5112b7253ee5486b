"""A pack that packs nothing: its lengths are the padded batch's own rows.

``padded = pad_sequence(x, batch_first=True)``, then ``lengths = [len(p) for p in padded]`` and
``pack_padded_sequence(padded, lengths, batch_first=True)``: every row of ``padded`` is as long
as the longest sequence, so every length is that one and the pack keeps every padded step. The
bidirectional RNN that reads it still starts its backward direction on the padding. Pass 1
(``project_index``) does not count such a pack as packing, and gives the ``pad_sequence`` the
evidence below, which BRN005's message explains. Only this exact form is read: the lengths are
computed, in the same scope, from the very name ``pad_sequence``'s batch-first result was bound to
(each bound once), row by row (``len(p)``, ``p.size(0)``, ``p.shape[0]``, as a list or a tensor
of it), and handed to the pack of that name.
"""

from __future__ import annotations

import ast

from lint_rules.ast_names import dotted, literal_int

# The mark the evidence carries (``is_hollow``), and what the message then says to do.
MARK = "whose pack takes its lengths from the padded rows"
FIX = (
    "take each sequence's length before padding, `lengths = torch.tensor([len(s) for s in "
    "sequences])`, and pack with those"
)
_TENSOR_OF = frozenset(("tensor", "LongTensor", "as_tensor", "IntTensor", "array", "list"))


def hollow_packs(nodes: list[ast.AST]) -> dict[int, str]:
    """id(call) -> evidence, for each ``pad_sequence`` call of one scope whose batch a pack
    of the scope takes with the padded rows' lengths; ``nodes`` are the scope's ``Assign`` and
    ``Call`` nodes (``node_index``). The pack calls are keyed too (their evidence unused).
    Pass 1 asks this of every scope: one without a pack is answered before any binding is read."""
    packs = [
        node
        for node in nodes
        if isinstance(node, ast.Call) and _last(node) == "pack_padded_sequence"
    ]
    if not packs:
        return {}
    values: dict[str, list[ast.AST]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        bound = node.value if target is name else None  # unpacked: unknown
                        values.setdefault(name.id, []).append(bound)  # type: ignore[arg-type]
    padded = {
        name: found[0]
        for name, found in values.items()
        if len(found) == 1 and _batch_first_pad(found[0])
    }
    if not padded:
        return {}
    hollow: dict[int, str] = {}
    for node in packs:
        batch = _argument(node, 0, "input")
        lengths = _argument(node, 1, "lengths")
        if not isinstance(batch, ast.Name) or batch.id not in padded or lengths is None:
            continue
        if not _keyword_true(node, "batch_first"):
            continue
        if isinstance(lengths, ast.Name):
            found = values.get(lengths.id, [])
            lengths = found[0] if len(found) == 1 else None
        if lengths is None or not _row_lengths(lengths, batch.id):
            continue
        pad = padded[batch.id]
        written = ast.unparse(_unwrapped(lengths))
        hollow[id(pad)] = f"`pad_sequence(..., batch_first=True)` {MARK}, `{written}`,"
        hollow[id(node)] = hollow[id(pad)]
    return hollow


def is_hollow(evidence: str) -> bool:
    """Whether BRN005's evidence (with whatever wraps it) is of a pack that packs nothing."""
    return MARK in evidence


def _batch_first_pad(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Call)
        and _last(node) == "pad_sequence"
        and _keyword_true(node, "batch_first")
    )


def _row_lengths(node: ast.AST, padded: str) -> bool:
    """``[len(p) for p in padded]`` (or ``p.size(0)``, ``p.shape[0]``), also inside
    ``torch.tensor(...)``, ``torch.LongTensor(...)``, ``list(...)``."""
    node = _unwrapped(node)
    if not isinstance(node, ast.ListComp) or len(node.generators) != 1:
        return False
    loop = node.generators[0]
    if loop.ifs or not isinstance(loop.target, ast.Name):
        return False
    if not isinstance(loop.iter, ast.Name) or loop.iter.id != padded:
        return False
    row = loop.target.id
    element = node.elt
    if isinstance(element, ast.Call) and dotted(element.func) == "len" and len(element.args) == 1:
        return _is_name(element.args[0], row)
    if isinstance(element, ast.Call) and dotted(element.func) == f"{row}.size":
        return len(element.args) == 1 and literal_int(element.args[0]) == 0
    if isinstance(element, ast.Subscript) and dotted(element.value) == f"{row}.shape":
        return literal_int(element.slice) == 0
    return False


def _unwrapped(node: ast.AST) -> ast.AST:
    while (
        isinstance(node, ast.Call)
        and (dotted(node.func) or "").rsplit(".", 1)[-1] in _TENSOR_OF
        and len(node.args) == 1
    ):
        node = node.args[0]
    return node


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _last(call: ast.Call) -> str:
    return (dotted(call.func) or "").rsplit(".", 1)[-1]


def _argument(call: ast.Call, position: int, keyword: str) -> ast.AST | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return call.args[position] if len(call.args) > position else None


def _keyword_true(call: ast.Call, keyword: str) -> bool:
    value = _argument(call, 99, keyword)
    return isinstance(value, ast.Constant) and value.value is True
