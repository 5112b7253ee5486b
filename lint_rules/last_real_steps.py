"""Indices of each sequence's last real step, and batch permutations that keep a batch whole.

Padded batches are summarised at ``lengths - 1``: ``out[torch.arange(B), lengths - 1]``,
``out.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.size(2)))``,
``o[real_length - 1]`` for each ``o`` of the batch, or ``out[i, int(l) - 1]`` for each ``i, l``
of ``enumerate(lengths)``. The analysis marks ``X - 1`` as such an index when ``X`` names a
length (an identifier with the word ``len``, ``length`` or ``lens`` in it, ``len(...)``, or a
mask's ``.sum(...)``): a name is the only evidence a linter has, and code that counts a
sequence's real steps says so. Sorting a batch by length and undoing the sort
(``out[torch.sort(order)[1]]``) reorders whole sequences: ``Permutation`` keeps the output's
meaning through it. One sequence of a batch read on its own is a sequence too, time first: an
element of a batch-first output, and a batch of one with its batch axis squeezed or viewed away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from lint_rules.values import OPAQUE, Sym, TensorFact, TupleValue, keys_match

_LENGTH_WORD = re.compile(r"(len|lens|length|lengths)$")

# Methods of an index tensor that keep which step it points at (shape and device only).
_KEEPING = frozenset(
    (
        "unsqueeze",
        "squeeze",
        "view",
        "reshape",
        "long",
        "int",
        "to",
        "cuda",
        "cpu",
        "contiguous",
        "type",
        "clone",
        "detach",
        "flatten",
        "view_as",
        "type_as",
    )
)
# Methods that broadcast the index over the features: their last size is how many features
# the read takes at that step.
_BROADCASTING = frozenset(("expand", "repeat"))


@dataclass(frozen=True)
class LastRealSteps(Sym):
    """``lengths - 1``: per sequence, the index of its last real step. ``feature_size`` is the
    last size it was expanded or repeated to (a gather index), None while not known."""

    feature_size: Sym | None = None


@dataclass(frozen=True)
class SequenceLengths(Sym):
    """The lengths ``pad_packed_sequence`` returns beside the padded output: each sequence's real
    length by construction, whatever the code names it (``out, bz = pad_packed_sequence(o)``);
    also one of them, or of a batch's lengths, paired with its position by ``enumerate``
    (``length_element``)."""


@dataclass(frozen=True)
class LastStep(Sym):
    """``x.size(1) - 1``, ``x.shape[1] - 1``: the last index of an axis, which at a time axis is
    ``-1`` written out."""


@dataclass(frozen=True)
class Permutation:
    """``torch.sort(x)[1]``, ``x.argsort()``: indices that reorder a batch's sequences."""


def last_real_steps(node: cst.BinaryOperation, value: Any, left: Any = None) -> Any:
    """``value`` (what ``X - 1`` evaluated to) as a ``LastRealSteps`` when X names a length or
    is (``left``, X's value) the lengths ``pad_packed_sequence`` returned."""
    if not isinstance(node.operator, cst.Subtract) or not _is_one(node.right):
        return value
    if _axis_size(node.left):
        key = value.key if isinstance(value, Sym) else OPAQUE
        return LastStep(key, None, node)
    if not (names_a_length(node.left) or isinstance(left, SequenceLengths)):
        return value
    if isinstance(value, Sym):
        return LastRealSteps(value.key, value.truth, value.node, value.origin)
    return LastRealSteps(OPAQUE, None, node)


def _axis_size(node: cst.CSTNode) -> bool:
    """``x.size(1)`` or ``x.shape[1]``: one axis's size, by its literal position."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return (
            node.func.attr.value == "size"
            and len(node.args) == 1
            and isinstance(node.args[0].value, cst.Integer)
        )
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute):
        index = node.slice[0].slice if len(node.slice) == 1 else None
        return (
            node.value.attr.value == "shape"
            and isinstance(index, cst.Index)
            and isinstance(index.value, cst.Integer)
        )
    return False


def names_a_length(node: cst.CSTNode) -> bool:
    """``lengths``, ``seq_len``, ``x.lens``, ``len(x)``, ``real_length[i]``, ``mask.sum(1)``."""
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "sum":
            if any("mask" in name.lower() for name in _identifiers(func.value)):
                return True
    return any(_is_length_word(name) for name in _identifiers(node))


def _is_length_word(identifier: str) -> bool:
    return any(_LENGTH_WORD.search(part) for part in identifier.lower().split("_") if part)


def _identifiers(node: cst.CSTNode) -> list[str]:
    """Names and attribute names in ``node``, not inside strings or the arguments of a call to
    something other than a conversion (``torch.LongTensor(lengths)``, ``wrap(lengths)``)."""
    found: list[str] = []
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.Name):
            found.append(current.value)
        elif isinstance(current, cst.Attribute):
            found.append(current.attr.value)
            pending.append(current.value)
        elif isinstance(current, cst.Subscript):
            pending.append(current.value)  # `lengths[i]`: the index is not the length
        elif isinstance(current, cst.Call):
            pending.append(current.func)
            pending.extend(arg.value for arg in current.args if arg.keyword is None)
        elif isinstance(current, (cst.BinaryOperation, cst.UnaryOperation)):
            pending.extend(
                child
                for child in (
                    getattr(current, "left", None),
                    getattr(current, "right", None),
                    getattr(current, "expression", None),
                )
                if child is not None
            )
    return found


def _is_one(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.value == "1"


def length_element(lengths: Any) -> SequenceLengths | None:
    """The element ``enumerate`` pairs with each sequence's position (``[out[i, int(l) - 1] for
    i, l in enumerate(lens_unpacked)]``): that sequence's real length, so ``l - 1`` is its last
    real step. The lengths are those ``pad_packed_sequence`` returned, or a name that says it
    holds lengths (``lengths``, ``x_lens``): a collection that is enumerated is not one length."""
    if isinstance(lengths, SequenceLengths):
        return lengths
    if isinstance(lengths, Sym) and lengths.key[0] == "name" and type(lengths) is Sym:
        if _is_length_word(str(lengths.key[1]).rsplit(".", 1)[-1]):
            return SequenceLengths(OPAQUE, None, None)
    return None


def lengths_method(lengths: SequenceLengths, method: str) -> SequenceLengths | None:
    """``bz.to(device)``, ``bz.long()``: still the lengths."""
    return lengths if method in _KEEPING else None


def index_method(index: LastRealSteps, method: str, sizes: list) -> LastRealSteps | None:
    """``(lengths - 1).view(-1, 1, 1).expand(B, 1, D)``: still the last real steps."""
    if method in _KEEPING:
        return index
    if method in _BROADCASTING and sizes:
        last = sizes[-1]
        return replace(index, feature_size=last if isinstance(last, Sym) else None)
    return None


def sort_result(method: str) -> Any:
    """What ``x.sort()`` / ``torch.sort(x)`` (values, permutation) and ``argsort`` return."""
    if method == "argsort":
        return Permutation()
    return TupleValue((None, Permutation()))


def one_sequence(fact: Any) -> TensorFact | None:
    """An element of a batch-first output (``for o in output``): one sequence's steps, time
    first."""
    if isinstance(fact, TensorFact) and fact.role == "output" and fact.time_axis == 1:
        return fact.derive(role="sequence", time_axis=0, rank=2)
    return None


def squeezed_batch(fact: TensorFact, dim: int | None) -> TensorFact | None:
    """``out.squeeze(1)`` of a time-major output (``squeeze(0)`` batch-first): a batch of one
    sequence with its batch axis dropped, one sequence's steps, time first. Whoever squeezes the
    batch axis knows it holds one sequence (the tutorials' one-sentence taggers). A layer
    computed at every step of the output (``per_step``) keeps its meaning."""
    if fact.role not in ("output", "per_step") or fact.time_axis is None or fact.rank != 3:
        return None
    if dim is None or dim != 1 - fact.time_axis:
        return None
    if fact.role == "per_step":
        return fact.derive(time_axis=0, rank=2)
    return fact.derive(role="sequence", time_axis=0, rank=2)


def viewed_as_one_sequence(fact: TensorFact, call: cst.Call) -> TensorFact | None:
    """``out.view(len(sentence), -1)`` of a time-major output (the BiLSTM-CRF tutorial's
    ``lstm_out.view(len(sentence), self.hidden_dim)``): one row per time step, so the steps of a
    batch of one, time first. The first size must name the time length (``len(...)``, a name
    ending in ``len``/``length``, ``x.size(0)``); only ``-1`` after it keeps the width known."""
    if fact.role not in ("output", "per_step") or fact.time_axis != 0 or fact.rank != 3:
        return None
    if not isinstance(call.func, cst.Attribute) or len(call.args) != 2:
        return None
    if any(arg.keyword is not None or arg.star for arg in call.args):
        return None
    steps, features = call.args[0].value, call.args[1].value
    if not (names_a_length(steps) or _first_axis_size(steps)):
        return None
    role = "sequence" if fact.role == "output" else "per_step"
    width = fact.width if _is_minus_one(features) and role == "sequence" else None
    return fact.derive(role=role, time_axis=0, rank=2, width=width)


def _first_axis_size(node: cst.CSTNode) -> bool:
    """``x.size(0)`` or ``x.shape[0]``."""
    if not _axis_size(node):
        return False
    if isinstance(node, cst.Call):
        position = node.args[0].value
    else:
        position = node.slice[0].slice.value
    return isinstance(position, cst.Integer) and position.value == "0"


def _is_minus_one(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and _is_one(node.expression)
    )


def gathered_items(fact: TensorFact, dim: Any, index: Any) -> tuple | None:
    """``out.gather(time axis, lengths - 1 ...)`` described as the subscript it amounts to:
    ``("last_real",)`` at the time axis, every sequence of the batch, and the features the
    index was expanded over: the forward half when that size is H, else all of them."""
    if fact.role != "output" or fact.time_axis is None or not isinstance(index, LastRealSteps):
        return None
    axis = dim.int_value if isinstance(dim, Sym) else None
    if axis is None or (axis + 3 if axis < 0 else axis) != fact.time_axis:
        return None
    items: list[tuple] = [("other",), ("other",)]
    items[fact.time_axis] = ("last_real",)
    feature, hidden = index.feature_size, fact.site.rnn.output_size
    if feature is not None and hidden is not None and _same_size(feature, hidden):
        return (*items, ("slice", None, feature))
    return (*items, ("full",))


def _same_size(size: Sym, hidden: Sym) -> bool:
    if size.int_value is not None and hidden.int_value is not None:
        return size.int_value == hidden.int_value
    return keys_match(size.key, hidden.key)
