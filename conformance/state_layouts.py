"""Converters between torch's state layout and the layouts other layers use, for ``call`` hooks.

torch's h0 and h_n (and c) are (2L, B, H): row 2l + d for layer l and direction d. Many layers
keep one row per layer with the directions side by side, (L, B, 2H), or a list per layer of
per-direction (h, c) pairs. Each converter takes h alone or an (h, c) tuple, and passes None
through, so that a hook reads ``layer(x, directions_side_by_side(state))``.

Convert and nothing else: a converter that reshapes an invalid h0 into a valid one would hide
what C10 and C16 check (see docs/adapting.md, the ``call`` contract).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, TypeVar, cast

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

# h alone, or (h, c); None where no state was given.
State: TypeAlias = "Tensor | tuple[Tensor, ...] | None"
S = TypeVar("S", bound=State)


def directions_side_by_side(state: S) -> S:
    """torch's (2L, B, H), rows [layer, direction] -> (L, B, 2H), the directions side by side."""
    return _each(state, _side_by_side)


def directions_in_rows(state: S) -> S:
    """(L, B, 2H) -> torch's (2L, B, H): the inverse of ``directions_side_by_side``."""
    return _each(state, _in_rows)


def _side_by_side(tensor: Tensor) -> Tensor:
    layers, rest, hidden = tensor.shape[0] // 2, tensor.shape[1:-1], tensor.shape[-1]
    by_direction = tensor.view(layers, 2, *rest, hidden).movedim(1, -2)
    return by_direction.reshape(layers, *rest, 2 * hidden)


def _in_rows(tensor: Tensor) -> Tensor:
    layers, rest, hidden = tensor.shape[0], tensor.shape[1:-1], tensor.shape[-1] // 2
    by_direction = tensor.view(layers, *rest, 2, hidden).movedim(-2, 1)
    return by_direction.reshape(2 * layers, *rest, hidden)


def _each(state: S, convert: Callable[[Tensor], Tensor]) -> S:
    if state is None:
        return state
    if isinstance(state, tuple):
        return cast(S, tuple(convert(tensor) for tensor in state))
    return cast(S, convert(state))


def per_layer_pairs(state: Tensor | tuple[Tensor, Tensor]) -> list[list[Any]]:
    """torch's h or (h, c) -> ``[[forward, backward] per layer]``, each an h row or an (h, c) pair
    of rows: the nested state of layers built from one cell per direction."""
    tensors = state if isinstance(state, tuple) else (state,)
    rows = tensors[0].shape[0]

    def row(index: int) -> Any:
        return tuple(t[index] for t in tensors) if isinstance(state, tuple) else state[index]

    return [[row(layer + direction) for direction in (0, 1)] for layer in range(0, rows, 2)]


def from_per_layer_pairs(nested: Sequence[Sequence[Any]]) -> Tensor | tuple[Tensor, ...]:
    """The inverse of ``per_layer_pairs``: ``[[forward, backward] per layer]`` -> torch's h or (h, c)."""
    entries = [entry for layer in nested for entry in layer]
    if isinstance(entries[0], Tensor):
        return torch.stack(entries)
    return tuple(torch.stack(list(parts)) for parts in zip(*entries))


def zero_state(
    x: Tensor | PackedSequence,
    layers: int,
    hidden: int,
    *,
    cell: bool,
    batch_first: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """The zero h0 (and c0) in torch's layout that torch's RNNs start from when given none, for
    layers that must be given one: x's dtype and device, its batch size ((2L, H) for an
    unbatched (T, I) x)."""
    batch: tuple[int, ...]
    if isinstance(x, PackedSequence):
        data, batch = x.data, (int(x.batch_sizes[0]),)
    else:
        data, batch = x, () if x.dim() == 2 else (x.shape[0 if batch_first else 1],)
    h = data.new_zeros(2 * layers, *batch, hidden)
    return (h, h.clone()) if cell else h
