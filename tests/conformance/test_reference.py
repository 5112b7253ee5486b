"""The executable spec is itself checked: the reference agrees with torch's own modules.

Clause C11 trusts ``conformance.reference``; these tests are why. In float64 the reference must
match ``nn.RNN`` (tanh, relu), ``nn.GRU`` and ``nn.LSTM`` (with and without ``proj_size``) to about
1e-10 in outputs, final states and every gradient, across batch_first, unbatched input, packed
variable-length input, bias on or off and h0 given or not. The last tests show that the comparison
has teeth: the reference is not fooled by a reversed parameter or by padding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from conformance.reference import reference_forward

# Far tighter than the float64 band of conformance.tolerances: both sides run the same equations
# in float64 on tiny sizes, so anything above rounding noise is a real disagreement.
RTOL = ATOL = 1e-10

VARIANTS = ("rnn_tanh", "rnn_relu", "gru", "lstm", "lstm_proj")


@dataclass(frozen=True)
class Case:
    """One drawn configuration; ``seed`` makes weights and inputs replay when hypothesis shrinks."""

    variant: str
    steps: int
    batch: int
    input_size: int
    hidden_size: int
    num_layers: int
    proj_size: int
    bias: bool
    batch_first: bool
    layout: str  # "batched", "unbatched" or "packed"
    with_h0: bool
    lengths: tuple[int, ...] | None
    seed: int

    @property
    def kind(self) -> str:
        return "lstm" if self.variant == "lstm_proj" else self.variant


@st.composite
def cases(draw: st.DrawFn, variant: str) -> Case:
    steps = draw(st.integers(1, 5), label="T")
    batch = draw(st.integers(1, 3), label="B")
    input_size = draw(st.integers(1, 4), label="I")
    # torch requires 0 < proj_size < hidden_size.
    hidden_size = draw(st.integers(2 if variant == "lstm_proj" else 1, 4), label="H")
    proj_size = draw(st.integers(1, hidden_size - 1), label="P") if variant == "lstm_proj" else 0
    layout = draw(st.sampled_from(["batched", "unbatched", "packed"]), label="layout")
    lengths = None
    if layout == "packed":
        lengths = tuple(
            draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch), label="lengths")
        )
    return Case(
        variant=variant,
        steps=steps,
        batch=1 if layout == "unbatched" else batch,
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=draw(st.integers(1, 3), label="L"),
        proj_size=proj_size,
        bias=draw(st.booleans(), label="bias"),
        batch_first=draw(st.booleans(), label="batch_first"),
        layout=layout,
        with_h0=draw(st.booleans(), label="with_h0"),
        lengths=lengths,
        seed=draw(st.integers(0, 2**32 - 1), label="seed"),
    )


def build_module(case: Case) -> nn.RNNBase:
    common = {
        "input_size": case.input_size,
        "hidden_size": case.hidden_size,
        "num_layers": case.num_layers,
        "bias": case.bias,
        "batch_first": case.batch_first,
        "bidirectional": True,
        "dtype": torch.float64,
    }
    if case.kind in ("rnn_tanh", "rnn_relu"):
        return nn.RNN(nonlinearity=case.kind.removeprefix("rnn_"), **common)
    if case.kind == "gru":
        return nn.GRU(**common)
    return nn.LSTM(proj_size=case.proj_size, **common)


@dataclass
class Inputs:
    """The leaves gradients are taken for, and random weights that mix every result into a loss."""

    x: torch.Tensor
    state: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None
    loss_weights: dict[str, torch.Tensor]


def make_inputs(case: Case, module: nn.RNNBase) -> Inputs:
    rows = 2 * case.num_layers
    output_size = case.proj_size or case.hidden_size
    batch_shape = () if case.layout == "unbatched" else (case.batch,)

    def leaf(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, dtype=torch.float64).requires_grad_()

    if case.layout == "unbatched":
        x = leaf(case.steps, case.input_size)
    elif case.batch_first:
        x = leaf(case.batch, case.steps, case.input_size)
    else:
        x = leaf(case.steps, case.batch, case.input_size)
    state = None
    if case.with_h0:
        h0 = leaf(rows, *batch_shape, output_size)
        state = (h0, leaf(rows, *batch_shape, case.hidden_size)) if case.kind == "lstm" else h0
    output_shape = (*x.shape[:-1], 2 * output_size)
    loss_weights = {
        "output": torch.randn(output_shape, dtype=torch.float64),
        "h": torch.randn(rows, *batch_shape, output_size, dtype=torch.float64),
        "c": torch.randn(rows, *batch_shape, case.hidden_size, dtype=torch.float64),
    }
    return Inputs(x, state, loss_weights)


def run_torch(case: Case, module: nn.RNNBase, inputs: Inputs):
    if case.lengths is None:
        return module(inputs.x, inputs.state)
    packed = pack_padded_sequence(
        inputs.x, list(case.lengths), batch_first=case.batch_first, enforce_sorted=False
    )
    packed_output, states = module(packed, inputs.state)
    output, _ = pad_packed_sequence(
        packed_output, batch_first=case.batch_first, total_length=case.steps
    )
    return output, states


def run_reference(case: Case, module: nn.RNNBase, inputs: Inputs):
    return reference_forward(
        case.kind,
        dict(module.named_parameters()),
        inputs.x,
        inputs.state,
        num_layers=case.num_layers,
        hidden_size=case.hidden_size,
        proj_size=case.proj_size,
        batch_first=case.batch_first,
        lengths=case.lengths,
    )


def results_and_gradients(run, case: Case, module: nn.RNNBase, inputs: Inputs):
    """Named results of one implementation, plus the gradients of one loss over all of them."""
    output, states = run(case, module, inputs)
    results = {"output": output}
    if case.kind == "lstm":
        results["h_n"], results["c_n"] = states
    else:
        results["h_n"] = states
    loss = (output * inputs.loss_weights["output"]).sum()
    loss = loss + (results["h_n"] * inputs.loss_weights["h"]).sum()
    if "c_n" in results:
        loss = loss + (results["c_n"] * inputs.loss_weights["c"]).sum()

    leaves = {"x": inputs.x}
    if isinstance(inputs.state, tuple):
        leaves["h0"], leaves["c0"] = inputs.state
    elif inputs.state is not None:
        leaves["h0"] = inputs.state
    leaves.update(dict(module.named_parameters()))
    gradients = torch.autograd.grad(loss, list(leaves.values()))
    results.update({f"grad {name}": g for name, g in zip(leaves, gradients)})
    return results


def assert_reference_matches_torch(case: Case) -> None:
    with torch.random.fork_rng():
        torch.manual_seed(case.seed)
        module = build_module(case)
        inputs = make_inputs(case, module)
    expected = results_and_gradients(run_torch, case, module, inputs)
    actual = results_and_gradients(run_reference, case, module, inputs)
    assert actual.keys() == expected.keys()
    for name, value in expected.items():
        torch.testing.assert_close(
            actual[name], value, rtol=RTOL, atol=ATOL, msg=lambda m, n=name: f"{n}: {m}\n{case}"
        )


@pytest.mark.parametrize("variant", VARIANTS)
@settings(deadline=None, max_examples=25)
@given(data=st.data())
def test_reference_matches_torch(variant: str, data: st.DataObject) -> None:
    assert_reference_matches_torch(data.draw(cases(variant), label="case"))


class Corner(NamedTuple):
    steps: int
    batch: int
    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool = True
    layout: str = "batched"
    lengths: tuple[int, ...] | None = None


# Hand-picked corners, so they are covered whatever hypothesis happens to draw.
CORNERS = [
    Corner(1, 1, 1, 1, 1),
    Corner(5, 3, 2, 4, 3, bias=False),
    Corner(4, 1, 3, 2, 2, layout="unbatched"),
    Corner(5, 3, 2, 3, 2, layout="packed", lengths=(2, 5, 1)),
    Corner(5, 2, 2, 3, 3, layout="packed", lengths=(3, 4), bias=False),
]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("corner", CORNERS, ids=str)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_h0", [False, True])
def test_reference_matches_torch_at_corners(
    variant: str, corner: Corner, batch_first: bool, with_h0: bool
) -> None:
    if variant == "lstm_proj":
        corner = corner._replace(hidden_size=max(corner.hidden_size, 2))
    case = Case(
        variant=variant,
        proj_size=1 if variant == "lstm_proj" else 0,
        batch_first=batch_first,
        with_h0=with_h0,
        seed=sum(corner[:5]),
        **corner._asdict(),
    )
    assert_reference_matches_torch(case)


# --- the reference has teeth ---------------------------------------------------------------------


def _gru_and_input(num_layers: int = 1):
    torch.manual_seed(0)
    gru = nn.GRU(3, 4, num_layers, bidirectional=True, dtype=torch.float64)
    return gru, torch.randn(5, 2, 3, dtype=torch.float64)


def test_reverse_parameter_moves_only_the_backward_half() -> None:
    gru, x = _gru_and_input()
    parameters = {name: p.detach().clone() for name, p in dict(gru.named_parameters()).items()}
    before, _ = reference_forward("gru", parameters, x, num_layers=1, hidden_size=4)
    parameters["weight_hh_l0_reverse"] += 0.5
    after, _ = reference_forward("gru", parameters, x, num_layers=1, hidden_size=4)
    torch.testing.assert_close(after[..., :4], before[..., :4], rtol=0, atol=0)
    assert (after[..., 4:] - before[..., 4:]).abs().max() > 1e-3


def test_swapped_gate_blocks_are_noticed() -> None:
    """Torch's GRU order is r, z, n: reading the blocks as z, r, n must give other results."""
    gru, x = _gru_and_input()
    parameters = {name: p.detach().clone() for name, p in dict(gru.named_parameters()).items()}
    expected, _ = gru(x)
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        r, z, n = parameters[name].chunk(3)
        parameters[name] = torch.cat([z, r, n])
    swapped, _ = reference_forward("gru", parameters, x, num_layers=1, hidden_size=4)
    assert (swapped - expected).abs().max() > 1e-3


def test_lengths_start_the_backward_direction_at_the_real_end() -> None:
    """Run on padding, the backward half differs; with lengths, it equals the trimmed sequence."""
    gru, x = _gru_and_input()
    parameters = dict(gru.named_parameters())
    padded, _ = reference_forward("gru", parameters, x, num_layers=1, hidden_size=4)
    packed, h_n = reference_forward(
        "gru", parameters, x, num_layers=1, hidden_size=4, lengths=[3, 5]
    )
    alone, alone_h_n = reference_forward("gru", parameters, x[:3, :1], num_layers=1, hidden_size=4)
    torch.testing.assert_close(packed[:3, :1], alone, rtol=RTOL, atol=ATOL)
    torch.testing.assert_close(h_n[:, :1], alone_h_n, rtol=RTOL, atol=ATOL)
    assert (packed[3:, 0] == 0).all()
    assert (padded[:3, 0, 4:] - alone[:, 0, 4:]).abs().max() > 1e-3


def test_reference_rejects_mismatched_state() -> None:
    gru, x = _gru_and_input(num_layers=2)
    with pytest.raises(ValueError, match="h0"):
        reference_forward(
            "gru",
            dict(gru.named_parameters()),
            x,
            torch.zeros(2, 2, 4, dtype=torch.float64),
            num_layers=2,
            hidden_size=4,
        )
