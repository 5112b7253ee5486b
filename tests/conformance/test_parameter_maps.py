"""The ready-made hooks of conformance.parameter_maps, on small stand-ins for real layers."""

from __future__ import annotations

import torch
from torch import nn

from conformance import adapters
from conformance.parameter_maps import prefixed_torch_names, twin_prefixes
from conformance.parameter_views import direction_halves, transposed
from conformance.spec import LayerSpec


class CellPerDirection(nn.Module):
    """Two layers of one torch-named cell per direction, under layers.{l}.directions.{d}."""

    def __init__(self, bias: bool = True) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Module() for _ in range(2))
        for layer, size in zip(self.layers, (3, 4)):
            layer.directions = nn.ModuleList(nn.RNNCell(size, 2, bias=bias) for _ in range(2))


def test_prefixed_torch_names_maps_torch_names_for_every_layer_and_skips_missing_biases() -> None:
    hook = prefixed_torch_names("layers.{layer}.directions.{direction}.")
    names = hook(CellPerDirection())
    assert names["weight_ih_l1_reverse"] == "layers.1.directions.1.weight_ih"
    assert len(names) == 16
    without_bias = hook(CellPerDirection(bias=False))
    assert len(without_bias) == 8 and not any(name.startswith("bias") for name in without_bias)


def test_prefixed_torch_names_takes_own_names_and_views_under_the_prefixes() -> None:
    module = nn.Module()
    module.f_rnn, module.b_rnn = nn.Module(), nn.Module()
    for part in (module.f_rnn, module.b_rnn):
        part.W_xh = nn.Parameter(torch.randn(3, 2))
    names = prefixed_torch_names(("f_rnn.", "b_rnn."), weight_ih=transposed("W_xh"))(module)
    assert set(names) == {"weight_ih_l0", "weight_ih_l0_reverse"}
    view = names["weight_ih_l0_reverse"]
    assert str(view) == "b_rnn.W_xh.T"
    assert torch.equal(view.read(module.b_rnn.W_xh), module.b_rnn.W_xh.t())


def test_one_prefix_with_direction_pairs_maps_a_tensor_that_holds_both_directions() -> None:
    module = nn.Module()
    module.cells = nn.ModuleList(nn.Module() for _ in range(2))
    for cell in module.cells:
        cell.weight = nn.Parameter(torch.randn(3, 4))  # (input, [forward 2; backward 2])
    spec = LayerSpec(
        name="Both",
        factory=lambda config: module,
        parameter_names=prefixed_torch_names(
            "cells.{layer}.", weight_ih=direction_halves(transposed("weight"))
        ),
    )
    named = adapters.torch_named_parameters(spec, module)
    assert torch.equal(named["weight_ih_l1_reverse"], module.cells[1].weight[:, 2:].t())
    assert adapters.direction_parameters(spec, module)[(1, 0)] == ["cells.1.weight"]


def test_twin_prefixes_swap_twins_and_the_upper_layers_column_halves() -> None:
    module = CellPerDirection()
    before = {name: p.detach().clone() for name, p in module.named_parameters()}
    hooks = twin_prefixes("layers.{layer}.directions.{direction}.", column_halves=("weight_ih",))
    hooks["swap_directions"](module)
    swapped = dict(module.named_parameters())
    assert torch.equal(
        swapped["layers.0.directions.0.weight_ih"], before["layers.0.directions.1.weight_ih"]
    )
    upper = before["layers.1.directions.1.weight_ih"]
    assert torch.equal(swapped["layers.1.directions.0.weight_ih"], upper.roll(2, dims=1))
    assert torch.equal(
        swapped["layers.1.directions.0.weight_hh"], before["layers.1.directions.1.weight_hh"]
    )
    groups = hooks["direction_parameters"](module)
    assert sorted(groups) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert "layers.1.directions.1.bias_hh" in groups[(1, 1)]
