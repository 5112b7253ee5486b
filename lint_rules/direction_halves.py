"""The two direction halves of a bidirectional output, taken apart and combined at every step.

``out[:, :, :H] + out[:, :, H:]`` (the encoder of PyTorch's chatbot tutorial sums them) and
``o = out.view(B, T, 2, H)`` followed by ``(o[:, :, 0] + o[:, :, 1]) / 2`` or ``o.sum(2)`` keep
the time axis, and each step then holds both halves of that step mixed, as what a layer computed
at every step does (``per_step``). Such a step at the end is no summary of the sequence: the
backward half in it has seen that one step (BRN004).

Only what is sure is followed: a half is the batch and every step with exactly H features (H the
RNN's hidden size, or the ``2, H`` axes of a view), and only two halves of one RNN's output added
together, or the direction axis summed or averaged away, make a mixed output; a half on its own
is not followed further.
"""

from __future__ import annotations

from typing import Any

from lint_rules.values import Sym, TensorFact, keys_match

_WHOLE = (("full",), ("ellipsis",))


def half_of_output(fact: TensorFact, items: tuple) -> TensorFact | None:
    """``out[:, :, :H]`` / ``out[:, :, H:]`` of an output, or ``o[:, :, k]`` of one viewed as
    ``(.., 2, H)``: one direction's half at every step (role ``half``)."""
    if fact.time_axis is None:
        return None
    if fact.role == "output" and len(items) == 3 and items[0] == items[1] == ("full",):
        feature = items[2]
        hidden = fact.site.rnn.output_size
        if feature[0] != "slice" or hidden is None:
            return None
        lower, upper = feature[1], feature[2]
        if (lower is None) == (upper is None) or not _same_size(lower or upper, hidden):
            return None
        return fact.derive(role="half", width=None)
    if fact.role == "directions" and len(items) in (3, 4):
        if items[0] == items[1] == ("full",) and items[2] in (("int", 0), ("int", 1)):
            if len(items) == 3 or items[3] in _WHOLE:
                return fact.derive(role="half", width=None, rank=3)
    return None


def directions_view(fact: TensorFact, sizes: tuple) -> TensorFact | None:
    """``out.view(B, T, 2, H)`` (time-major alike): the directions on an axis of their own."""
    hidden = fact.site.rnn.output_size
    if fact.role != "output" or fact.time_axis is None or len(sizes) != 4 or hidden is None:
        return None
    directions, size = sizes[2], sizes[3]
    if not (isinstance(directions, Sym) and directions.int_value == 2):
        return None
    if not (isinstance(size, Sym) and _same_size(size, hidden)):
        return None
    return fact.derive(role="directions", width=None, rank=4)


def combined_halves(left: Any, right: Any) -> TensorFact | None:
    """``half + half`` of one RNN's output: both directions mixed at every step."""
    if not (isinstance(left, TensorFact) and isinstance(right, TensorFact)):
        return None
    if left.role != "half" or right.role != "half" or left.site is not right.site:
        return None
    if left.time_axis is None or left.time_axis != right.time_axis:
        return None
    return left.derive(role="per_step", width=None, rank=3, halves_mixed=True)


def directions_reduced(fact: TensorFact, method: str, dim: Any) -> TensorFact | None:
    """``o.sum(2)`` / ``o.mean(dim=2)`` of an output viewed as ``(.., 2, H)``."""
    if fact.role != "directions" or method not in ("sum", "mean"):
        return None
    if not (isinstance(dim, Sym) and dim.int_value in (2, -2)):
        return None
    return fact.derive(role="per_step", width=None, rank=3, halves_mixed=True)


def _same_size(size: Sym, hidden: Sym) -> bool:
    if size.int_value is not None and hidden.int_value is not None:
        return size.int_value == hidden.int_value
    return keys_match(size.key, hidden.key)
