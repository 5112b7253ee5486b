"""An RNN's output flattened to one row per step, a head applied to the rows, and the rows put back.

``out.contiguous().view(-1, 2 * H)`` stacks the steps of every sequence as rows (batch-major
rows for a batch-first output, time-major for a time-first one); ``self.fc(rows)`` computes one
value per step; ``.view(batch_size, -1, C)`` (or ``.view(batch_size, -1)``) restores the leading
axis, so the time axis is where it was. PyTorch's sentiment-RNN tutorial then keeps
``[:, -1]``: the last step's value. For a bidirectional RNN that is what the head made of a step
whose backward half has seen one step (BRN004), the same as ``self.fc(out)[:, -1]``.

Only the whole width is a row of steps: ``view(-1, H)`` of a bidirectional output splits each
step in two (BRN002's concern), and then nothing here follows it.
"""

from __future__ import annotations

from typing import Any

from lint_rules.guards import is_direction_count
from lint_rules.values import Sym, TensorFact, keys_match

FLAT_OUTPUT = "flat_output"  # (steps of every sequence, features): the output's rows
FLAT_PER_STEP = "flat_per_step"  # a layer's value at each of those rows


def flattened(fact: TensorFact, sizes: tuple[Sym | None, ...]) -> TensorFact | None:
    """``out.view(-1, F)`` of a whole output, F its full width (2 x H_out, or H_out times a
    direction count): one row per step, time axis remembered for ``restored``."""
    if fact.role != "output" or fact.rank != 3 or fact.time_axis is None or fact.width != 2:
        return None
    if len(sizes) != 2 or not _is_minus_one(sizes[0]) or sizes[1] is None:
        return None
    if not _is_whole_width(sizes[1], fact.site.rnn.output_size):
        return None
    return fact.derive(role=FLAT_OUTPUT, rank=2)


def after_a_layer(fact: TensorFact) -> TensorFact | None:
    """A layer mixing each row's features (``nn.Linear``): one value per step."""
    if fact.role in (FLAT_OUTPUT, FLAT_PER_STEP):
        return fact.derive(role=FLAT_PER_STEP, width=None)
    return None


def restored(fact: TensorFact, sizes: tuple[Sym | None, ...]) -> TensorFact | None:
    """``rows.view(lead, -1)`` / ``rows.view(lead, -1, C)`` of a layer's per-step rows: the
    leading axis back, so the steps lie on the output's time axis again (each row of the 2-D
    form holds the steps one after another, the last step's values at its end)."""
    if fact.role != FLAT_PER_STEP or fact.time_axis is None or len(sizes) not in (2, 3):
        return None
    if not _is_minus_one(sizes[1]):  # the steps; PyTorch allows one -1, so the lead is a size
        return None
    return fact.derive(role="per_step", rank=len(sizes))


def _is_minus_one(size: Any) -> bool:
    return isinstance(size, Sym) and size.int_value == -1


def _is_whole_width(size: Sym, hidden: Sym | None) -> bool:
    if hidden is None or size.key[0] != "bin" or size.key[1] != "*":
        return False
    for one, other in ((size.key[2], size.key[3]), (size.key[3], size.key[2])):
        if keys_match(one, hidden.key) and _is_two_directions(other):
            return True
    return False


def _is_two_directions(key: tuple) -> bool:
    if key == ("int", 2) or key == ("directions",):
        return True
    return key[0] == "name" and is_direction_count(key[1].rsplit(".", 1)[-1].lower())
