"""Parameter maps beyond renaming: a torch-layout tensor that lives transposed, sliced or with its
gates reordered inside one of the layer's own parameters.

A ``parameter_names`` hook maps each torch name (``weight_ih_l0``, ``..._reverse``) to the layer's
own parameter name, or to a ``ParameterView`` of one. A view is a linear rearrangement (transpose,
slice, reorder), so the same rearrangement maps the own parameter's gradient to the torch-layout
gradient, and its inverse writes a torch-layout value back (for the direction swap of C4). The
helpers compose: ``gates_reordered(transposed(sliced("weight", 0)), (1, 0, 2))``.
``direction_halves`` gives both directions' views of a tensor that holds both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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

    def on(self, source: str) -> ParameterView:
        """The same view of another parameter: ``transposed("W").on("f_rnn.W")`` (the view's
        functions never look at the name, only at the tensor they are given)."""
        described = str(self)
        if described.startswith(self.source):
            described = source + described[len(self.source) :]
        return ParameterView(source, self.read, self.write, described)


def _identity(name: str) -> ParameterView:
    def write(own: Tensor, value: Tensor) -> None:
        own.copy_(value)

    return ParameterView(name, lambda own: own, write, name)


def _composed(
    of: str | ParameterView,
    forward: Callable[[Tensor], Tensor],
    backward: Callable[[Tensor], Tensor],
    description: Callable[[str], str],
) -> ParameterView:
    """``forward`` applied after ``of``'s read; writing applies ``backward`` (its inverse) first."""
    inner = _identity(of) if isinstance(of, str) else of

    def write(own: Tensor, value: Tensor) -> None:
        inner.write(own, backward(value))

    return ParameterView(
        inner.source, lambda own: forward(inner.read(own)), write, description(str(inner))
    )


def transposed(of: str | ParameterView) -> ParameterView:
    """torch's (out, in) weight stored as (in, out), e.g. by an ``x @ W`` layer."""
    return _composed(of, lambda t: t.t(), lambda t: t.t(), lambda inner: f"{inner}.T")


def sliced(of: str | ParameterView, index: int | slice | tuple[Any, ...]) -> ParameterView:
    """One direction's part of a tensor that holds both, e.g. ``weight[0]`` and ``weight[1]``."""
    inner = _identity(of) if isinstance(of, str) else of

    def write(own: Tensor, value: Tensor) -> None:
        whole = inner.read(own).detach().clone()
        whole[index] = value
        inner.write(own, whole)

    return ParameterView(
        inner.source, lambda own: inner.read(own)[index], write, f"{inner}[{index!r}]"
    )


def gates_reordered(of: str | ParameterView, order: Sequence[int]) -> ParameterView:
    """Gate blocks (along torch's first dimension) in another order: torch's block j is the own
    tensor's block ``order[j]``; e.g. an LSTM stored (i, f, o, g) has ``order=(0, 1, 3, 2)``."""
    blocks = len(order)
    inverse = [list(order).index(k) for k in range(blocks)]

    def rearranged(tensor: Tensor, by: Sequence[int]) -> Tensor:
        chunks = tensor.chunk(blocks, dim=0)
        return torch.cat([chunks[k] for k in by], dim=0)

    return _composed(
        of,
        lambda t: rearranged(t, order),
        lambda t: rearranged(t, inverse),
        lambda inner: f"{inner} with gate blocks {tuple(order)}",
    )


def direction_halves(
    of: str | ParameterView, dim: int = 0, blocks: int = 1
) -> tuple[ParameterView, ParameterView]:
    """(forward, backward) views of a tensor that holds both directions along ``dim``.

    Along ``dim`` the tensor is laid out (blocks, direction, rest): ``blocks=1`` is [forward;
    backward], ``blocks=2`` is [forward a; backward a; forward b; backward b] (two gates, say,
    each with both directions' rows). Each view is the direction's part, its blocks in order.
    """
    return _direction_part(of, 0, dim, blocks), _direction_part(of, 1, dim, blocks)


def _direction_part(
    of: str | ParameterView, direction: int, dim: int, blocks: int
) -> ParameterView:
    inner = _identity(of) if isinstance(of, str) else of

    def indices(tensor: Tensor) -> Tensor:
        whole = torch.arange(tensor.shape[dim], device=tensor.device)
        return whole.view(blocks, 2, -1)[:, direction].reshape(-1)

    def read(own: Tensor) -> Tensor:
        whole = inner.read(own)
        return whole.index_select(dim, indices(whole))

    def write(own: Tensor, value: Tensor) -> None:
        whole = inner.read(own).detach().clone()
        whole.index_copy_(dim, indices(whole), value)
        inner.write(own, whole)

    name = ("forward", "backward")[direction]
    layout = "" if blocks == 1 else f" of each of {blocks} blocks"
    return ParameterView(
        inner.source, read, write, f"{inner}: the {name} half{layout} of dim {dim}"
    )
