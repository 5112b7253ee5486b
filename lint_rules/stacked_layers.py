"""Bidirectional layers stacked by hand: an output rebound through another RNN of its shape.

``x, _ = self.lstm1(x)``, then ``for _ in range(n): x, _ = self.lstm2(x)`` or a helper that
adds the layer's input back (``x = F.relu(x); x += mid``): whatever the loop or branch ran,
``x`` holds at every step what a bidirectional RNN of the same size computed there, so its last
step is still a last step. Two outputs are interchangeable only when they agree on everything
the rules ask (direction flag, output size, layout): a unidirectional RNN in between, a
reduction over time or a summary on one path leaves nothing known, as before.
"""

from __future__ import annotations

from typing import Any

from lint_rules.values import TensorFact, keys_match

_STEPPED = ("output", "per_step")


def interchangeable_outputs(first: Any, second: Any) -> bool:
    """Two RNNs' outputs (or layers computed at each of their steps) alike in direction flag,
    output size and layout: a join may keep either."""
    if not (isinstance(first, TensorFact) and isinstance(second, TensorFact)):
        return False
    if first.role not in _STEPPED or first.site.rnn is second.site.rnn:
        return False
    return (
        first.site.bidirectional == second.site.bidirectional
        and _same_output_size(first, second)
        and (first.role, first.width, first.time_axis, first.rank, first.part)
        == (second.role, second.width, second.time_axis, second.rank, second.part)
        and first.time_axis is not None
        and first.extra_features == second.extra_features
        and first.halves_mixed == second.halves_mixed
    )


def residual_sum(left: Any, right: Any) -> TensorFact | None:
    """``out + mid`` of two tensors that each hold an RNN's steps on one time axis (a residual
    connection): per step, the sum of both. Alike outputs keep the output's layout (the forward
    halves add up, the backward halves too); otherwise both halves are mixed at each step, as a
    layer's result is (``per_step``). Both must agree on the direction flag."""
    if not (isinstance(left, TensorFact) and isinstance(right, TensorFact)):
        return None
    if left.role not in _STEPPED or right.role not in _STEPPED:
        return None
    if left.time_axis is None or left.time_axis != right.time_axis or left.rank != right.rank:
        return None
    if left.site.bidirectional != right.site.bidirectional:
        return None
    if left.role == right.role == "output" and (
        left is right or interchangeable_outputs(left, right) or _same_layout(left, right)
    ):
        return left
    for side in (left, right):
        if side.role == "per_step":
            return side
    return left.derive(role="per_step", width=None, extra_features=False)


def _same_layout(first: TensorFact, second: TensorFact) -> bool:
    """One RNN's output reached by two ways (``out + out.relu()``)."""
    return first.site.rnn is second.site.rnn and (first.width, first.extra_features) == (
        second.width,
        second.extra_features,
    )


def _same_output_size(first: TensorFact, second: TensorFact) -> bool:
    one, other = first.site.rnn.output_size, second.site.rnn.output_size
    if one is None or other is None:
        return False
    if one.int_value is not None and other.int_value is not None:
        return one.int_value == other.int_value
    return keys_match(one.key, other.key)
