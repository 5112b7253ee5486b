"""Notice a layer that changes the tensors it is given.

Every check reuses its inputs (the same x for a second run, a flipped copy, a reference), so a
layer that normalises x in place or updates h0 as it goes would make later comparisons fail in
ways that point elsewhere. Trial.run copies the input tensors before each call (tiny tensors: a
clone each) and names the first one that changed.
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence


def input_tensors(x, state) -> dict[str, torch.Tensor]:
    """The tensors a call hands the layer, under the names a user knows them by."""
    tensors = {"x": x.data if isinstance(x, PackedSequence) else x}
    if isinstance(state, tuple):
        tensors.update(zip(("h0", "c0"), state))
    elif state is not None:
        tensors["h0"] = state
    return {name: tensor for name, tensor in tensors.items() if isinstance(tensor, torch.Tensor)}


def snapshot(x, state) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in input_tensors(x, state).items()}


def first_change(before: dict[str, torch.Tensor], x, state) -> str | None:
    """``x changed: 6 of 24 values, the largest by 1.5 at (0, 1, 2)``, or None when none changed."""
    for name, tensor in input_tensors(x, state).items():
        saved = before.get(name)
        if saved is None:
            continue
        now = tensor.detach()
        if now.shape != saved.shape:
            return f"{name} changed shape from {tuple(saved.shape)} to {tuple(now.shape)}"
        if torch.equal(now, saved):
            continue
        differs = now != saved
        change = (now.double() - saved.double()).abs().nan_to_num(nan=float("inf"))
        # not torch.unravel_index: its first call imports sympy, seconds spent in a case's budget
        place = _unravel(int(change.argmax()), tuple(change.shape))
        return (
            f"{name} changed: {int(differs.sum())} of {now.numel()} values, the largest by "
            f"{float(change.max()):.3g} at {place}"
        )
    return None


def _unravel(flat_index: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    place = []
    for size in reversed(shape):
        flat_index, index = divmod(flat_index, size)
        place.append(index)
    return tuple(reversed(place))
