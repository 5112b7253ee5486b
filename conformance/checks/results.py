"""Outputs, final states and gradients of one run, and their comparison: what C11, C14 and C15 share.

The gradients come from one scalar loss, a fixed random weighting of every output element and
every final state, so that each parameter and each input step receives a contribution through
both directions (a loss on the last step alone would leave the backward direction's recurrent
weights with no gradient, and equal weights could hide a permutation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

from conformance.adapters import states_of
from conformance.compare import OutputLayout, assert_close, locate_flat, locate_state
from conformance.failures import ConformanceFailure
from conformance.tolerances import Tolerance

VALUE_NAMES = ("output", "h_n", "c_n")
INITIAL_NAMES = ("h0", "c0")

Forward = Callable[[Tensor, "Tensor | tuple[Tensor, ...] | None"], tuple[Tensor, object]]


@dataclass
class Run:
    """A forward pass kept with its graph, so that its gradients can be taken once the loss
    weights (shaped like the trusted side's values) are known."""

    values: dict[str, Tensor]
    leaves: dict[str, Tensor]

    def gradients(self, loss_weights: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """d(loss)/d(leaf) for every leaf; a leaf the result does not depend on gets zeros."""
        loss = sum(
            (value * loss_weights[name].to(value)).sum()
            for name, value in self.values.items()
            if name in loss_weights and value.shape == loss_weights[name].shape
        )
        names = [name for name, leaf in self.leaves.items() if leaf.requires_grad]
        if not torch.is_tensor(loss) or not loss.requires_grad:
            return {name: torch.zeros_like(self.leaves[name]) for name in names}
        found = torch.autograd.grad(loss, [self.leaves[name] for name in names], allow_unused=True)
        return {
            name: torch.zeros_like(self.leaves[name]) if grad is None else grad
            for name, grad in zip(names, found)
        }

    def detached(self) -> dict[str, Tensor]:
        return {name: value.detach() for name, value in self.values.items()}


def leaf(tensor: Tensor) -> Tensor:
    """A fresh leaf that records gradients, so runs never share an input's .grad."""
    return tensor.detach().clone().requires_grad_(tensor.is_floating_point())


def leaf_state(state):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(leaf(t) for t in state)
    return leaf(state)


def forward_run(forward: Forward, x: Tensor, state, parameters: Mapping[str, Tensor]) -> Run:
    """Run ``forward(x, state)`` on fresh leaves; ``parameters`` are named ``parameter <name>``."""
    x = leaf(x)
    state = leaf_state(state)
    output, final = forward(x, state)
    values = {"output": output}
    values.update(zip(VALUE_NAMES[1:], states_of(final)))
    leaves = {"input": x}
    if state is not None:
        leaves.update(zip(INITIAL_NAMES, states_of(state)))
    leaves.update({f"parameter {name}": p for name, p in parameters.items()})
    return Run(values, leaves)


def loss_weights(
    values: Mapping[str, Tensor], draw_tensor: Callable[..., Tensor]
) -> dict[str, Tensor]:
    """One float64 CPU weight tensor per value, drawn from the trial's stream so failures replay."""
    return {
        name: draw_tensor(tuple(value.shape), dtype=torch.float64, device="cpu")
        for name, value in values.items()
    }


@torch.no_grad()
def copy_parameters(target: torch.nn.Module, source: torch.nn.Module) -> None:
    """Give ``target`` exactly ``source``'s (possibly rounded) weights, whatever the dtypes."""
    target_parameters = list(target.parameters())
    source_parameters = list(source.parameters())
    if len(target_parameters) != len(source_parameters):
        raise ValueError("the two layers do not have the same parameters")
    for to, from_ in zip(target_parameters, source_parameters):
        to.copy_(from_.to(device=to.device, dtype=to.dtype))


def cast_state(state, *, dtype, device):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(t.to(device=device, dtype=dtype) for t in state)
    return state.to(device=device, dtype=dtype)


def locate_input(batch_first: bool) -> Callable[[tuple[int, ...]], str]:
    """Where an element of the input (or of its gradient) sits: step, batch element, feature."""

    def locate(index: tuple[int, ...]) -> str:
        if len(index) != 3:
            return locate_flat(index)
        step, batch = (index[1], index[0]) if batch_first else (index[0], index[1])
        return f"step {step}, batch element {batch}, input feature {index[2]}"

    return locate


def locator(name: str, layout: OutputLayout) -> Callable[[tuple[int, ...]], str]:
    """The locate function for a value or gradient called ``name`` (see Run)."""
    if name == "output":
        return layout.locate
    if name in ("h_n", "c_n", "h0", "c0"):
        return locate_state
    if name == "input":
        return locate_input(layout.batch_first)
    return locate_flat


def describe(name: str, *, gradient: bool) -> str:
    """``output``, ``h_n``; ``the gradient w.r.t. the input``, ``... w.r.t. parameter weight_ih_l0``."""
    if not gradient:
        return name
    return f"the gradient w.r.t. {'the ' if name == 'input' else ''}{name}"


def assert_all_close(
    actual: Mapping[str, Tensor],
    expected: Mapping[str, Tensor],
    *,
    clause_id: str,
    tolerance: Tolerance,
    layout: OutputLayout,
    gradient: bool = False,
    prefix: str = "",
    hint: str | None = None,
) -> None:
    """Compare every entry of ``expected`` with ``actual``, the first difference failing."""
    __tracebackhide__ = True
    for name, wanted in expected.items():
        what = prefix + describe(name, gradient=gradient)
        if name not in actual:
            raise ConformanceFailure(
                clause_id, f"{what} is missing from the layer's result", hint=hint
            )
        assert_close(
            actual[name],
            wanted,
            clause_id=clause_id,
            what=what,
            tolerance=tolerance,
            locate=locator(name, layout),
            hint=hint,
        )
