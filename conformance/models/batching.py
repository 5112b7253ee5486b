"""The default way a batch reaches a model, and how its results are split per sequence.

A ``ModelSpec``'s ``run(model, sequences)`` owns batching, padding, lengths and masks, because
that is where the mistakes the model checks look for live. The default is the most common
pipeline: pad to the longest sequence, batch first, and call ``model(padded, lengths)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.nn.utils.rnn import pad_sequence

RESULTS = ("summary", "logits", "per_step")

Run = Callable[[Any, list[torch.Tensor]], Any]


def padded_batch(*, padding_value: float = 0.0, with_lengths: bool = True) -> Run:
    """A ``run`` that pads the sequences to the longest (batch first) and calls
    ``model(padded, lengths)`` (or ``model(padded)``), as a ``pad_sequence`` collate function does."""

    def run(model: Any, sequences: list[torch.Tensor]) -> Any:
        padded = pad_sequence(sequences, batch_first=True, padding_value=padding_value)
        if not with_lengths:
            return model(padded)
        lengths = torch.tensor([len(sequence) for sequence in sequences], dtype=torch.long)
        return model(padded, lengths)

    return run


class ResultError(Exception):
    """``run`` returned something that is not one result per sequence; the message says what."""


def per_sequence(raw: Any, sequences: Sequence[torch.Tensor], result: str) -> list[torch.Tensor]:
    """One tensor per sequence from what ``run`` returned: a list or tuple of tensors, or a tensor
    whose first dimension is the batch. A batch-first ``per_step`` tensor is cut to each
    sequence's own length, so that padded steps are never compared."""
    if isinstance(raw, torch.Tensor):
        if raw.dim() == 0 or raw.shape[0] != len(sequences):
            raise ResultError(
                f"run returned a tensor of shape {tuple(raw.shape)} for {len(sequences)} sequence(s); "
                "expected the batch first (one row per sequence) or a list with one tensor per sequence"
            )
        results = list(raw.unbind(0))
        if result == "per_step":
            results = [row[: len(sequence)] for row, sequence in zip(results, sequences)]
    elif isinstance(raw, (list, tuple)) and all(isinstance(item, torch.Tensor) for item in raw):
        results = list(raw)
        if len(results) != len(sequences):
            raise ResultError(
                f"run returned {len(results)} results for {len(sequences)} sequence(s)"
            )
    else:
        raise ResultError(
            f"run returned {type(raw).__name__}; expected a tensor with the batch first or a list of "
            "tensors, one per sequence (pick the compared result out of a tuple or dict in `run`)"
        )
    if result == "per_step":
        for tensor, sequence in zip(results, sequences):
            if tensor.dim() == 0 or tensor.shape[0] != len(sequence):
                raise ResultError(
                    f"a per-step result of shape {tuple(tensor.shape)} for a sequence of {len(sequence)} "
                    "steps; per_step results have the sequence's own steps first"
                )
    return [tensor.detach() for tensor in results]
