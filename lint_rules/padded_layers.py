"""Padding carried through the layers between two RNNs of one function.

A first RNN that reads a padded batch returns an output with the padding's time steps still in
it. What is computed from that output position by position keeps those steps where they were: a
``Linear``, an activation, dropout, ``masked_fill``, an attention block (``bmm`` of softmax
weights, ``cat`` of aligned features, elementwise products), a helper the model calls on the
whole output. A second RNN over the result reads padding as the first did, so when it is
bidirectional and unpacked its backward direction starts on it too (ESIM's composition layer,
BiDAF's modeling layer, stacked GRUs). The first RNN may run in a helper method of the model whose
returned output the function binds (``c = self.encode(context)``): that name is its output here.

Precision first, a path from the first RNN's output to the second RNN's input counts only when
no step on it can change the time axis: no reshaping (``view``, ``reshape``, ``flatten``,
``stack``, ``squeeze``), no reduction (``sum``, ``mean``, ``max``, pooling) and no integer
index (``out[:, -1]``). A hierarchical model, whose word-level outputs are pooled and then
stacked into sentences, goes through such a step: its sentence-level RNN reads another axis.
"""

from __future__ import annotations

import libcst as cst

from lint_rules.lineage import Lineage, names_read

# Calls and methods that may drop, merge or reorder time steps.
_AXIS_CHANGING = frozenset(
    ("view", "reshape", "flatten", "unflatten", "stack", "squeeze", "select", "gather")
    + ("index_select", "sum", "mean", "max", "min", "amax", "amin", "logsumexp", "prod")
    + ("median", "norm", "argmax", "topk", "sort", "flip", "roll", "split", "chunk", "unbind")
)


def carried_from(lineage: Lineage, rnn_input: cst.BaseExpression, outputs: set[str]) -> str:
    """The name among ``outputs`` (a first RNN's output names) that ``rnn_input`` is computed
    from through position-wise steps only; "" when there is none."""
    if _changes_axis(rnn_input):
        return ""
    seen: set[str] = set()
    pending = sorted(names_read(rnn_input))
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in outputs:
            return name
        for value in lineage.values_of(name):
            if not _changes_axis(value):
                pending.extend(sorted(names_read(value)))
    return ""


def _changes_axis(value: cst.CSTNode) -> bool:
    pending: list[cst.CSTNode] = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Call):
            func = node.func
            name = func.attr.value if isinstance(func, cst.Attribute) else ""
            name = func.value if isinstance(func, cst.Name) else name
            if name in _AXIS_CHANGING or "pool" in name.lower():
                return True
        elif isinstance(node, cst.Subscript) and any(
            not isinstance(element.slice, cst.Slice) for element in node.slice
        ):
            if not _fancy_but_whole(node):
                return True
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        pending.extend(node.children)
    return False


def _fancy_but_whole(node: cst.Subscript) -> bool:
    """``x[..., None]``-style indices that add a dimension without picking steps."""
    return all(
        isinstance(element.slice, cst.Slice)
        or (
            isinstance(element.slice, cst.Index)
            and isinstance(element.slice.value, (cst.Ellipsis, cst.Name))
            and getattr(element.slice.value, "value", "None") == "None"
        )
        for element in node.slice
    )
