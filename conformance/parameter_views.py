"""Parameter maps beyond renaming: a torch-layout tensor that lives transposed, sliced or with its
gates reordered inside one of the layer's own parameters.

A ``parameter_names`` hook maps each torch name (``weight_ih_l0``, ``..._reverse``) to the layer's
own parameter name, or to a ``ParameterView`` of one. A view is a linear rearrangement (transpose,
slice, reorder), so the same rearrangement maps the own parameter's gradient to the torch-layout
gradient, and its inverse writes a torch-layout value back (for the direction swap of C4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class ParameterView:
    """``read(own)`` gives the torch-layout tensor; ``write(own, value)`` stores one back in place.

    ``source`` names the layer's own parameter. ``read`` must rearrange elements only (no
    arithmetic), so that gradients and the swap follow it.
    """

    source: str
    read: Callable[[Tensor], Tensor]
    write: Callable[[Tensor, Tensor], None]
    description: str = ""

    def __str__(self) -> str:
        return self.description or f"a view of {self.source}"


def transposed(source: str) -> ParameterView:
    """torch's (out, in) weight stored as (in, out), e.g. an ``x @ W`` layer."""

    def write(own: Tensor, value: Tensor) -> None:
        own.copy_(value.t())

    return ParameterView(source, lambda own: own.t(), write, f"{source}.T")


def sliced(source: str, index: int | slice | tuple) -> ParameterView:
    """One direction's part of a tensor that holds both, e.g. ``weight[0]`` and ``weight[1]``."""

    def write(own: Tensor, value: Tensor) -> None:
        own[index].copy_(value)

    return ParameterView(source, lambda own: own[index], write, f"{source}[{index!r}]")


def gates_reordered(source: str, order: Sequence[int], *, transpose: bool = False) -> ParameterView:
    """Gate blocks (along torch's first dimension) in another order: torch's block j is the own
    tensor's block ``order[j]``; e.g. an LSTM stored (i, f, o, g) has ``order=(0, 1, 3, 2)``."""
    blocks = len(order)
    inverse = [order.index(k) for k in range(blocks)]

    def read(own: Tensor) -> Tensor:
        own = own.t() if transpose else own
        chunks = own.chunk(blocks, dim=0)
        return torch.cat([chunks[k] for k in order], dim=0)

    def write(own: Tensor, value: Tensor) -> None:
        chunks = value.chunk(blocks, dim=0)
        rearranged = torch.cat([chunks[k] for k in inverse], dim=0)
        own.copy_(rearranged.t() if transpose else rearranged)

    return ParameterView(source, read, write, f"{source} with gate blocks {tuple(order)}")
